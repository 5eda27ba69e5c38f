"""The job's worker processes: the pure, CPU-bound work of its stages, beside the job's thread.

Decoding, splitting and classifying are plain functions of their input. The job's thread
must also read, dedup, assign stories and write every page, so on its own it is the
bottleneck; handed to processes of their own, that work uses the other cores. Processes,
because the work is Python holding the GIL (spaCy too: its matrix products gain little from
BLAS threads, 20.3 pages/s with one thread, 22.7 with two, using 1.75 cores on 2).

A stage describes its work as a `Task` (newswire/core/tasks.py), built once in each process
that runs it (a spaCy model loads once a process, ~250 MB for fr_core_news_sm). One pool serves
every stage of the job in this process (`WorkerPool.shared`).

Processes are spawned, not forked: the parent runs gRPC and Kafka threads, which a fork
would copy in whatever state they were in. A spawned process imports the parent's main module,
so a script that starts a job must keep its work under `if __name__ == "__main__"` (the
`newswire` command, Beam's worker pool and pytest do).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import multiprocessing
import os
import threading
from collections.abc import Sequence
from typing import Any

from newswire import heap
from newswire.core.tasks import Task, Work

# How much lower the worker processes run than the job's thread. That thread reads, dedups and
# writes every page, and feeds the pool: when it waits for a core, the pool soon waits for work.
# Without a model, on 2 cores, 10,000 pages: the thread waited 3.8-4.7 s for a core with the
# pool at its priority, 1.9-2.2 s with the pool at this one (three runs each). With a model
# the pool is the bottleneck and the thread mostly waits on it, so the pool still gets all
# the thread leaves.
POOL_NICENESS = 10

# How long a warm-up waits for the other processes to build their task (a model loads in
# about 20 s; a process that takes longer builds it in its first batch instead).
WARM_UP_TIMEOUT_S = 120.0

_BUILT: dict[Task, Work] = {}
_ALL_WARM: threading.Barrier | None = None  # this pool's processes, met once a warm-up


def _start_worker(all_warm: threading.Barrier) -> None:
    global _ALL_WARM
    _ALL_WARM = all_warm
    if hasattr(os, "nice"):
        os.nice(POOL_NICENESS)


def _warm(task: Task) -> list[Any]:
    """Build `task`, then wait for every other process to have built it too: a process that
    took two warm-up calls while another was still starting would leave that one to load its
    model within the first bundle."""
    assert _ALL_WARM is not None, "the pool's initializer did not run"
    try:
        return _run(task, [])
    finally:  # a build that failed is met too: every call stays on a process of its own
        with contextlib.suppress(threading.BrokenBarrierError):
            _ALL_WARM.wait(WARM_UP_TIMEOUT_S)


def _run(task: Task, batch: Sequence[Any]) -> list[Any]:
    work = _BUILT.get(task)
    if work is None:
        from threadpoolctl import threadpool_limits

        work = _BUILT[task] = task.build()
        # The processes share the cores: one BLAS thread each. After the task is built, so that
        # every BLAS library a model brought in is limited (two threads a process ran at half
        # speed).
        threadpool_limits(1)
        heap.settle()
    return work(batch)


def resolve_processes(processes: int) -> int:
    """0 means one a CPU."""
    return processes if processes > 0 else os.cpu_count() or 1


class Pending:
    """A batch in the pool's hands (or done already): its chunks' futures, in order."""

    def __init__(self, futures: list[concurrent.futures.Future]) -> None:
        self._futures = futures

    @classmethod
    def ready(cls, results: list[Any]) -> Pending:
        """A batch whose results are already there (it ran in the caller's thread)."""
        future: concurrent.futures.Future = concurrent.futures.Future()
        future.set_result(results)
        return cls([future])

    def done(self) -> bool:
        return all(future.done() for future in self._futures)

    def result(self) -> list[Any]:
        """The batch's results, in order, once every chunk is done (waits)."""
        try:
            return [r for future in self._futures for r in future.result()]
        except concurrent.futures.process.BrokenProcessPool as exc:
            raise RuntimeError(
                f"a worker process died ({exc}); out of memory? fewer --worker-processes need less"
            ) from exc


class WorkerPool:
    """`processes` processes running tasks: a batch is cut in that many contiguous chunks, run
    at once, and joined in order. `submit` returns at once, so the caller works on meanwhile."""

    def __init__(self, processes: int) -> None:
        self.processes = resolve_processes(processes)
        context = multiprocessing.get_context("spawn")
        self._all_warm = context.Barrier(self.processes)
        self._executor = concurrent.futures.ProcessPoolExecutor(
            max_workers=self.processes,
            mp_context=context,
            initializer=_start_worker,
            initargs=(self._all_warm,),
        )
        self._users = 0

    @classmethod
    def shared(cls, processes: int) -> WorkerPool:
        """This process's pool of `processes`, shared by every stage (and every instance of a
        stage: a runner runs one a concurrent bundle) until the last `release`s it."""
        with _SHARED_LOCK:
            pool = _SHARED.get(processes)
            if pool is None:
                pool = _SHARED[processes] = cls(processes)
            pool._users += 1
            return pool

    def release(self) -> None:
        with _SHARED_LOCK:
            self._users -= 1
            if self._users > 0:
                return
            for key, pool in list(_SHARED.items()):
                if pool is self:
                    del _SHARED[key]
        self.close()

    def warm(self, task: Task) -> None:
        """Build `task` in every process now (a model loads), not within the first bundle;
        fails as the task's build does."""
        try:
            Pending([self._executor.submit(_warm, task) for _ in range(self.processes)]).result()
        finally:
            if self._all_warm.broken:  # a process timed out waiting: ready for the next one
                self._all_warm.reset()

    def submit(self, task: Task, batch: Sequence[Any]) -> Pending:
        """Run `task` over `batch` in the background, a chunk a process."""
        size = max(1, -(-len(batch) // self.processes))
        chunks = [batch[i : i + size] for i in range(0, len(batch), size)]
        return Pending([self._executor.submit(_run, task, chunk) for chunk in chunks])

    def run(self, task: Task, batch: Sequence[Any]) -> list[Any]:
        return self.submit(task, batch).result()

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


_SHARED: dict[int, WorkerPool] = {}
_SHARED_LOCK = threading.Lock()
