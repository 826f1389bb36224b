"""What ingest does with one analysed item: the article it makes (its URL, text, category,
content hash and fingerprint), then in one transaction whether it is known, a copy or new,
the story it joins or starts, its rows, a fold and a merge. ``decide``'s lookups are
answered here by the store (``StoreCopies``, ``StoreStories``), inside the transaction, so
concurrent writers see each other's articles; the import answers them from its windows.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tagwire import feeds
from tagwire.categories.taxonomy import categorise
from tagwire.dedup import exact as dedup
from tagwire.dedup.near import Fingerprint, band_keys, best_match, fingerprint
from tagwire.embeddings import Vector
from tagwire.errors import Outcome
from tagwire.ingest.analyse import Analysis
from tagwire.ingest.decide import decide, story_step
from tagwire.ingest.rows import entity_scores
from tagwire.ingest.writer import ArticleWriter, writing
from tagwire.store import FeedRecord, Store
from tagwire.store.write_copies import Survivor
from tagwire.stories.group import broad_place_ids, choose_merge, choose_story, term_keys
from tagwire.stories.rules import LEAD_CHARS, Decision, Merge, StoryRules, headline_meaning, terms
from tagwire.types import Article, FeedItem, StoryCandidate, now_utc


def article_of(
    feed: FeedRecord, item: FeedItem, item_url: str, analysis: Analysis
) -> tuple[Article, str, Fingerprint | None]:
    """The article an analysed item makes, its URL as chosen (the store is asked for that,
    not for the copy made safe to store) and its text's fingerprint (None for a text too
    short to fingerprint)."""
    extracted = analysis.extracted
    url = dedup.choose_url(item.url, extracted.canonical_url if extracted else None)
    categories = item.categories + (extracted.categories if extracted else ())
    author = item.author or (extracted.author if extracted else None)
    image = item.image or (extracted.image if extracted else None)
    # The text's hash and fingerprint are computed here rather than in the analysis
    # workers, which then never load numba (tagwire.ingest.analyse); of what the analysis
    # returns, as an import computes them of its records (backfill.prepare).
    normalised = dedup.normalised(analysis.text)
    content_hash = dedup.content_hash(analysis.text, normalised)
    fp = fingerprint(analysis.text, normalised) if analysis.fingerprinted else None
    # What a page's metadata (JSON-LD is JSON: "\u0000", "\ud800") or a queued item
    # brings is made safe here too: every stored text must be writable as XML.
    article = Article(
        url=feeds.safe_text(url),
        title=feeds.safe_text(analysis.title),
        text=feeds.safe_text(analysis.text),
        summary=feeds.safe_text(analysis.summary),
        published_at=feeds.plausible(item.published_at)
        or feeds.plausible(extracted.published_at if extracted else None),
        author=feeds.safe_text(author) if author else None,
        image=feeds.safe_text(image) if image else None,
        category=categorise(
            categories, feed.source_category, analysis.title, analysis.text, analysis.language
        ),
        language=analysis.language,
        content_hash=content_hash,
        mentions=analysis.mentions,
        feed_url=feed.url,
        item_url=item_url,
        extraction=analysis.extraction,
    )
    return article, url, fp


def write_item(
    store: Store,
    rules: StoryRules,
    dedup_window: timedelta,
    feed: FeedRecord,
    item: FeedItem,
    item_url: str,
    analysis: Analysis,
) -> tuple[Outcome, int | None]:
    """Write one analysed item in its own transaction: NEW, DUPLICATE (folded) or KNOWN (its
    URL is stored already, so a second run of the same item changes nothing), with the new
    article's id (None when KNOWN)."""
    article, url, fp = article_of(feed, item, item_url, analysis)
    seen_at = now_utc()
    at = article.published_at or seen_at
    meaning = headline_meaning(article.title)  # before the write lock: it loads a model once
    with writing(store) as w:
        known = w.article_for_urls([url, item_url])
        if known is not None:
            w.add_url(item_url, known)
            return Outcome.KNOWN, None
        verdict = decide(
            StoreCopies(w, dedup_window),
            fp,
            article.content_hash,
            feed.source_id,
            dedup.title_key(article.title),
            at,
            len(article.text.split()),
        )
        survivor, replaces = verdict.survivor, verdict.replaces
        ids = w.entity_ids((m.kind.value, m.name) for m in article.mentions)
        mention_ids = [ids[(m.kind.value, m.name)] for m in article.mentions]
        scores = entity_scores(article.mentions, ids, w.blocked(ids.values()))
        vector = terms(article.title, article.text[:LEAD_CHARS])
        step = story_step(
            StoreStories(w, rules),
            verdict,
            survivor.story_id if survivor is not None else None,
            term_keys(vector),
            vector,
            scores,
            at,
            meaning,
            broad_place_ids(ids.items()) if survivor is None else frozenset(),
        )
        article_id = w.insert_article(
            article,
            source_id=feed.source_id,
            feed_id=feed.id,
            seen_at=seen_at,
            duplicate_of=None if survivor is None or replaces else survivor.id,
            entity_scores=scores,
            mention_entities=mention_ids,
            terms=vector,
            decision=step.decision,
            fingerprint=fp,
            meaning=meaning,
        )
        if survivor is not None and replaces:
            w.fold(survivor.id, into=article_id)
        if step.candidates:
            merge_if_converged(StoreStories(w, rules), w, article_id, step.candidates)
    return (Outcome.DUPLICATE if survivor is not None else Outcome.NEW), article_id


