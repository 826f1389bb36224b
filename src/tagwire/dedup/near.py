"""Near-duplicates: the same article with small changes (a second URL, an update, a wire
copy re-headlined, ad-slot text left inside, a cut to the lead).

MinHash over 4-word shingles of the normalised text, for the whole text and for its lead;
LSH band keys of both go into an index in the store, so candidates are found
by lookup, within a time window, and across processes. The decision is pure: estimated
Jaccard similarity of the texts, or containment of the shorter in the longer (a lead cut),
above thresholds measured on bench/dedup_eval.py.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numba
import numpy as np

from tagwire.dedup.exact import normalised

NUM_PERM = 128
BAND_ROWS = 4  # 32 bands of 4: P(candidate) = 1 - (1 - J^4)^32; 0.87 at J=0.5, 0.9995 at 0.7
SHINGLE_WORDS = 4
LEAD_WORDS = 60
MIN_WORDS = 40  # fewer words than this: no fingerprint, matched by URL/title rules only
JACCARD_MIN = 0.55
CONTAINMENT_MIN = 0.85
LEAD_JACCARD_MIN = 0.8
LEAD_CONTAINMENT_MIN = 0.45
_SIG = struct.Struct(f"<{NUM_PERM}I")
# Our own MinHash rather than datasketch: hashing each shingle string through a Python hash
# function was 80% of datasketch's time here (690 texts/s with its default sha1, 3,800/s with
# crc32); hashing words once (crc32) and combining 4-grams as integers is faster still, and the
# 1M-article benchmark needs it. The permutations are multiply-shift hashes
# ((a*x + b) mod 2^64) >> 32 with random odd 64-bit a (Dietzfelbinger et al.): no modulo by a
# prime. The loops are compiled by numba: in numpy the (shingles x 128) matrix went through
# memory three times, and a text's shingles and both signatures cost 89 us against 27 us
# compiled (bench/scale.py's workers spent a sixth of their time there). The values are the
# same as numpy's (tests/test_quality_dedup.py keeps that numpy version as the reference), so
# fingerprints stored before stay comparable.
_rng = np.random.RandomState(7)
_A = _rng.randint(0, 1 << 63, size=NUM_PERM, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
_B = _rng.randint(0, 1 << 63, size=NUM_PERM, dtype=np.uint64)
_MIX = np.array([0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D, 0x27D4EB2F], dtype=np.uint64)


def _crc_table() -> np.ndarray:
    """CRC-32's (zlib's, reflected polynomial 0xEDB88320) table of the 256 byte values."""
    table = np.zeros(256, dtype=np.int64)
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xEDB88320 if crc & 1 else crc >> 1
        table[byte] = crc
    return table


_CRC_TABLE = _crc_table()


def word_hashes(text: bytes) -> np.ndarray:
    """``zlib.crc32`` of each word of a normalised text in UTF-8 (``dedup.exact.normalised``:
    words joined by single spaces), as uint64s. Compiled (a space byte is never inside
    another character's): splitting the text and hashing word by word, even with a cache of
    the words' hashes, was a sixth of the workers' time in bench/scale.py."""
    hashes: np.ndarray = _word_crcs(np.frombuffer(text, dtype=np.uint8), _CRC_TABLE)
    return hashes


@numba.njit(cache=True, nogil=True)
def _word_crcs(data: np.ndarray, table: np.ndarray) -> np.ndarray:
    out = np.empty(len(data) // 2 + 1, dtype=np.uint64)
    n = 0
    crc = 0xFFFFFFFF
    in_word = False
    for byte in data:
        if byte == 32:
            if in_word:
                out[n] = crc ^ 0xFFFFFFFF
                n += 1
                crc = 0xFFFFFFFF
                in_word = False
        else:
            crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
            in_word = True
    if in_word:
        out[n] = crc ^ 0xFFFFFFFF
        n += 1
    return out[:n]


@dataclass(frozen=True, slots=True)
class Fingerprint:
    signature: tuple[int, ...]  # MinHash of the whole text
    lead: tuple[int, ...]  # MinHash of its first LEAD_WORDS words
    shingles: int  # distinct shingles of the whole text
    words: int

    def to_bytes(self) -> bytes:
        return (
            struct.pack("<II", self.shingles, self.words)
            + _SIG.pack(*self.signature)
            + _SIG.pack(*self.lead)
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Fingerprint:
        shingles, words = struct.unpack_from("<II", data)
        signature = _SIG.unpack_from(data, 8)
        lead = _SIG.unpack_from(data, 8 + _SIG.size)
        return cls(signature, lead, shingles, words)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A stored article whose band keys met the new one's."""

    article_id: int
    survivor_id: int
    fingerprint: Fingerprint
    at: datetime


@dataclass(frozen=True, slots=True)
class Match:
    survivor_id: int
    jaccard: float
    containment: float


def fingerprint(text: str, normalised_text: bytes | None = None) -> Fingerprint | None:
    """The fingerprint of an article's clean text, or None when it is too short to tell
    (``normalised_text``: ``dedup.exact.normalised(text)``, when the caller has it already)."""
    hashes = word_hashes(normalised(text) if normalised_text is None else normalised_text)
    if len(hashes) < MIN_WORDS:
        return None
    full = _shingles(hashes)
    lead = _shingles(hashes[:LEAD_WORDS])
    return Fingerprint(_minhash(full), _minhash(lead), len(full), len(hashes))


def _shingles(word_hashes: np.ndarray) -> np.ndarray:
    """Distinct 32-bit hashes of the 4-word shingles, from the words' hashes, sorted."""
    distinct: np.ndarray = _distinct_shingles(word_hashes, _MIX)
    return distinct


def _minhash(shingles: np.ndarray) -> tuple[int, ...]:
    return tuple(_signature(shingles, _A, _B).tolist())


@numba.njit(cache=True, nogil=True)
def _distinct_shingles(h: np.ndarray, mix: np.ndarray) -> np.ndarray:
    # Each shingle's hash: ((((h0 * m0) ^ h1) * m1 ^ h2) * m2 ^ h3) * m3, wrapping mod 2^64,
    # then bits 29-60. Sorted, then equal neighbours dropped.
    n = len(h) - SHINGLE_WORDS + 1
    out = np.empty(max(n, 0), dtype=np.uint64)
    for i in range(n):
        m = h[i] * mix[0]
        m = (m ^ h[i + 1]) * mix[1]
        m = (m ^ h[i + 2]) * mix[2]
        m = (m ^ h[i + 3]) * mix[3]
        out[i] = (m >> np.uint64(29)) & np.uint64(0xFFFFFFFF)
    out.sort()
    kept = 0
    for i in range(len(out)):
        if i == 0 or out[i] != out[i - 1]:
            out[kept] = out[i]
            kept += 1
    return out[:kept]


@numba.njit(cache=True, nogil=True)
def _signature(shingles: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # Per permutation, the least (a*x + b) mod 2^64 over the shingles, shifted right by 32
    # after the minimum (it keeps order). The permutations in the inner loop: measured twice
    # as fast as the shingles there.
    lowest = np.full(len(a), np.uint64(0xFFFFFFFFFFFFFFFF))
    for x in shingles:
        for p in range(len(a)):
            value = a[p] * x + b[p]
            if value < lowest[p]:
                lowest[p] = value
    out = np.empty(len(a), dtype=np.uint32)
    for p in range(len(a)):
        out[p] = lowest[p] >> np.uint64(32)
    return out


def band_keys(fp: Fingerprint) -> list[int]:
    """LSH keys: one per band of the whole-text and of the lead signature (signed 63-bit)."""
    keys: list[int] = band_key_array(fp).tolist()
    return keys


def band_key_array(fp: Fingerprint | bytes) -> np.ndarray:
    """``band_keys`` as an int64 array (of a fingerprint, or of its ``to_bytes``): for each
    band, BLAKE2b (8-byte digest) of "F" or "L" (whole text or lead), the band's first row
    as two little-endian bytes and its rows' four uint32s, read as a little-endian int64
    and halved by an arithmetic shift (as Python's ``>> 1``). Compiled: 64 calls of
    hashlib's blake2b, each on 19 bytes, were a tenth of an import's workers
    (bench/scale.py); tests compare every key with hashlib's."""
    packed = fp.to_bytes() if isinstance(fp, Fingerprint) else fp
    keys: np.ndarray = _band_keys(np.frombuffer(packed, dtype="<u4"), _BLAKE2B_IV, _BLAKE2B_SIGMA)
    return keys


# BLAKE2b (RFC 7693) for one block: the initial vector and the message schedule.
_BLAKE2B_IV = np.array(
    [
        0x6A09E667F3BCC908,
        0xBB67AE8584CAA73B,
        0x3C6EF372FE94F82B,
        0xA54FF53A5F1D36F1,
        0x510E527FADE682D1,
        0x9B05688C2B3E6C1F,
        0x1F83D9ABFB41BD6B,
        0x5BE0CD19137E2179,
    ],
    dtype=np.uint64,
)
_BLAKE2B_SIGMA = np.array(
    [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
        [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
        [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
        [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
        [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
        [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
        [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
        [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
        [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
        [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
    ],
    dtype=np.int64,
)


@numba.njit(cache=True, nogil=True, inline="always")
def _rotate(x: Any, n: int) -> Any:
    return (x >> np.uint64(n)) | (x << np.uint64(64 - n))


@numba.njit(cache=True, nogil=True, inline="always")
def _mix(a: Any, b: Any, c: Any, d: Any, x: Any, y: Any) -> Any:
    """BLAKE2b's G function."""
    a = a + b + x
    d = _rotate(d ^ a, 32)
    c = c + d
    b = _rotate(b ^ c, 24)
    a = a + b + y
    d = _rotate(d ^ a, 16)
    c = c + d
    b = _rotate(b ^ c, 63)
    return a, b, c, d


@numba.njit(cache=True, nogil=True)
def _blake2b_8(m: np.ndarray, length: int, iv: np.ndarray, sigma: np.ndarray) -> Any:
    """BLAKE2b, no key, 8-byte digest, of a message of at most 128 bytes (``m``: the bytes
    zero-padded to 16 little-endian uint64s), as a uint64. The state in 16 variables (the
    registers), all arithmetic in uint64: numba makes a mix of uint64 and int64 a float."""
    h0 = iv[0] ^ np.uint64(0x01010008)  # parameter block: digest length 8, fanout and depth 1
    v0, v1, v2, v3, v4, v5, v6, v7 = h0, iv[1], iv[2], iv[3], iv[4], iv[5], iv[6], iv[7]
    v8, v9, v10, v11 = iv[0], iv[1], iv[2], iv[3]
    v12 = iv[4] ^ np.uint64(length)  # the byte counter
    v13, v14, v15 = iv[5], ~iv[6], iv[7]  # v14 inverted: the last block
    for r in range(12):
        s = sigma[r % 10]
        v0, v4, v8, v12 = _mix(v0, v4, v8, v12, m[s[0]], m[s[1]])  # the columns
        v1, v5, v9, v13 = _mix(v1, v5, v9, v13, m[s[2]], m[s[3]])
        v2, v6, v10, v14 = _mix(v2, v6, v10, v14, m[s[4]], m[s[5]])
        v3, v7, v11, v15 = _mix(v3, v7, v11, v15, m[s[6]], m[s[7]])
        v0, v5, v10, v15 = _mix(v0, v5, v10, v15, m[s[8]], m[s[9]])  # the diagonals
        v1, v6, v11, v12 = _mix(v1, v6, v11, v12, m[s[10]], m[s[11]])
        v2, v7, v8, v13 = _mix(v2, v7, v8, v13, m[s[12]], m[s[13]])
        v3, v4, v9, v14 = _mix(v3, v4, v9, v14, m[s[14]], m[s[15]])
    return h0 ^ v0 ^ v8


@numba.njit(cache=True, nogil=True)
def _band_keys(words: np.ndarray, iv: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    # words: a fingerprint's bytes as uint32s (shingles, words, signature, lead signature).
    out = np.empty(2 * (NUM_PERM // BAND_ROWS), np.int64)
    block = np.zeros(128, np.uint8)
    message = block.view(np.uint64)
    k = 0
    for part in range(2):
        block[0] = 70 if part == 0 else 76  # "F", "L"
        first = 2 + part * NUM_PERM
        for band in range(0, NUM_PERM, BAND_ROWS):
            block[1] = band & 0xFF
            block[2] = band >> 8
            for row in range(BAND_ROWS):
                value = words[first + band + row]
                for byte in range(4):
                    block[3 + 4 * row + byte] = (value >> np.uint32(8 * byte)) & np.uint32(0xFF)
            out[k] = np.int64(_blake2b_8(message, 3 + 4 * BAND_ROWS, iv, sigma)) >> 1
            k += 1
    return out


@dataclass(frozen=True, slots=True)
class Similarity:
    jaccard: float  # of the whole texts
    containment: float  # of the shorter text in the longer
    lead: float  # Jaccard of the leads


FINGERPRINT_WORDS = 2 + 2 * NUM_PERM  # uint32s of Fingerprint.to_bytes()
_SIGNATURE = slice(2, 2 + NUM_PERM)
_LEAD = slice(2 + NUM_PERM, FINGERPRINT_WORDS)


def similarities(fp: bytes, others: Sequence[bytes]) -> tuple[np.ndarray, ...]:
    """Estimated similarities of one text with each of ``others`` (fingerprints as stored,
    ``Fingerprint.to_bytes``), all at once: the Jaccard of the whole texts, the containment
    of the shorter in the longer and the Jaccard of the leads, as float arrays. Compiled,
    for all the candidates of an article: pair by pair, converting the signatures cost more
    than comparing them, and numpy's dozen calls on a few rows cost more than its work."""
    mine = np.frombuffer(fp, dtype="<u4")
    rows = np.frombuffer(b"".join(others), dtype="<u4").reshape(len(others), FINGERPRINT_WORDS)
    found: tuple[np.ndarray, ...] = similarities_of(mine, rows)
    return found


@numba.njit(cache=True, nogil=True)
def similarities_of(mine: np.ndarray, rows: np.ndarray) -> Any:
    """``similarities`` of fingerprints as uint32 rows (for compiled callers too)."""
    n = rows.shape[0]
    jaccard, containment, lead = np.empty(n), np.empty(n), np.empty(n)
    own = np.int64(mine[0])
    for i in range(n):
        same = same_lead = 0
        for p in range(2, 2 + NUM_PERM):
            same += rows[i, p] == mine[p]
            same_lead += rows[i, p + NUM_PERM] == mine[p + NUM_PERM]
        j = same / NUM_PERM
        jaccard[i], lead[i] = j, same_lead / NUM_PERM
        theirs = np.int64(rows[i, 0])
        small, large = min(theirs, own), max(theirs, own)
        # |A∩B| = J(|A|+|B|)/(1+J); containment = |A∩B| / |smaller|.
        c = min(1.0, j * (small + large) / ((1 + j) * small)) if small else 0.0
        if small * 4 < large and lead[i] < 0.5:  # much shorter, not even the lead
            c = 0.0
        containment[i] = c
    return jaccard, containment, lead


def similarity(a: Fingerprint, b: Fingerprint) -> Similarity:
    """Estimated similarities of two texts."""
    j, containment, lead = similarities(a.to_bytes(), [b.to_bytes()])
    return Similarity(float(j[0]), float(containment[0]), float(lead[0]))


@numba.njit(cache=True, nogil=True)
def _same(jaccard: float, containment: float, lead: float) -> bool:
    """``same_article`` on the three floats."""
    return (
        jaccard >= JACCARD_MIN
        or containment >= CONTAINMENT_MIN
        or (lead >= LEAD_JACCARD_MIN and containment >= LEAD_CONTAINMENT_MIN)
    )


def same_article(sim: Similarity) -> bool:
    """The decision. Near-same texts; or the shorter mostly inside the longer; or the same
    lead with much of the shorter inside the longer: a cut to the lead, whose containment
    estimate is noisy when the lead is a tenth of the article (bench/dedup_eval.py: recall
    on lead cuts 0.87 without this rule, 0.99+ with it, no false positive either way)."""
    return bool(_same(sim.jaccard, sim.containment, sim.lead))


def is_near_duplicate(a: Fingerprint, b: Fingerprint) -> bool:
    return same_article(similarity(a, b))


def best_match(fp: Fingerprint, candidates: Iterable[Candidate]) -> Match | None:
    """The survivor of the most similar near-duplicate among the candidates, if any."""
    listed = list(candidates)
    return best_match_packed(
        fp.to_bytes(), [c.fingerprint.to_bytes() for c in listed], [c.survivor_id for c in listed]
    )


def best_match_packed(fp: bytes, others: Sequence[bytes], survivors: Sequence[int]) -> Match | None:
    """``best_match`` on fingerprints as stored: ``survivors[i]`` is the survivor of the
    article whose fingerprint is ``others[i]``. Of equally similar ones, the first."""
    if not others:
        return None
    j, containment, lead = similarities(fp, others)
    best = best_index(j, containment, lead)
    if best < 0:
        return None
    return Match(survivors[best], float(j[best]), float(containment[best]))


@numba.njit(cache=True, nogil=True)
def best_index(jaccard: np.ndarray, containment: np.ndarray, lead: np.ndarray) -> int:
    """The first of the most similar (by Jaccard, then containment) that ``same_article``
    holds the same article, or -1."""
    best = -1
    for i in range(len(jaccard)):
        j, c = jaccard[i], containment[i]
        if _same(j, c, lead[i]) and (
            best < 0 or j > jaccard[best] or (j == jaccard[best] and c > containment[best])
        ):
            best = i
    return best
