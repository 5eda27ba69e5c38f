"""Beam shell around the classifier; the model loads once per worker DoFn, in setup.

Items are classified a batch at a time: spaCy's `nlp.pipe` over many texts is several times
faster than one text per call. A batch is at most `batch_size` items and never outlives its
bundle, so a streaming job's small bundles add no latency. With a pool of processes, a batch
is handed over and the stage goes on taking items (and the stages before it, fused in the same
thread, go on working) while the pool classifies; what the pool has finished is emitted as
the bundle goes, and the rest when it ends.
"""

from __future__ import annotations

import time
from collections import deque

import apache_beam as beam
from apache_beam.utils.windowed_value import WindowedValue

from newswire.core import metrics
from newswire.core.model import Classification, Item
from newswire.stages.classify.classifier import Classifier, with_classifications
from newswire.stages.classify.pool import ClassifierPool, Pending


class ClassifyFn(beam.DoFn):
    """Items -> the same items with their classification.

    Args:
        nlp_model: a spaCy pipeline package, or `none` (the vocabulary alone).
        batch_size: items classified together, at most (never across bundles).
        processes: classify in this many processes of their own (0: one a CPU), or here
            with 1 (see pool.py for what a pool costs and gains).
    """

    def __init__(self, nlp_model: str, batch_size: int = 64, processes: int = 1) -> None:
        self._nlp_model = nlp_model
        self._batch_size = batch_size
        self._processes = processes

    def setup(self) -> None:
        self._classifier: Classifier | None = None
        self._pool: ClassifierPool | None = None
        if self._processes != 1:
            self._pool = ClassifierPool(self._nlp_model, self._processes)
        else:
            self._classifier = Classifier.from_data(nlp_model=self._nlp_model)

    def teardown(self) -> None:
        if self._pool is not None:
            self._pool.close()

    def start_bundle(self) -> None:
        self._batch: list[_Held] = []
        self._pending: deque[tuple[Pending, list[_Held], float]] = deque()

    def process(self, item: Item, timestamp=beam.DoFn.TimestampParam, window=beam.DoFn.WindowParam):
        self._batch.append((item, timestamp, window))
        if len(self._batch) >= self._batch_size:
            yield from self._flush()

    def finish_bundle(self):
        yield from self._flush()
        yield from self._finished(keep=0)

    def _flush(self):
        batch, self._batch = self._batch, []
        if not batch:
            return
        articles = [item.article for item, _, _ in batch]
        if self._pool is None:
            assert self._classifier is not None
            with metrics.stage("classify"):
                results = self._classifier.classify_many(articles)
            # Emitted outside the timer: the stages after this one run as each item is yielded.
            yield from _emit(batch, results)
            return
        self._pending.append((self._pool.submit(articles), batch, time.perf_counter()))
        # Enough batches in hand to keep every process busy while this thread works; more
        # would only hold items back.
        yield from self._finished(keep=2 * self._pool.processes)

    def _finished(self, keep: int):
        """Emit the batches the pool has finished, in order; wait for the oldest while more
        than `keep` are in its hands."""
        while self._pending and (len(self._pending) > keep or self._pending[0][0].done()):
            pending, batch, submitted = self._pending.popleft()
            results = pending.result()
            metrics.stage_took("classify", time.perf_counter() - submitted)
            yield from _emit(batch, results)


_Held = tuple[Item, object, object]  # an item, its timestamp and window


def _emit(batch: list[_Held], results: list[Classification]):
    items = with_classifications([item for item, _, _ in batch], results)
    for item, (_, timestamp, window) in zip(items, batch, strict=True):
        yield WindowedValue(item, timestamp, [window])
