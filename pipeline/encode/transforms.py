"""Beam shells around the encoder: plain data in, Kafka (key, value) bytes out."""

from __future__ import annotations

import apache_beam as beam

from pipeline.encode.encoder import Encoder
from pipeline.model import DeadLetter, Item


class EncodeItemFn(beam.DoFn):
    def setup(self) -> None:
        self._encoder = Encoder()

    def process(self, item: Item):
        yield self._encoder.encode_item(item)


class EncodeDeadLetterFn(beam.DoFn):
    def setup(self) -> None:
        self._encoder = Encoder()

    def process(self, dead: DeadLetter):
        yield self._encoder.encode_dead_letter(dead)
