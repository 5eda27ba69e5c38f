"""Beam shells around the encoder: plain data in, Kafka (key, value) bytes out."""

from __future__ import annotations

import apache_beam as beam

from pipeline import metrics
from pipeline.encode.encoder import Encoder
from pipeline.model import DeadLetter, Item

CANONICAL = "canonical"


class EncodeItemFn(beam.DoFn):
    """Every record on the main output; a story's canonical record on `canonical` as well."""

    def setup(self) -> None:
        self._encoder = Encoder()

    def process(self, item: Item):
        with metrics.stage("encode"):
            encoded = self._encoder.encode_item(item)
        labels = item.classification
        metrics.emitted(item.article.kind.value, labels.partner_countries, labels.themes)
        yield encoded
        if item.story is None or item.story.canonical:
            yield beam.pvalue.TaggedOutput(CANONICAL, encoded)


class EncodeDeadLetterFn(beam.DoFn):
    def setup(self) -> None:
        self._encoder = Encoder()

    def process(self, dead: DeadLetter):
        yield self._encoder.encode_dead_letter(dead)
