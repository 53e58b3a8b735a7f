"""The trained ``scout_textcat`` component: shipped files, spaCy registration, the way
model and lexicon decide together, and the training workflow (nlp/project) end to end."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import spacy
from sklearn.feature_extraction.text import HashingVectorizer

from nlp.classify import Classifier, ClassifierConfig
from nlp.profile import text_and_sections
from nlp.textcat import (
    MODEL_DIR,
    FeatureParams,
    Featurizer,
    ModelPrediction,
    load_model,
    model_text,
)
from tests.support.fixtures import ROOT, SHARED_DIR

LABELS = SHARED_DIR / "data" / "labels"
JOINT_LABELS = {
    "individual",
    "politician",
    "organization/company",
    "organization/ngo",
    "organization/public_body",
    "organization/association",
    "organization/union",
    "organization/media",
    "organization/academic",
    "organization/religious",
}


def test_shipped_model_is_small_versioned_and_not_a_pickle() -> None:
    meta = json.loads((MODEL_DIR / "meta.json").read_text(encoding="utf-8"))
    assert meta["name"] == "scout_textcat" and meta["version"]
    assert set(meta["labels"]) == JOINT_LABELS
    assert meta["features"]["n_features"] >= 2**16
    assert meta["cross_validation"]["runs"]
    # org-type offsets chosen by cross-validation, shipped beside the weights
    offsets = meta["type_offsets"]
    assert offsets and set(offsets) <= {k for k in JOINT_LABELS if k.startswith("organization/")}
    assert all(-2.0 <= v <= 2.0 for v in offsets.values())
    # the learned org-type combiner, plain numbers beside them (tests/test_nlp_stacking.py)
    combiner = meta["type_combiner"]
    assert len(combiner["coef"]) == len(combiner["classes"]) == len(combiner["intercept"])
    assert all(len(row) == len(combiner["features"]) for row in combiner["coef"])
    assert (MODEL_DIR / "weights.npz").stat().st_size < 5_000_000
    with np.load(MODEL_DIR / "weights.npz", allow_pickle=False) as w:
        assert w["joint_w"].shape == (len(w["features"]), len(meta["labels"]))
        assert w["joint_w"].dtype == np.float16


def test_component_registered_and_predicts() -> None:
    nlp = spacy.blank("xx")
    nlp.add_pipe("scout_textcat")
    texts = [
        "Asociația Salvați Dunărea și Delta\nOrganizație neguvernamentală pentru protecția "
        "mediului în Delta Dunării.\n",
        "Maria\nmum of two, coffee addict, love my cats and bad movies\n",
    ]
    ngo, person = list(nlp.pipe(texts))
    assert isinstance(ngo._.scout_textcat, ModelPrediction)
    assert ngo._.scout_textcat.p_org > 0.5
    assert person._.scout_textcat.p_org < 0.5
    assert abs(sum(ngo._.scout_textcat.probs.values()) - 1.0) < 1e-2
    # the same doc through __call__ gives the same answer as through pipe
    assert nlp(texts[0])._.scout_textcat == ngo._.scout_textcat


def test_model_and_lexicon_reasons() -> None:
    clf = Classifier()
    ngo = clf.classify(
        {
            "display_name": "Asociația Salvați Dunărea și Delta",
            "bio": "Organizație neguvernamentală pentru protecția mediului în Delta Dunării.",
        }
    )
    assert ngo["role"] == "organization"
    assert ngo["reasons"][0].startswith("model ")
    assert "organization/" in ngo["reasons"][0]
    person = clf.classify({"display_name": "Jan", "bio": "Vater, Radfahrer, Kaffeetrinker."})
    assert person["role"] == "individual" and person["org_type"] is None
    assert person["reasons"][0].startswith("model ")


def test_lexicon_only_mode_has_no_model_reason() -> None:
    clf = Classifier(ClassifierConfig(model_dir="-"))
    out = clf.classify({"display_name": "ver.di", "bio": "Wir sind die Gewerkschaft."})
    assert out["role"] == "organization"
    assert not any(r.startswith("model ") for r in out["reasons"])


def test_roles_without_training_data_come_from_the_lexicon() -> None:
    clf = Classifier()
    journalist = clf.classify(
        {"display_name": "Anna Kowalska", "bio": "Dziennikarka Gazety. Piszę o klimacie."}
    )
    assert journalist["role"] == "journalist"
    party = clf.classify(
        {
            "display_name": "Partido Socialista",
            "bio": "Partido político. Conta oficial do Partido Socialista português.",
        }
    )
    assert (party["role"], party["org_type"]) == ("organization", "party")


@pytest.mark.slow
def test_project_workflow_on_a_sample(tmp_path: Path) -> None:
    if not (LABELS / "multi_dev.csv").exists():
        pytest.skip(f"labelled rows not found in {LABELS}")
    shutil.copyfile(ROOT / "nlp" / "project" / "project.yml", tmp_path / "project.yml")
    pkg = tmp_path / "pkg"
    cmd = [sys.executable, "-m", "spacy", "project", "run", "all", str(tmp_path),
           "--vars.labels", str(LABELS), "--vars.sample", "200",
           "--vars.lexicons", str(ROOT / "data" / "lexicons"),
           "--vars.alphas", "3e-5", "--vars.package_dir", str(pkg)]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    for out in ("corpus/train.jsonl", "training/scout_textcat/meta.json", "metrics/scores.json"):
        assert (tmp_path / out).exists(), out
    assert "Org type" in (tmp_path / "metrics" / "EVALUATION.md").read_text(encoding="utf-8")
    model = load_model(pkg)
    assert model.meta["training_data"]["source"] == {
        "extra": 200,
        "humanizr": 200,
        "multi_dev": 200,
    }
    preds = model.predict(["Gewerkschaft der Polizei\nWir sind die Gewerkschaft.\n", "Jan\n"])
    assert len(preds) == 2 and all(0.0 <= p.p_org <= 1.0 for p in preds)
    scored = json.loads((tmp_path / "metrics" / "scores.json").read_text(encoding="utf-8"))
    assert set(scored) == {"full", "no_site", "rules", "model", "lexicon"}
    assert isinstance(model.meta["type_offsets"], dict)
    assert model.type_combiner is not None  # fitted on the sample's cross-validated rows


def _pred(probs: dict[str, float]) -> ModelPrediction:
    return ModelPrediction(0.9, probs, max(probs, key=lambda k: probs[k]))


def test_type_offsets_fix_a_biased_head() -> None:
    """A head that calls too many associations: the tuned offsets lower association and
    raise the macro-F1 of the rows they were tuned on; nothing moves when all is right."""
    from sklearn.metrics import f1_score

    from nlp.textcat_data import Row
    from nlp.textcat_train import tune_type_offsets

    types = ["organization/association", "organization/union", "organization/ngo"]
    rng = np.random.default_rng(3)
    rows, preds = [], {}
    for i in range(300):
        gold = types[i % 3]
        p = dict.fromkeys(types, 0.1)
        p[gold] = 0.45 + 0.1 * rng.random()
        p["organization/association"] += 0.5  # the bias
        total = sum(p.values())
        preds[str(i)] = _pred({k: v / total for k, v in p.items()})
        rows.append(Row(str(i), "multi_dev", "", 1, gold, "en", str(i), i % 5))
    offsets = tune_type_offsets(rows, preds)
    assert offsets.get("organization/association", 0.0) < min(
        offsets.get(t, 0.0) for t in types[1:]
    )

    def macro(off: dict[str, float]) -> float:
        got = [
            max(types, key=lambda t: np.log(preds[r.id].probs[t] + 1e-4) + off.get(t, 0.0))
            for r in rows
        ]
        return float(f1_score([r.label for r in rows], got, average="macro"))

    assert macro({}) < 0.6 and macro(offsets) > 0.95
    fair = {r.id: _pred({t: (0.8 if t == r.label else 0.1) for t in types}) for r in rows}
    assert tune_type_offsets(rows, fair) == {}


def test_model_applies_its_type_offsets() -> None:
    model = load_model()
    text = ["Syndicat national des enseignants\nNous défendons les enseignants\n"]
    model.meta = {**model.meta, "type_offsets": {}}
    raw = model.predict(text)[0].probs
    model.meta = {**model.meta, "type_offsets": {"organization/union": -2.0}}
    moved = model.predict(text)[0].probs
    assert moved["organization/union"] < raw["organization/union"]
    # the others gain in proportion; still a distribution
    assert moved["organization/ngo"] > raw["organization/ngo"]
    assert abs(sum(moved.values()) - 1.0) < 1e-3


def test_featurizer_cache_gives_scikit_learns_rows() -> None:
    """The chunk cache is an optimisation only: batch by batch, across a cache reset,
    the rows equal scikit-learn's HashingVectorizer on the whole texts."""
    params = FeatureParams()
    texts = [
        "ver.di Bundesvorstand\nWir sind die Vereinte Dienstleistungsgewerkschaft.\n",
        "Maria\nmum of two, coffee addict,  love my cats\tand bad movies\n",
        "ΟΔΟΣ ΑΘΗΝΑΣ\nΣύλλογος εργαζομένων ΟΤΑ Αθηνών\n",
        "Asociația Salvați Dunărea și Delta\nOrganizație neguvernamentală " * 12,
        "",
        "   \n",
    ] * 3

    def reference(batch: list[str]) -> sp.csr_matrix:
        cut = [t[: params.max_chars] for t in batch]
        common = {"n_features": params.n_features, "alternate_sign": False}
        char = HashingVectorizer(
            analyzer="char_wb",
            ngram_range=(params.char_ngram_min, params.char_ngram_max),
            **common,
        ).transform(cut)
        word = HashingVectorizer(analyzer="word", **common).transform(cut)
        return sp.csr_matrix(char + word * params.word_weight)

    featurize = Featurizer(params)
    featurize.CACHE_CHUNKS = 25  # forces resets between batches
    got = sp.vstack([featurize(texts[i : i + 4]) for i in range(0, len(texts), 4)])
    want = reference(texts)
    assert got.shape == want.shape
    assert abs(got - want).max() < 1e-6
    assert got.nnz == want.nnz


