"""Near-duplicates: a quality gate on copies of 138 real article texts (bench/dedup_eval.py)
and direct checks of tagwire.dedup.near on hand-made texts."""

from __future__ import annotations

import hashlib
import struct
import zlib

import numpy as np
import pytest

from bench.dedup_eval import Results, describe, evaluate, summary
from bench.dedup_pairs import build_pairs
from bench.metrics import aeb_checksum
from conftest import shared_data
from tagwire.dedup import near as neardup
from tagwire.dedup.exact import normalise_text
from tagwire.dedup.near import MIN_WORDS, band_keys, fingerprint, is_near_duplicate

AEB_CHECKSUM = "b80a262e8f315c76"
# Measured 1.000 and 0.972 (seed 20251127, 1,091 duplicate and 803 other pairs; the misses
# are all cuts to a short lead of a long article). Floors: measured - 0.01, rounded down.
PRECISION_FLOOR = 0.99
RECALL_FLOOR = 0.99  # measured 0.999 (docs/quality.md)

TRAM = """\
NORHAVEN — The city council voted 31 to 9 on Tuesday night to build a tram line from the \
harbour to the university, ending a debate that has divided the city for more than a decade.

The line, estimated to cost 420 million euros, will run 11 kilometres along Station Road and \
the old canal towpath, with 14 stops. Construction is due to start next spring and the first \
trams should carry passengers in 2029, officials said.

Mayor Ingrid Solberg called the vote a turning point. "For twenty years we have talked about \
traffic on Station Road. Tonight we decided to do something about it," she told reporters \
outside the council chamber.

Opponents, led by the shopkeepers' association, warned that three years of roadworks would \
drive customers away from the old town. They are considering a legal challenge to the \
planning permission, their spokesman said.

The regional government has promised to pay half of the cost. The rest will come from a \
municipal bond and from higher parking charges in the city centre, which rise by a third \
from January.
"""

TRAM_OTHER_OUTLET = """\
Trams are coming back to Norhaven. After a marathon session that ended close to midnight, \
councillors approved plans for a line linking the university campus with the harbour district.

Supporters argue the project will ease chronic congestion and cut emissions from the buses \
that now crawl along Station Road at rush hour. Students' groups lobbied hard for it and \
packed the public gallery for the vote.

Not everyone is celebrating. Retailers in the historic centre fear that years of digging \
will cost them trade, and some residents along the canal object to losing trees on the \
towpath. A petition against the scheme gathered several thousand signatures last year.

Half of the money is expected from the regional authorities, with the city borrowing the \
remainder. Work could begin within a year if no court case delays it, and the council hopes \
to open the route before the end of the decade.
"""


def _found(a: str, b: str) -> bool:
    """The pipeline's decision: a shared LSH band key and is_near_duplicate."""
    fa, fb = fingerprint(a), fingerprint(b)
    assert fa is not None and fb is not None
    return bool(set(band_keys(fa)) & set(band_keys(fb))) and is_near_duplicate(fa, fb)


def test_an_ad_line_inserted_is_a_duplicate() -> None:
    paragraphs = TRAM.split("\n\n")
    copy = "\n\n".join([*paragraphs[:2], "Story continues below advertisement", *paragraphs[2:]])
    assert _found(TRAM, copy)
    assert _found(copy, TRAM)


def test_a_cut_to_a_lead_of_60_words_is_a_duplicate() -> None:
    lead = " ".join(TRAM.split()[:60])
    assert 55 <= len(lead.split()) <= 60
    assert _found(TRAM, lead)


def test_different_articles_on_the_same_topic_are_not_duplicates() -> None:
    fa, fb = fingerprint(TRAM), fingerprint(TRAM_OTHER_OUTLET)
    assert fa is not None and fb is not None
    assert not is_near_duplicate(fa, fb)
    assert not _found(TRAM, TRAM_OTHER_OUTLET)


def test_line_breaks_and_case_do_not_change_the_fingerprint() -> None:
    rewrapped = TRAM.replace("\n\n", " ").replace(". ", ".\n").upper()
    assert fingerprint(rewrapped) == fingerprint(TRAM)


def test_texts_under_min_words_have_no_fingerprint() -> None:
    words = TRAM.split()
    assert fingerprint(" ".join(words[: MIN_WORDS - 5])) is None
    assert fingerprint("") is None
    assert fingerprint(" ".join(["word"] * (MIN_WORDS - 1))) is None
    assert fingerprint(" ".join(f"w{i}" for i in range(MIN_WORDS))) is not None


def test_the_fingerprint_of_a_text_never_changes() -> None:
    """Fingerprints and band keys are stored, and new ones are compared with them: these
    values were computed by the numpy MinHash that came before the compiled one."""
    fp = fingerprint(TRAM)
    assert fp is not None
    assert (fp.shingles, fp.words) == (176, 179)
    assert fp.signature[:4] == (35838931, 26075589, 27523606, 882720)
    assert fp.lead[:4] == (73366679, 26075589, 99768653, 68840174)
    assert hashlib.sha256(fp.to_bytes()).hexdigest()[:16] == "8ca8651dd98fd42d"
    assert band_keys(fp)[:2] == [-1366308552033835785, -3014518267522785888]


