"""quick_pickle: frozen slots dataclasses sent between processes as tuples."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pytest

from tagwire.types import EntityKind, Mention, StoryCandidate, quick_pickle

AT = datetime(2026, 12, 5, 9, tzinfo=UTC)


def test_a_round_trip_gives_an_equal_frozen_object() -> None:
    mention = Mention("Mr Lee", "Lee Jae-myung", EntityKind.PERSON, 3, 9, in_title=True)
    again = pickle.loads(pickle.dumps(mention))
    assert again == mention and again is not mention
    with pytest.raises(dataclasses.FrozenInstanceError):
        again.name = "x"
    story = StoryCandidate(7, "t", {"a": 1.0}, frozenset({1, 2}), AT, AT, 3, np.ones(4, np.float32))
    back = pickle.loads(pickle.dumps([story, story]))
    assert back[0] == story and back[0] is back[1]  # pickle's memo still works
    assert back[0].meaning is not None and np.array_equal(back[0].meaning, np.ones(4))


def test_a_field_init_does_not_set_is_refused() -> None:
    @dataclass(frozen=True, slots=True)
    class Cached:
        a: int
        b: int
        cache: object = field(default=None, init=False)

    with pytest.raises(TypeError, match="not set by __init__"):
        quick_pickle(Cached)


def test_a_meaning_vector_travels_as_float32_bytes_and_none_stays_none() -> None:
    values = np.linspace(-1, 1, 256, dtype=np.float32)
    story = StoryCandidate(7, "t", {}, frozenset(), AT, AT, 1, values)
    back = pickle.loads(pickle.dumps(story))
    assert back.meaning is not None and back.meaning.dtype == np.float32
    assert np.array_equal(back.meaning, values)
    assert b"numpy" not in pickle.dumps(story)  # bytes, not an array's pickle
    empty = pickle.loads(pickle.dumps(dataclasses.replace(story, meaning=None)))
    assert empty.meaning is None and empty == dataclasses.replace(story, meaning=None)
