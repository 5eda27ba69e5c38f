"""Classification spread over worker processes, each with its own copy of the model.

spaCy holds the GIL, and its matrix products gain little from BLAS threads (measured on 2
cores: 20.3 pages/s with one BLAS thread, 22.7 with two, while using 1.75 cores). Processes
with one BLAS thread each use the cores fully. Each process loads the model once (~250 MB for
fr_core_news_sm). The caller hands a batch over (`submit`) and works on meanwhile, so a pool
pays even without a model, where classification is a fifth of the work: on 2 cores, 10,000
pages took 28.5 s end to end classifying in the job's thread and 24.5 s with a pool of two.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
from collections.abc import Sequence

from newswire.core.model import Article, Classification
from newswire.stages.classify.classifier import Classifier
from newswire.stages.classify.nlp import require_installed

_WORKER: Classifier | None = None

# How much lower the pool's processes run than the job's thread. That thread decodes, splits,
# dedups and writes every page, and feeds the pool: when it waits for a core, the pool soon
# waits for work. Without a model, on 2 cores, 10,000 pages: the thread waited 3.8-4.7 s for a
# core with the pool at its priority, 1.9-2.2 s with the pool at this one (three runs each).
# With a model the pool is the bottleneck and the thread mostly waits on it, so the pool
# still gets all the thread leaves.
POOL_NICENESS = 10


def _start_worker(nlp_model: str) -> None:
    from threadpoolctl import threadpool_limits

    global _WORKER
    if hasattr(os, "nice"):
        os.nice(POOL_NICENESS)
    _WORKER = Classifier.from_data(nlp_model=nlp_model)
    # The processes share the cores: one BLAS thread each. After the model has loaded, so that
    # every BLAS library it brought in is limited (two threads a process ran at half speed).
    threadpool_limits(1)


def _classify(articles: Sequence[Article]) -> list[Classification]:
    assert _WORKER is not None, "the pool's initializer did not run"
    return _WORKER.classify_many(articles)


def resolve_processes(processes: int) -> int:
    """0 means one a CPU."""
    return processes if processes > 0 else os.cpu_count() or 1


class Pending:
    """A batch in the pool's hands: its chunks' futures, in order."""

    def __init__(self, futures: list[concurrent.futures.Future]) -> None:
        self._futures = futures

    def done(self) -> bool:
        return all(future.done() for future in self._futures)

    def result(self) -> list[Classification]:
        """The batch's classifications, in order, once every chunk is done (waits)."""
        try:
            return [c for future in self._futures for c in future.result()]
        except concurrent.futures.process.BrokenProcessPool as exc:
            raise RuntimeError(
                f"a classifying process died ({exc}); out of memory? fewer --classify-processes"
                " need less"
            ) from exc


class ClassifierPool:
    """`Classifier.classify_many` over `processes` processes: a batch is cut in that many
    contiguous chunks, classified at once, and joined in order. `submit` returns at once, so
    the caller works on while the pool classifies.

    Processes are spawned, not forked: the parent runs gRPC and Kafka threads, which a fork
    would copy in whatever state they were in. A spawned process imports the parent's main
    module, so a script that starts a job must keep its work under `if __name__ ==
    "__main__"` (the `newswire` command, Beam's worker pool and pytest do).
    """

    def __init__(self, nlp_model: str, processes: int) -> None:
        require_installed(nlp_model)
        self.processes = resolve_processes(processes)
        self._executor = concurrent.futures.ProcessPoolExecutor(
            max_workers=self.processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(nlp_model,),
        )
        # Load the models now, not within the first bundle.
        Pending([self._executor.submit(_classify, []) for _ in range(self.processes)]).result()

    def classify_many(self, articles: Sequence[Article]) -> list[Classification]:
        return self.submit(articles).result()

    def submit(self, articles: Sequence[Article]) -> Pending:
        """Classify `articles` in the background, a chunk a process."""
        size = max(1, -(-len(articles) // self.processes))
        chunks = [articles[i : i + size] for i in range(0, len(articles), size)]
        return Pending([self._executor.submit(_classify, chunk) for chunk in chunks])

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
