"""Beam shell around the classifier; the model loads once per worker DoFn, in setup."""

from __future__ import annotations

import apache_beam as beam

from pipeline.classify.classifier import Classifier
from pipeline.model import Item


class ClassifyFn(beam.DoFn):
    def setup(self) -> None:
        self._classifier = Classifier.from_data()

    def process(self, item: Item):
        beam.metrics.Metrics.counter("articles", item.article.kind.value).inc()
        yield self._classifier.classify_item(item)
