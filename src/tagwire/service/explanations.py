"""Why an article is where it is, in data and in words: the decision that put it in its
story (or made it a copy), and each mention behind one of its tags with the rule that
resolved it."""

from __future__ import annotations

from tagwire.entities import identity
from tagwire.entities.names import explain, name_key
from tagwire.errors import NotFound
from tagwire.service import tag_queries
from tagwire.service.shapes import JSON, entity_json
from tagwire.store import Store
from tagwire.store.records import EntityRecord, StoryChoice


def story_choice_json(store: Store, article_id: int) -> JSON:
    """Why an article is in its story (the similarity and shared tags that decided it). An
    article that replaced an earlier copy of itself (fuller, or earlier) took that copy's
    place: ``replaced`` is the copy's decision, the one that put the story together, and
    ``explanation`` says so in words."""
    choice = store.story_choice(article_id)
    body = _choice_json(choice)
    copy_id = store.replaced_copy(article_id) if choice.duplicate_of is None else None
    replaced = None
    if copy_id is not None:  # the copy's decision as it was taken (it has been a copy since)
        replaced = _choice_json(store.story_choice(copy_id), as_taken=True)
        del replaced["duplicate_of"]
    body["replaced"] = replaced
    body["explanation"] = _explain(body, replaced)
    return body


def _choice_json(choice: StoryChoice, as_taken: bool = False) -> JSON:
    if choice.duplicate_of is not None and not as_taken:
        how = "duplicate"
    elif choice.started:
        how = "started"
    else:
        how = "joined"
    return {
        "article_id": choice.article_id,
        "story_id": choice.story_id,
        "decision": how,
        "duplicate_of": choice.duplicate_of,
        "score": _rounded(choice.score),
        "meaning_similarity": _rounded(choice.meaning_similarity),
        "text_similarity": _rounded(choice.text_similarity),
        "shared_tags": [e.slug for e in choice.shared],
        "merges": [
            {"story_id": m.story_id, "into": m.into, "similarity": _rounded(m.similarity)}
            for m in choice.merges
        ],
    }


def _explain(body: JSON, replaced: JSON | None) -> str:
    """The decision in words, as a reader of the API would say it."""
    if body["decision"] == "duplicate":
        return f"a copy of article {body['duplicate_of']}, shown in its place"
    decided = replaced if replaced is not None else body
    if decided["decision"] == "started":
        words = "started the story"
    else:
        shared = ", ".join(f"#{slug}" for slug in decided["shared_tags"]) or "none"
        words = (
            f"joined the story: score {decided['score']}, headline meaning "
            f"{decided['meaning_similarity']}, words {decided['text_similarity']}, "
            f"shared tags {shared}"
        )
    if replaced is not None:
        words = (
            f"took the place of its earlier copy, article {replaced['article_id']}, which {words}"
        )
    merges = body["merges"] or decided["merges"]
    if merges:
        words += "; then " + ", ".join(
            f"story {m['story_id']} became part of story {m['into']}" for m in merges
        )
    return words


def _rounded(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


def _alias_evidence(store: Store, entity: EntityRecord, surface: str, name: str) -> int | None:
    """For a mention that only a learned alias resolves ("NFL" alone), the article that
    taught the alias; None for every other mention."""
    if name_key(name) == name_key(entity.name) or not identity.is_abbreviation(surface.strip()):
        return None
    return store.alias_evidence(entity.id, surface)


def why_tag_json(store: Store, article_id: int, tag: str) -> JSON:
    """Why an article carries a tag: each mention as written and the rule that resolved it."""
    entity = tag_queries.find_tag(store, tag)
    record = store.article(article_id)
    rank = next((i for i, t in enumerate(record.card.tags) if t.id == entity.id), None)
    mentions = store.mentions(article_id, entity.id)
    if not mentions and rank is None:
        raise NotFound("tag on this article", entity.slug)
    body = f"{record.card.title}\n\n{record.text}"
    return {
        "article_id": article_id,
        "tag": entity_json(entity),
        "rank": rank,
        "mentions": [
            {
                "surface": m.surface,
                "in_title": m.in_title,
                "start": m.start,
                "end": m.end,
                "context": body[max(0, m.start - 60) : m.end + 60].replace("\n", " "),
                "resolved_to": m.name,
                "rule": explain(m.surface, m.name, entity.kind, entity.name),
                "learned_from": _alias_evidence(store, entity, m.surface, m.name),
            }
            for m in mentions
        ],
    }
