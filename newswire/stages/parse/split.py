"""A page into the items the rest of the pipeline works on: its article, then its teasers."""

from __future__ import annotations

from newswire.core.ids import article_id
from newswire.core.model import Item, Page
from newswire.stages.parse.page import parse_page


def split_page(page: Page) -> list[Item]:
    parsed = parse_page(page.text)
    return [Item(article_id(a), page.ref, a) for a in (parsed.article, *parsed.teasers)]
