"""Text as every stage compares it: normalised, split into words, digested.

One definition serves the ids (and so the keys of the compacted sink topic), the vocabulary
matching and the near-duplicate bands; a change here changes all three.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata

_FOLD = (("đ", "d"), ("Đ", "d"), ("’", "'"), ("‘", "'"), ("ʼ", "'"), ("œ", "oe"), ("æ", "ae"))
WORD = re.compile(r"[^\W_]+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def normalise(text: str) -> str:
    """NFC, case-folded, accents and diacritics removed, white space collapsed.

    Every page's id normalises the whole page, and every article's its headline and lede, so
    this is written for speed: the text is lower-cased at once, then each distinct non-ASCII
    character is replaced by its folded form (`_folded`, computed once a character), instead
    of folding, decomposing and filtering the whole text. tests/unit/core checks it against
    the plain definition, on every code point."""
    text = unicodedata.normalize("NFC", text).lower()
    if not text.isascii():
        for char, folded, _ in sorted(map(_folded, set(_NON_ASCII.findall(text))), key=_last):
            if folded != char:
                text = text.replace(char, folded)
    return " ".join(text.split())


@functools.lru_cache(maxsize=1 << 14)
def _folded(char: str) -> tuple[str, str, bool]:
    """A (lower-cased) character, its folded form, and whether that form holds a character
    that folds further. The precomposed "ǣ" folds to "æ", which the plain definition keeps
    (it folds "æ" before decomposing): its replacement goes after the one of "æ"."""
    folded = _fold(char)
    return char, folded, any(_fold(c) != c for c in folded if not c.isascii())


def _fold(char: str) -> str:
    folded = char.casefold()
    for old, new in _FOLD:
        folded = folded.replace(old, new)
    decomposed = unicodedata.normalize("NFD", folded)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _last(entry: tuple[str, str, bool]) -> bool:
    return entry[2]


def words(text: str) -> list[str]:
    """The normalised words of `text` (letters and digits; no punctuation)."""
    return WORD.findall(normalise(text))


def digest(*parts: str) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=10).hexdigest()