def test_name_block_is_the_display_name_featurized_again() -> None:
    """With ``name_weight`` the row is the text block, then the display name's own block
    (the same features, times ``name_weight``); the component takes the name from the
    profile's ``name`` section, else the text's first line."""
    params = FeatureParams(name_weight=0.7)
    plain = Featurizer(FeatureParams())
    featurize = Featurizer(params)
    texts = [
        "Gewerkschaft der Polizei\nWir vertreten die Beschäftigten der Polizei.\n",
        "Maria\nmum of two, coffee addict\n",
    ]
    names = ["Gewerkschaft der Polizei", "Maria"]
    got = featurize(texts, names)
    n = params.n_features
    assert got.shape == (2, 2 * n) and params.width == 2 * n
    assert abs(got[:, :n] - plain(texts)).max() < 1e-6
    assert abs(got[:, n:] - plain(names) * 0.7).max() < 1e-6
    # default names: the first line of each text
    assert abs(featurize(texts) - got).max() < 1e-6
    # a profile without a display name has an empty name block
    assert featurize(["\nonly a bio here\n"], [""])[:, n:].nnz == 0


def test_shipped_model_reads_the_display_name() -> None:
    model = load_model()
    assert model.params.name_weight > 0
    clf = Classifier()
    # the same bio; only the name says union or company
    bio = "Wir vertreten die Interessen unserer Mitglieder in Bayern."
    union = clf.classify({"display_name": "Gewerkschaft Erziehung und Wissenschaft", "bio": bio})
    firm = clf.classify({"display_name": "Müller Maschinenbau GmbH", "bio": bio})
    assert union["org_type"] == "union", union["reasons"]
    assert firm["org_type"] == "company", firm["reasons"]


