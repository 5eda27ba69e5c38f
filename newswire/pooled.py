"""A stage whose work is pure, run a batch at a time: in the job's worker processes, or here.

A stage describes itself (`PooledStage`): the task, what it takes of each element, and what
each element becomes given its result. `Pooled` is the DoFn that batches the elements,
hands each batch to the pool (`newswire.workers`) and goes on taking elements (and the stages
before it, fused in the same thread, go on working) while the pool works; what the pool has
finished is emitted as the bundle goes, in order, and the rest when it ends. A batch never
outlives its bundle, so a streaming job's small bundles add no latency. With one process the
batches run in this thread (spaCy's `nlp.pipe` over many texts is several times faster than
one text a call); with several, this thread also runs batches of a light stage (no model to
load) while the pool is behind, instead of waiting for it.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import apache_beam as beam
from apache_beam.utils.windowed_value import WindowedValue

from newswire.core import metrics
from newswire.core.tasks import Task, Work
from newswire.workers import Pending, WorkerPool


class PooledStage(Protocol):
    """What a stage's pure work is, and how its results leave the stage."""

    name: str  # for the stage-time metric
    task: Task
    # The task builds at once and holds little (no model): the job's thread may run batches of
    # it too, when the pool is behind.
    light: bool

    def setup(self) -> None:
        """Checks worth failing the job on in this process, before any worker starts."""

    def inputs(self, element: Any) -> Any:
        """What the task takes of an element (called as the element arrives)."""

    def outputs(self, element: Any, result: Any) -> Iterable[Any]:
        """The element's outputs (tagged or not), given its result."""


class Pooled(beam.DoFn):
    """A `PooledStage` as a DoFn.

    Args:
        stage: the stage.
        batch_size: elements handed over together, at most (never across bundles).
        processes: run in this many worker processes (0: one a CPU), or here with 1.
        forks: told how many outputs each element made (the job's delivery ledger), if given.
    """

    def __init__(
        self,
        stage: PooledStage,
        batch_size: int = 64,
        processes: int = 1,
        forks: Callable[[Any, int], None] | None = None,
    ) -> None:
        self._stage = stage
        self._batch_size = batch_size
        self._processes = processes
        self._forks = forks

    def setup(self) -> None:
        self._stage.setup()
        self._work: Work | None = None
        self._pool: WorkerPool | None = None
        if self._processes == 1:
            self._work = self._stage.task.build()
        else:
            self._pool = WorkerPool.shared(self._processes)
            self._pool.warm(self._stage.task)

    def teardown(self) -> None:
        if self._pool is not None:
            self._pool.release()
            self._pool = None

    def start_bundle(self) -> None:
        self._batch: list[_Held] = []
        # Each batch in hand: its results to come, its elements, when the pool got it.
        self._pending: deque[tuple[Pending, list[_Held], float | None]] = deque()

    def process(
        self, element: Any, timestamp=beam.DoFn.TimestampParam, window=beam.DoFn.WindowParam
    ):
        self._batch.append((element, self._stage.inputs(element), timestamp, window))
        if len(self._batch) >= self._batch_size:
            yield from self._flush()

    def finish_bundle(self):
        yield from self._flush()
        yield from self._finished(keep=0)

    def _flush(self):
        batch, self._batch = self._batch, []
        if not batch:
            return
        inputs = [held[1] for held in batch]
        if self._pool is None:
            # Emitted outside the timer: the stages after this one run as each is yielded.
            yield from self._emit(batch, self._run_here(inputs))
            return
        # Enough batches in hand to keep every process busy while this thread works.
        in_hand = 2 * self._pool.processes
        behind = len(self._pending) >= in_hand and not self._pending[0][0].done()
        if behind and self._stage.light:
            # The pool is behind: this thread would only wait for it, so it works too (without
            # a model, on 2 cores, the job's thread had a third of its time to spare).
            self._pending.append((Pending.ready(self._run_here(inputs)), batch, None))
        else:
            pending = self._pool.submit(self._stage.task, inputs)
            self._pending.append((pending, batch, _now()))
        # Batches run here wait behind the pool's, to keep the order: a bound on both.
        yield from self._finished(keep=2 * in_hand)

    def _run_here(self, inputs: list[Any]) -> list[Any]:
        if self._work is None:
            self._work = self._stage.task.build()
        with metrics.stage(self._stage.name):
            return self._work(inputs)

    def _finished(self, keep: int):
        """Emit the batches that are done, in order; wait for the oldest while more than
        `keep` are in hand."""
        while self._pending and (len(self._pending) > keep or self._pending[0][0].done()):
            pending, batch, submitted = self._pending.popleft()
            results = pending.result()
            if submitted is not None:
                metrics.stage_took(self._stage.name, _now() - submitted)
            yield from self._emit(batch, results)

    def _emit(self, batch: list[_Held], results: list[Any]):
        for (element, _, timestamp, window), result in zip(batch, results, strict=True):
            outputs = list(self._stage.outputs(element, result))
            if self._forks is not None:
                self._forks(element, len(outputs))
            for output in outputs:
                yield _windowed(output, timestamp, window)


_Held = tuple[Any, Any, Any, Any]  # an element, its input to the task, timestamp and window
_now = time.perf_counter


def _windowed(output: Any, timestamp, window) -> Any:
    """An output with its element's timestamp and window: emitted outside `process` (at the
    bundle's end, or for an earlier element), Beam needs them given."""
    if isinstance(output, beam.pvalue.TaggedOutput):
        return beam.pvalue.TaggedOutput(
            output.tag, WindowedValue(output.value, timestamp, [window])
        )
    return WindowedValue(output, timestamp, [window])
