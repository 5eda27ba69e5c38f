"""Python's cycle collector in the job's processes: out of the way of a long run.

A job keeps many objects alive for its whole life: Beam, Kafka and the classifier's modules
and data, the pipeline, a model, and dedup's growing indexes. The collector's default
thresholds run a young collection every 700 net allocations and, now and then, a full one
that walks all of it. On 20,000 pages without a model that was 3.7 s of the job's thread
(2.4 s in 18 full collections) and 0.8 s in each worker process; with what start-up built
frozen and young collections every 50,000 net allocations, 0.5 s and 0.03 s. Almost every
object the stages make is freed by its reference count, not by the collector.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

YOUNG_THRESHOLD = 50_000


def settle() -> None:
    """Call once start-up is done: collect what it left, exempt what survives from every later
    collection, and collect the young generation less often."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)


@contextlib.contextmanager
def settled() -> Iterator[None]:
    """`settle` for one job in a process that lives on after it (a test session, a script
    running several jobs): afterwards the frozen objects can be collected again, or a
    pipeline's cycles would outlive its run, one run after another."""
    threshold = gc.get_threshold()
    settle()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
