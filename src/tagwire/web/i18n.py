"""The pages' interface language: English, French, German or Spanish, chosen per request
from the browser's Accept-Language, the same locale for the words and for the dates and
numbers (a page never says "3 days ago" beside "vor 3 Tagen").

The words are Babel message catalogs, ``locale/{fr,de,es}/LC_MESSAGES/messages.po``, read
once and compiled in memory (no .mo file to keep in step); English is the messages
themselves. ``tests/test_page_language.py`` extracts every message the templates and web's
modules (web/pages/ above all) mark and fails when a catalog lacks one, so a new string
cannot appear in English on a French page unnoticed. To add strings: mark them (``_()`` in
templates, ``{% trans %}``, or :func:`N_` here); in src/tagwire/web,
``pybabel extract -F babel.cfg -k N_ -o /tmp/m.pot .`` then
``pybabel update -N -i /tmp/m.pot -d locale``, and translate each new entry.
"""

from __future__ import annotations

import gettext as gettext_module
from contextvars import ContextVar
from datetime import date
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

LANGUAGES = ("en", "fr", "de", "es")
LOCALE_DIR = Path(__file__).parent / "locale"

# The reader's locale (a Babel identifier: "de_CH", "fr", "en_GB"), set per request by the
# app's middleware from Accept-Language, else TAGWIRE_LOCALE; its language is always one of
# LANGUAGES. Starlette copies it into the thread that renders the template.
LOCALE: ContextVar[str] = ContextVar("locale", default="en")


def N_(message: str) -> str:  # the conventional name extraction looks for
    """A message translated where it is shown, marked here so extraction finds it."""
    return message


# Words that come from data (category labels, editions, kinds of tag): the catalogs hold
# them so the pages can show them in the reader's language; URLs keep the English label.
DATA_WORDS = (
    N_("Arts & Entertainment"),
    N_("Conflict & War"),
    N_("Crime & Justice"),
    N_("Disasters & Accidents"),
    N_("Business & Economy"),
    N_("Education"),
    N_("Environment"),
    N_("Health"),
    N_("Human Interest"),
    N_("Labour"),
    N_("Lifestyle"),
    N_("Politics"),
    N_("Religion"),
    N_("Science & Technology"),
    N_("Society"),
    N_("Sport"),
    N_("Weather"),
    N_("Africa"),
    N_("The Americas"),
    N_("Asia"),
    N_("Europe"),
    N_("The Middle East"),
    N_("Oceania"),
    N_("person"),
    N_("organization"),
    N_("place"),
)


def language() -> str:
    """The interface language of the current request: "de" for de_CH."""
    code = LOCALE.get().split("_")[0]
    return code if code in LANGUAGES else "en"


def html_lang() -> str:
    """The page's <html lang>: the reader's locale as a BCP 47 tag ("de-CH")."""
    return LOCALE.get().replace("_", "-")


@lru_cache(maxsize=len(LANGUAGES))
def translations(code: str) -> gettext_module.NullTranslations:
    """The compiled catalog of a language; English is the messages themselves."""
    if code == "en":
        return gettext_module.NullTranslations()
    with (LOCALE_DIR / code / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=code)
    compiled = BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries left out: a guess is not shown to a reader
    compiled.seek(0)
    return Translations(compiled, domain="messages")


def gettext(message: str) -> str:
    return translations(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(language()).ngettext(singular, plural, n)


def number(value: int | float) -> str:
    """A count as the reader's locale writes it (1,234 / 1 234 / 1.234)."""
    return str(format_decimal(value, locale=LOCALE.get()))


def and_list(items: list[str]) -> str:
    """ "A, B and C" in the reader's language."""
    return str(format_list(list(items), locale=LOCALE.get())) if items else ""


@lru_cache(maxsize=4096)
def _territory(code: str, locale: str) -> str:
    return str(Locale.parse(locale).territories.get(code.upper(), code.upper()))


def country_name(code: str) -> str:
    """A country's name in the reader's language (Babel's CLDR data): DE -> "Allemagne"."""
    return _territory(code, LOCALE.get())


@lru_cache(maxsize=4096)
def _language_name(code: str, locale: str) -> str:
    return str(Locale.parse(locale).languages.get(code.lower(), code))


def language_name(code: str) -> str:
    """A language's name in the reader's language: "en" -> "anglais" on a French page."""
    return _language_name(code, LOCALE.get())


def day(iso: str) -> str:
    """A calendar day ("2026-11-08") as the reader's locale writes it ("8 nov. 2026")."""
    return str(format_date(date.fromisoformat(iso), "medium", locale=LOCALE.get()))
