"""Which incoming article is one we already have.

Here: the same canonical URL (tracking parameters and fragments stripped, the page's own
``<link rel=canonical>`` honoured) or the same normalised text. Decisions are pure; the
pipeline asks the store whether a URL or hash is known.
"""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tagwire import words

# Same publisher, same title, and one text too short to fingerprint: the same article, if
# within this time (a recurring title such as "Morning briefing" a day later is not).
TITLE_WINDOW = timedelta(hours=12)

_TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "piwik_", "hsa_", "oly_", "vero_", "_hs")
_TRACKING = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "ocid",
        "cmpid",
        "cmp",
        "ncid",
        "ito",
        "smid",
        "sr_share",
        "rss",
        "feed",
        "from",
        "ref",
        "ref_src",
        "referrer",
        "src",
        "source",
        "share",
        "spm",
        "mkt_tok",
        "_ga",
        "at_medium",
        "at_campaign",
        "CMP",
        "s_cid",
        "xtor",
        "guccounter",
        "taid",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str) -> str:
    """The URL with tracking parameters, fragment and default port removed, host lower-cased."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.port and parts.port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{parts.port}"
    if ":" in (parts.hostname or "") and not host.startswith("["):
        host = f"[{host}]"  # IPv6 literal
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
    ]
    path = parts.path or "/"
    return urlunsplit((scheme, host, path, urlencode(query, doseq=True), ""))


def _is_tracking(key: str) -> bool:
    lowered = key.lower()
    return lowered in _TRACKING or lowered.startswith(_TRACKING_PREFIXES)


def choose_url(item_url: str, page_canonical: str | None) -> str:
    """The article's identity: the page's canonical URL when it names one on the same site."""
    item = canonical_url(item_url)
    if page_canonical:
        canonical = canonical_url(page_canonical)
        if urlsplit(canonical).hostname == urlsplit(item).hostname:
            return canonical
    return item


def normalise_text(text: str) -> str:
    """Words only, case-folded: what is left equal when copies differ in markup or spacing."""
    return normalised(text).decode("utf-8")


def normalised(text: str) -> bytes:
    """``normalise_text(text)`` in UTF-8, as the hash and MinHash read it: the runs of
    ``\\w`` of the NFKC-normalised, case-folded text joined by single spaces (tagwire.words,
    compiled: the regex was most of an article's dedup work)."""
    return words.runs(unicodedata.normalize("NFKC", text).casefold(), words.WORD)


def content_hash(text: str, normalised_text: bytes | None = None) -> str:
    """The hash of the normalised text (``normalised_text``: ``normalised(text)``, when the
    caller has it already)."""
    data = normalised(text) if normalised_text is None else normalised_text
    return hashlib.blake2b(data, digest_size=16).hexdigest()


FULLER = 1.2  # a copy with this many times the words is the fuller one


def new_copy_survives(new_at: datetime, new_words: int, old_at: datetime, old_words: int) -> bool:
    """Which of two copies readers see. The fuller clean text wins (the whole article over a
    cut to its lead or a feed's summary); between copies of about the same length, the one
    published first (the original, not a re-post); on a tie the copy stored first stays."""
    if new_words >= FULLER * old_words:
        return True
    if old_words >= FULLER * new_words:
        return False
    return new_at < old_at


def title_key(title: str) -> str:
    """A title without case and punctuation: "US-China talks" = "US, China talks"."""
    return normalise_text(title.replace("-", " "))[:500]
