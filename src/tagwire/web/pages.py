"""Server-rendered HTML pages (Jinja2, autoescaped)."""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from babel import Locale, localedata
from babel.dates import format_datetime, format_timedelta
from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from swagger_ui_bundle import swagger_ui_path

from tagwire import service
from tagwire.categories.taxonomy import LABELS
from tagwire.errors import BadRequest, FetchError, NotFound
from tagwire.fetch.client import Fetcher
from tagwire.search import SearchQuery, parse_query
from tagwire.store import Store
from tagwire.store.records import CardRecord, SourceRecord
from tagwire.types import now_utc
from tagwire.web import i18n
from tagwire.web.atom import atom_feed, feed_iri, tag_authority
from tagwire.web.http import CONTENT_SECURITY_POLICY

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
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
    return _(service.EDITION_NAMES[region]) if region in service.EDITION_NAMES else ""


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
templates.env.filters["iso"] = service.iso


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


def _store(request: Request) -> Store:
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


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    cursor: str | None = None,
    edition: str | None = None,
    category: str | None = None,
) -> Response:
    """The latest news, of an edition (``/editions/{e}``) and of a category
    (``?category=``, any case; an unknown one is a 404 page) when asked."""
    store = _store(request)
    label = service.find_category(category) if category else None
    page = service.list_articles(store, edition=edition, category=label, cursor=cursor, limit="30")
    region = service.parse_edition(edition)
    heading = _(service.EDITION_NAMES[region]) if region else _("Latest news")
    more = "/editions/" + region if region else "/"
    return render(
        request,
        "index.html",
        {
            "groups": group_by_story(page.items),
            "next": page.next_cursor,
            "more": more + "?" + urlencode({"category": label or "", "cursor": page.next_cursor})
            if label
            else f"{more}?cursor={page.next_cursor}",
            "first_page": cursor is None,
            "top_tags": service.top_tags(store, 24, region=region),
            "trending": service.trending(store, 10, region=region),
            "counts": store.counts(),
            "edition_counts": _edition_counts(store, region) if region else None,
            "editions": service.editions_json(),
            "edition": region,
            "edition_name": _(service.EDITION_NAMES[region]) if region else None,
            "category": label,
            "categories": LABELS,
            "heading": _("%(place)s: %(category)s") % {"place": heading, "category": _(label)}
            if label
            else heading,
        },
    )


def _edition_counts(store: Store, region: str) -> dict[str, int]:
    """What an edition holds: its articles, and the sources whose region it is."""
    return {
        "articles": store.region_article_count(region),
        "sources": sum(1 for s in store.sources() if s.region == region),
    }


@router.get("/categories", response_class=HTMLResponse)
def categories_page(request: Request) -> Response:
    return render(
        request, "categories.html", {"categories": service.categories_json(_store(request))}
    )


SEARCH_FIELDS = ("q", "tag", "category", "edition", "from", "to", "order")


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, cursor: str | None = None) -> Response:
    """The form (words, tag, category, edition, dates, order: the API's filters) and its
    results grouped by story like a tag page, the matching words marked in a snippet; a
    bad query or filter is said on the page in the reader's words, with the API's status."""
    given = {name: request.query_params.get(name) or "" for name in SEARCH_FIELDS}
    context: dict[str, Any] = {
        "form": given,
        "editions": service.editions_json(),
        "categories": LABELS,
        "groups": [],
        "snippets": {},
        "more": None,
        "problem": None,
    }
    status = 200
    if given["q"]:
        try:
            page, _ = service.search(
                _store(request),
                given["q"],
                tag=given["tag"].strip().lstrip("#") or None,
                category=given["category"] or None,
                edition=given["edition"] or None,
                since=given["from"] or None,
                until=given["to"] or None,
                order=given["order"] or None,
                cursor=cursor,
            )
            marker = _matcher(parse_query(given["q"]))
            context.update(
                groups=group_by_story(page.items),
                snippets={c.id: snippet(c.summary, marker) for c in page.items},
            )
            if page.next_cursor:
                kept = [(k, v) for k, v in given.items() if v]
                context["more"] = "/search?" + urlencode([*kept, ("cursor", page.next_cursor)])
        except (BadRequest, NotFound) as exc:
            context["problem"] = reader_problem(exc, given)
            status = 400 if isinstance(exc, BadRequest) else 404
    return render(request, "search.html", context, status_code=status)


