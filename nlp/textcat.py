"""The ``scout_textcat`` spaCy component: a trained linear model over character n-grams.

The model is two linear heads over the same stateless features (scikit-learn's
``HashingVectorizer``: ``char_wb`` n-grams plus word unigrams, both L2-normalised, of the
whole profile text and, as a block of its own, of the display name):

* ``org``: probability that the account is an organisation (trained on every labelled
  row, including those that only say organisation vs person);
* ``joint``: one-vs-rest probabilities of ``individual``, ``politician`` and
  ``organization/<org_type>`` (trained on the rows that have that detail).

Weights live in ``nlp/models/scout_textcat/`` as ``weights.npz`` (plain arrays, float16
weights, only the hashed features the training data used) and ``meta.json`` (version,
labels, vectorizer parameters, training summary, cross-validation scores); never a
pickle.  After the component: ``doc._.scout_textcat`` is a :class:`ModelPrediction`
(``None`` when the text has no letters or digits, or the component is disabled with
``model_dir="-"``).
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, log_expit
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.preprocessing import normalize
from spacy.language import Language
from spacy.tokens import Doc

from nlp.concepts import default_concepts
from nlp.phrases import doc_text, get_ext, set_ext
from nlp.profile import field_name, field_value_start
from nlp.stacking import TypeCombiner

MODEL_DIR = Path(__file__).resolve().parent / "models" / "scout_textcat"
WEIGHTS_FILE = "weights.npz"
META_FILE = "meta.json"
FORMAT_VERSION = 1
DISABLED = "-"  # model_dir value that turns the model off (lexicon only)


_ALNUM = re.compile(r"[^\W_]")
# A field value that is one link and nothing else: "https://Example.org/x", or without a
# scheme a host ending in a lower-case top-level domain ("example.org/x"; not "e.V.",
# "St.Pauli")
_LINK_ONLY = re.compile(
    r"\s*(?:(?i:[a-z][a-z0-9+.-]*://)\S+|[^\s/@]+\.[a-z]{2,24}(?::\d+)?(?:/\S*)?)\s*"
)


def _has_alnum(text: str) -> bool:
    return _ALNUM.search(text) is not None


@dataclass(frozen=True)
class FeatureParams:
    """Vectorizer settings; saved in ``meta.json`` so training and use always agree."""

    n_features: int = 2**17
    char_ngram_min: int = 2
    char_ngram_max: int = 5
    word_weight: float = 0.5  # 0 = no word unigrams
    # Longer texts are cut (register statements, long field lists): 300 scores as 600
    # did in cross-validation and hashes a third faster.
    max_chars: int = 300
    # The display name again, as its own block of n_features columns, times this (0 = no
    # block): a word in the name ("Gewerkschaft", "Universität", "GmbH") says more than
    # the same word in a bio. Cross-validated: org vs person 0.841 -> 0.855, org_type
    # 0.566 -> 0.580 (model alone).
    name_weight: float = 0.0

    @property
    def width(self) -> int:
        """Columns of a feature row (text block, then the name block if any)."""
        return self.n_features * (2 if self.name_weight else 1)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Featurizer:
    """Text (and display name) -> sparse feature rows; the same in training and in use.

    The text block is exactly scikit-learn's ``HashingVectorizer`` output (``char_wb``
    n-grams, L2-normalised, plus ``word_weight`` times the L2-normalised word unigrams);
    the name block (when ``name_weight``) is the same for the display name, times
    ``name_weight``. Both analyzers stay inside whitespace-separated chunks, so a text's
    counts are the sum of its chunks' counts: each distinct chunk is hashed once and kept
    (up to ``CACHE_CHUNKS``), and a batch is one sparse product (texts x chunks) @
    (chunks x features). Hashing every n-gram of every text anew in Python was most of
    the component's cost; the words of bios repeat."""

    CACHE_CHUNKS = 100_000

    def __init__(self, params: FeatureParams) -> None:
        self.params = params
        common: dict[str, Any] = {
            "n_features": params.n_features,
            "alternate_sign": False,
            "norm": None,
            "lowercase": False,  # chunks are lowercased before
            "dtype": np.float32,
        }
        ngrams = (params.char_ngram_min, params.char_ngram_max)
        self.char = HashingVectorizer(analyzer="char_wb", ngram_range=ngrams, **common)
        self.word = HashingVectorizer(analyzer="word", **common)
        self._lock = threading.Lock()
        self._ids: dict[str, int] = {}
        # chunk counts (char | word columns): a large settled part and the recent rows,
        # merged when the recent part grows, so a batch never copies the whole cache
        self._old = sp.csr_matrix((0, 2 * params.n_features), dtype=np.float32)
        self._new = self._old

    def _add(self, chunks: list[str]) -> None:
        new = [c for c in dict.fromkeys(chunks) if c not in self._ids]
        if not new:
            return
        if len(self._ids) + len(new) > self.CACHE_CHUNKS:
            self._ids, self._old, self._new = {}, self._old[:0], self._old[:0]
            new = list(dict.fromkeys(chunks))
        block = sp.hstack([self.char.transform(new), self.word.transform(new)], format="csr")
        base = self._old.shape[0] + self._new.shape[0]
        self._ids.update((c, base + i) for i, c in enumerate(new))
        self._new = sp.vstack([self._new, block], format="csr")
        if self._new.shape[0] > max(1000, self._old.shape[0] // 4):
            self._old = sp.vstack([self._old, self._new], format="csr")
            self._new = self._old[:0]

    def _counts(self, docs: list[list[str]]) -> sp.csr_matrix:
        """Per chunk list, the summed (char | word) counts of its chunks."""
        with self._lock:
            self._add([c for d in docs for c in d])
            cols = np.fromiter((self._ids[c] for d in docs for c in d), dtype=np.int64)
            old, new = self._old, self._new
        ptr = np.cumsum([0] + [len(d) for d in docs])
        split = old.shape[0]
        both = sp.csr_matrix((len(docs), 2 * self.params.n_features), dtype=np.float32)
        for part, lo in ((old, 0), (new, split)):
            if part.shape[0]:
                # per text, the chunks of this part: a (texts x part rows) count matrix
                mask = (cols >= lo) & (cols < lo + part.shape[0])
                row = np.repeat(np.arange(len(docs)), np.diff(ptr))[mask]
                counts = sp.csr_matrix(
                    (np.ones(int(mask.sum()), dtype=np.float32), (row, cols[mask] - lo)),
                    shape=(len(docs), part.shape[0]),
                )
                both = both + counts @ part
        return sp.csr_matrix(both)

    def _block(self, both: sp.csr_matrix) -> sp.csr_matrix:
        n = self.params.n_features
        x = normalize(both[:, :n])
        if self.params.word_weight:
            x = x + normalize(both[:, n:]) * self.params.word_weight
        return sp.csr_matrix(x, dtype=np.float32)

    def __call__(self, texts: Sequence[str], names: Sequence[str] | None = None) -> sp.csr_matrix:
        """Rows for ``texts``; ``names`` (display names, one per text) feed the name
        block (default: each text's first line, the name in :mod:`nlp.profile` texts)."""
        cut = self.params.max_chars
        docs = [t[:cut].lower().split() for t in texts]
        if not self.params.name_weight:
            return self._block(self._counts(docs))
        if names is None:
            names = [t.split("\n", 1)[0] for t in texts]
        both = self._counts(docs + [n[:cut].lower().split() for n in names])
        x = self._block(both[: len(texts)])
        name_x = self._block(both[len(texts) :]) * self.params.name_weight
        return sp.hstack([x, name_x], format="csr", dtype=np.float32)


@dataclass(frozen=True)
class ModelPrediction:
    p_org: float  # org head: P(organisation)
    probs: dict[str, float]  # joint head, sums to 1
    label: str = ""  # the joint head's best label
    # Log-odds the training data's language mix added to P(organisation) in this
    # language (see TextcatModel.language_shift); removed before the decision.
    shift: float = 0.0
    # Org types the training data has too few rows of to learn (TextcatModel.thin_types):
    # the lexicon names them (nlp.combine).
    thin: frozenset[str] = frozenset()
    # The model's learned org-type combiner (meta.json ``type_combiner``, see
    # nlp.stacking) and the text's concept counts it reads; None / () without one.
    combiner: TypeCombiner | None = field(default=None, compare=False, repr=False)
    concepts: tuple[int, ...] = ()

    def best(self, prefix: str) -> tuple[str, float]:
        """Best joint label starting with ``prefix`` and its share among those labels."""
        sub = {k: v for k, v in self.probs.items() if k.startswith(prefix)}
        total = sum(sub.values()) or 1.0
        name = max(sorted(sub), key=lambda k: sub[k])
        return name, sub[name] / total


@dataclass
class TextcatModel:
    params: FeatureParams
    labels: list[str]
    features: np.ndarray  # int32 hashed feature ids that have weights
    org_w: np.ndarray  # (len(features),)
    org_b: float
    joint_w: np.ndarray  # (len(features), len(labels))
    joint_b: np.ndarray  # (len(labels),)
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.featurize = Featurizer(self.params)
        # Dense lookup from hashed id to row, so predicting is one sparse product.
        rows = np.zeros((self.params.width, 1 + len(self.labels)), dtype=np.float32)
        rows[self.features, 0] = self.org_w.astype(np.float32)
        rows[self.features, 1:] = self.joint_w.astype(np.float32)
        self._w = rows
        self._b = np.concatenate([[self.org_b], self.joint_b]).astype(np.float32)
        self._shifts: dict[str | None, float] = {}
        self._shifts_of: dict[str, Any] | None = None
        self._offsets: np.ndarray | None = None
        self._offsets_of: dict[str, Any] | None = None
        self._combiner: TypeCombiner | None = None
        self._combiner_of: dict[str, Any] | None = None

    @property
    def type_combiner(self) -> TypeCombiner | None:
        """The learned org-type combiner of ``meta["type_combiner"]`` (None: the hand
        rules of nlp.combine decide the type)."""
        if self._combiner_of is not self.meta:  # meta may be replaced after construction
            given = self.meta.get("type_combiner")
            self._combiner = TypeCombiner.from_json(given) if given else None
            self._combiner_of = self.meta
        return self._combiner

    def type_offsets(self) -> np.ndarray | None:
        """Per joint label, the factor ``exp(offset)`` of ``meta["type_offsets"]`` (log
        probability offsets chosen by cross-validation, see
        ``nlp.textcat_train.tune_type_offsets``); ``None`` when there are none."""
        if self._offsets_of is not self.meta:  # meta may be replaced after construction
            given = self.meta.get("type_offsets") or {}
            self._offsets = (
                np.exp(np.array([given.get(k, 0.0) for k in self.labels], dtype=np.float32))
                if given
                else None
            )
            self._offsets_of = self.meta
        return self._offsets

    THIN_ROWS = 100  # fewer training rows than this: a type the model cannot learn

    @property
    def thin_types(self) -> frozenset[str]:
        """Org types with fewer than ``THIN_ROWS`` training rows (``religious``: 19)."""
        counts = self.meta.get("training_data", {}).get("label", {})
        return frozenset(
            label.split("/", 1)[1]
            for label in self.labels
            if label.startswith("organization/")
            and counts.get(label, 0) < self.THIN_ROWS
            and label in counts
        )

    def language_shift(self, lang: str | None) -> float:
        """The cached :meth:`_language_shift` of ``lang``."""
        if self._shifts_of is not self.meta:  # meta may be replaced after construction
            self._shifts, self._shifts_of = {}, self.meta
        if lang not in self._shifts:
            self._shifts[lang] = self._language_shift(lang)
        return self._shifts[lang]

    def _language_shift(self, lang: str | None) -> float:
        """How far the training data's organisation share in ``lang`` exceeds the one in
        English, in log-odds (0 for English and for languages it never saw).

        The labelled data has people almost only in English and French (elsewhere it is
        register entries and media, i.e. organisations), so the model learns "not
        English or French, so an organisation"; a German nurse's bio would be read as
        an organisation. Removing this prior shift (the standard correction for a class
        prior that differs between training and use) leaves what the words say."""
        data = self.meta.get("training_data", {})
        rows, people = data.get("lang", {}), data.get("person_lang", {})
        if not lang or lang not in rows or "en" not in rows:
            return 0.0

        def prior(code: str) -> float:
            n, p = rows[code], people.get(code, 0)
            return math.log((n - p + 1) / (p + 1))

        return max(0.0, prior(lang) - prior("en"))

    def predict(
        self, texts: Sequence[str], names: Sequence[str] | None = None
    ) -> list[ModelPrediction]:
        if not texts:
            return []
        z = np.asarray(self.featurize(texts, names) @ self._w) + self._b
        p_org = expit(z[:, 0])
        # one-vs-rest sigmoids, normalised (what scikit-learn's predict_proba does), in
        # log space: no overflow, and no 0/0 when every sigmoid underflows
        logs = log_expit(z[:, 1:])
        ovr = np.exp(logs - logs.max(axis=1, keepdims=True))
        ovr /= ovr.sum(axis=1, keepdims=True)
        offsets = self.type_offsets()
        if offsets is not None:
            ovr *= offsets
            ovr /= ovr.sum(axis=1, keepdims=True)
        # rounded and converted to Python floats for the whole batch at once
        rows = np.round(ovr, 4).tolist()
        orgs = np.round(p_org, 4).tolist()
        best = np.argmax(ovr, axis=1).tolist()
        labels = self.labels
        return [
            ModelPrediction(orgs[i], dict(zip(labels, rows[i], strict=True)), labels[best[i]])
            for i in range(len(texts))
        ]

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            directory / WEIGHTS_FILE,
            features=self.features.astype(np.int32),
            org_w=self.org_w.astype(np.float16),
            org_b=np.float32(self.org_b),
            joint_w=self.joint_w.astype(np.float16),
            joint_b=self.joint_b.astype(np.float32),
        )
        meta = {
            **self.meta,
            "format_version": FORMAT_VERSION,
            "labels": self.labels,
            "features": self.params.to_json(),
        }
        (directory / META_FILE).write_text(
            json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )


