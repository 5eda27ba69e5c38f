"""Beam shells around decoding and parsing; rejected input leaves on the dead-letter output.

Both are pure, so the job runs them as `Pooled` stages (newswire/pooled.py): these classes
say what the work is and where each result goes."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import apache_beam as beam

from newswire.core import metrics
from newswire.core.errors import Failed
from newswire.core.model import DeadLetter, Item, Message, Page
from newswire.core.tasks import Each
from newswire.stages.parse.decode import read_page
from newswire.stages.parse.split import split_page

DEAD_LETTERS = "dead_letters"
_LOG = logging.getLogger(__name__)


def _dead(failed: Failed, message: Message) -> beam.pvalue.TaggedOutput:
    if failed.internal:  # a bug: it must not stop the stream or lose the page
        _LOG.error("%s failed: %s\n%s", message.origin, failed.detail, failed.trace)
    metrics.dead_letter(failed.reason)
    return beam.pvalue.TaggedOutput(DEAD_LETTERS, DeadLetter(failed.reason, failed.detail, message))


class DecodePages:
    """Message -> Page, keyed by page id for page-level dedup; bad input -> dead letter.

    Args:
        max_page_bytes: larger pages are dead-lettered (`too_large`).
    """

    name = "decode"
    light = True

    def __init__(self, max_page_bytes: int) -> None:
        self.task = Each(read_page, (max_page_bytes,))

    def setup(self) -> None:
        pass

    def inputs(self, message: Message) -> Message:
        metrics.page_read()
        return message

    def outputs(self, message: Message, result: Page | Failed) -> Iterator[Any]:
        if isinstance(result, Failed):
            yield _dead(result, message)
        else:
            yield result.page_id, (result, message)


class SplitPages:
    """(Page, Message) -> Items keyed by article id."""

    name = "parse"
    light = True
    task = Each(split_page)

    def setup(self) -> None:
        pass

    def inputs(self, element: tuple[Page, Message]) -> Page:
        return element[0]

    def outputs(self, element: tuple[Page, Message], result: list[Item] | Failed) -> Iterator[Any]:
        if isinstance(result, Failed):
            yield _dead(result, element[1])
            return
        for item in result:
            yield item.article_id, item
