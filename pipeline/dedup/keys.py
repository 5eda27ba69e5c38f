"""Stable identifiers from normalised text, so that a repeat is recognised whatever its page."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from pipeline.model import Article

_SPACE = re.compile(r"\s+")
_FOLD = str.maketrans({"đ": "d", "Đ": "d", "’": "'", "‘": "'", "ʼ": "'", "œ": "oe", "æ": "ae"})


def normalise(text: str) -> str:
    """NFC, case-folded, accents and diacritics removed, white space collapsed."""
    text = unicodedata.normalize("NFC", text).casefold().translate(_FOLD)
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return _SPACE.sub(" ", text).strip()


def digest(*parts: str) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=10).hexdigest()


def page_id(text: str) -> str:
    """Id of a page from its normalised text: a replayed or re-scraped identical page keeps it."""
    return "p-" + digest(normalise(text))


def article_id(article: Article) -> str:
    """Id of an article or teaser from its kind, title and lede (a teaser's summary)."""
    return f"{article.kind.value[0]}-" + digest(normalise(article.title), normalise(article.lede))
