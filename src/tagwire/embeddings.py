"""Meaning vectors of short texts (headlines), for story similarity.

Paraphrased headlines of one event often share few words ("Fed's Plosser: taper pace may be
too slow" / "Fed official says weak data should not slow taper"), so word overlap alone splits
stories. A vector from learned token embeddings scores them close: here WordLlama's
``l2_supercat`` model (256 dimensions, MIT licence), the token embeddings of a Llama 2
tokenizer's 32,000 tokens, averaged over a text's tokens (what ``WordLlama.embed`` does).

The model ships inside the PyPI package ``wordllama`` (16 MB of float16 weights and the
tokenizer's JSON). We read those two files directly rather than through ``WordLlama.load``,
which looks for the tokenizer under a folder name the wheel does not use and then downloads
it (nothing may be fetched at run time here), and whose inference module calls
``logging.basicConfig`` on import. The package version is pinned in pyproject.toml, so the
file layout is fixed; a test checks our vectors against ``WordLlama.embed``.

Loaded lazily, once per process, on the first call (~0.1 s, ~50 MB of memory).
"""

from __future__ import annotations

import importlib.util
import math
import threading
from pathlib import Path
from typing import TypeAlias

import numba
import numpy as np
import numpy.typing as npt

Vector: TypeAlias = npt.NDArray[np.float32]

DIM = 256
_WEIGHTS = Path("weights") / "l2_supercat_256.safetensors"
_TOKENIZER = Path("tokenizers") / "l2_supercat_tokenizer_config.json"


class Embedder:
    """Unit-length mean token embedding of a text; the zero vector for a text without tokens."""

    def __init__(self, root: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(root / _TOKENIZER))
        # Kept as float16 (16 MB); only the rows of a text's tokens are widened to float32.
        self._matrix = load_file(str(root / _WEIGHTS))["embedding.weight"]
        if self._matrix.shape[1] != DIM:
            raise ValueError(f"expected {DIM}-dimensional token embeddings")
        self._bits = self._matrix.view(np.uint16)  # numba has no float16: widened by table
        self._widened = np.arange(1 << 16, dtype=np.uint16).view(np.float16).astype(np.float32)

    def embed(self, text: str) -> Vector:
        ids = self._tokenizer.encode(text, add_special_tokens=False).ids
        if not ids:
            return np.zeros(DIM, dtype=np.float32)
        mean = _mean_rows(self._bits, np.asarray(ids, dtype=np.int64), self._widened)
        return unit(mean)


@numba.njit(cache=True, nogil=True)
def _mean_rows(bits: np.ndarray, ids: np.ndarray, widened: np.ndarray) -> np.ndarray:
    """``matrix[ids].astype(np.float32).mean(axis=0)`` to the bit, for the float16 matrix
    whose bits are ``bits``: numpy adds the rows one after the other in float32 and divides
    by the count in float64 (it is an integer scalar), rounding to float32. Compiled: numpy's
    gather, widening and mean were a third of a headline's vector (bench/scale.py)."""
    total = np.zeros(bits.shape[1], np.float32)
    for i in ids:
        for j in range(bits.shape[1]):
            total[j] += widened[bits[i, j]]
    count = np.float64(len(ids))
    for j in range(len(total)):
        total[j] = np.float32(np.float64(total[j]) / count)
    return total


def unit(vector: Vector) -> Vector:
    norm = float(np.linalg.norm(vector))
    return (vector / norm).astype(np.float32) if norm else vector.astype(np.float32)


def model_root() -> Path:
    """The installed ``wordllama`` package's folder, found without importing the package."""
    spec = importlib.util.find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the wordllama package is not installed (a tagwire dependency)")
    return Path(next(iter(spec.submodule_search_locations)))


_lock = threading.Lock()
_embedder: Embedder | None = None


def embedder() -> Embedder:
    """The process's one Embedder, loaded on first use (thread-safe)."""
    global _embedder
    if _embedder is None:
        with _lock:
            if _embedder is None:
                _embedder = Embedder(model_root())
    return _embedder


def embed(text: str) -> Vector:
    return embedder().embed(text)


def cosine(a: Vector, b: Vector) -> float:
    """Cosine of two vectors of any length (0 when either is zero)."""
    norms = math.sqrt(float(a @ a) * float(b @ b))  # np.linalg.norm costs 3x more here
    return float(a @ b) / norms if norms else 0.0


# Stored as float16: 512 bytes a vector, and the cosines that decide stories move by less
# than 0.001 (tests/test_embeddings.py).
def to_blob(vector: Vector) -> bytes:
    return vector.astype("<f2").tobytes()


def from_blob(blob: bytes) -> Vector:
    return np.frombuffer(blob, dtype="<f2").astype(np.float32)
