"""Writes of one article with everything that hangs on it, inside one transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain
from typing import Any

from sqlalchemy import Connection, CursorResult, Select, bindparam, func, select, update

from tagwire.dedup import title_key
from tagwire.embeddings import Vector, from_blob, to_blob
from tagwire.entities.hashtags import lookup_key, slugify
from tagwire.entities.identity import (
    identify,
    known_by_abbreviation_only,
    lookup_keys,
    short_forms,
    voted_kind,
)
from tagwire.entities.names import display_name, entity_key, surname
from tagwire.entities.ner import salience
from tagwire.entities.places import country_of, region_of
from tagwire.errors import ConfigError
from tagwire.neardup import Candidate, Fingerprint, band_keys
from tagwire.store import schema as t
from tagwire.store import search_index
from tagwire.store.lookups import EntityLookups
from tagwire.stories import Decision, Merge, grow, index_keys, merged, start
from tagwire.types import Article, EntityKind, Mention, StoryCandidate, now_utc

MAX_CANDIDATES = 500
MAX_STORY_CANDIDATES = 30  # the stories sharing most keys; more never won in the evaluations
MAX_MERGE_CHAIN = 20  # a story merged into one merged into another...: far more than happens


CHANGES_KEPT = timedelta(days=1)  # longer than any cache's time to live
CHANGES_PRUNE_EVERY = 1000  # rows; the prune is one indexed delete


def story_counts_query(story_ids: list[int]) -> Select[Any]:
    """Story id, listed articles and publishers of these stories (read from the story index
    alone: it carries the articles' sources)."""
    a = t.articles.c
    return (
        select(a.story_id, func.count(), func.count(func.distinct(a.source_id)))
        .where(a.story_id.in_(story_ids), a.listed.is_(True))
        .group_by(a.story_id)
    )


def story_counts(conn: Connection, story_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Listed articles and publishers of each of these stories that has listed articles."""
    rows = conn.execute(story_counts_query(story_ids))
    return {int(r[0]): (int(r[1]), int(r[2])) for r in rows}


def record_change(conn: Connection, entity_ids: Iterable[int] | None) -> None:
    """Tell the web processes' response caches what a write changed: the pages of these tags
    (and every page not about a tag), or with None everything. In the writer's transaction,
    so a cache learns of a change exactly when its rows become visible."""
    ids = None if entity_ids is None else sorted(set(entity_ids))
    change_id = conn.execute(
        t.changes.insert().values(entity_ids=ids, at=now_utc())
    ).inserted_primary_key
    if change_id and int(change_id[0]) % CHANGES_PRUNE_EVERY == 0:
        conn.execute(t.changes.delete().where(t.changes.c.at < now_utc() - CHANGES_KEPT))


@dataclass(frozen=True, slots=True)
class Survivor:
    id: int
    sort_at: datetime
    story_id: int | None
    words: int


class Writer:
    """Bound to a connection inside a write transaction (see ``Store.writer``)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.lookups = EntityLookups(conn)

    def article_for_urls(self, urls: Iterable[str]) -> int | None:
        keys = list(dict.fromkeys(urls))
        row = self.conn.execute(
            select(t.article_urls.c.article_id).where(t.article_urls.c.url.in_(keys)).limit(1)
        ).first()
        return int(row[0]) if row else None

    def survivor_for_hash(self, content_hash: str) -> Survivor | None:
        """The listed article with this normalised text, if any."""
        row = self.conn.execute(
            select(t.articles.c.id, t.articles.c.duplicate_of)
            .where(t.articles.c.content_hash == content_hash)
            .order_by(t.articles.c.id)
            .limit(1)
        ).first()
        if row is None:
            return None
        return self.survivor(int(row.duplicate_of or row.id))

    def survivor(self, article_id: int) -> Survivor:
        row = self.conn.execute(
            select(
                t.articles.c.id,
                t.articles.c.sort_at,
                t.articles.c.story_id,
                t.articles.c.words,
                t.articles.c.duplicate_of,
            ).where(t.articles.c.id == article_id)
        ).one()
        if row.duplicate_of is not None:
            return self.survivor(int(row.duplicate_of))
        return Survivor(int(row.id), row.sort_at, row.story_id, int(row.words or 0))

    def near_duplicate_candidates(
        self, keys: list[int], at: datetime, window: timedelta
    ) -> list[Candidate]:
        """Articles within the window that share an LSH band key with these keys."""
        k = t.near_dup_keys
        ids = (
            select(k.c.article_id)
            .where(k.c.key.in_(keys), k.c.sort_at >= at - window, k.c.sort_at <= at + window)
            .distinct()
            .limit(MAX_CANDIDATES)
        )
        rows = self.conn.execute(
            select(
                t.articles.c.id,
                t.articles.c.duplicate_of,
                t.articles.c.fingerprint,
                t.articles.c.sort_at,
            ).where(t.articles.c.id.in_(ids.scalar_subquery()))
        )
        return [
            Candidate(
                int(r.id),
                int(r.duplicate_of or r.id),
                Fingerprint.from_bytes(r.fingerprint),
                r.sort_at,
            )
            for r in rows
            if r.fingerprint
        ]

    def same_title(
        self, source_id: int, title_key: str, at: datetime, window: timedelta
    ) -> Survivor | None:
        """A listed article of this publisher with the same title key within the window."""
        row = self.conn.execute(
            select(t.articles.c.id)
            .where(
                t.articles.c.source_id == source_id,
                t.articles.c.title_key == title_key,
                t.articles.c.sort_at >= at - window,
                t.articles.c.sort_at <= at + window,
            )
            .order_by(t.articles.c.id)
            .limit(1)
        ).first()
        return self.survivor(int(row.id)) if row else None

    def fold(self, old_id: int, into: int) -> None:
        """Make ``old_id`` (and its copies) copies of the newly written survivor ``into``."""
        articles = t.articles
        self.conn.execute(
            update(articles).where(articles.c.duplicate_of == old_id).values(duplicate_of=into)
        )
        search_index.remove(self.conn, old_id)  # while its row still says what was indexed
        self.conn.execute(
            update(articles).where(articles.c.id == old_id).values(duplicate_of=into, listed=False)
        )
        self.conn.execute(
            t.article_regions.delete().where(t.article_regions.c.article_id == old_id)
        )
        old_tags = select(t.article_tags.c.entity_id).where(t.article_tags.c.article_id == old_id)
        self.conn.execute(
            update(t.entities)
            .where(t.entities.c.id.in_(old_tags.scalar_subquery()))
            .values(article_count=t.entities.c.article_count - 1)
        )
        self.conn.execute(t.article_tags.delete().where(t.article_tags.c.article_id == old_id))
        story_id = self.conn.execute(
            select(articles.c.story_id).where(articles.c.id == into)
        ).scalar_one()
        count, publishers = story_counts(self.conn, [story_id]).get(story_id, (0, 0))
        self.conn.execute(
            update(t.stories)
            .where(t.stories.c.id == story_id)
            .values(article_count=count, publishers=publishers)
        )
        record_change(self.conn, None)  # the old copy leaves lists that are not all known here

    def entity_ids(self, names: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """Ids of (kind, name) pairs: ``entities.identity.identify`` decides from what the
        store knows (``lookups.EntityLookups``); the writer writes the plan: new keys,
        changed kinds, and new entities with their slugs and aliases in a few statements."""
        wanted = {(kind, name): entity_key(name, kind) for kind, name in dict.fromkeys(names)}
        if not wanted:
            return {}
        plan = identify(wanted, self.lookups)
        for kind, key, entity_id, form in plan.new_keys:
            self.conn.execute(
                t.entity_keys.insert().values(kind=kind, key=key, entity_id=entity_id)
            )
            if form is not None:
                self._add_alias(lookup_key(form), entity_id)  # /tags/BillClinton answers too
        for entity_id, kind, name in plan.new_kinds:
            self._set_kind(entity_id, kind, name)
        found = dict(plan.found)
        if plan.create:
            self._create_entities(plan.create, found)
        return {(kind, name): found[(kind, key)] for (kind, name), key in wanted.items()}

    def _set_kind(self, entity_id: int, kind: str, name: str) -> None:
        """The entity takes ``kind``, unless another entity holds that kind with its key."""
        e = t.entities.c
        key = select(e.key).where(e.id == entity_id).scalar_subquery()
        if self.conn.execute(select(e.id).where(e.kind == kind, e.key == key)).first():
            return  # the row's (kind, key) is unique
        family = surname(name) if kind == "person" else None
        self.conn.execute(
            update(t.entities).where(e.id == entity_id).values(kind=kind, surname=family)
        )

    def learn_aliases(self, mention_rows: Iterable[Mapping[str, Any]], merge: bool = True) -> None:
        """Keep the abbreviations an article resolved (``identity.short_forms``) as keys of
        their entities, where no other entity has the key: "NFL" alone is then the league.
        ``merge``: an entity known only by the abbreviation becomes the introduced one (an
        import, which keeps entity ids in memory across batches, passes False)."""
        taught = short_forms((r["surface"], r["name"], int(r["entity_id"])) for r in mention_rows)
        if not taught:
            return
        e = t.entities.c
        ids = {entity for _, entity in taught}
        kinds = {
            int(r.id): str(r.kind)
            for r in self.conn.execute(select(e.id, e.kind).where(e.id.in_(ids)))
        }
        wanted = {
            (kinds[entity], entity_key(form, kinds[entity])): (form, entity)
            for form, entity in taught
            if entity in kinds
        }
        every = {pair: lookup_keys(form, pair[0]) for pair, (form, _) in wanted.items()}
        stored = self.lookups.stored_keys({k for keys in every.values() for k in keys})
        merged = False
        for (kind, key), (form, entity) in wanted.items():
            if (kind, key) not in stored:
                self._add_key(kind, key, entity, form)
            holders = {stored[k] for k in every[(kind, key)] if k in stored} - {entity}
            for other in holders:
                if merge and known_by_abbreviation_only(self.lookups.entity_name(other), form):
                    # "UNICEF" seen alone before an article introduced it: one entity, so
                    # that what the store ends with does not depend on which came first.
                    Curator(self.conn).merge(keep=entity, gone=other)
                    merged = True
        if merged:
            record_change(self.conn, None)

    def vote_kinds(self, mentions: Iterable[tuple[Mention, int]]) -> None:
        """Entities this article names under another kind than their stored one take the
        kind their mentions vote for (``identity.voted_kind``), whichever article came
        first; curation's renamed entities keep theirs."""
        seen: dict[int, set[str]] = {}
        for m, entity_id in mentions:
            seen.setdefault(entity_id, set()).add(m.kind.value)
        if not seen:
            return
        e, mn = t.entities.c, t.mentions.c
        stored = {
            int(r.id): (str(r.kind), str(r.name))
            for r in self.conn.execute(
                select(e.id, e.kind, e.name).where(e.id.in_(seen), e.name_fixed.is_(False))
            )
        }
        differ = [i for i, (kind, _) in stored.items() if seen[i] - {kind}]
        if not differ:
            return
        votes: dict[int, dict[str, int]] = {}
        rows = self.conn.execute(
            select(mn.entity_id, mn.kind, func.count())
            .where(mn.entity_id.in_(differ), mn.kind.is_not(None))
            .group_by(mn.entity_id, mn.kind)
        )
        for entity_id, kind, count in rows:
            votes.setdefault(int(entity_id), {})[str(kind)] = int(count)
        changed = []
        for entity_id in differ:
            kind, name = stored[entity_id]
            new = voted_kind(name, kind, votes.get(entity_id, {}))
            if new is not None:
                self._set_kind(entity_id, new, name)
                changed.append(entity_id)
        if changed:
            record_change(self.conn, changed)

    def _add_key(self, kind: str, key: str, entity_id: int, name: str) -> None:
        self.conn.execute(t.entity_keys.insert().values(kind=kind, key=key, entity_id=entity_id))
        self._add_alias(lookup_key(name), entity_id)  # /tags/BillClinton answers too

    def _create_entities(
        self, missing: list[tuple[str, str, str]], found: dict[tuple[str, str], int]
    ) -> None:
        forms = {lookup_key(f) for _, name, _ in missing for f in (slugify(name), name)}
        aliases = t.entity_aliases.c
        taken = set(self.conn.execute(select(aliases.key).where(aliases.key.in_(forms))).scalars())
        rows: list[dict[str, object]] = []
        alias_keys: list[list[str]] = []
        # One new entity per (kind, key): "U.S." and "US" in one article are one entity.
        first = {(kind, key): name for kind, name, key in reversed(missing)}
        for (kind, key), name in reversed(first.items()):
            slug = self._free_slug(slugify(name), kind, taken)
            keys = [
                a
                for a in dict.fromkeys((lookup_key(slug), lookup_key(name)))
                if a and a not in taken
            ]
            taken.update(keys)
            alias_keys.append(keys)
            rows.append(
                {
                    "slug": slug,
                    "name": name,
                    "kind": kind,
                    "key": key,
                    "created_at": now_utc(),
                    "article_count": 0,
                    "surname": surname(name) if kind == "person" else None,
                    "blocked": False,
                    "name_fixed": False,
                    "country": country_of(name) if kind == "place" else None,
                }
            )
        created = (
            self.conn.execute(
                t.entities.insert().returning(t.entities.c.id, sort_by_parameter_order=True), rows
            )
            .scalars()
            .all()
        )
        for row, entity_id in zip(rows, created, strict=True):
            found[(str(row["kind"]), str(row["key"]))] = int(entity_id)
        links = [
            {"key": a, "entity_id": int(entity_id)}
            for keys, entity_id in zip(alias_keys, created, strict=True)
            for a in keys
        ]
        if links:
            self.conn.execute(t.entity_aliases.insert(), links)
        self.conn.execute(
            t.entity_keys.insert(),
            [
                {"kind": row["kind"], "key": row["key"], "entity_id": int(entity_id)}
                for row, entity_id in zip(rows, created, strict=True)
            ],
        )

    def blocked(self, ids: Iterable[int]) -> set[int]:
        """Which of these entities curation has blocked."""
        e = t.entities.c
        rows = self.conn.execute(select(e.id).where(e.id.in_(list(ids)), e.blocked.is_(True)))
        return {int(r.id) for r in rows}

    def entity_id(self, name: str, kind: str) -> int:
        """The entity for one resolved name, created (with its slug and aliases) if new."""
        return self.entity_ids([(kind, name)])[(kind, name)]

    def _free_slug(self, slug: str, kind: str, taken: set[str] | None = None) -> str:
        # A different entity already answers to this slug: qualify the new one by its kind
        # ("GeorgiaPerson" next to the place "Georgia"), then by a number.
        candidates = chain(
            (slug, slug + kind.title()), (f"{slug}{kind.title()}{n}" for n in range(2, 100))
        )
        for candidate in candidates:
            key = lookup_key(candidate)
            if taken is not None and key in taken:
                continue
            if candidate == slug and taken is not None:
                return candidate  # `taken` already holds what the store has for this form
            if not self._alias_taken(key):
                return candidate
        raise RuntimeError(f"no free slug for {slug!r}")

    def _alias_taken(self, key: str) -> bool:
        return (
            self.conn.execute(
                select(t.entity_aliases.c.entity_id).where(t.entity_aliases.c.key == key)
            ).first()
            is not None
        )

    def _add_alias(self, key: str, entity_id: int) -> None:
        if key and not self._alias_taken(key):
            self.conn.execute(t.entity_aliases.insert().values(key=key, entity_id=entity_id))

    def story_candidates(
        self, keys: list[str], at: datetime, window: timedelta
    ) -> list[StoryCandidate]:
        """Stories with an article within the window that shares a key with the new one,
        most shared keys first: found through the index, not by reading every story."""
        k = t.story_keys
        shared = func.count(func.distinct(k.c.key))
        hits = (
            select(k.c.story_id, shared.label("shared"))
            .where(k.c.key.in_(keys), k.c.at >= at - window, k.c.at <= at + window)
            .group_by(k.c.story_id)
            .order_by(shared.desc(), k.c.story_id.desc())
            .limit(MAX_STORY_CANDIDATES)
            .subquery()
        )
        found = self.conn.execute(
            select(t.stories)
            .join(hits, hits.c.story_id == t.stories.c.id)
            .order_by(hits.c.shared.desc(), t.stories.c.id.desc())
        ).all()
        # A story merged into another still has its index keys (moving them would need an
        # index on story_keys.story_id, paid by every article): it stands for the story it
        # became part of.
        candidates: dict[int, StoryCandidate] = {}
        for row in found:
            story = _candidate(row) if row.merged_into is None else self._merged_story(row)
            if story is not None:
                candidates.setdefault(story.id, story)
        return list(candidates.values())

    def _merged_story(self, row: Any) -> StoryCandidate | None:
        """The story a merged story became part of (merges can chain)."""
        for _ in range(MAX_MERGE_CHAIN):
            row = self.conn.execute(
                select(t.stories).where(t.stories.c.id == row.merged_into)
            ).first()
            if row is None or row.merged_into is None:
                return None if row is None else _candidate(row)
        return None

    def story(self, story_id: int) -> StoryCandidate:
        """A story as the story stage sees it, now."""
        return _candidate(
            self.conn.execute(select(t.stories).where(t.stories.c.id == story_id)).one()
        )

    def story_of(self, article_id: int) -> int | None:
        story_id = self.conn.execute(
            select(t.articles.c.story_id).where(t.articles.c.id == article_id)
        ).scalar_one()
        return None if story_id is None else int(story_id)

    def merge_stories(self, merge: Merge) -> None:
        """``merge.gone`` becomes part of ``merge.keep``: its articles move there and the kept
        story takes both stories' terms, entities, times and mean vector. The gone story's row
        stays, pointing at the kept one, so that its id, its index keys and the explanations
        of its articles' decisions still lead somewhere."""
        keep, gone = self.story(merge.keep), self.story(merge.gone)
        a = t.articles.c
        moved_tags = self.conn.execute(
            select(t.article_tags.c.entity_id)
            .distinct()
            .join(t.articles, a.id == t.article_tags.c.article_id)
            .where(a.story_id == gone.id)
        ).scalars()
        record_change(self.conn, list(moved_tags))  # their cards show another story now
        self.conn.execute(update(t.articles).where(a.story_id == gone.id).values(story_id=keep.id))
        count, publishers = story_counts(self.conn, [keep.id]).get(keep.id, (0, 0))
        story = merged(keep, gone)
        self.conn.execute(
            update(t.stories)
            .where(t.stories.c.id == keep.id)
            .values(
                first_seen=story.first_seen,
                last_seen=story.last_seen,
                article_count=count,
                publishers=publishers,
                terms=story.terms,
                entity_ids=sorted(story.entity_ids),
                meaning=_blob(story.meaning),
            )
        )
        self.conn.execute(
            update(t.stories)
            .where(t.stories.c.id == gone.id)
            .values(merged_into=keep.id, merge_similarity=merge.similarity, article_count=0)
        )

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
        sort_at = article.published_at or seen_at
        listed = duplicate_of is None
        story_id = None
        if listed and decision is not None:
            story_id = self._story_for(
                decision, article, source_id, sort_at, terms, list(entity_scores), meaning
            )
            keys = index_keys(terms, entity_scores)
            if keys:  # a headline of stopwords alone, without entities, has none
                self.conn.execute(
                    t.story_keys.insert(),
                    [{"key": key, "story_id": story_id, "at": sort_at} for key in keys],
                )
        elif duplicate_of is not None:
            story_id = self.conn.execute(
                select(t.articles.c.story_id).where(t.articles.c.id == duplicate_of)
            ).scalar_one()
        article_id = _new_id(
            self.conn.execute(
                t.articles.insert().values(
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
                    sort_at=sort_at,
                    content_hash=article.content_hash,
                    extraction=article.extraction,
                    story_id=story_id,
                    story_score=decision.score if decision else None,
                    story_shared=list(decision.shared_entities) if decision else None,
                    duplicate_of=duplicate_of,
                    listed=listed,
                    words=len(article.text.split()),
                    story_text=decision.text_similarity if decision else None,
                    story_meaning=decision.meaning_similarity if decision else None,
                    story_origin=story_id,
                    story_started=decision.story_id is None if decision else None,
                    title_key=title_key(article.title),
                    fingerprint=fingerprint.to_bytes() if fingerprint else None,
                )
            )
        )
        if fingerprint is not None:
            self.conn.execute(
                t.near_dup_keys.insert(),
                [
                    {"key": key, "article_id": article_id, "sort_at": sort_at}
                    for key in set(band_keys(fingerprint))
                ],
            )
        urls = {article.url, article.item_url or article.url}
        taken = set(
            self.conn.execute(select(t.article_urls.c.url).where(t.article_urls.c.url.in_(urls)))
            .scalars()
            .all()
        )
        if urls - taken:
            self.conn.execute(
                t.article_urls.insert(),
                [{"url": url, "article_id": article_id} for url in sorted(urls - taken)],
            )
        if article.mentions:
            rows = [
                mention_row(article_id, entity_id, mention)
                for mention, entity_id in zip(article.mentions, mention_entities, strict=True)
            ]
            self.conn.execute(t.mentions.insert(), rows)
            self.learn_aliases(rows)
            self.vote_kinds(zip(article.mentions, mention_entities, strict=True))
            if listed:
                forms: dict[int, set[str]] = {}
                for mention, entity_id in zip(article.mentions, mention_entities, strict=True):
                    forms.setdefault(entity_id, set()).add(mention.name[:300])
                self.count_name_forms({e: Counter(names) for e, names in forms.items()})
        if listed:
            # Most salient first; equal scores keep the order of first mention (the order
            # of entity_scores), so a card's tags do not depend on entity ids.
            ranked = sorted(entity_scores.items(), key=lambda kv: -kv[1])
            if ranked:
                self.conn.execute(
                    t.article_tags.insert(),
                    [
                        {
                            "entity_id": entity_id,
                            "article_id": article_id,
                            "sort_at": sort_at,
                            "salience": score,
                            "rank": rank,
                        }
                        for rank, (entity_id, score) in enumerate(ranked)
                    ],
                )
            if entity_scores:
                self.conn.execute(
                    update(t.entities)
                    .where(t.entities.c.id.in_(list(entity_scores)))
                    .values(article_count=t.entities.c.article_count + 1)
                )
            self.write_regions(article_id)
            search_index.add(self.conn, article_id)
            self._queue_webhooks(article_id, list(entity_scores))
        record_change(self.conn, entity_scores)
        return article_id

    def _queue_webhooks(self, article_id: int, entity_ids: list[int]) -> None:
        if not entity_ids:
            return
        hooks = self.conn.execute(
            select(t.webhooks.c.id).where(t.webhooks.c.entity_id.in_(entity_ids))
        ).scalars()
        rows = [
            {
                "webhook_id": hook,
                "article_id": article_id,
                "attempts": 0,
                "next_attempt_at": now_utc(),
            }
            for hook in dict.fromkeys(hooks)
        ]
        if rows:
            self.conn.execute(t.webhook_deliveries.insert(), rows)

    def write_regions(self, article_id: int) -> set[str]:
        """(Re)write the editions of a listed article: its publisher's region and the
        regions of the places among its tags."""
        a, s, e = t.articles.c, t.sources.c, t.entities.c
        tags = t.article_tags.c
        row = self.conn.execute(
            select(a.sort_at, s.region)
            .join(t.sources, s.id == a.source_id)
            .where(a.id == article_id)
        ).one()
        countries = self.conn.execute(
            select(e.country)
            .join(t.article_tags, tags.entity_id == e.id)
            .where(tags.article_id == article_id, e.country.is_not(None))
        ).scalars()
        regions = {r for r in (row.region, *(region_of(c) for c in countries)) if r}
        self.conn.execute(
            t.article_regions.delete().where(t.article_regions.c.article_id == article_id)
        )
        if regions:
            self.conn.execute(
                t.article_regions.insert(),
                [{"region": r, "article_id": article_id, "sort_at": row.sort_at} for r in regions],
            )
        return regions

    def count_name_forms(self, forms: Mapping[int, Counter[str]]) -> None:
        """More uses of each form per entity (an article counts one use of each form it
        has); a display name that is no longer the most common full form is replaced (slugs
        stay: PRODUCT.md)."""
        n = t.entity_names.c
        rows = self.conn.execute(
            select(n.entity_id, n.name, n.uses).where(n.entity_id.in_(list(forms)))
        ).all()
        uses: dict[int, dict[str, int]] = {}
        for row in rows:
            uses.setdefault(int(row.entity_id), {})[row.name] = int(row.uses)
        seen = [
            (e, name, k)
            for e, names in forms.items()
            for name, k in names.items()
            if name in uses.get(e, {})
        ]
        new = [
            (e, name, k)
            for e, names in forms.items()
            for name, k in names.items()
            if name not in uses.get(e, {})
        ]
        if seen:
            self.conn.execute(
                update(t.entity_names)
                .where(n.entity_id == bindparam("e"), n.name == bindparam("n"))
                .values(uses=n.uses + bindparam("k")),
                [{"e": e, "n": name, "k": k} for e, name, k in seen],
            )
        if new:
            self.conn.execute(
                t.entity_names.insert(),
                [{"entity_id": e, "name": name, "uses": k} for e, name, k in new],
            )
        for e, name, k in chain(seen, new):
            uses.setdefault(e, {})[name] = uses.get(e, {}).get(name, 0) + k
        self._follow_common_names(uses)

    def _follow_common_names(self, uses: dict[int, dict[str, int]]) -> None:
        e = t.entities.c
        rows = self.conn.execute(
            select(e.id, e.name, e.kind).where(e.id.in_(list(uses)), e.name_fixed.is_(False))
        )
        for row in rows:
            name = display_name(uses[int(row.id)], row.kind, row.name)
            if name != row.name:
                self.conn.execute(update(t.entities).where(e.id == row.id).values(name=name))
                self._add_alias(lookup_key(name), int(row.id))

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
            new = start(0, article.title, terms, entity_ids, at, meaning)
            return _new_id(
                self.conn.execute(
                    t.stories.insert().values(
                        title=new.title,
                        first_seen=at,
                        last_seen=at,
                        article_count=1,
                        publishers=1,
                        terms=new.terms,
                        entity_ids=sorted(new.entity_ids),
                        meaning=_blob(new.meaning),
                    )
                )
            )
        row = self.conn.execute(select(t.stories).where(t.stories.c.id == decision.story_id)).one()
        same_publisher = self.conn.execute(
            select(func.count())
            .select_from(t.articles)
            .where(
                t.articles.c.story_id == row.id,
                t.articles.c.source_id == source_id,
                t.articles.c.listed.is_(True),
            )
        ).scalar_one()
        story = grow(_candidate(row), terms, entity_ids, at, meaning)
        self.conn.execute(
            update(t.stories)
            .where(t.stories.c.id == row.id)
            .values(
                first_seen=story.first_seen,
                last_seen=story.last_seen,
                article_count=story.size,
                publishers=row.publishers + (0 if same_publisher else 1),
                terms=story.terms,
                entity_ids=sorted(story.entity_ids),
                meaning=_blob(story.meaning),
            )
        )
        return int(row.id)

    def add_url(self, url: str, article_id: int) -> None:
        """Remember another URL under which an article was seen."""
        if self.article_for_urls([url]) is None:
            self.conn.execute(t.article_urls.insert().values(url=url, article_id=article_id))


def mention_row(article_id: int, entity_id: int, mention: Mention) -> dict[str, Any]:
    """A ``mentions`` row (texts cut to the column's 300 characters)."""
    return {
        "article_id": article_id,
        "entity_id": entity_id,
        "surface": mention.surface[:300],
        "name": mention.name[:300],
        "start": mention.start,
        "end": mention.end,
        "in_title": mention.in_title,
        "kind": mention.kind.value,
    }


def _new_id(result: CursorResult[object]) -> int:
    """The primary key of the row an INSERT just wrote."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _candidate(row: Any) -> StoryCandidate:
    return StoryCandidate(
        id=row.id,
        title=row.title,
        terms=dict(row.terms),
        entity_ids=frozenset(row.entity_ids),
        last_seen=row.last_seen,
        first_seen=row.first_seen,
        size=row.article_count,
        meaning=from_blob(row.meaning) if row.meaning is not None else None,
    )


def _blob(meaning: Vector | None) -> bytes | None:
    return to_blob(meaning) if meaning is not None else None


class Curator:
    """Merges, renames and blocks of entities, applied to every stored article (curation)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def merge(self, keep: int, gone: int) -> None:
        """``gone`` becomes ``keep`` everywhere; its slug and spellings answer for ``keep``."""
        tags = t.article_tags
        both = select(tags.c.article_id).where(tags.c.entity_id == keep)
        self.conn.execute(
            tags.delete().where(tags.c.entity_id == gone, tags.c.article_id.in_(both))
        )
        self.conn.execute(update(tags).where(tags.c.entity_id == gone).values(entity_id=keep))
        for table in (t.mentions, t.entity_keys, t.entity_aliases):
            self.conn.execute(update(table).where(table.c.entity_id == gone).values(entity_id=keep))
        self._move_name_forms(gone, keep, None)
        self.conn.execute(t.entities.delete().where(t.entities.c.id == gone))
        self._recount(keep)

    def split(self, entity_id: int, forms: tuple[str, ...], name: str) -> int | None:
        """The mentions written in one of ``forms`` (or another spelling of them) become a new
        entity called ``name``, with its own slug; new articles follow. Returns its id, or
        None when no key, mention or spelling of the entity matches (already split)."""
        e = t.entities.c
        kind = self.conn.execute(select(e.kind).where(e.id == entity_id)).scalar_one()
        keys = {entity_key(f, kind) for f in (*forms, name)}
        k = t.entity_keys.c
        moved_keys = (
            self.conn.execute(
                select(k.key).where(k.kind == kind, k.key.in_(keys), k.entity_id == entity_id)
            )
            .scalars()
            .all()
        )
        m = t.mentions.c
        mentions = [
            (int(row.id), int(row.article_id))
            for row in self.conn.execute(
                select(m.id, m.article_id, m.name).where(m.entity_id == entity_id)
            )
            if entity_key(row.name, kind) in keys
        ]
        if not moved_keys and not mentions:
            return None
        new_key = entity_key(name, kind)
        own_key = self.conn.execute(select(e.key).where(e.id == entity_id)).scalar_one()
        if new_key == own_key:
            raise ConfigError(f"split: {name!r} is the entity's own name; name the other one")
        owner = self.conn.execute(select(k.entity_id).where(k.kind == kind, k.key == new_key))
        if owner.scalar() not in (None, entity_id):
            raise ConfigError(f"split: {name!r} already names another entity (merge instead?)")
        self.conn.execute(t.entity_keys.delete().where(k.kind == kind, k.key.in_(moved_keys)))
        # The forms' spellings stop answering for the old entity, except its own slug.
        slug = self.conn.execute(select(e.slug).where(e.id == entity_id)).scalar_one()
        spellings = {lookup_key(x) for f in (*forms, name) for x in (f, slugify(f))}
        a = t.entity_aliases.c
        self.conn.execute(
            t.entity_aliases.delete().where(
                a.key.in_(spellings - {lookup_key(slug)}), a.entity_id == entity_id
            )
        )
        writer = Writer(self.conn)
        found: dict[tuple[str, str], int] = {}
        writer._create_entities([(kind, name, new_key)], found)
        new_id = found[(kind, new_key)]
        self.conn.execute(update(t.entities).where(e.id == new_id).values(name_fixed=True))
        owned = set(
            self.conn.execute(select(k.key).where(k.kind == kind, k.key.in_(keys))).scalars()
        )
        if keys - owned:
            self.conn.execute(
                t.entity_keys.insert(),
                [{"kind": kind, "key": key, "entity_id": new_id} for key in keys - owned],
            )
        for spelling in spellings:
            writer._add_alias(spelling, new_id)
        if mentions:
            self.conn.execute(
                update(t.mentions)
                .where(m.id.in_([i for i, _ in mentions]))
                .values(entity_id=new_id)
            )
        self._move_name_forms(entity_id, new_id, lambda form: entity_key(form, kind) in keys)
        self._retag({article for _, article in mentions})
        for entity in (entity_id, new_id):
            self._recount(entity)
        return new_id

    def _move_name_forms(self, old: int, new: int, which: Callable[[str], bool] | None) -> None:
        n = t.entity_names.c
        rows = self.conn.execute(select(n.name, n.uses).where(n.entity_id == old)).all()
        there = dict(self.conn.execute(select(n.name, n.uses).where(n.entity_id == new)).all())
        for form, uses in rows:
            if which is not None and not which(form):
                continue
            self.conn.execute(t.entity_names.delete().where(n.entity_id == old, n.name == form))
            if form in there:
                self.conn.execute(
                    update(t.entity_names)
                    .where(n.entity_id == new, n.name == form)
                    .values(uses=n.uses + uses)
                )
            else:
                self.conn.execute(
                    t.entity_names.insert().values(entity_id=new, name=form, uses=uses)
                )

    def _retag(self, article_ids: set[int]) -> None:
        """Recompute the tags of these listed articles from their stored mentions, by the
        salience ingest uses, after mentions moved between entities."""
        m, tags, ar = t.mentions.c, t.article_tags, t.articles.c
        listed = dict(
            self.conn.execute(
                select(ar.id, ar.sort_at).where(ar.id.in_(list(article_ids)), ar.listed.is_(True))
            ).all()
        )
        if not listed:
            return
        found: dict[int, list[tuple[int, Mention]]] = {a: [] for a in listed}
        rows = self.conn.execute(
            select(m.article_id, m.entity_id, m.surface, m.name, m.start, m.end, m.in_title)
            .add_columns(t.entities.c.kind)
            .join(t.entities, t.entities.c.id == m.entity_id)
            .where(m.article_id.in_(list(listed)), t.entities.c.blocked.is_(False))
            .order_by(m.article_id, m.start)
        )
        for r in rows:
            mention = Mention(
                r.surface, r.name, EntityKind(r.kind), r.start, r.end, bool(r.in_title)
            )
            found[int(r.article_id)].append((int(r.entity_id), mention))
        scores: dict[int, dict[int, float]] = {}
        for article, pairs in found.items():
            entity_of = {(mn.kind.value, mn.name): entity for entity, mn in pairs}
            per = scores.setdefault(article, {})
            for key, score in salience(tuple(mn for _, mn in pairs)).items():
                per[entity_of[key]] = per.get(entity_of[key], 0.0) + score
        self.conn.execute(tags.delete().where(tags.c.article_id.in_(list(listed))))
        new_rows = [
            {
                "entity_id": entity,
                "article_id": article,
                "sort_at": listed[article],
                "salience": score,
                "rank": rank,
            }
            for article, per in scores.items()
            for rank, (entity, score) in enumerate(sorted(per.items(), key=lambda kv: -kv[1]))
        ]
        if new_rows:
            self.conn.execute(tags.insert(), new_rows)
        for article in listed:
            Writer(self.conn).write_regions(article)  # places may have moved with the tags

    def rename(self, entity_id: int, name: str) -> None:
        """A new display name, kept from now on (it no longer follows the most common form);
        the slug stays (slugs never change) and the name is an alias."""
        self.conn.execute(
            update(t.entities)
            .where(t.entities.c.id == entity_id)
            .values(name=name, name_fixed=True)
        )
        key = lookup_key(name)
        taken = self.conn.execute(
            select(t.entity_aliases.c.key).where(t.entity_aliases.c.key == key)
        ).first()
        if key and taken is None:
            self.conn.execute(t.entity_aliases.insert().values(key=key, entity_id=entity_id))

    def block(self, entity_id: int) -> None:
        """Never a tag again, on stored articles or new ones; mentions are kept."""
        self.conn.execute(
            update(t.entities).where(t.entities.c.id == entity_id).values(blocked=True)
        )
        self.conn.execute(t.article_tags.delete().where(t.article_tags.c.entity_id == entity_id))
        self._recount(entity_id)

    def _recount(self, entity_id: int) -> None:
        count = (
            select(func.count())
            .select_from(t.article_tags)
            .where(t.article_tags.c.entity_id == entity_id)
            .scalar_subquery()
        )
        self.conn.execute(
            update(t.entities).where(t.entities.c.id == entity_id).values(article_count=count)
        )
