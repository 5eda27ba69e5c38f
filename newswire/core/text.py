"""Text as every stage compares it: normalised, split into words, digested.

One definition serves the ids (and so the keys of the compacted sink topic), the vocabulary
matching and the near-duplicate bands; a change here changes all three.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_SPACE = re.compile(r"\s+")
_FOLD = str.maketrans({"đ": "d", "Đ": "d", "’": "'", "‘": "'", "ʼ": "'", "œ": "oe", "æ": "ae"})
WORD = re.compile(r"[^\W_]+")


def normalise(text: str) -> str:
    """NFC, case-folded, accents and diacritics removed, white space collapsed."""
    text = unicodedata.normalize("NFC", text).casefold().translate(_FOLD)
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return _SPACE.sub(" ", text).strip()


def words(text: str) -> list[str]:
    """The normalised words of `text` (letters and digits; no punctuation)."""
    return WORD.findall(normalise(text))


def digest(*parts: str) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=10).hexdigest()
