"""Headline meaning vectors read from the wordllama package's own files."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tagwire.embeddings import (
    DIM,
    cosine,
    embed,
    embedder,
    from_blob,
    model_root,
    to_blob,
    unit,
)

HEADLINES = [
    "Fed's Plosser: Taper pace may be too slow",
    "Fed official says weak data caused by weather, should not slow taper",
    "Justin Bieber surprises fans with SXSW performance",
    "",
]


def test_vectors_are_what_wordllama_itself_computes(tmp_path: Path) -> None:
    """Our reading of the package's files (weights, tokenizer, mean pooling) gives what
    WordLlama.embed gives; this fails if a new wordllama version changes either."""
    from wordllama import WordLlama  # type: ignore[import-untyped]

    # WordLlama.load looks for the tokenizer in <cache>/tokenizers/ (not where the wheel has
    # it) and downloads it otherwise; with a copy there and downloads off, nothing is fetched.
    (tmp_path / "tokenizers").mkdir()
    shutil.copy(
        model_root() / "tokenizers" / "l2_supercat_tokenizer_config.json", tmp_path / "tokenizers"
    )
    model = WordLlama.load(cache_dir=tmp_path, disable_download=True)
    theirs = model.embed(HEADLINES[:3], norm=True)
    for text, vector in zip(HEADLINES[:3], theirs, strict=True):
        assert np.allclose(embed(text), vector, atol=1e-6)


def test_paraphrases_are_closer_than_other_events() -> None:
    taper, weather, bieber = (embed(h) for h in HEADLINES[:3])
    assert cosine(taper, weather) > 0.5 > 0.2 > cosine(taper, bieber)


def test_vectors_are_unit_length_and_empty_text_is_zero() -> None:
    vector = embed(HEADLINES[0])
    assert vector.shape == (DIM,) and vector.dtype == np.float32
    assert float(np.linalg.norm(vector)) == pytest.approx(1.0, abs=1e-5)
    assert not embed(HEADLINES[3]).any()
    assert cosine(vector, embed("")) == 0.0


def test_the_model_loads_once_per_process() -> None:
    assert embedder() is embedder()


def test_float16_blobs_keep_cosines_within_a_thousandth() -> None:
    vectors = [embed(h) for h in HEADLINES[:3]]
    mean = unit(np.mean(vectors, axis=0).astype(np.float32))
    blob = to_blob(mean)
    assert len(blob) == 2 * DIM
    back = from_blob(blob)
    for vector in vectors:
        assert abs(cosine(back, vector) - cosine(mean, vector)) < 1e-3


def test_the_compiled_mean_is_numpys_to_the_bit() -> None:
    from tagwire import embeddings

    e = embedder()
    rng = np.random.default_rng(8)
    for n in (1, 2, 7, 31, 200):
        ids = rng.integers(0, e._matrix.shape[0], n)
        expected = e._matrix[ids].astype(np.float32).mean(axis=0)
        got = embeddings._mean_rows(e._bits, ids, e._widened)
        assert got.dtype == np.float32 and np.array_equal(got, expected)
