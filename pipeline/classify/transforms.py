"""Beam shell around the classifier; the model loads once per worker DoFn, in setup."""

from __future__ import annotations

import apache_beam as beam

from pipeline import metrics
from pipeline.classify.classifier import Classifier
from pipeline.model import Item


class ClassifyFn(beam.DoFn):
    def __init__(self, nlp_model: str) -> None:
        self._nlp_model = nlp_model

    def setup(self) -> None:
        self._classifier = Classifier.from_data(nlp_model=self._nlp_model)

    def process(self, item: Item):
        with metrics.stage("classify"):
            classified = self._classifier.classify_item(item)
        yield classified
