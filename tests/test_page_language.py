"""The pages speak one language at a time: English, French, German or Spanish, chosen by
Accept-Language, the words from Babel message catalogs and the dates and numbers in the same
locale; ``<html lang>`` says which. Every message the templates and web's modules (web/pages/
above all) mark is in every catalog (a new English string cannot slip onto a German page),
and a German page holds none of the English interface's sentences."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tagwire import config
from tagwire.store import Store
from tagwire.types import Source
from tagwire.web import i18n
from tagwire.web.pages import rendering as pages
from test_http import _client_calls
from test_search import _add

WEB = Path(i18n.__file__).parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
METHODS = [("templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def _marked() -> set[str]:
    """Every message the web package marks, as extraction sees it (singular ids)."""
    found = set()
    for _, _, message, _, _ in extract_from_dir(
        str(WEB), METHODS, keywords=KEYWORDS, options_map=OPTIONS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _forms(value: object) -> tuple[str, ...]:
    """A catalog entry's id or string as its forms (one, or one per plural form)."""
    return tuple(str(v) for v in value) if isinstance(value, (tuple, list)) else (str(value),)


@pytest.mark.parametrize("language", ["fr", "de", "es"])
def test_every_marked_message_is_translated_with_its_placeholders(language: str) -> None:
    with (WEB / "locale" / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=language)
    marked = _marked()
    assert len(marked) > 140
    missing = sorted(m for m in marked if m not in catalog or not catalog[m].string)
    assert missing == []
    for message in catalog:
        if not message.id:
            continue
        assert "fuzzy" not in message.flags, message.id
        forms = _forms(message.string)
        assert all(forms), message.id  # every plural form written
        english = _forms(message.id)[0]
        wanted = set(re.findall(r"%\(\w+\)s", english))
        for form in forms:
            assert set(re.findall(r"%\(\w+\)s", form)) <= wanted, (message.id, form)
    # %(n)s may be left out of a form ("the only source"), but not a name the reader needs.
    assert list(catalog.check()) == []


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        ("de-CH,de;q=0.9,en;q=0.8", "de_CH"),
        ("en;q=0.5, fr", "fr"),
        ("es-MX", "es_MX"),
        ("ko-KR, ko;q=0.9", "en"),  # a language the interface does not speak: English
        ("", "en"),
        ("pt-BR, de;q=0.3", "de"),
    ],
)
def test_the_locale_is_one_the_interface_speaks(header: str, locale: str) -> None:
    assert pages.negotiate_locale(header, "en") == locale


def test_a_default_locale_the_interface_cannot_speak_falls_back_to_english() -> None:
    """TAGWIRE_LOCALE=ko would put Korean dates under English words: English it is."""
    assert pages.negotiate_locale("", "ko") == "en"
    assert pages.negotiate_locale("", "fr_CA") == "fr_CA"


@pytest.mark.parametrize(
    ("locale", "written"), [("en", "12,345"), ("de", "12.345"), ("fr", "12\u202f345")]
)
def test_numbers_follow_the_pages_locale(locale: str, written: str) -> None:
    token = i18n.LOCALE.set(locale)
    try:
        assert i18n.number(12345) == written
    finally:
        i18n.LOCALE.reset(token)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(f"sqlite:///{tmp_path / 'lang.db'}")
    (herald,) = store.upsert_sources(
        [Source("Herald", "https://h.example/", ("https://h.example/f",), country="DE")]
    )
    for n in range(3):
        _add(
            store,
            n,
            f"Harbour report {n}",
            f"Report {n} from the harbour.",
            source=herald,
            places=("Oslo",),
            category="Business & Economy",
            hours_ago=3 + n,
        )
    return store


def _english_sentences() -> list[str]:
    """The English interface's literal pieces long enough to be a sentence's (placeholders
    and markup cut out), whose German differs: none may appear on a German page."""
    with (WEB / "locale" / "de" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale="de")
    pieces = []
    for message in catalog:
        if not message.id:
            continue
        ids = _forms(message.id)
        strings = _forms(message.string)
        for english in ids:
            for piece in re.split(r"%\(\w+\)s|<[^>]+>", english):
                piece = piece.strip(" .,:;()")
                if len(piece) >= 12 and not any(piece in s for s in strings):
                    pieces.append(piece)
    return pieces


def _read(page: str) -> str:
    """What a reader reads or hears: the text, and the attributes shown or spoken (an option's
    value and a link's address are the API's English words, never shown)."""
    said = re.findall(r'(?:aria-label|placeholder|title|alt|data-label|data-new)="([^"]*)"', page)
    return re.sub(r"<[^>]+>", " ", page) + " ".join(said)


def test_a_german_reader_gets_german_pages_throughout(store: Store) -> None:
    article = store.list_cards(limit=1).items[0]
    paths = [
        "/",
        "/tags/Oslo",
        f"/articles/{article.id}",
        f"/stories/{article.story_id}",
        "/categories",
        "/categories/business%20%26%20economy",
        "/search?q=harbour",
        "/search?q=harbour&from=2026-02-30",
        "/sources",
        f"/sources/{article.source_id}",
        "/editions/africa",
        "/tags/Atlantis",
    ]
    german = {"Accept": "text/html", "Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
    replies = _client_calls(store, config.load({}), [("GET", p, german) for p in paths])
    english = _english_sentences()
    assert len(english) > 90
    for path, reply in zip(paths, replies, strict=True):
        page = reply.text
        assert '<html lang="de-DE">' in page, path
        leaks = [piece for piece in english if piece in _read(page)]
        assert leaks == [], (path, leaks)
        for when in re.findall(r'<time lang="([^"]+)"[^>]*>([^<]+)</time>', page):
            assert when[0] == "de-DE" and when[1].startswith("vor "), (path, when)
    home, tag, article_page, story = (r.text for r in replies[:4])
    assert "<h1>Neueste Nachrichten</h1>" in home
    assert "Wirtschaft" in home and ">Business &amp; Economy<" not in home
    assert "<h1>Neueste Nachrichten mit #Oslo</h1>" in tag
    assert "Tags dieses Artikels" in article_page
    assert "Zuerst berichtet" in story and "Deutschland" in story  # the country in German
    bad_date = replies[7]
    assert bad_date.status_code == 400
    assert "Von: „2026-02-30“ ist kein Datum." in bad_date.text
    assert "Unter dieser Adresse ist nichts bekannt." in replies[-1].text


ENGLISH = {"Accept": "text/html", "Accept-Language": "en-US"}


def test_an_english_reader_sees_no_other_language(store: Store) -> None:
    replies = _client_calls(
        store,
        config.load({}),
        [("GET", p, ENGLISH) for p in ("/", "/tags/Oslo")],
    )
    for reply in replies:
        assert '<html lang="en-US">' in reply.text
        for when in re.findall(r"<time [^>]*>([^<]+)</time>", reply.text):
            assert when.endswith(" ago") or when.startswith("in "), when


def test_pages_say_their_language_and_vary_by_accept_language(store: Store) -> None:
    """Pages are public for a few seconds: a shared cache must keep one per language."""
    asks = [
        ("GET", "/tags/Oslo", {"Accept": "text/html", "Accept-Language": lang})
        for lang in ("fr", "fr", "es")
    ]
    first, again, spanish = _client_calls(store, config.load({}), asks)
    assert again.headers.get("x-cache") == "hit"  # the response cache keeps the headers
    for reply, lang in ((first, "fr"), (again, "fr"), (spanish, "es")):
        assert reply.headers["content-language"] == lang
        assert "Accept-Language" in reply.headers["vary"]
    assert first.headers["etag"] != spanish.headers["etag"]
