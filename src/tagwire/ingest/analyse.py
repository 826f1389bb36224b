"""The CPU-heavy middle of the flow for one item: extraction and NER.

Runs in worker processes (a pool sized to the cores), so it takes and returns plain values
and loads the NER model once per process. Nothing here touches the network or the store.
The main process imports this module for its types and to hand ``analyse`` to the pool:
extraction (trafilatura) is imported by the function that runs it, in the workers only.
The text's hash and near-duplicate fingerprint are the main process's (``Pipeline.
store_article``): they cost it about 0.1 ms of CPU an article (numba, which the main process
loads anyway), and a worker that computed them loaded numba for them alone (about 100 MB).
"""

from __future__ import annotations

from dataclasses import dataclass

from tagwire.entities import ner
from tagwire.errors import ExtractError
from tagwire.fetch.client import decode_body
from tagwire.language import detect_language
from tagwire.types import Extracted, FeedItem, Mention

# A feed's content:encoded counts as the whole article when it has at least this many
# words; shorter "content" is usually a teaser, and the page has the real text.
FULL_CONTENT_WORDS = 150
LEAD_CHARS = 320


@dataclass(frozen=True, slots=True)
class Analysis:
    title: str
    text: str
    summary: str
    extracted: Extracted | None
    extraction: str  # page | feed-content | feed-summary
    mentions: tuple[Mention, ...]
    language: str | None = None  # detected from the text, else as declared
    problem: str | None = None  # why the page could not be used, if it could not
    # False for the feed's text kept after a failed analysis: matched to the copies stored
    # by URL, hash and title, never by its near-duplicate fingerprint.
    fingerprinted: bool = True


@dataclass(frozen=True, slots=True)
class PageBody:
    url: str
    body: bytes
    charset: str | None


def warm_up() -> None:
    """Pool initializer: load the models before the first article waits for them."""
    ner.load_model()
    detect_language("", "warm up the language model with a sentence of text", None)


def analyse(
    item: FeedItem,
    page: PageBody | None,
    language: str | None,
    run_ner: bool = True,
    page_problem: str | None = None,
) -> Analysis:
    extracted, text, extraction, problem = _text_of(item, page)
    problem = problem or page_problem
    title = item.title or (extracted.title if extracted else None) or item.url
    if extracted and extracted.title and not item.title:
        title = extracted.title
    summary = lead(item.summary or text)
    language = detect_language(title, text, (extracted.language if extracted else None) or language)
    author = (extracted.author if extracted else None) or item.author
    publisher = extracted.site_name if extracted else None
    mentions = (
        ner.find_mentions(title, text, author=author, language=language, publisher=publisher)
        if (run_ner and text)
        else ()
    )
    return Analysis(
        title=title,
        text=text,
        summary=summary[:1000],
        extracted=extracted,
        extraction=extraction,
        mentions=mentions,
        language=language,
        problem=problem,
    )


def feed_only(item: FeedItem, problem: str, language: str | None = None) -> Analysis:
    """What is kept of an item when its analysis failed: the feed's own text, no tags."""
    text = item.summary or item.title
    return Analysis(
        title=item.title or item.url,
        text=text,
        summary=lead(text),
        extracted=None,
        extraction="feed-summary",
        mentions=(),
        language=language,
        problem=problem,
        fingerprinted=False,
    )


def _text_of(
    item: FeedItem, page: PageBody | None
) -> tuple[Extracted | None, str, str, str | None]:
    from tagwire.extract import extract_page, fragment_text  # the workers' import (see above)

    feed_text = fragment_text(item.content_html) if item.content_html else ""
    if len(feed_text.split()) >= FULL_CONTENT_WORDS:
        return None, feed_text, "feed-content", None
    problem = None
    if page is not None:
        try:
            extracted = extract_page(decode_body(page.body, page.charset), page.url)
            return extracted, extracted.text, "page", None
        except ExtractError as exc:
            problem = str(exc)
    # The page gave nothing: keep the item with what the feed says (never drop it).
    return None, feed_text or item.summary or item.title, "feed-summary", problem


def lead(text: str) -> str:
    """The first sentences of a text, up to about LEAD_CHARS characters."""
    if len(text) <= LEAD_CHARS:
        return text
    cut = text.rfind(". ", 0, LEAD_CHARS)
    return text[: cut + 1] if cut > LEAD_CHARS // 2 else text[:LEAD_CHARS].rsplit(" ", 1)[0] + "…"
