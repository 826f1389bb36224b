"""The API's JSON shapes as pydantic models: the OpenAPI schemas at /openapi.json and /docs,
and the check that every response has the shape PRODUCT.md promises (FastAPI validates what
each endpoint returns against its ``response_model``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Kind = Literal["person", "organization", "place", "other"]


class SourceRef(BaseModel):
    id: int
    name: str = Field(description="the name the sources file gives")
    url: str = Field(description="the publisher's site")


class Card(BaseModel):
    id: int
    url: str
    title: str
    source: SourceRef
    published_at: str | None = Field(description='"2025-07-11T10:12:00Z", or null')
    category: str | None = Field(description="one of the 17 labels, or null")
    summary: str
    tags: list[str] = Field(description="slugs, up to 10, most salient first")
    story_id: int
    duplicates: list[str] = Field(description="URLs of the folded copies")


class Article(Card):
    text: str


class Tag(BaseModel):
    slug: str
    name: str
    kind: Kind


class ArticleList(BaseModel):
    articles: list[Card]
    next: str | None = Field(description="pass back as ?cursor= for the next page")


class TagPage(ArticleList):
    tag: Tag


class StoryInfo(BaseModel):
    id: int
    title: str
    first_seen: str | None
    last_seen: str | None
    publishers: int
    tags: list[str]


class StoryPage(ArticleList):
    story: StoryInfo


class SearchPage(ArticleList):
    query: str = Field(description="the query as typed, white space trimmed")


class Edition(BaseModel):
    edition: str
    name: str


class Editions(BaseModel):
    editions: list[Edition]


class EditionPage(ArticleList):
    edition: Edition


class Category(BaseModel):
    label: str = Field(description="one of the 17 labels, as the taxonomy writes it")


class CategoryCount(Category):
    articles: int = Field(description="listed articles with this category")


class Categories(BaseModel):
    categories: list[CategoryCount]


class CategoryPage(ArticleList):
    category: Category


class TagCount(Tag):
    articles: int


class TagList(BaseModel):
    tags: list[TagCount]


class TagScore(Tag):
    score: float = Field(description="articles in the last 24 h against the daily average")


class Trending(BaseModel):
    tags: list[TagScore]


class RelatedTag(Tag):
    shared_articles: int


class Related(BaseModel):
    tag: Tag
    related: list[RelatedTag]


class Day(BaseModel):
    date: str = Field(description="YYYY-MM-DD (UTC)")
    articles: int


class Timeline(BaseModel):
    tag: Tag
    days: list[Day]


class FeedHealth(BaseModel):
    url: str
    title: str | None
    format: str | None
    last_checked_at: str | None
    last_success_at: str | None
    next_check_at: str | None
    last_error: str | None = Field(description="in words")
    failures_in_a_row: int


class Source(BaseModel):
    id: int
    name: str
    url: str
    feeds: list[str]
    country: str | None
    region: str | None
    language: str | None
    category: str | None
    enabled: bool
    articles: int
    items_per_day: float
    last_success_at: str | None
    last_error: str | None = Field(description="in words")
    last_error_at: str | None
    next_check_at: str | None
    paused: bool
    paused_at: str | None
    paused_reason: str | None
    feed_health: list[FeedHealth]


class SourceList(BaseModel):
    sources: list[Source]


class OneSource(BaseModel):
    source: Source


class AddedSource(OneSource):
    found_by: str = Field(description="how the feeds were found")


class Removed(BaseModel):
    removed: int


class Merge(BaseModel):
    story_id: int
    into: int
    similarity: float | None


class ReplacedChoice(BaseModel):
    """The decision of the earlier copy whose place an article took in its story."""

    article_id: int
    story_id: int
    decision: Literal["started", "joined"]
    score: float | None
    meaning_similarity: float | None
    text_similarity: float | None
    shared_tags: list[str]
    merges: list[Merge]


class StoryChoice(BaseModel):
    article_id: int
    story_id: int
    decision: Literal["started", "joined", "duplicate"]
    duplicate_of: int | None
    score: float | None
    meaning_similarity: float | None
    text_similarity: float | None
    shared_tags: list[str]
    merges: list[Merge]
    replaced: ReplacedChoice | None = Field(
        None,
        description="when the article replaced an earlier copy of itself (a fuller or earlier "
        "version), that copy's decision: the one that put the article in its story",
    )
    explanation: str = Field("", description="the decision in words")


class Mention(BaseModel):
    surface: str
    in_title: bool
    start: int
    end: int
    context: str
    resolved_to: str
    rule: str = Field(description="how the surface form was resolved, in words")
    learned_from: int | None = Field(
        None,
        description="for an abbreviation resolved by an alias learned from the corpus: "
        "the id of the first article that introduced it",
    )


class WhyTag(BaseModel):
    article_id: int
    tag: Tag
    rank: int | None
    mentions: list[Mention]


class Webhook(BaseModel):
    id: int
    tag: str
    url: str
    created_at: str | None
    pending: int
    delivered: int
    last_error: str | None


class WebhookList(BaseModel):
    webhooks: list[Webhook]


class NewWebhook(BaseModel):
    webhook: Webhook
    secret: str = Field(description="shown only here: the key of the deliveries' signatures")


class ErrorBody(BaseModel):
    status: int
    code: str = Field(description="bad_request, unauthorized, forbidden, not_found, ...")
    message: str


class Error(BaseModel):
    error: ErrorBody


# Every status an operation can answer, each with the error shape (docs/api.md, "Errors").
# FastAPI's own 422 is not among them: a request that fails validation is a 400.
Responses = dict[int | str, dict[str, object]]


def _error(description: str) -> dict[str, object]:
    return {"model": Error, "description": description}


BAD_REQUEST: Responses = {400: _error("a bad parameter (limit, cursor, id, date, query, body...)")}
NOT_FOUND: Responses = {
    404: _error("no such tag, article, story, source, edition, category or webhook")
}
NOT_MODIFIED: Responses = {304: {"description": "If-None-Match named the current ETag"}}
BUSY: Responses = {503: _error("too many requests in flight: retry after Retry-After seconds")}
ADMIN: Responses = {
    401: _error("a valid `Authorization: Bearer <TAGWIRE_ADMIN_TOKEN>` is required"),
    403: _error("the admin API is disabled (no TAGWIRE_ADMIN_TOKEN is set)"),
}
UNPROCESSABLE: Responses = {422: _error("the site cannot be fetched or has no feed")}


def responses(*groups: Responses) -> Responses:
    merged: Responses = {}
    for group in groups:
        merged.update(group)
    return merged


# Kept for callers of the earlier name: a GET that takes parameters and looks something up.
ERRORS: Responses = responses(BAD_REQUEST, NOT_FOUND)
