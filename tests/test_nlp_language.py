"""Language detection: platform languages first, lingua on EU languages, Maltese by hand."""

from __future__ import annotations

import pytest

from nlp.language import detect_language, detect_text_language, is_maltese, majority_language

SAMPLES = [
    ("bg", "Ние сме неправителствена организация, която защитава природата в България."),
    ("cs", "Jsme nezisková organizace, která pomáhá lidem bez domova v Praze."),
    ("de", "Wir setzen uns für saubere Luft und bezahlbare Mieten in unserer Stadt ein."),
    ("el", "Είμαστε μια μη κερδοσκοπική οργάνωση που προστατεύει το περιβάλλον."),
    ("fi", "Olemme ympäristöjärjestö, joka puolustaa Suomen metsiä ja vesistöjä."),
    ("ga", "Is eagraíocht charthanachta muid atá ag obair ar son an chomhshaoil in Éirinn."),
    ("hu", "Civil szervezet vagyunk, amely a tiszta levegőért küzd Budapesten."),
    ("lt", "Esame nevyriausybinė organizacija, ginanti gyvūnų teises Lietuvoje."),
    ("pl", "Jestem dziennikarką i piszę o klimacie oraz polityce europejskiej."),
    ("pt", "Somos uma associação que defende os direitos dos trabalhadores em Portugal."),
    ("sv", "Vi är en ideell förening som arbetar för ren luft i Sverige."),
]


@pytest.mark.parametrize(("lang", "text"), SAMPLES)
def test_lingua_detects_eu_languages(lang: str, text: str) -> None:
    assert detect_text_language(text) == lang


def test_maltese_by_letters_and_words() -> None:
    text = "Aħna għaqda volontarja li taħdem għall-ambjent u l-klima f'Malta."
    assert is_maltese(text)
    assert detect_text_language(text) == "mt"


def test_polish_with_z_dot_is_not_maltese() -> None:
    text = "Żaneta jest żeglarką i mieszka w Łodzi, lubi też góry."
    assert not is_maltese(text)
    assert detect_text_language(text) == "pl"


def test_platform_languages_win_by_majority() -> None:
    lang, reason = detect_language(["Wir sind ein Verein"], ["en-GB", "de", "de", None])
    assert lang == "de"
    assert "platform" in reason
    assert majority_language(["fr", "it"]) == "fr"  # ties broken alphabetically
    assert majority_language([]) is None


def test_too_short_is_unknown() -> None:
    assert detect_language(["🌻 ok"])[0] is None


def test_scripts_shortcut_and_non_eu_cyrillic() -> None:
    assert detect_text_language("Журналистка от София, пиша за култура.") == "bg"
    assert detect_text_language("Журналистка из Москвы, пишу о культуре и театре.") is None
    assert detect_text_language("Δημοσιογράφος από την Αθήνα.") == "el"
