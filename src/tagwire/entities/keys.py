"""The key a name is known by: ``name_key``, what every entity module compares names with.

Apart from names.py so that places.py can key its tables without importing names.py, whose
``explain`` asks places.py for demonyms and country names (the two imported each other).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache


@lru_cache(maxsize=131072)  # an article's names are keyed many times over
def name_key(name: str) -> str:
    """Identity of a name: case, dots, hyphens and the accents of Latin letters do not
    matter ("U.S." = "US", "Erdoğan" = "Erdogan")."""
    text = fold_latin_accents(unicodedata.normalize("NFKC", name)).casefold().replace("’", "'")
    text = re.sub(r"[.\u00b7]", "", text).replace("-", "")
    return " ".join(text.split())


# Latin letters that Unicode does not decompose into a base letter and a mark.
_UNDECOMPOSED = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss", "ı": "i", "ħ": "h"}
)


def fold_latin_accents(text: str) -> str:
    """ "Erdoğan" -> "Erdogan", "Müller" -> "Muller": the English press writes both. Only
    marks on Latin letters go; in Devanagari or Arabic a combining mark is a vowel, part of
    the name, and stays."""
    if text.isascii():
        return text
    text = text.translate(_UNDECOMPOSED)
    out: list[str] = []
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char) and out and out[-1].isascii():
            continue
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))