_FIELD_NAMES = {"from": i18n.N_("From"), "to": i18n.N_("To")}
_LIST_NAMES = {
    "category": i18n.N_("Choose the category from its list."),
    "edition": i18n.N_("Choose the edition from its list."),
    "order": i18n.N_("Choose the order from its list."),
}
# The query parser's complaints (search.parse_query, "q: ..."), by how they begin, said in
# the reader's language; %(n)s is the limit the complaint names.
_QUERY_PROBLEMS = {
    "type something": i18n.N_("Type something to search for."),
    "a search is at most": i18n.N_("This search cannot run: a search is at most %(n)s characters."),
    "no word to look for": i18n.N_(
        "This search cannot run: no word to look for (only excluded words or punctuation)."
    ),
    "a search has at most": i18n.N_(
        "This search cannot run: a search has at most %(n)s words and phrases."
    ),
}


def reader_problem(exc: BadRequest | NotFound, given: dict[str, str]) -> str:
    """What was wrong, said to the reader of the page in the page's language (the API's
    messages name parameters: "q: ...", "from must be a date ...")."""
    if isinstance(exc, NotFound):
        if exc.what == "tag":
            tag = given["tag"].strip().lstrip("#")
            return _("No tag #%(tag)s is known: check its spelling, or leave Tag empty.") % {
                "tag": tag
            }
        return _("Nothing is known as “%(key)s”.") % {"key": exc.key}
    text = str(exc)
    if text.startswith("q: "):
        words = text[3:]
        for known, message in _QUERY_PROBLEMS.items():
            if words.startswith(known):
                limit = re.search(r"\d+", words)
                return _(message) % {"n": i18n.number(int(limit.group())) if limit else ""}
        return _("This search cannot run: %(why)s.") % {"why": words}
    for name, label in _FIELD_NAMES.items():
        if text.startswith(f"{name} must be a date"):
            return _(
                "%(field)s: “%(value)s” is not a date. Write a day as YYYY-MM-DD "
                "(2026-11-27), or a time in ISO 8601."
            ) % {"field": _(label), "value": given[name]}
        if text.startswith(f"{name} must fall between"):
            return _("%(field)s: “%(value)s” is outside the calendar tagwire can search.") % {
                "field": _(label),
                "value": given[name],
            }
    for name, message in _LIST_NAMES.items():
        if text.startswith(f"{name} must"):
            return _(message)
    return _("These results cannot be continued (the link is out of date): search again.")


def _matcher(query: SearchQuery) -> re.Pattern[str] | None:
    """The words a query looks for, each matched at the start of a word (the index finds
    "ships" for "ship"), the longest first."""
    words = {w for group in query.groups for term in group for w in term.words}
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})\w*", re.IGNORECASE)


SNIPPET_CHARS = 240


