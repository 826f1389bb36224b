"""A story's page: its articles by time or by publisher, and above them who reported first,
the span and the publishers' countries and regions.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tagwire.errors import BadRequest
from tagwire.service import article_queries, parsing
from tagwire.store.records import CardRecord, SourceRecord
from tagwire.web import i18n
from tagwire.web.pages.rendering import duration, render, store_of

router = APIRouter(include_in_schema=False)
_ = i18n.gettext


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


def coverage(cards: list[CardRecord], sources: dict[int, SourceRecord]) -> Coverage:
    ordered = sorted(cards, key=lambda c: (time_of(c), c.id))
    countries: Counter[str] = Counter()
    regions: Counter[str] = Counter()
    for card in cards:
        source = sources.get(card.source_id)
        if source is not None and source.country:
            countries[i18n.country_name(source.country)] += 1
        if source is not None and source.region in parsing.EDITION_NAMES:
            regions[_(parsing.EDITION_NAMES[str(source.region)])] += 1
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
    store = store_of(request)
    if view not in (None, "", *STORY_VIEWS):
        raise BadRequest(f"view: {view!r} is not one of {', '.join(STORY_VIEWS)}")
    story, page, _ = article_queries.story_json(store, story_id, limit="100")
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
