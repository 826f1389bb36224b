"""One article: its page, its card alone (for live updates in the reader's language) and
its image, fetched through tagwire.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tagwire.errors import FetchError, NotFound
from tagwire.fetch.client import Fetcher
from tagwire.service import article_queries
from tagwire.web.pages.rendering import localized, render, store_of, templates

router = APIRouter(include_in_schema=False)


IMAGE_MAX_BYTES = 3_000_000
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif", "image/avif")


@router.get("/img/{article_id}")
async def image(request: Request, article_id: int) -> Response:
    """An article's image through tagwire, never hot-linked: the reader's browser talks only
    to tagwire, the fetch obeys the address rule, robots.txt and a size cap, and only raster
    types are passed on (an SVG can carry script). 404 when there is none to show."""
    record = article_queries.article(store_of(request), article_id)
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


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article_page(request: Request, article_id: int) -> Response:
    record = article_queries.article(store_of(request), article_id)
    paragraphs = [p for p in record.text.split("\n") if p.strip()]
    return render(
        request, "article.html", {"article": record, "card": record.card, "paragraphs": paragraphs}
    )


@router.get("/articles/{article_id}/card", response_class=HTMLResponse)
def article_card(request: Request, article_id: int) -> Response:
    """An article's card alone, in the reader's language: live.js asks for it on a page in
    another language than English (a live event's card is built once, in English)."""
    card = article_queries.article(store_of(request), article_id).card
    macro = templates.env.get_template("_card.html").module.card  # type: ignore[attr-defined]
    return localized(HTMLResponse(str(macro(card))))
