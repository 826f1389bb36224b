"""One article's transaction as ingest writes it (``storing.write_item``, for
``Pipeline.store_article``): the story stage's start, growth and merges, the entities'
identities and the rows of ``ingest.rows``, written through the store's row ``Writer``.

``writing(store)`` opens one on ``Store.rows()``: the pipeline, and the tests and benches
that write articles by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from tagwire.dedup.exact import title_key
from tagwire.dedup.near import Candidate, Fingerprint, band_keys
from tagwire.embeddings import Vector
from tagwire.ingest import tagging
from tagwire.ingest.rows import RowStore, article_row, story_candidate, story_row, tag_rows
from tagwire.store.write_articles import mention_row
from tagwire.store.writer import Writer
from tagwire.stories.group import grow, index_keys, merged, start
from tagwire.stories.rules import Decision, Merge
from tagwire.types import Article, StoryCandidate


class ArticleWriter(Writer):
    """The store's row writer, with what ingest decides around each write."""

    def entity_ids(self, names: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """Ids of (kind, name) pairs, new entities created (``tagging.entity_ids``)."""
        return tagging.entity_ids(self, names)

    def entity_id(self, name: str, kind: str) -> int:
        """The entity for one resolved name, created (with its slug and aliases) if new."""
        return self.entity_ids([(kind, name)])[(kind, name)]

    def near_duplicate_candidates(
        self, keys: list[int], at: datetime, window: timedelta
    ) -> list[Candidate]:
        """Articles within the window that share an LSH band key with these keys."""
        return [
            Candidate(r.article_id, r.survivor_id, Fingerprint.from_bytes(r.fingerprint), r.at)
            for r in self.near_duplicate_rows(keys, at, window)
        ]

    def story_candidates(
        self, keys: list[str], at: datetime, window: timedelta
    ) -> list[StoryCandidate]:
        """Stories with an article within the window that shares a key with the new one,
        most shared keys first."""
        return [story_candidate(r) for r in self.story_rows(keys, at, window)]

    def story(self, story_id: int) -> StoryCandidate:
        """A story as the story stage sees it, now."""
        return story_candidate(self.story_row(story_id))

    def merge_stories(self, merge: Merge) -> None:
        """``merge.gone`` becomes part of ``merge.keep``: its articles move there and the kept
        story takes both stories' terms, entities, times and mean vector (``merged``)."""
        keep, gone = self.story(merge.keep), self.story(merge.gone)
        self.write_merge(story_row(merged(keep, gone)), gone.id, merge.similarity)

    def _story_for(
        self,
        decision: Decision,
        article: Article,
        source_id: int,
        at: datetime,
        terms: dict[str, float],
        entity_ids: list[int],
        meaning: Vector | None,
    ) -> int:
        if decision.story_id is None:
            return self.insert_story(
                story_row(start(0, article.title, terms, entity_ids, at, meaning))
            )
        row = self.story_row(decision.story_id)
        same_publisher = self.publisher_in_story(row.id, source_id)
        story = grow(story_candidate(row), terms, entity_ids, at, meaning)
        self.update_story(story_row(story), row.publishers + (0 if same_publisher else 1))
        return row.id

    def insert_article(
        self,
        article: Article,
        *,
        source_id: int,
        feed_id: int | None,
        seen_at: datetime,
        duplicate_of: int | None,
        entity_scores: dict[int, float],
        mention_entities: list[int],
        terms: dict[str, float],
        decision: Decision | None,
        fingerprint: Fingerprint | None = None,
        meaning: Vector | None = None,
    ) -> int:
        """Write one article with its story, keys, URLs, mentions, tags and editions; the
        story's start or growth (``decision``) and the entities' updates are decided here."""
        sort_at = article.published_at or seen_at
        listed = duplicate_of is None
        story_id = None
        if listed and decision is not None:
            story_id = self._story_for(
                decision, article, source_id, sort_at, terms, list(entity_scores), meaning
            )
            keys = index_keys(terms, entity_scores)
            # A headline of stopwords alone, without entities, has no keys.
            self.insert_rows(
                "story_keys", [{"key": key, "story_id": story_id, "at": sort_at} for key in keys]
            )
        elif duplicate_of is not None:
            story_id = self.story_of_copy(duplicate_of)
        row = article_row(
            source_id=source_id,
            feed_id=feed_id,
            url=article.url,
            title=article.title,
            summary=article.summary,
            text=article.text,
            author=article.author,
            image=article.image,
            category=article.category,
            language=article.language,
            published_at=article.published_at,
            first_seen_at=seen_at,
            content_hash=article.content_hash,
            extraction=article.extraction,
            words=len(article.text.split()),
            title_key=title_key(article.title),
            fingerprint=fingerprint.to_bytes() if fingerprint else None,
            story_id=story_id,
            decision=decision,
            duplicate_of=duplicate_of,
        )
        article_id = self.insert_article_row(row)
        if fingerprint is not None:
            self.insert_rows(
                "near_dup_keys",
                [
                    {"key": key, "article_id": article_id, "sort_at": sort_at}
                    for key in set(band_keys(fingerprint))
                ],
            )
        self.add_urls({article.url, article.item_url or article.url}, article_id)
        mentions = [
            mention_row(article_id, entity_id, mention)
            for mention, entity_id in zip(article.mentions, mention_entities, strict=True)
        ]
        self.insert_rows("mentions", mentions)
        merged = tagging.after_mentions(self, mentions, {article_id} if listed else set())
        if merged:  # an alias this article taught made two of its entities one
            entity_scores = _scores_after(merged, entity_scores)
        if listed:
            self.insert_rows("article_tags", tag_rows(article_id, sort_at, entity_scores))
            self.count_tags(list(entity_scores))
            tagging.write_regions(self, article_id)
            self.index_for_search(article_id)
            self.queue_webhooks(article_id, list(entity_scores))
        self.changed(entity_scores)
        return article_id

    def write_regions(self, article_id: int) -> list[str]:
        """(Re)write the editions of a listed article from its stored tags."""
        return tagging.write_regions(self, article_id)


@contextmanager
def writing(store: RowStore) -> Iterator[ArticleWriter]:
    """One write transaction on ``store`` through an ``ArticleWriter``."""
    with store.rows() as w:
        yield ArticleWriter(w.conn)


def _scores_after(merged: dict[int, int], scores: dict[int, float]) -> dict[int, float]:
    kept: dict[int, float] = {}
    for entity_id, score in scores.items():
        into = tagging.kept(merged, entity_id)
        kept[into] = kept.get(into, 0.0) + score
    return kept
