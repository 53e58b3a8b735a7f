"""Classify profiles: role, org type, language, country, bot flag, with reasons.

``Classifier().classify_many(profiles)`` is what ``scout classify`` and the crawl call.
Input: one dict per profile (``platform``, ``handle``, ``display_name``, ``bio``,
optional ``fields`` [{name, value}], ``followers_count``, ``bot``, ``posts`` [texts],
``instance``, ``post_langs``, ``labels``, ``group``).  Output: ``role``, ``org_type``,
``confidence``, ``language``, ``country``, ``country_confidence``, ``scope``, ``is_bot``,
``reasons``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import islice
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from crawler.core.identity import own_handle_domain
from nlp.combine import combine
from nlp.components import Decision, Evidence, RoleComponent, decide
from nlp.country import make_country_component  # noqa: F401  (registers the factory)
from nlp.language import detect_text_languages, detected_reason, platform_language
from nlp.official import OfficialInstance, official_instance
from nlp.phrases import cache_tokens, get_ext, set_ext, text_doc
from nlp.profile import (
    field_pairs,
    instance_of,
    site_countries,
    site_host,
    site_rows,
    text_and_sections,
    text_of,
)
from nlp.scope import infer_scope
from nlp.textcat import make_textcat_component  # noqa: F401  (registers the factory)

LANGUAGE_SAMPLE_CHARS = 200
# A "well-known person" has an audience: an occupation word alone ("cyclist", "actor")
# names a public figure only above this many followers; below it, an individual.
PUBLIC_FIGURE_MIN_FOLLOWERS = 2000
PRONOUN_FIELD = re.compile(r"^(pronouns?|pronomen|pronoms?|pronomi|pronombres?|pronomes?)$", re.I)
PRONOUN_VALUE = re.compile(
    r"(?<!\w)(she|he|they|xe|sie|er|elle|il|iel|ella|él|lei|lui|hän|hon|han|hen|zij|hij|ona|on)"
    r"\s*/\s*\w+",
    re.IGNORECASE,
)
# "Acme Ltd is a ..." / "Acme: we ..." -> the account describes itself by its name.
THIRD_PERSON = re.compile(
    r"^\s*(is|are|was|has|have|provides|offers|helps|brings|ist|sind|est|sont|è|sono|es|son|"
    r"é|são|jest|są|je|jsou|on|ir|yra|är|er|is|on|van|e|este|sunt|[:\-–—|,(])(?!\w)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ClassifierConfig:
    lexicon_dir: str = ""  # "" = data/lexicons of this repository
    use_esco: bool = True
    language_sample_chars: int = LANGUAGE_SAMPLE_CHARS
    model_dir: str = ""  # "" = the shipped scout_textcat model; "-" = lexicon only


@lru_cache(maxsize=4)
def build_pipeline(lexicon_dir: str = "", use_esco: bool = True, model_dir: str = "") -> Language:
    """A blank multilingual pipeline with the ``scout_textcat``, ``scout_roles`` and
    ``scout_country`` components (cached)."""
    nlp = spacy.blank("xx")
    nlp.add_pipe("scout_textcat", config={"model_dir": model_dir})
    nlp.add_pipe("scout_roles", config={"lexicon_dir": lexicon_dir, "use_esco": use_esco})
    nlp.add_pipe("scout_country")
    return cache_tokens(nlp)


# The legal form an account's website states in its imprint (the website pass,
# crawler/sites/legal.py; these keys are its labels, lower-cased), where it separates
# org types: a company, a non-profit company or association of the kinds Italian and
# Czech law define for NGOs. The forms associations, NGOs and unions share (e.V., asbl,
# vzw, Verein...) say only "an organisation", and so do foundations' (Stichting,
# Fundación, Fondazione, Fundacja are the usual form of operating NGOs in NL, ES, IT and
# PL: not a funder) and "Ltd" (British and Irish charities are companies limited by
# guarantee). It decides the type of an account already read as an organisation, never
# its role: a journalist's or a politician's site may be run by a publisher or a party.
IMPRINT_FORM_TYPES: dict[str, str] = {
    "ggmbh": "ngo", "onlus": "ngo", "odv": "ngo", "ets": "ngo", "o.p.s.": "ngo",
    "gmbh": "company", "sarl": "company", "sas": "company", "b.v.": "company",
}  # fmt: skip
IMPRINT_FORMS_SHARED: frozenset[str] = frozenset(
    {"e.v.", "verein", "asbl", "vzw", "association loi 1901", "vereniging", "aps",
     "asociación", "stowarzyszenie", "z. s.", "associação", "ry", "ideell förening",
     "stiftung", "stichting", "fundación", "fondazione", "fundacja", "ltd"}
)  # fmt: skip


def imprint_types(sites: Any) -> list[tuple[str, str]]:
    """``(org type, reason)`` per website whose imprint states a legal form that
    separates types (``sites``: the profile's ``{url, legal_form, ...}`` rows)."""
    out = []
    for site in site_rows(sites):
        form = text_of(site.get("legal_form")).strip()
        org_type = IMPRINT_FORM_TYPES.get(form.lower())
        if org_type:
            host = site_host(site.get("url"))
            out.append((org_type, f"website {host}: imprint legal form '{form}' ({org_type})"))
    return out


def with_stated_type(decision: Decision, org_type: str, said: list[str], by: str) -> Decision:
    """``decision`` with the org type a fact outside the text states (``said``: its
    reasons, put after the model's; ``by``: what states it, when it overrules a reading)."""
    reasons = list(decision.reasons)
    at = 1 if reasons and reasons[0].startswith("model ") else 0
    said = list(said)
    if decision.org_type not in (None, org_type):
        said.append(f"{by} over the reading '{decision.org_type}'")
    return replace(decision, org_type=org_type, reasons=reasons[:at] + said + reasons[at:])


def with_imprint_type(decision: Decision, imprint: list[tuple[str, str]]) -> Decision:
    """``decision`` with the org type the imprints' legal forms state (the one most
    sites state; the first on a tie) and their reasons after the model's."""
    org_type = Counter(t for t, _ in imprint).most_common(1)[0][0]
    said = [reason for t, reason in imprint if t == org_type]
    return with_stated_type(decision, org_type, said, "the imprint's legal form")


def official_evidence(official: OfficialInstance) -> Evidence:
    """An account on a public administration's own server: a public body (organisation
    evidence like a group flag; a politician's or an official's own words still count)."""
    return Evidence(
        "official_instance",
        "organization",
        "public_body",
        1.5,
        f"instance {official.host}: server of {official.operator} (public bodies)",
    )


def _fields(profile: Mapping[str, Any]) -> list[tuple[str, str]]:
    return field_pairs(profile.get("fields"))


def _is_bot(profile: Mapping[str, Any]) -> str | None:
    if profile.get("bot"):
        return "platform bot flag"
    for label in profile.get("labels") or []:
        value = label if isinstance(label, str) else str(getattr(label, "val", label))
        if value.lower() in {"bot", "!bot", "automated"}:
            return f"label '{value}'"
    return None


# str.isalnum() characters: re's \w is exactly those and "_" (CPython's sre and str share
# Py_UNICODE_ISALNUM); one findall instead of a Python test per character
_ALNUM_CHAR = re.compile(r"[^\W_]")


def _alnum(text: str) -> str:
    return "".join(_ALNUM_CHAR.findall(text.lower()))


def _after_name(bio: str, name: str) -> str | None:
    """The bio after a leading copy of the display name (punctuation ignored), or None."""
    target = _alnum(name)
    if target.startswith("the") and not _alnum(bio).startswith(target):
        target = target[3:]
    got = ""
    for i, ch in enumerate(bio):
        if ch.isalnum():
            got += ch.lower()
        if got == target:
            return bio[i + 1 :]
        if not target.startswith(got):
            return None
    return None


def structural_evidence(profile: Mapping[str, Any]) -> list[Evidence]:
    """Evidence from the shape of the profile rather than its words."""
    out: list[Evidence] = []
    if profile.get("group") or profile.get("is_group"):
        out.append(Evidence("group", "organization", "other", 1.5, "platform: group account"))
    name = text_of(profile.get("display_name")).strip()
    bio = text_of(profile.get("bio")).strip()
    rest = _after_name(bio, name) if len(_alnum(name)) >= 3 else None
    if rest is not None:
        if THIRD_PERSON.match(rest):
            out.append(
                Evidence(
                    "third_person",
                    "organization",
                    "",
                    0.9,
                    f"bio: describes '{name}' in the third person",
                )
            )
    for fname, value in _fields(profile):
        if PRONOUN_FIELD.match(fname.strip()) or (
            len(value) < 20 and PRONOUN_VALUE.fullmatch(value.strip())
        ):
            out.append(
                Evidence("pronouns", "individual", "", 1.0, f"field {fname}: pronouns '{value}'")
            )
            break
    return out


class Classifier:
    """Trained model + lexicon evidence (:mod:`nlp.combine`); deterministic, reusable,
    thread-compatible for reading."""

    def __init__(self, config: ClassifierConfig | None = None) -> None:
        self.config = config or ClassifierConfig()
        self.nlp = build_pipeline(
            self.config.lexicon_dir, self.config.use_esco, self.config.model_dir
        )
        component = self.nlp.get_pipe("scout_roles")
        assert isinstance(component, RoleComponent)
        self.component = component

    def _sample(self, profile: Mapping[str, Any]) -> str:
        posts = [text_of(p) for p in (profile.get("posts") or []) if text_of(p)]
        return "\n".join([text_of(profile.get("bio")), *posts])[: self.config.language_sample_chars]

    def _languages(self, batch: list[Mapping[str, Any]]) -> list[tuple[str | None, str]]:
        """Per profile (language, reason): the platform's post languages when given,
        else detected, the whole batch in one parallel call of the model."""
        out: list[tuple[str | None, str]] = [(None, "")] * len(batch)
        todo: list[int] = []
        for i, profile in enumerate(batch):
            given = platform_language(profile.get("post_langs") or None)
            if given:
                out[i] = given
            else:
                todo.append(i)
        found = detect_text_languages([self._sample(batch[i]) for i in todo])
        for i, lang in zip(todo, found, strict=True):
            out[i] = (lang, detected_reason(lang))
        return out

    def _prepare(
        self, profile: Mapping[str, Any], language: str | None, lang_reason: str
    ) -> tuple[Doc, str | None, str]:
        text, sections = text_and_sections(
            profile.get("display_name"), profile.get("bio"), profile.get("fields")
        )
        doc = text_doc(self.nlp, text)
        set_ext(
            doc,
            scout_lang=language,
            scout_sections=sections,
            scout_instance=instance_of(profile),
            scout_site_countries=site_countries(profile.get("sites")),
            scout_handle_domain=own_handle_domain(profile.get("platform"), profile.get("handle")),
            scout_posts=profile.get("posts") or None,
        )
        return doc, language, lang_reason

    def _finish(
        self, profile: Mapping[str, Any], doc: Doc, language: str | None, lang_reason: str
    ) -> dict[str, Any]:
        structural = structural_evidence(profile)
        official = official_instance(get_ext(doc, "scout_instance"))
        if official is not None:
            structural.append(official_evidence(official))
        evidence = list(get_ext(doc, "scout_evidence") or []) + structural
        # the component decided on its own evidence already: decide again only with more
        own = get_ext(doc, "scout_decision")
        lexicon = decide(evidence) if structural or own is None else own
        decision = combine(get_ext(doc, "scout_textcat"), lexicon, evidence)
        imprint = imprint_types(profile.get("sites"))
        if imprint and decision.role == "organization":  # the type, never the role
            decision = with_imprint_type(decision, imprint)
        if (
            official is not None
            and decision.role == "organization"
            and decision.org_type != "media"
        ):
            # the server's operator states the type, over an imprint too (a federal
            # agency's GmbH is still a public body); a public broadcaster stays media
            said = [official_evidence(official).reason]
            if said[0] in decision.reasons:  # listed with the lexicon's evidence already
                said = []
            decision = with_stated_type(decision, "public_body", said, "the server's operator")
        bot_reason = _is_bot(profile)
        is_bot = bool(bot_reason) or decision.is_bot
        country = get_ext(doc, "scout_country")
        country_conf = get_ext(doc, "scout_country_confidence")
        country_reasons: list[str] = get_ext(doc, "scout_country_reasons")
        reasons = list(decision.reasons)
        role = decision.role
        followers = profile.get("followers_count")
        if (
            role == "public_figure"
            and isinstance(followers, int | float)
            and not math.isnan(followers)
            and followers < PUBLIC_FIGURE_MIN_FOLLOWERS
        ):
            role = "individual"
            reasons.append(
                f"only {int(followers):,} followers (< {PUBLIC_FIGURE_MIN_FOLLOWERS:,}): "
                "an individual, not a public figure"
            )
        if bot_reason:
            reasons.append(f"bot: {bot_reason}")
        elif decision.is_bot:
            reasons.extend(
                ev.reason for ev in evidence if ev.role == "bot" and ev.reason not in reasons
            )
        reasons.append(lang_reason)
        reasons.extend(country_reasons)
        org_type = decision.org_type if role == "organization" else None
        scope, scope_reason = infer_scope(
            role,
            org_type,
            profile.get("display_name"),
            profile.get("bio"),
            profile.get("fields"),
            name_places=get_ext(doc, "scout_name_places"),
        )
        if scope is None and official is not None and role in ("organization", "politician"):
            scope = official.scope
            scope_reason = f"scope {scope}: instance {official.host} ({official.operator})"
        if scope_reason:
            reasons.append(scope_reason)
        return {
            "role": role,
            "org_type": org_type,
            "confidence": decision.confidence,
            "language": language,
            "country": country,
            "country_confidence": country_conf,
            "scope": scope,
            "is_bot": is_bot,
            "reasons": reasons,
        }

    def _docs(
        self, profiles: Iterable[Mapping[str, Any]], batch_size: int
    ) -> Iterator[tuple[Mapping[str, Any], Doc, str | None, str]]:
        """Per profile, in order: it, its processed doc, its language and why."""
        it = iter(profiles)
        while batch := list(islice(it, batch_size)):
            languages = self._languages(batch)
            prepared = [
                self._prepare(p, lang, why) for p, (lang, why) in zip(batch, languages, strict=True)
            ]
            docs = self.nlp.pipe((d for d, _, _ in prepared), batch_size=batch_size)
            for profile, (_, lang, reason), doc in zip(batch, prepared, docs, strict=True):
                yield profile, doc, lang, reason

    def classify_many(
        self, profiles: Iterable[Mapping[str, Any]], batch_size: int = 256
    ) -> Iterator[dict[str, Any]]:
        """Classify profiles in batches (``nlp.pipe``); yields one dict per input, in order."""
        for profile, doc, lang, reason in self._docs(profiles, batch_size):
            yield self._finish(profile, doc, lang, reason)

    def evidence_many(
        self, profiles: Iterable[Mapping[str, Any]], batch_size: int = 256
    ) -> Iterator[list[Evidence]]:
        """Per profile, the lexicon and structural evidence the decision reads (to train
        the learned combiner on, see nlp.stacking)."""
        for profile, doc, _lang, _reason in self._docs(profiles, batch_size):
            yield list(get_ext(doc, "scout_evidence") or []) + structural_evidence(profile)

    def classify(self, profile: Mapping[str, Any]) -> dict[str, Any]:
        return next(self.classify_many([profile], batch_size=1))
