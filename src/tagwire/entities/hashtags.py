"""Tag slugs, exactly as PRODUCT.md defines them.

NFC; split on white space; in each word the first letter upper-cased and the rest kept as
written; then every character that is not a letter or digit dropped. Not ``str.title`` or
``capitalize``: "Jae-myung" must give "Jaemyung", and "McDonald" must keep its inner capital.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache


@lru_cache(maxsize=65536)  # the same names recur in every article that mentions them
def slugify(name: str) -> str:
    words = unicodedata.normalize("NFC", name).split()
    return "".join(_keep_alnum(_upper_first_letter(word)) for word in words)


def _upper_first_letter(word: str) -> str:
    for index, char in enumerate(word):
        if char.isalpha():
            return word[:index] + char.upper() + word[index + 1 :]
    return word


def _keep_alnum(word: str) -> str:
    # str.isalnum covers letters and digits of every script (Hangul, Devanagari, ...).
    # Combining marks (category M*) are kept too: they are part of a letter in NFC text
    # of scripts that have no precomposed form.
    return "".join(c for c in word if c.isalnum() or unicodedata.category(c).startswith("M"))


@lru_cache(maxsize=65536)
def lookup_key(slug_or_name: str) -> str:
    """Case-insensitive key under which a slug (or any alias's slug) is looked up."""
    return slugify(slug_or_name).casefold()
