"""Beam shells around the encoder: plain data in, Kafka (key, value) bytes out."""

from __future__ import annotations

import apache_beam as beam

from newswire.core import metrics
from newswire.core.model import DeadLetter, Item, Record
from newswire.stages.encode.encoder import Encoder
from newswire.stages.encode.wire import SINGLE_OBJECT_WIRE, WireFormat

CANONICAL = "canonical"


class _EncoderFn(beam.DoFn):
    """A DoFn with the encoder, built once a worker in the job's wire format.

    Args:
        wire: the framing records are written in.
    """

    def __init__(self, wire: WireFormat = SINGLE_OBJECT_WIRE) -> None:
        self._wire = wire

    def setup(self) -> None:
        self._encoder = Encoder(wire=self._wire)


class EncodeItemFn(_EncoderFn):
    """Every record on the main output; a story's canonical record on `canonical` as well."""

    def process(self, item: Item):
        with metrics.stage("encode"):
            record = Record(*self._encoder.encode_item(item), item.page.origin)
        labels = item.classification
        metrics.emitted(item.article.kind.value, labels.partner_countries, labels.themes)
        canonical = item.story is None or item.story.canonical
        yield record
        if canonical:
            yield beam.pvalue.TaggedOutput(CANONICAL, record)


class EncodeDeadLetterFn(_EncoderFn):
    """Dead letters -> records for the dead-letter topic, the raw message kept whole."""

    def process(self, dead: DeadLetter):
        yield Record(*self._encoder.encode_dead_letter(dead), dead.message.origin)