def merge_if_converged(
    stories: StoreStories, w: ArticleWriter, article_id: int, candidates: list[StoryCandidate]
) -> None:
    """Merge the story the article joined (or started) with the recent story it has now
    grown close to, if any: the other stories the article was scored against."""
    story_id = w.story_of(article_id)
    if story_id is not None:
        merge = stories.converged(story_id, candidates)
        if merge is not None:
            w.merge_stories(merge)


class StoreStories:
    """``decide.StoryLookups`` answered by the store's story index and rows, inside the
    article's write transaction."""

    def __init__(self, w: ArticleWriter, rules: StoryRules) -> None:
        self.w = w
        self.rules = rules

    def candidates(self, keys: list[str], at: datetime) -> list[StoryCandidate]:
        return self.w.story_candidates(keys, at, self.rules.window)

    def choose(
        self,
        vector: dict[str, float],
        scores: dict[int, float],
        at: datetime,
        candidates: list[StoryCandidate],
        meaning: Vector | None,
        broad: frozenset[int],
    ) -> Decision:
        return choose_story(vector, scores, at, candidates, self.rules, meaning, broad)

    def final(self, story_id: int) -> int:
        return story_id  # a merge moves the gone story's articles: a stored id is final

    def converged(self, story_id: int, candidates: list[StoryCandidate]) -> Merge | None:
        return choose_merge(self.w.story(story_id), candidates, self.rules)


class StoreCopies:
    """``decide.CopyLookups`` answered by the store's key tables, inside the article's
    write transaction (so that concurrent writers see each other's articles)."""

    def __init__(self, w: ArticleWriter, dedup_window: timedelta) -> None:
        self.w = w
        self.dedup_window = dedup_window

    def by_text(self, content_hash: str) -> Survivor | None:
        return self.w.survivor_for_hash(content_hash)

    def near_same(self, fingerprint: Fingerprint, at: datetime) -> Survivor | None:
        candidates = self.w.near_duplicate_candidates(band_keys(fingerprint), at, self.dedup_window)
        match = best_match(fingerprint, candidates)
        return None if match is None else self.w.survivor(match.survivor_id)

    def same_title(self, source_id: int, title_key: str, at: datetime) -> Survivor | None:
        return self.w.same_title(source_id, title_key, at, dedup.TITLE_WINDOW)

    def words(self, copy: Survivor) -> int:
        return copy.words

    def sort_at(self, copy: Survivor) -> datetime:
        return copy.sort_at
