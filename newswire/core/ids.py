"""Stable identifiers from normalised text, so that a repeat is recognised whatever its page.

They are keys of the compacted sink topic: changing them (or `normalise`) re-keys every record.
"""

from __future__ import annotations

from newswire.core.model import Article
from newswire.core.text import digest, normalise


def page_id(text: str) -> str:
    """Id of a page from its normalised text: a replayed or re-scraped identical page keeps it."""
    return "p-" + digest(normalise(text))


def article_id(article: Article) -> str:
    """Id of an article or teaser from its kind, title and lede (a teaser's summary)."""
    return f"{article.kind.value[0]}-" + digest(normalise(article.title), normalise(article.lede))