def load_model(directory: str | Path = "") -> TextcatModel:
    """Read a saved model (``""`` = the one shipped in ``nlp/models/scout_textcat``)."""
    path = Path(directory) if directory else MODEL_DIR
    meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{path / META_FILE}: unsupported format_version")
    with np.load(path / WEIGHTS_FILE, allow_pickle=False) as w:
        return TextcatModel(
            params=FeatureParams(**meta["features"]),
            labels=list(meta["labels"]),
            features=w["features"],
            org_w=w["org_w"],
            org_b=float(w["org_b"]),
            joint_w=w["joint_w"],
            joint_b=w["joint_b"],
            meta=meta,
        )


@lru_cache(maxsize=4)
def cached_model(directory: str = "") -> TextcatModel:
    return load_model(directory)


def _name_of(sections: list[tuple[int, int, str]] | None, text: str) -> str:
    """The display name: its ``name`` section when the caller set ``doc._.scout_sections``
    (none: no name), else the text's first line (see :mod:`nlp.profile`)."""
    if sections is None:
        return text.split("\n", 1)[0]
    for start, end, label in sections:
        if label == "name":
            return text[start:end]
    return ""


def model_text(text: str, sections: list[tuple[int, int, str]] | None) -> str:
    """The text the model reads: the profile text without the profile fields that hold
    only a link. The model is trained on names and bios; a website's address says
    where (:mod:`nlp.country` reads it), and its n-grams only dilute what the name and the
    bio say (cross-validated with each register row's website as a field: org_type
    0.654 -> 0.650 with the link lines read, unchanged without them)."""
    if not sections:
        return text
    drop = [
        (start, end)
        for start, end, label in sections
        if field_name(label) is not None
        and _LINK_ONLY.fullmatch(text[field_value_start(start, label) : end])
    ]
    if not drop:
        return text
    parts, pos = [], 0
    for start, end in drop:
        parts.append(text[pos:start])
        pos = end + 1 if text[end : end + 1] == "\n" else end
    parts.append(text[pos:])
    return "".join(parts)


