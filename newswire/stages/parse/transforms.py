"""Beam shells around decoding and parsing; rejected input leaves on the dead-letter output."""

from __future__ import annotations

import logging

import apache_beam as beam

from newswire.core import metrics
from newswire.core.errors import Rejected
from newswire.core.model import DeadLetter, Message, Page
from newswire.stages.parse.decode import read_page
from newswire.stages.parse.split import split_page

DEAD_LETTERS = "dead_letters"
_LOG = logging.getLogger(__name__)


def _dead(reason: str, detail: str, message: Message) -> beam.pvalue.TaggedOutput:
    metrics.dead_letter(reason)
    return beam.pvalue.TaggedOutput(DEAD_LETTERS, DeadLetter(reason, detail, message))


class DecodePageFn(beam.DoFn):
    """Message -> Page, keyed by page id for page-level dedup; bad input -> dead letter.

    Args:
        max_page_bytes: larger pages are dead-lettered (`too_large`).
    """

    def __init__(self, max_page_bytes: int) -> None:
        self._max_bytes = max_page_bytes

    def process(self, message: Message):
        metrics.page_read()
        try:
            with metrics.stage("decode"):
                page = read_page(message, self._max_bytes)
        except Rejected as exc:
            yield _dead(exc.reason, exc.detail, message)
            return
        except Exception as exc:  # a bug must not stop the stream or lose the page
            _LOG.exception(
                "decoding %s/%d@%d failed", message.topic, message.partition, message.offset
            )
            yield _dead("internal", f"{type(exc).__name__}: {exc}", message)
            return
        yield page.page_id, (page, message)


class SplitPageFn(beam.DoFn):
    """(Page, Message) -> Items keyed by article id."""

    def process(self, element: tuple[Page, Message]):
        page, message = element
        try:
            with metrics.stage("parse"):
                items = split_page(page)
        except Rejected as exc:
            yield _dead(exc.reason, exc.detail, message)
            return
        except Exception as exc:
            _LOG.exception("parsing %s failed", page.origin)
            yield _dead("internal", f"{type(exc).__name__}: {exc}", message)
            return
        for item in items:
            yield item.article_id, item