def _numpy_shingles(word_hashes: np.ndarray) -> np.ndarray:
    """The reference: what neardup computed in numpy before its loops were compiled."""
    n = len(word_hashes) - neardup.SHINGLE_WORDS + 1
    mixed = word_hashes[:n] * neardup._MIX[0]
    for offset in range(1, neardup.SHINGLE_WORDS):
        mixed ^= word_hashes[offset : offset + n]
        mixed *= neardup._MIX[offset]
    distinct: np.ndarray = np.unique((mixed >> np.uint64(29)) & np.uint64(0xFFFFFFFF))
    return distinct


def _numpy_minhash(shingles: np.ndarray) -> tuple[int, ...]:
    values = np.multiply.outer(shingles, neardup._A) + neardup._B
    return tuple((values >> np.uint64(32)).min(axis=0).tolist())


def _hashlib_band_keys(fp: neardup.Fingerprint) -> list[int]:
    """The band keys as they were made before they were compiled: hashlib's BLAKE2b."""
    keys = []
    for prefix, signature in ((b"F", fp.signature), (b"L", fp.lead)):
        packed = struct.pack(f"<{neardup.NUM_PERM}I", *signature)
        for band in range(0, neardup.NUM_PERM, neardup.BAND_ROWS):
            raw = prefix + struct.pack("<H", band) + packed[4 * band : 4 * (band + 4)]
            digest = hashlib.blake2b(raw, digest_size=8).digest()
            keys.append(int.from_bytes(digest, "little", signed=True) >> 1)
    return keys


def test_band_keys_are_hashlibs_blake2b_of_each_band() -> None:
    rng = np.random.default_rng(4)
    prints = [fingerprint(TRAM), fingerprint(TRAM_OTHER_OUTLET)]
    for _ in range(500):
        signature, lead = rng.integers(0, 2**32, (2, neardup.NUM_PERM)).tolist()
        prints.append(neardup.Fingerprint(tuple(signature), tuple(lead), 100, 120))
    extremes = [0, 2**32 - 1]
    prints.append(neardup.Fingerprint(tuple(extremes * 64), tuple(extremes[::-1] * 64), 1, 1))
    for fp in prints:
        assert fp is not None
        assert band_keys(fp) == _hashlib_band_keys(fp)
        assert neardup.band_key_array(fp.to_bytes()).tolist() == band_keys(fp)


def test_word_hashes_are_zlibs_crc32_of_each_word() -> None:
    texts = [TRAM, TRAM_OTHER_OUTLET, "Straße — ÉCOLE, 日本語のテキスト 42 x_y ﬁ", "", "   ", "a"]
    for text in texts:
        normalised = normalise_text(text)
        expected = [zlib.crc32(word.encode()) for word in normalised.split()]
        assert neardup.word_hashes(normalised.encode()).tolist() == expected
    assert neardup.word_hashes(b"").dtype == np.uint64


def test_compiled_minhash_is_the_numpy_reference() -> None:
    """Random word hashes (all 64 bits, so every multiplication wraps), repeated words (equal
    shingles to drop) and the shortest texts: the same shingles and signatures."""
    rng = np.random.default_rng(5)
    cases = [rng.integers(0, 2**64, size=n, dtype=np.uint64) for n in (4, 5, 40, 61, 700)]
    cases.append(np.tile(rng.integers(0, 2**32, size=7, dtype=np.uint64), 30))
    for words in cases:
        shingles = neardup._shingles(words)
        assert np.array_equal(shingles, _numpy_shingles(words))
        assert neardup._minhash(shingles) == _numpy_minhash(shingles)
    assert len(neardup._shingles(cases[0])) == 1
    assert len(neardup._shingles(cases[-1])) == 7
    assert len(neardup._shingles(np.zeros(3, dtype=np.uint64))) == 0


@pytest.fixture(scope="module")
def results() -> Results:
    folder = shared_data("article-extraction-aeb")
    assert aeb_checksum(folder) == AEB_CHECKSUM, "evaluation data changed: re-measure"
    return evaluate(build_pairs())


def test_near_duplicate_quality_gate(results: Results) -> None:
    print(summary(results))
    for kind in sorted(results.per_kind.values(), key=lambda r: r.kind):
        label = "recall" if kind.is_duplicate else "false-positive rate"
        print(f"  {kind.kind}: {kind.found}/{kind.pairs} found, {label} {kind.rate:.3f}")
    for outcome in results.false_positives:
        print(f"  false positive: {describe(outcome)}")
    assert results.tp + results.fn > 1000 and results.fp + results.tn > 700
    assert results.precision >= PRECISION_FLOOR
    assert results.recall >= RECALL_FLOOR


def test_independent_reports_of_one_event_are_not_duplicates() -> None:
    """The demo site's four publishers wrote the Geneva summit up independently: one story,
    four articles, no duplicates."""
    from tagwire.demo.site import ARTICLES, EVENT_PATHS

    texts = [a.text for a in ARTICLES if a.path in EVENT_PATHS]
    prints = [fingerprint("\n".join(t) if isinstance(t, tuple) else t) for t in texts]
    assert len(prints) == 4 and all(p is not None for p in prints)
    for i, a in enumerate(prints):
        for b in prints[i + 1 :]:
            assert a is not None and b is not None
            assert not is_near_duplicate(a, b)