def test_a_private_french_person_is_not_a_politician() -> None:
    """The only French people in the training data are deputies and senators: the
    lexicon's private cues (a job, family) without any office keep a person an
    individual, while an office still makes a politician."""
    clf = Classifier()
    retired = clf.classify(
        {"display_name": "Camille Laurent", "bio": "Retraité, randonneur", "post_langs": ["fr"]}
    )
    nurse = clf.classify(
        {"display_name": "Julien", "bio": "Infirmier, papa de deux enfants", "post_langs": ["fr"]}
    )
    deputy = clf.classify(
        {
            "display_name": "Marie Dupont",
            "bio": "Députée de la 3e circonscription du Rhône. Infirmière de profession.",
            "post_langs": ["fr"],
        }
    )
    assert retired["role"] == "individual", retired["reasons"]
    assert nurse["role"] == "individual", nurse["reasons"]
    assert deputy["role"] == "politician", deputy["reasons"]


def test_extreme_scores_give_probabilities_not_warnings_or_nan() -> None:
    # a model whose every one-vs-rest score is hugely negative (a text far outside the
    # training data, or badly scaled weights): the sigmoids underflow to 0 in float32,
    # which naively gives 0/0; the probabilities must still be finite and sum to 1
    import warnings

    from nlp.textcat import TextcatModel

    params = FeatureParams(n_features=2**10)
    hashed = Featurizer(params)(["über alles"])
    used = np.unique(hashed.indices).astype(np.int32)
    model = TextcatModel(
        params=params,
        labels=["individual", "organization/ngo", "organization/union"],
        features=used,
        org_w=np.full(len(used), -500.0, dtype=np.float32),
        org_b=0.0,
        joint_w=np.tile(np.array([-400.0, -300.0, -500.0], dtype=np.float32), (len(used), 1)),
        joint_b=np.zeros(3, dtype=np.float32),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning fails the test
        (pred,) = model.predict(["über alles"])
    assert 0.0 <= pred.p_org < 1e-6
    assert all(np.isfinite(v) for v in pred.probs.values())
    assert abs(sum(pred.probs.values()) - 1.0) < 1e-3
    assert max(pred.probs, key=lambda k: pred.probs[k]) == "organization/ngo"


def test_the_model_does_not_read_link_only_fields() -> None:
    text, sections = text_and_sections(
        "Verband der Bäcker",
        "Wir vertreten das Bäckerhandwerk.",
        [
            {"name": "Website", "value": "https://www.baecker-verband.de/ueber-uns"},
            {"name": "Ort", "value": "Köln"},
            {"name": "Blog", "value": "baecker.example.org"},
        ],
    )
    assert model_text(text, sections) == (
        "Verband der Bäcker\nWir vertreten das Bäckerhandwerk.\nOrt: Köln\n"
    )
    # a field with words beside the link is read, and so are values that only look alike
    for value in ("see x.org now", "e.V.", "St.Pauli", "anna@example.org"):
        text2, sections2 = text_and_sections("X", "", [{"name": "Web", "value": value}])
        assert model_text(text2, sections2) == text2, value
    for value in ("HTTPS://Example.ORG", "luft.example.de:8080/about", "http://127.0.0.1:5000"):
        text2, sections2 = text_and_sections("X", "", [{"name": "Web", "value": value}])
        assert model_text(text2, sections2) == "X\n", value


def test_a_website_field_gives_the_country_not_a_different_model_answer() -> None:
    clf = Classifier()
    base = {
        "display_name": "Fédération des boulangers",
        "bio": "Nous représentons les artisans boulangers auprès des pouvoirs publics.",
    }
    site = {**base, "fields": [{"name": "Website", "value": "http://www.boulangers.be"}]}
    plain, linked = clf.classify(base), clf.classify(site)

    def model_reasons(out: dict[str, object]) -> list[str]:
        return [r for r in out["reasons"] if str(r).startswith("model ")]  # type: ignore[attr-defined]

    assert model_reasons(plain) and model_reasons(plain) == model_reasons(linked)
    assert (plain["role"], plain["org_type"]) == (linked["role"], linked["org_type"])
    assert linked["country"] == "BE", linked["reasons"]


def test_a_labelled_rows_website_is_its_profiles_link_field(tmp_path: Path) -> None:
    from nlp import textcat_data as data

    csv_file = tmp_path / "rows.csv"
    csv_file.write_text(
        "id,source,source_label,role,org_type,lang,country,display_name,handle,bio,website\n"
        "r:1,s,x,organization,union,de,DE,IG Bau,,Wir sind die Gewerkschaft.,https://igbau.de\n"
        "r:2,s,x,organization,media,fr,FR,Le Journal,,Quotidien régional.,\n",
        encoding="utf-8",
    )
    union, media = data.multi_rows(csv_file, "multi_dev")
    assert union.website == "https://igbau.de"
    # the model's training text is the name and bio only, as it reads them in use
    assert union.text == "IG Bau\nWir sind die Gewerkschaft.\n"
    assert data.row_profile(union)["fields"] == [{"name": "Website", "value": "https://igbau.de"}]
    assert "fields" not in data.row_profile(union, website=False)
    assert "fields" not in data.row_profile(media)
