"""Beam shells around the encoder: plain data in, Kafka (key, value) bytes out."""

from __future__ import annotations

import apache_beam as beam

from pipeline import metrics
from pipeline.encode.encoder import Encoder
from pipeline.encode.wire import SINGLE_OBJECT_WIRE, WireFormat
from pipeline.ledger import ledger
from pipeline.model import DeadLetter, Item, Record

CANONICAL = "canonical"


class EncodeItemFn(beam.DoFn):
    """Every record on the main output; a story's canonical record on `canonical` as well."""

    def __init__(self, run_id: str = "", wire: WireFormat = SINGLE_OBJECT_WIRE) -> None:
        self._run_id = run_id
        self._wire = wire

    def setup(self) -> None:
        self._encoder = Encoder(wire=self._wire)

    def process(self, item: Item):
        with metrics.stage("encode"):
            record = Record(*self._encoder.encode_item(item), item.page.origin)
        labels = item.classification
        metrics.emitted(item.article.kind.value, labels.partner_countries, labels.themes)
        canonical = item.story is None or item.story.canonical
        ledger(self._run_id).fork(record.origin, 2 if canonical else 1)
        yield record
        if canonical:
            yield beam.pvalue.TaggedOutput(CANONICAL, record)


class EncodeDeadLetterFn(beam.DoFn):
    def __init__(self, wire: WireFormat = SINGLE_OBJECT_WIRE) -> None:
        self._wire = wire

    def setup(self) -> None:
        self._encoder = Encoder(wire=self._wire)

    def process(self, dead: DeadLetter):
        yield Record(*self._encoder.encode_dead_letter(dead), dead.message.origin)
