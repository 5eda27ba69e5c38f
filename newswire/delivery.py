"""Which source offsets are done: every record derived from them acknowledged by a sink.

A bundle finalizer fires once the runner holds a bundle's output, which on the DirectRunner
(Prism, or the in-process FnApiRunner) is memory: a crash would lose pages whose offsets were
already committed. So the source opens an entry per message, a stage that turns one element
into n is counted (`fork`), a sink says what the broker acknowledged (`done`), and the source
commits only offsets below the oldest entry still open.

Stages never see any of this: the job wraps a stage that forks in `Counted` (or gives a
`Pooled` one `Forks`) and hands dedup a `Dropped` to call for each repeat it drops. Only the
Kafka source and sinks talk to the ledger.

The ledger lives in the worker process, which on the DirectRunner runs every stage (Prism's
default LOOPBACK environment). A runner with several workers needs its own checkpoints instead
(on Flink: commit in the bundle finalizer, which fires after a checkpoint).

A count that goes wrong errs one way: a retried bundle forks twice, its entry never closes,
and commits stop there until a restart, which re-reads from it and lets dedup absorb repeats.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any

import apache_beam as beam

from newswire.core.model import DeadLetter, Item, Message, Page, Record


def origin_of(element: Any) -> str:
    """The source offset an element in the pipeline derives from."""
    if isinstance(element, Item):
        return element.page.origin
    if isinstance(element, Page | Record | Message):
        return element.origin
    if isinstance(element, DeadLetter):
        return origin_of(element.message)
    if isinstance(element, tuple) and element:
        return origin_of(element[0])
    raise TypeError(f"no origin in {type(element).__name__}")


class Ledger:
    """Open work per source offset, and the offsets that can be committed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count: dict[str, int] = {}
        self._where: dict[str, tuple[int, int]] = {}
        self._open: dict[int, set[int]] = defaultdict(set)
        self._first: dict[int, int] = {}
        self._next: dict[int, int] = {}

    def open(self, partition: int, offset: int, at: str) -> None:
        """A message read: one unit of work until something reports it done or forked."""
        with self._lock:
            self._count[at] = 1
            self._where[at] = (partition, offset)
            self._open[partition].add(offset)
            self._first.setdefault(partition, offset)
            self._next[partition] = max(self._next.get(partition, 0), offset + 1)

    def fork(self, at: str, outputs: int) -> None:
        """One element became `outputs` elements (0: dropped, 1: no change)."""
        with self._lock:
            if at not in self._count:
                return  # not opened by this run's source: a transform fed directly
            count = self._count[at] + outputs - 1
            if count > 0:
                self._count[at] = count
                return
            del self._count[at]
            partition, offset = self._where.pop(at)
            self._open[partition].discard(offset)

    def done(self, at: str) -> None:
        """A record derived from `at` is acknowledged by the broker."""
        self.fork(at, 0)

    def committable(self) -> dict[int, int]:
        """Per partition that made progress, the offset to commit: the oldest still open, else
        the next to read."""
        with self._lock:
            progress = {
                p: min(self._open[p]) if self._open[p] else next_ for p, next_ in self._next.items()
            }
            return {p: o for p, o in progress.items() if o > self._first[p]}

    def pending(self) -> int:
        with self._lock:
            return len(self._count)


_LEDGERS: dict[str, Ledger] = {}
_REGISTRY_LOCK = threading.Lock()


def ledger(run_id: str) -> Ledger:
    """The ledger of one job run in this process (stages find it by the run's id)."""
    with _REGISTRY_LOCK:
        found = _LEDGERS.get(run_id)
        if found is None:  # not setdefault: that built a Ledger on every call (every repeat)
            found = _LEDGERS[run_id] = Ledger()
        return found


def forget(run_id: str) -> None:
    with _REGISTRY_LOCK:
        _LEDGERS.pop(run_id, None)


class Forks:
    """Told how many elements a stage made of one (its outputs, main and tagged): that many
    ledger units replace the element's.

    Args:
        run_id: the run whose ledger hears the counts.
    """

    def __init__(self, run_id: str) -> None:
        self._run_id = run_id

    def __call__(self, element: Any, outputs: int) -> None:
        ledger(self._run_id).fork(origin_of(element), outputs)


class Counted(beam.DoFn):
    """A stage's DoFn whose outputs are counted into the run's ledger (`Forks`). A `Pooled`
    stage, which emits an element's outputs later, counts them itself when given `Forks`.

    Args:
        fn: the stage's DoFn; it must take only the element (no state, timers or params).
        run_id: the run whose ledger hears the counts.
    """

    def __init__(self, fn: beam.DoFn, run_id: str) -> None:
        self._fn = fn
        self._forks = Forks(run_id)

    def setup(self) -> None:
        self._fn.setup()

    def start_bundle(self) -> None:
        self._fn.start_bundle()

    def process(self, element: Any):
        outputs = list(self._fn.process(element) or ())
        self._forks(element, len(outputs))
        yield from outputs

    def finish_bundle(self):
        return self._fn.finish_bundle()

    def teardown(self) -> None:
        self._fn.teardown()


class Dropped:
    """Called by dedup with each value it drops as a repeat: its ledger unit is done.

    Args:
        run_id: the run whose ledger hears the drops.
    """

    def __init__(self, run_id: str) -> None:
        self._run_id = run_id

    def __call__(self, value: Any) -> None:
        ledger(self._run_id).fork(origin_of(value), 0)
