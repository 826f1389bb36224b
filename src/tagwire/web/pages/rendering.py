"""What every page shares: the Jinja2 templates (autoescaped) and the filters and globals
they call, the reader's locale and the words and dates in it, and ``render``.

Every filter is registered here, at import, so that whoever renders a template (a page, or
``web.live`` building a card) finds them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from babel import Locale, localedata
from babel.dates import format_datetime, format_timedelta
from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from tagwire.service import parsing, shapes
from tagwire.store import Store
from tagwire.store.records import CardRecord, SourceRecord
from tagwire.types import now_utc
from tagwire.web import i18n

templates = Jinja2Templates(directory=str(Path(__file__).parents[1] / "templates"))
# The pages' words in the reader's language (newstyle: translations are autoescaped and
# take their values by name, so a translator can reorder them).
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    i18n.gettext, i18n.ngettext, newstyle=True
)
_ = i18n.gettext
# The reader's locale for words, dates and numbers, set per request by the app's middleware.
LOCALE = i18n.LOCALE
# Only the locales whose language the interface speaks: dates in German under English
# words would mix two languages on one page ("de_CH" is German words, Swiss dates).
_KNOWN_LOCALES = frozenset(
    name
    for name in localedata.locale_identifiers()
    if name.split("_")[0] in i18n.LANGUAGES and Locale.parse(name).language in i18n.LANGUAGES
)


def negotiate_locale(accept_language: str | None, default: str) -> str:
    """The best locale among the interface's languages the browser asks for, by their q;
    else ``default`` (TAGWIRE_LOCALE) when it is one, else English."""
    wanted: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*" and quality > 0:
            wanted.append((-quality, index, tag.strip().replace("-", "_")))
    preferred = [tag for _, _, tag in sorted(wanted)]
    found = Locale.negotiate(preferred, list(_KNOWN_LOCALES), sep="_") if preferred else None
    if found is not None:
        return str(found)
    return default if default.replace("-", "_") in _KNOWN_LOCALES else "en"


def relative(value: datetime | None) -> str:
    """ "3 days ago" in the reader's language (Babel); the exact time goes in <time>."""
    if value is None:
        return ""
    return str(format_timedelta(value - now_utc(), add_direction=True, locale=LOCALE.get()))


def exact(value: datetime | None) -> str:
    if value is None:
        return ""
    return _exact(value, LOCALE.get())


@lru_cache(maxsize=65_536)
def _exact(value: datetime, locale: str) -> str:
    # Remembered: an article's time is shown on every page that lists it, and Babel takes
    # ~0.1 ms to format one (a tenth of a tag page's rendering).
    return str(format_datetime(value, "medium", tzinfo=UTC, locale=locale)) + " UTC"


def date_lang() -> str:
    """The language of the dates on the page, for <time lang>: the page's own."""
    return i18n.html_lang()


def copies(card: CardRecord) -> list[tuple[str, str, bool]]:
    """A card's folded copies as (url, publisher, whether it is the card's own publisher)."""
    names = card.duplicate_publishers
    return [
        (
            url,
            names[n] if n < len(names) else card.source_name,
            n >= len(names) or names[n] == card.source_name,
        )
        for n, url in enumerate(card.duplicates)
    ]


templates.env.filters["copies"] = copies
templates.env.filters["relative"] = relative
templates.env.filters["exact"] = exact
templates.env.globals["date_lang"] = date_lang
templates.env.globals["html_lang"] = i18n.html_lang
templates.env.filters["num"] = i18n.number
templates.env.filters["day"] = i18n.day
templates.env.filters["and_list"] = i18n.and_list
templates.env.filters["country"] = i18n.country_name
templates.env.filters["language_name"] = i18n.language_name
# A word that comes from data (a category label, an edition, a kind of tag) in the reader's
# language; links keep the English label.
templates.env.filters["word"] = i18n.gettext


def region_name(region: str | None) -> str:
    """An edition's name in the reader's language ("" for none)."""
    return _(parsing.EDITION_NAMES[region]) if region in parsing.EDITION_NAMES else ""


# What an error page says: the API's message is English and names parameters; a page in
# another language says what the status means instead of mixing the two.
_ERROR_WORDS = {
    400: i18n.N_("This address asks for something tagwire cannot answer as written."),
    404: i18n.N_("Nothing is known at this address."),
    429: i18n.N_("tagwire is busy: try again in a moment."),
    503: i18n.N_("tagwire is busy: try again in a moment."),
    500: i18n.N_("Something went wrong on this server."),
}


def error_words(status: int, message: str) -> str:
    if i18n.language() == "en":
        return message
    return _(_ERROR_WORDS.get(status, _ERROR_WORDS[500]))


def english(text: str) -> Markup | str:
    """Words only English has (a fetcher's error, a pause's reason), marked as English on a
    page in another language so a screen reader says them as such."""
    if i18n.language() == "en":
        return text
    return Markup('<span lang="en">%s</span>') % text


templates.env.globals["region_name"] = region_name
templates.env.filters["english"] = english
templates.env.globals["error_words"] = error_words
templates.env.filters["iso"] = shapes.iso


@dataclass(frozen=True)
class Group:
    """A story's first card on a page, with the story's other cards on that page."""

    card: CardRecord
    others: tuple[CardRecord, ...]

    @property
    def also(self) -> list[str]:
        """Other publishers' names, in order, each once, without the first card's."""
        names = dict.fromkeys(c.source_name for c in self.others)
        names.pop(self.card.source_name, None)
        return list(names)


def group_by_story(cards: list[CardRecord]) -> list[Group]:
    """Cards in list order, a story's later cards folded under its first one."""
    groups: dict[int, list[CardRecord]] = {}
    for card in cards:
        groups.setdefault(card.story_id, []).append(card)
    return [Group(members[0], tuple(members[1:])) for members in groups.values()]


def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def localized(response: Response) -> Response:
    """A page in the reader's language says which (Content-Language), and that it depends
    on Accept-Language (Vary), so a shared cache never hands a German page to a French
    reader: the pages are ``public`` for a few seconds."""
    response.headers["Content-Language"] = i18n.html_lang()
    response.headers.append("Vary", "Accept-Language")
    return response


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    return localized(templates.TemplateResponse(request, name, context, status_code=status_code))


def category_path(label: str) -> str:
    return "/categories/" + quote(label, safe="")


templates.env.filters["category_path"] = category_path


def failing(source: SourceRecord) -> bool:
    """Its last check failed: an error newer than its last success (a feed read in part
    has both at once, and is not failing)."""
    if source.last_error is None or source.last_error_at is None:
        return False
    return source.last_success_at is None or source.last_error_at > source.last_success_at


def status_of(source: SourceRecord) -> str:
    """``paused``, ``failing``, ``ok`` or ``unchecked``: a source's state in one word."""
    if source.paused_at is not None or not source.enabled:
        return "paused"
    if failing(source):
        return "failing"
    return "ok" if source.last_success_at is not None else "unchecked"


templates.env.filters["status"] = status_of


def duration(span: timedelta) -> str:
    """ "2 hours" in the page's language; under a minute is "moments"."""
    if span < timedelta(minutes=1):
        return _("moments")
    return str(format_timedelta(span, threshold=1.5, locale=LOCALE.get()))
