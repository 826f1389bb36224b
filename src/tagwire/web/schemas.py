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


class ErrorBody(BaseModel):
    status: int
    code: str = Field(description="bad_request, unauthorized, forbidden, not_found, ...")
    message: str


class Error(BaseModel):
    error: ErrorBody


ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": Error, "description": "a bad parameter (limit, cursor, query, ...)"},
    404: {"model": Error, "description": "no such tag, article, story, source or edition"},
}