def snippet(text: str, marker: re.Pattern[str] | None) -> Markup | None:
    """A piece of ``text`` around its first match, the matching words in <mark> (escaped
    text otherwise); None when nothing in it matches (the match was in the article's
    body: the card shows its summary as usual)."""
    first = marker.search(text) if marker is not None else None
    if marker is None or first is None:
        return None
    start = 0
    if first.start() > SNIPPET_CHARS // 3:
        cut = text.rfind(" ", 0, first.start() - SNIPPET_CHARS // 4)
        start = cut + 1 if cut >= 0 else first.start()
    end = min(len(text), start + SNIPPET_CHARS)
    if end < len(text):
        space = text.rfind(" ", first.end(), end)
        end = space if space > 0 else end
    piece = text[start:end]
    marked = Markup("")
    last = 0
    for found in marker.finditer(piece):
        marked += escape(piece[last : found.start()]) + Markup("<mark>%s</mark>") % found.group()
        last = found.end()
    marked += escape(piece[last:])
    return (
        (Markup("… ") if start else Markup(""))
        + marked
        + (Markup(" …") if end < len(text) else Markup(""))
    )


FEED_SIZE = "50"


def _atom(
    request: Request, title: str, kind: str, key: str, path: str, cards: list[CardRecord]
) -> Response:
    base = str(request.base_url).rstrip("/")
    configured = str(request.app.state.settings["TAGWIRE_TAG_AUTHORITY"])
    body = atom_feed(
        title=title,
        feed_id=feed_iri(base, kind, key, request.query_params),
        authority=tag_authority(configured, request.url.hostname),
        self_url=f"{base}{request.url.path}"
        + (f"?{request.url.query}" if request.url.query else ""),
        alternate_url=f"{base}{path}",
        cards=cards,
        updated=now_utc(),
    )
    return Response(
        body,
        media_type="application/atom+xml; charset=utf-8",
        headers={"Cache-Control": "public, max-age=60"},
    )


@router.get("/tags/{tag}.atom")
def tag_atom(request: Request, tag: str) -> Response:
    entity, page, _ = service.tag_json(_store(request), tag, limit=FEED_SIZE)
    request.state.cache_tag = entity.id
    title = f"Latest news with #{entity.slug}"
    return _atom(request, title, "tag", entity.slug, f"/tags/{entity.slug}", page.items)


@router.get("/stories/{story_id}.atom")
def story_atom(request: Request, story_id: int) -> Response:
    story, page, _ = service.story_json(_store(request), story_id, limit=FEED_SIZE)
    return _atom(request, story.title, "story", str(story.id), f"/stories/{story.id}", page.items)


@router.get("/sources/{source_id}.atom")
def source_atom(request: Request, source_id: int) -> Response:
    store = _store(request)
    source = store.source(source_id)
    page = service.list_articles(store, source=str(source_id), limit=FEED_SIZE)
    title = f"Latest news from {source.name}"
    path = f"/sources/{source_id}"
    return _atom(request, title, "source", str(source_id), path, page.items)


@router.get("/editions/{edition}.atom")
def edition_atom(request: Request, edition: str) -> Response:
    region, page, body = service.edition_json(_store(request), edition, limit=FEED_SIZE)
    title = f"Latest news: {body['edition']['name']}"
    return _atom(request, title, "edition", region, f"/editions/{region}", page.items)


@router.get("/categories/{category}.atom")
def category_atom(request: Request, category: str) -> Response:
    label, page, _ = service.category_json(_store(request), category, limit=FEED_SIZE)
    path = category_path(label)
    return _atom(request, f"Latest news: {label}", "category", label, path, page.items)


@router.get("/search.atom")
def search_atom(
    request: Request,
    q: str | None = None,
    tag: str | None = None,
    category: str | None = None,
    edition: str | None = None,
) -> Response:
    """A saved search as a feed: the newest matches first."""
    page, body = service.search(
        _store(request),
        q,
        tag=tag,
        category=category,
        edition=edition,
        order="newest",
        limit=FEED_SIZE,
    )
    path = f"/search?{request.url.query}"
    return _atom(request, f"Search: {body['query']}", "search", body["query"], path, page.items)


IMAGE_MAX_BYTES = 3_000_000
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif", "image/avif")


@router.get("/img/{article_id}")
async def image(request: Request, article_id: int) -> Response:
    """An article's image through tagwire, never hot-linked: the reader's browser talks only
    to tagwire, the fetch obeys the address rule, robots.txt and a size cap, and only raster
    types are passed on (an SVG can carry script). 404 when there is none to show."""
    record = service.article(_store(request), article_id)
    if not record.card.image:
        raise NotFound("image of article", article_id)
    settings = request.app.state.settings.replace(max_bytes=IMAGE_MAX_BYTES)
    try:
        async with Fetcher(settings, request.app.state.robots) as fetcher:
            page = await fetcher.get(record.card.image, accept=", ".join(IMAGE_TYPES))
    except FetchError as exc:
        raise NotFound("image of article", article_id) from exc
    if page is None or page.content_type not in IMAGE_TYPES:
        raise NotFound("image of article", article_id)
    return Response(
        page.body,
        media_type=page.content_type,
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )


# Declared after the .atom routes, which the plain paths would otherwise swallow.
@router.get("/editions/{edition}", response_class=HTMLResponse)
def edition_page(
    request: Request, edition: str, cursor: str | None = None, category: str | None = None
) -> Response:
    service.edition_json(_store(request), edition, limit="1")  # 404 for an unknown edition
    return home(request, cursor=cursor, edition=edition, category=category)


@router.get("/categories/{category}", response_class=HTMLResponse)
def category_page(request: Request, category: str, cursor: str | None = None) -> Response:
    """A category's latest news, grouped by story like a tag page; any case of the label."""
    label, page, _ = service.category_json(_store(request), category, cursor=cursor)
    return render(
        request,
        "category.html",
        {
            "label": label,
            "groups": group_by_story(page.items),
            "next": page.next_cursor,
            "categories": LABELS,
        },
    )


@router.get("/sources/{source_id}", response_class=HTMLResponse)
def source_page(request: Request, source_id: int, cursor: str | None = None) -> Response:
    """One source: its health, each feed's, and its latest articles grouped by story."""
    store = _store(request)
    source = store.source(service.known_id(source_id, "source"))
    page = service.list_articles(store, source=source.id, cursor=cursor)
    return render(
        request,
        "source.html",
        {
            "source": source,
            "groups": group_by_story(page.items),
            "next": page.next_cursor,
            "region": _(service.EDITION_NAMES[source.region])
            if source.region in service.EDITION_NAMES
            else None,
            "country": i18n.country_name(source.country) if source.country else None,
        },
    )


@router.get("/tags/{tag}", response_class=HTMLResponse)
def tag_page(request: Request, tag: str, cursor: str | None = None) -> Response:
    store = _store(request)
    entity, page, _ = service.tag_json(store, tag, cursor=cursor)
    request.state.cache_tag = entity.id
    days = service.timeline_json(store, entity)["days"]
    peak = max((d["articles"] for d in days), default=0) or 1
    return render(
        request,
        "tag.html",
        {
            "entity": entity,
            "groups": group_by_story(page.items),
            "next": page.next_cursor,
            "related": service.related_json(store, entity)["related"],
            "days": days,
            "peak": peak,
        },
    )


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article_page(request: Request, article_id: int) -> Response:
    record = service.article(_store(request), article_id)
    paragraphs = [p for p in record.text.split("\n") if p.strip()]
    return render(
        request, "article.html", {"article": record, "card": record.card, "paragraphs": paragraphs}
    )


@router.get("/articles/{article_id}/card", response_class=HTMLResponse)
def article_card(request: Request, article_id: int) -> Response:
    """An article's card alone, in the reader's language: live.js asks for it on a page in
    another language than English (a live event's card is built once, in English)."""
    card = service.article(_store(request), article_id).card
    macro = templates.env.get_template("_card.html").module.card  # type: ignore[attr-defined]
    return localized(HTMLResponse(str(macro(card))))


@dataclass(frozen=True)
class Coverage:
    """What a story page says above its articles: who reported first and when, the span,
    the publishers' countries and regions (Ground News's story header, from the sources)."""

    first: CardRecord
    last: CardRecord
    span: timedelta
    publishers: int
    countries: list[str]  # names, most articles first
    regions: list[str]  # edition names, most articles first

    @property
    def span_words(self) -> str:
        return duration(self.span)


def time_of(card: CardRecord) -> datetime:
    return card.published_at or card.sort_at


def duration(span: timedelta) -> str:
    """ "2 hours" in the page's language; under a minute is "moments"."""
    if span < timedelta(minutes=1):
        return _("moments")
    return str(format_timedelta(span, threshold=1.5, locale=LOCALE.get()))


def coverage(cards: list[CardRecord], sources: dict[int, SourceRecord]) -> Coverage:
    ordered = sorted(cards, key=lambda c: (time_of(c), c.id))
    countries: Counter[str] = Counter()
    regions: Counter[str] = Counter()
    for card in cards:
        source = sources.get(card.source_id)
        if source is not None and source.country:
            countries[i18n.country_name(source.country)] += 1
        if source is not None and source.region in service.EDITION_NAMES:
            regions[_(service.EDITION_NAMES[str(source.region)])] += 1
    return Coverage(
        first=ordered[0],
        last=ordered[-1],
        span=time_of(ordered[-1]) - time_of(ordered[0]),
        publishers=len({c.source_id for c in cards}),
        countries=[name for name, _ in countries.most_common()],
        regions=[name for name, _ in regions.most_common()],
    )


STORY_VIEWS = ("time", "publisher")


@router.get("/stories/{story_id}", response_class=HTMLResponse)
def story_page(request: Request, story_id: int, view: str | None = None) -> Response:
    """A story's articles in the order they came (the default) or by publisher, chosen by
    ``?view=time|publisher`` (links, no script); above them, who reported first and when,
    the span and the publishers' countries and regions."""
    store = _store(request)
    if view not in (None, "", *STORY_VIEWS):
        raise BadRequest(f"view: {view!r} is not one of {', '.join(STORY_VIEWS)}")
    story, page, _ = service.story_json(store, story_id, limit="100")
    cards = sorted(page.items, key=lambda c: (time_of(c), c.id))
    by_publisher: dict[str, list[CardRecord]] = {}
    for card in sorted(cards, key=lambda c: c.source_name.casefold()):
        by_publisher.setdefault(card.source_name, []).append(card)
    sources = {s.id: s for s in store.sources()}
    return render(
        request,
        "story.html",
        {
            "story": story,
            "cards": cards,
            "by_publisher": by_publisher,
            "view": view or "time",
            "coverage": coverage(cards, sources) if cards else None,
        },
    )


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


@router.get("/sources", response_class=HTMLResponse)
def sources_page(request: Request) -> Response:
    """Every source with its state; when every source that is polled fails, the page says
    so plainly first (the likeliest cause is the machine, not the publishers)."""
    sources = _store(request).sources()
    polled = [s for s in sources if s.enabled and s.paused_at is None]
    return render(
        request,
        "sources.html",
        {"sources": sources, "all_down": bool(polled) and all(failing(s) for s in polled)},
    )


# -- the API's documentation: Swagger UI from its PyPI package, never from a CDN ----------

DOCS_ASSETS = "/docs/assets"


def install_docs(app: FastAPI) -> None:
    """Swagger UI's files (swagger-ui-bundle-v2, Apache-2.0) under /docs/assets; the app is
    made with ``docs_url=None`` and ``redoc_url=None`` (FastAPI's own pages load from a CDN)."""
    assets = StaticFiles(directory=str(swagger_ui_path))
    app.mount(DOCS_ASSETS, assets, name="docs-assets")


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> Response:
    """The OpenAPI description in Swagger UI, every file from tagwire itself."""
    body, policy = _docs_page(request.app.openapi_url or "/openapi.json", request.app.title)
    return HTMLResponse(body, headers={"Content-Security-Policy": policy})


@lru_cache(maxsize=4)
def _docs_page(openapi_url: str, title: str) -> tuple[bytes, str]:
    """The page and its policy: the site's own, plus the hash of the page's one inline
    script (Swagger UI's set-up, written by FastAPI) and the data: images of its CSS."""
    page = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=f"{title} — API",
        swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
        swagger_ui_parameters={"validatorUrl": None},  # no badge from validator.swagger.io
    )
    # Swagger UI speaks English whatever the reader's language: its page says so.
    body = bytes(page.body).replace(b"<html>", b'<html lang="en">', 1)
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in re.findall(rb"<script>(.*?)</script>", body, flags=re.S)
    )
    policy = CONTENT_SECURITY_POLICY.replace("script-src 'self'", f"script-src 'self' {hashes}")
    policy = policy.replace("img-src 'self'", "img-src 'self' data:")
    return body, policy
