"""The worker pool gives what the task gives in this process, in order, from processes of its
own that run below the job's thread; one pool serves every stage of a job."""

from __future__ import annotations

import gc
import os
import time

import pytest

from newswire import heap, workers
from newswire.core.errors import Failed
from newswire.core.tasks import Each
from newswire.stages.classify.classifier import ClassifyTask
from newswire.stages.parse.page import parse_page
from newswire.workers import POOL_NICENESS, WorkerPool, resolve_processes
from tests.conftest import SEEDS

MODEL = "fr_core_news_sm"


@pytest.fixture(scope="module")
def articles() -> list:
    pages = [parse_page(p.read_text("utf-8")) for p in sorted(SEEDS.glob("*.txt"))]
    return [a for page in pages for a in (page.article, *page.teasers)]


def test_the_pool_classifies_as_one_classifier_does_in_the_same_order(articles: list) -> None:
    task = ClassifyTask(MODEL)
    pool = WorkerPool(2)
    try:
        pool.warm(task)
        pooled = pool.run(task, articles)
        assert pool.run(task, []) == []
        # Fewer articles than processes: one chunk, still in order.
        assert pool.run(task, articles[:1]) == pooled[:1]
    finally:
        pool.close()
    assert pooled == task.build()(articles)


def _half(n: int) -> int:
    if n % 2:
        raise ValueError(f"{n} is odd")
    return n // 2


def test_each_gives_an_element_s_failure_in_its_place_and_the_rest_their_results() -> None:
    pool = WorkerPool(2)
    try:
        results = pool.run(Each(_half), [4, 3, 8, 10])
    finally:
        pool.close()
    assert results[0] == 2 and results[2:] == [4, 5]
    failed = results[1]
    assert isinstance(failed, Failed) and failed.internal
    assert failed.detail == "ValueError: 3 is odd" and "_half" in failed.trace


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="no process priorities here")
def test_the_pool_runs_below_the_job_thread_priority() -> None:
    pool = WorkerPool(2)
    try:
        pool.warm(Each(_half))
        pids = list(pool._executor._processes)
        assert len(pids) == 2
        wanted = min(os.getpriority(os.PRIO_PROCESS, 0) + POOL_NICENESS, 19)
        # A process lowers itself as it starts, and one process may have served both warm-up
        # calls while the other was still importing: wait for each to start.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(_priority(pid) != wanted for pid in pids):
            time.sleep(0.1)
        assert [_priority(pid) for pid in pids] == [wanted, wanted]
    finally:
        pool.close()


def _priority(pid: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, pid)


def test_a_task_that_cannot_build_fails_the_warm_up() -> None:
    pool = WorkerPool(1)
    try:
        with pytest.raises(Exception, match="not installed: pip install fr-no-such-model"):
            pool.warm(ClassifyTask("fr_no_such_model"))
    finally:
        pool.close()


def test_stages_share_one_pool_until_the_last_releases_it() -> None:
    first, second = WorkerPool.shared(2), WorkerPool.shared(2)
    assert first is second
    first.release()
    assert first.run(Each(_half), [2]) == [1], "closed while a stage still holds it"
    second.release()
    third = WorkerPool.shared(2)
    try:
        assert third is not first
    finally:
        third.release()


def test_zero_processes_means_one_a_cpu() -> None:
    assert resolve_processes(0) == (os.cpu_count() or 1)
    assert resolve_processes(3) == 3


def _collector(_: object) -> tuple[int, int]:
    return gc.get_threshold()[0], gc.get_freeze_count()


def test_a_worker_keeps_the_collector_out_of_the_way_once_its_task_is_built() -> None:
    pool = WorkerPool(1)
    try:
        [(young, frozen)] = pool.run(Each(_collector), [None])
    finally:
        pool.close()
    assert young == heap.YOUNG_THRESHOLD
    assert frozen > 10_000, "start-up's objects are still scanned by every full collection"


def _built(_: object) -> tuple[int, bool]:
    return os.getpid(), ClassifyTask("none") in workers._BUILT


def _slowly(n: int) -> int:
    time.sleep(3)
    return n


def test_a_warm_up_builds_the_task_in_every_process_even_a_busy_one() -> None:
    pool = WorkerPool(2)
    try:
        pool.warm(Each(_half))  # both processes are up
        busy = pool.submit(Each(_slowly), [1])  # one of them is busy for a while
        # The idle one must not take both warm-up calls and leave the busy one cold.
        pool.warm(ClassifyTask("none"))
        assert busy.result() == [1]
        pids = list(pool._executor._processes)
        seen: dict[int, bool] = {}
        deadline = time.monotonic() + 60
        while set(seen) != set(pids) and time.monotonic() < deadline:
            seen.update(pool.run(Each(_built), list(range(8))))
    finally:
        pool.close()
    assert set(seen) == set(pids)
    assert all(seen.values()), f"a process did not build the task at the warm-up: {seen}"
