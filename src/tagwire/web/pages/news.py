"""The pages that list the news: the latest (of an edition, of a category), the categories,
a category's, a tag's and a source's latest, and the sources with their state.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tagwire.categories.taxonomy import LABELS
from tagwire.service import article_queries, parsing, tag_queries
from tagwire.store import Store
from tagwire.web import i18n
from tagwire.web.pages.rendering import failing, group_by_story, render, store_of

router = APIRouter(include_in_schema=False)
_ = i18n.gettext


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    cursor: str | None = None,
    edition: str | None = None,
    category: str | None = None,
) -> Response:
    """The latest news, of an edition (``/editions/{e}``) and of a category
    (``?category=``, any case; an unknown one is a 404 page) when asked."""
    store = store_of(request)
    label = parsing.find_category(category) if category else None
    page = article_queries.list_articles(
        store, edition=edition, category=label, cursor=cursor, limit="30"
    )
    region = parsing.parse_edition(edition)
    heading = _(parsing.EDITION_NAMES[region]) if region else _("Latest news")
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
            "top_tags": tag_queries.top_tags(store, 24, region=region),
            "trending": tag_queries.trending(store, 10, region=region),
            "counts": store.counts(),
            "edition_counts": _edition_counts(store, region) if region else None,
            "editions": article_queries.editions_json(),
            "edition": region,
            "edition_name": _(parsing.EDITION_NAMES[region]) if region else None,
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
        request,
        "categories.html",
        {"categories": article_queries.categories_json(store_of(request))},
    )


# After the feeds (pages.router includes them first): this path would take their .atom.
@router.get("/editions/{edition}", response_class=HTMLResponse)
def edition_page(
    request: Request, edition: str, cursor: str | None = None, category: str | None = None
) -> Response:
    article_queries.edition_json(
        store_of(request), edition, limit="1"
    )  # 404 for an unknown edition
    return home(request, cursor=cursor, edition=edition, category=category)


@router.get("/categories/{category}", response_class=HTMLResponse)
def category_page(request: Request, category: str, cursor: str | None = None) -> Response:
    """A category's latest news, grouped by story like a tag page; any case of the label."""
    label, page, _ = article_queries.category_json(store_of(request), category, cursor=cursor)
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
    store = store_of(request)
    source = store.source(parsing.known_id(source_id, "source"))
    page = article_queries.list_articles(store, source=source.id, cursor=cursor)
    return render(
        request,
        "source.html",
        {
            "source": source,
            "groups": group_by_story(page.items),
            "next": page.next_cursor,
            "region": _(parsing.EDITION_NAMES[source.region])
            if source.region in parsing.EDITION_NAMES
            else None,
            "country": i18n.country_name(source.country) if source.country else None,
        },
    )


@router.get("/tags/{tag}", response_class=HTMLResponse)
def tag_page(request: Request, tag: str, cursor: str | None = None) -> Response:
    store = store_of(request)
    entity, page, _ = tag_queries.tag_json(store, tag, cursor=cursor)
    request.state.cache_tag = entity.id
    days = tag_queries.timeline_json(store, entity)["days"]
    peak = max((d["articles"] for d in days), default=0) or 1
    return render(
        request,
        "tag.html",
        {
            "entity": entity,
            "groups": group_by_story(page.items),
            "next": page.next_cursor,
            "related": tag_queries.related_json(store, entity)["related"],
            "days": days,
            "peak": peak,
        },
    )


@router.get("/sources", response_class=HTMLResponse)
def sources_page(request: Request) -> Response:
    """Every source with its state; when every source that is polled fails, the page says
    so plainly first (the likeliest cause is the machine, not the publishers)."""
    sources = store_of(request).sources()
    polled = [s for s in sources if s.enabled and s.paused_at is None]
    return render(
        request,
        "sources.html",
        {"sources": sources, "all_down": bool(polled) and all(failing(s) for s in polled)},
    )
