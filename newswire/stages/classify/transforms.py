"""Beam shell around the classifier; the model loads once per worker DoFn, in setup.

Items are classified a batch at a time: spaCy's `nlp.pipe` over many texts is several times
faster than one text per call. A batch is at most `batch_size` items and never outlives its
bundle, so a streaming job's small bundles add no latency.
"""

from __future__ import annotations

import apache_beam as beam
from apache_beam.utils.windowed_value import WindowedValue

from newswire.core import metrics
from newswire.core.model import Item
from newswire.stages.classify.classifier import Classifier
from newswire.stages.classify.nlp import NO_NLP
from newswire.stages.classify.pool import ClassifierPool


class ClassifyFn(beam.DoFn):
    """Items -> the same items with their classification.

    Args:
        nlp_model: a spaCy pipeline package, or `none` (the vocabulary alone).
        batch_size: items classified together, at most (never across bundles).
        processes: classify in this many processes of their own (0: one a CPU); 1, or no
            model, classifies here (see pool.py for when a pool pays).
    """

    def __init__(self, nlp_model: str, batch_size: int = 64, processes: int = 1) -> None:
        self._nlp_model = nlp_model
        self._batch_size = batch_size
        self._processes = processes

    def setup(self) -> None:
        self._classifier: Classifier | ClassifierPool
        if self._processes != 1 and self._nlp_model != NO_NLP:
            self._classifier = ClassifierPool(self._nlp_model, self._processes)
        else:
            self._classifier = Classifier.from_data(nlp_model=self._nlp_model)

    def teardown(self) -> None:
        if isinstance(self._classifier, ClassifierPool):
            self._classifier.close()

    def start_bundle(self) -> None:
        self._batch: list[tuple[Item, object, object]] = []

    def process(self, item: Item, timestamp=beam.DoFn.TimestampParam, window=beam.DoFn.WindowParam):
        self._batch.append((item, timestamp, window))
        if len(self._batch) >= self._batch_size:
            yield from self._flush()

    def finish_bundle(self):
        yield from self._flush()

    def _flush(self):
        batch, self._batch = self._batch, []
        if not batch:
            return
        with metrics.stage("classify"):
            classified = self._classifier.classify_items([item for item, _, _ in batch])
        for item, (_, timestamp, window) in zip(classified, batch, strict=True):
            yield WindowedValue(item, timestamp, [window])