class TextcatComponent:
    """Sets ``doc._.scout_textcat``; batches the feature hashing in ``pipe``."""

    def __init__(self, name: str = "scout_textcat", model_dir: str = "") -> None:
        Doc.set_extension("scout_textcat", default=None, force=True)
        self.name = name
        self.model = None if model_dir == DISABLED else cached_model(model_dir)

    def __call__(self, doc: Doc) -> Doc:
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 256) -> Iterator[Doc]:
        it = iter(docs)
        while batch := list(islice(it, batch_size)):
            if self.model is None:
                yield from batch
                continue
            # spaCy's doc.text joins the tokens anew on every access: read each text once
            full = [doc_text(d) for d in batch]
            sections = [get_ext(d, "scout_sections") for d in batch]
            texts = [model_text(t, s) for t, s in zip(full, sections, strict=True)]
            # An empty profile has nothing to read: no prediction, not the bias alone.
            todo = [i for i, t in enumerate(texts) if _has_alnum(t)]
            if todo:
                # None when the extension is not registered (no caller set it)
                names = [_name_of(sections[i], full[i]) for i in todo]
                preds = self.model.predict([texts[i] for i in todo], names)
                thin = self.model.thin_types
                combiner = self.model.type_combiner
                counter = default_concepts() if combiner is not None else None
                for i, pred in zip(todo, preds, strict=True):
                    shift = self.model.language_shift(get_ext(batch[i], "scout_lang"))
                    concepts = (
                        counter.counts_for(texts[i], combiner.concepts)
                        if counter is not None and combiner is not None
                        else ()
                    )
                    pred = replace(
                        pred, shift=shift, thin=thin, combiner=combiner, concepts=concepts
                    )
                    set_ext(batch[i], scout_textcat=pred)
            yield from batch


@Language.factory("scout_textcat", default_config={"model_dir": ""})
def make_textcat_component(nlp: Language, name: str, model_dir: str) -> TextcatComponent:
    """spaCy factory (entry point ``scout_textcat``); ``model_dir="-"`` disables it."""
    return TextcatComponent(name=name, model_dir=model_dir)
