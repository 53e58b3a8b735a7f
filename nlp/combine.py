"""Model + lexicon: one role, org type, confidence and the reasons that decided.

The trained model (:mod:`nlp.textcat`) gives P(organisation) and a role/org-type
distribution; the lexicon (:func:`nlp.components.decide`) gives weighted evidence a
person can read.  They are added in log-odds:

* organisation or person: ``logit(P_model) + LEX_WEIGHT * lexicon margin`` (the margin
  capped at ``LEX_CAP``), so a confident lexicon match (a legal form in the name, a
  platform group flag, pronouns, several occupation words) can still decide, while a
  single weak word cannot overrule a confident model;
* org type: a type the training data lacks (party, foundation) or has too few rows of
  (religious) comes from the lexicon when it is the lexicon's best type with weight >=
  ``UNTRAINED_TYPE_MIN``; else the model's learned combiner (:mod:`nlp.stacking`, in
  its ``meta.json``) chooses from the model's type shares, the lexicon's type weights
  and the concept counts (business words, profession words); a model without one uses
  the hand rules: ``log(P_model(type) + floor) + TYPE_WEIGHT * lexicon weight``, any
  type whose lexicon weight reaches ``STRONG_TYPE`` deciding, except the ambiguous
  ``WEAK_TYPES`` (association). Either way a media reading needs a media word when the
  profile names another type (``STYLE_TYPE``). The combiner overrides the model's type
  only on evidence of its own (a lexicon type weight or a concept word), and never to
  media without a media word: fitted on the register, whose media entries are the ones
  naming no type, it had learned "no type word -> media" and called NGOs' social bios
  ("We are a global movement ... promoting human rights") media;
* a person's role: journalist and public figure (no training data) and politician come
  from the lexicon when it names one; else the model's politician/individual choice.

The reasons start with the model (``model 0.93 organization/ngo``), then the lexicon
evidence for the chosen role, and say when the lexicon overruled the model or the
combiner chose another type than the model's (``combiner 0.71 union over the model's
association (lexicon union 1.0; 2 profession words)``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from crawler.core.vocab import ORG_TYPES
from nlp.components import Decision, Evidence
from nlp.lexicon import NAMED_ROLES
from nlp.stacking import lexicon_type_weights
from nlp.textcat import ModelPrediction

# Chosen by grouped cross-validation on the dev rows (docs/EVALUATION.md): the lexicon
# helps most on organisation vs person; on the type the model is better, so the
# lexicon's type weight is small, except for types the model was never trained on.
# TYPE_WEIGHT, TYPE_FLOOR and STRONG_TYPE only decide for a model without a learned
# combiner (model 1.4.0 has one: CV org_type 0.645 with these rules, see nlp.stacking).
# A learned organisation-vs-person combiner (logistic regression over the model's logit,
# the lexicon's organisation and person scores) was tried and dropped: CV org vs person
# 0.900 -> 0.876-0.880, languages with role accuracy >= 0.90 14 -> 9-13.
# Model 1.2.0, CV of the full classifier: LEX_WEIGHT 1.5 -> 2.0 moved org vs person
# 0.894 -> 0.900 (role accuracy 0.947 -> 0.943, still 14 languages).
LEX_WEIGHT = 2.0
LEX_CAP = 4.0
TYPE_WEIGHT = 0.3
TYPE_FLOOR = 0.02
# Lexicon weight that names a type the model lacks (party, foundation) or has too few
# rows of to learn (religious: 19 rows, ModelPrediction.thin): one type word. With the
# religious lexicon's plurals and community words (churches, Katholiken, judaïsme,
# comunità ebraiche, ...) CV org_type 0.581 -> 0.631 (religious F1 0.42 -> see
# docs/EVALUATION.md); those words were added after reading the dev rows' errors, so
# that gain is an optimistic estimate.
UNTRAINED_TYPE_MIN = 0.9
# Lexicon weight of one type that decides it (a type word in the name and more). On CV
# (register entries) 4.0 or 5.0 scored better (org_type 0.583 -> 0.604, model 1.2.0), but
# then the model's reading of social bios decides: every organisation in its training
# data that tweets is a media outlet, so "ver.di ... Hier twittert die Pressestelle"
# became media. Kept at 3.0 until the training data has social bios of other types.
STRONG_TYPE = 3.0
# ... except these: "association"/"Verband"/"asociación" name trade associations, unions
# and NGOs alike; on the real register entries the lexicon's association was wrong 46
# times and right 19 where it decided (org_type macro-F1 0.554 -> 0.561 without it).
WEAK_TYPES = frozenset({"association"})
# The only organisations in the labelled data that write social bios are media outlets
# (the register's entries are statements), so on a short social bio the model's "media"
# is partly the bio's style: "Association pour le vélo et des villes respirables",
# "Verein für Radverkehr e.V", "ONG environnementale" were read as media (0.8-0.95) on
# the demo world, 350 of 460 media calls wrong. A media reading needs a media word of
# its own when the profile names another type (lexicon weight >= NAMED_TYPE_MIN); CV of
# the full classifier on the dev rows: org_type 0.583 -> 0.581 (one or two rows), demo
# world media calls 460 -> 180, media precision 0.24 -> 0.78.
STYLE_TYPE = "media"
NAMED_TYPE_MIN = 1.0
POLITICIAN_SHARE = 0.5
# Share of the training data's language prior removed from P(organisation) (see
# TextcatModel.language_shift): all of it over-corrects short texts on which the model
# says little; half keeps German nurses people and German churches organisations.
LANGUAGE_SHIFT = 0.5
# Organisation words the lexicon is sure of, with nothing of a person against them
# ("Evangelische Kirche" + "Landeskirche"), decide on their own: the model has seen
# too few short organisation names in most languages to overrule them. (The same rule
# for persons was tried and cost role accuracy: job titles are common in register
# entries of organisations.)
SURE_ORGANIZATION = 1.5
MAX_CONFIDENCE = 0.97


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def _reasons(evidence: Iterable[Evidence], roles: set[str]) -> list[str]:
    best: dict[str, Evidence] = {}
    for ev in evidence:
        if ev.role in roles and (ev.key not in best or ev.weight > best[ev.key].weight):
            best[ev.key] = ev
    return [ev.reason for ev in sorted(best.values(), key=lambda e: (-e.weight, e.key))]


def _org_type(pred: ModelPrediction, evidence: list[Evidence]) -> tuple[str, float, str]:
    """The org type, the model's share for it, and a note when the model's style-bound
    reading was set aside (``""`` otherwise)."""
    model = {k.split("/", 1)[1]: v for k, v in pred.probs.items() if k.startswith("organization/")}
    total = sum(model.values()) or 1.0
    lex = {t: 0.0 for t in ORG_TYPES}
    for ev in evidence:
        if ev.role == "organization" and ev.org_type in lex and ev.org_type != "other":
            lex[ev.org_type] += ev.weight
    lex_best = max(sorted(lex), key=lambda t: lex[t])
    note = ""
    named = max(v for t, v in lex.items() if t != STYLE_TYPE)
    if lex[STYLE_TYPE] == 0 and named >= NAMED_TYPE_MIN and model.get(STYLE_TYPE, 0.0) > 0:
        if max(sorted(model), key=lambda t: model[t]) == STYLE_TYPE:
            note = f"the model's {STYLE_TYPE} reading set aside: no {STYLE_TYPE} word, and {lex_best} named"
        model = {**model, STYLE_TYPE: 0.0}
    untrained = lex_best not in model or lex_best in pred.thin
    if untrained and lex[lex_best] >= UNTRAINED_TYPE_MIN:
        return lex_best, model.get(lex_best, 0.0) / total, note
    if pred.combiner is not None:
        return _learned_type(pred, evidence, model, total, note)
    if lex_best not in WEAK_TYPES and lex[lex_best] >= STRONG_TYPE:
        return lex_best, model.get(lex_best, 0.0) / total, note
    scores = {
        t: math.log(model.get(t, 0.0) / total + TYPE_FLOOR) + TYPE_WEIGHT * lex[t]
        for t in ORG_TYPES
        if t != "other"
    }
    best = max(sorted(scores), key=lambda t: scores[t])
    return best, model.get(best, 0.0) / total, note


def _learned_type(
    pred: ModelPrediction,
    evidence: list[Evidence],
    model: dict[str, float],
    total: float,
    note: str,
) -> tuple[str, float, str]:
    """The org type by the learned combiner (nlp.stacking) of the model's reading, the
    lexicon's type weights and the concept counts; a reason when it differs from the
    model's own best type. ``model`` has the media style rule applied already: a media
    reading set aside stays aside."""
    combiner = pred.combiner
    assert combiner is not None
    raw = {k.split("/", 1)[1]: v for k, v in pred.probs.items() if k.startswith("organization/")}
    lex = lexicon_type_weights(evidence)
    scores = combiner.scores(raw, lex, pred.concepts)
    if model.get(STYLE_TYPE, 1.0) == 0.0 and raw.get(STYLE_TYPE, 0.0) > 0:
        scores.pop(STYLE_TYPE, None)
    best = max(sorted(scores), key=lambda t: scores[t])
    model_best = max(sorted(raw), key=lambda t: raw[t])
    if model_best in scores and not any(lex.values()) and not any(pred.concepts):
        # nothing but the model's reading to go on: the combiner's own lean (its
        # intercepts, fitted on register entries) is no evidence about this profile
        best = model_best
    elif best == STYLE_TYPE and model_best != STYLE_TYPE and not lex.get(STYLE_TYPE):
        # it learned "no type word -> media" from the register, whose media entries
        # state no type: a media reading needs the model's own or a media word
        scores.pop(STYLE_TYPE)
        best = max(sorted(scores), key=lambda t: scores[t])
    if best != model_best:
        share = combiner.probabilities(scores)[best]
        words = [
            f"{count} {name} word{'s' if count > 1 else ''}"
            for name, count in zip(combiner.concepts, pred.concepts, strict=True)
            if count
        ]
        lexicon = [f"lexicon {best} {lex[best]:.1f}"] if lex.get(best) else []
        why = "; ".join(lexicon + words)
        learned = f"combiner {share:.2f} {best} over the model's {model_best}"
        note = "; ".join(x for x in (note, learned + (f" ({why})" if why else "")) if x)
    return best, model.get(best, 0.0) / total, note


def combine(pred: ModelPrediction | None, lexicon: Decision, evidence: list[Evidence]) -> Decision:
    """The final decision; the lexicon's own when there is no model."""
    if pred is None:
        return lexicon
    s = lexicon.scores
    person = max(s.get(r, 0.0) for r in NAMED_ROLES) + s.get("individual", 0.0)
    margin = max(-LEX_CAP, min(LEX_CAP, s.get("organization", 0.0) - person))
    # The model never saw people in most languages, so it cannot read personal cues
    # there: when the lexicon finds some (first person, family, a job title) the whole
    # lean the training data's language mix gave the model is removed, else half.
    shift = pred.shift * (1.0 if person > 0 else LANGUAGE_SHIFT)
    model_z = _logit(pred.p_org) - shift
    p_org = _sigmoid(model_z)
    z = model_z + LEX_WEIGHT * margin
    if s.get("organization", 0.0) >= SURE_ORGANIZATION and person == 0 and z <= 0:
        z = max(-z, 0.5)  # the lexicon's side, with modest confidence
    model_org = model_z >= 0
    reasons: list[str] = []
    if z > 0:
        role = "organization"
        org_type: str | None
        org_type, type_p, note = _org_type(pred, evidence)
        if not model_org and lexicon.org_type not in (None, "other"):
            # The model read a person: its type guess is about the wrong kind of account
            # ("Evangelische Kirche im Rheinland" as media); the lexicon that made it an
            # organisation names the type too.
            org_type = lexicon.org_type
            orgs = {k: v for k, v in pred.probs.items() if k.startswith("organization/")}
            type_p = orgs.get(f"organization/{org_type}", 0.0) / (sum(orgs.values()) or 1.0)
        reasons.append(f"model {p_org:.2f} organization/{org_type} ({type_p:.2f})")
        if note and org_type != STYLE_TYPE:
            reasons.append(note)
        reasons += _reasons(evidence, {"organization", "bot"})
        confidence = _sigmoid(z)
    else:
        org_type = None
        if lexicon.role in NAMED_ROLES:
            role = lexicon.role
        else:
            pol = pred.probs.get("politician", 0.0)
            share = pol / ((pol + pred.probs.get("individual", 0.0)) or 1.0)
            # Every French person in the training data is a deputy or senator, so the
            # model reads "French person" as politician ("Retraité, randonneur"): a
            # person the lexicon reads as private (a job, family) and never as holding
            # an office stays an individual.
            private = s.get("individual", 0.0) > 0 and s.get("politician", 0.0) == 0
            role = "politician" if share > POLITICIAN_SHARE and not private else "individual"
        reasons.append(f"model {1 - p_org:.2f} person ({pred.label})")
        reasons += _reasons(evidence, {role, "individual", "bot"})
        confidence = _sigmoid(-z)
    if (z > 0) != model_org:
        reasons.insert(1, "lexicon evidence overruled the model")
    confidence = round(min(MAX_CONFIDENCE, max(0.05, confidence)), 3)
    return Decision(role, org_type, confidence, reasons, lexicon.is_bot, lexicon.scores)
