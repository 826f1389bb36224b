"""What an administrator does through the API or the CLI: the sources with their health, a
site added by discovering its feeds, the sources as OPML, and a curation file applied."""

from __future__ import annotations

from tagwire import curation, sources
from tagwire.config import Config
from tagwire.fetch.client import Fetcher
from tagwire.fetch.discover import Discovery, discover
from tagwire.fetch.robots import RobotsCache
from tagwire.ingest.tagging import curating
from tagwire.service import tag_queries
from tagwire.service.shapes import JSON, source_json
from tagwire.store import Store
from tagwire.store.records import EntityRecord
from tagwire.types import Source


def sources_json(store: Store) -> list[JSON]:
    return [source_json(s) for s in store.sources()]


async def add_source(
    store: Store,
    settings: Config,
    url: str,
    *,
    name: str | None = None,
    country: str | None = None,
    region: str | None = None,
    language: str | None = None,
    category: str | None = None,
    robots: RobotsCache | None = None,
) -> tuple[JSON, Discovery]:
    """Find the feeds of the site at ``url`` and add it (or its new feeds) as a source."""
    check = sources.check_entry(
        {
            "name": name or "x",
            "url": url,
            "country": country,
            "region": region,
            "language": language,
            "category": category,
        }
    )
    async with Fetcher(settings, robots) as fetcher:
        found = await discover(fetcher, check.url)
    source = Source(
        name=name or found.name,
        url=found.site_url,
        feeds=found.feeds,
        country=check.country,
        region=check.region,
        language=check.language or found.language,
        category=check.category,
    )
    (source_id,) = store.upsert_sources([source])
    return source_json(store.source(source_id)), found


def export_sources(store: Store) -> str:
    return sources.to_opml(
        Source(s.name, s.url, s.feeds, s.country, s.region, s.language, s.category)
        for s in store.sources()
        if s.enabled
    )


def apply_curation(store: Store, actions: list[curation.Action]) -> list[str]:
    """Apply a curation file in one transaction; what was done, in words."""
    done: list[str] = []
    resolved: list[tuple[curation.Action, list[EntityRecord]]] = []
    for action in actions:  # every tag is looked up before anything changes
        tags = action.tags if isinstance(action, curation.Merge | curation.Block) else (action.tag,)
        resolved.append((action, [tag_queries.find_tag(store, tag) for tag in tags]))
    with curating(store) as curator:
        for action, entities in resolved:
            if isinstance(action, curation.Merge):
                keep = entities[0]
                for other in entities[1:]:
                    if other.id != keep.id:
                        curator.merge(keep.id, other.id)
                        done.append(f"merged #{other.slug} into #{keep.slug}")
            elif isinstance(action, curation.Rename):
                curator.rename(entities[0].id, action.name)
                done.append(f"renamed #{entities[0].slug} to {action.name!r}")
            elif isinstance(action, curation.Split):
                new_id = curator.split(entities[0].id, action.forms, action.name)
                if new_id is not None:
                    done.append(f"split {action.name!r} off #{entities[0].slug}")
            else:
                for entity in entities:
                    curator.block(entity.id)
                    done.append(f"blocked #{entity.slug}")
    return done
