"""The classifier pool gives what one classifier gives, in order, from processes of its own."""

from __future__ import annotations

import os
import time

import pytest

from newswire.stages.classify.classifier import Classifier
from newswire.stages.classify.pool import POOL_NICENESS, ClassifierPool, resolve_processes
from newswire.stages.parse.page import parse_page
from tests.conftest import SEEDS

MODEL = "fr_core_news_sm"


@pytest.fixture(scope="module")
def articles() -> list:
    pages = [parse_page(p.read_text("utf-8")) for p in sorted(SEEDS.glob("*.txt"))]
    return [a for page in pages for a in (page.article, *page.teasers)]


def test_pool_classifies_as_one_classifier_does_in_the_same_order(articles: list) -> None:
    pool = ClassifierPool(MODEL, 2)
    try:
        pooled = pool.classify_many(articles)
        assert pool.classify_many([]) == []
        # Fewer articles than processes: one chunk, still in order.
        assert pool.classify_many(articles[:1]) == pooled[:1]
    finally:
        pool.close()
    assert pooled == Classifier.from_data(nlp_model=MODEL).classify_many(articles)


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="no process priorities here")
def test_the_pool_runs_below_the_job_thread_priority() -> None:
    pool = ClassifierPool("none", 2)
    try:
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


def test_a_model_that_cannot_load_fails_the_pool_at_start() -> None:
    with pytest.raises(Exception, match="not installed: pip install fr-no-such-model"):
        ClassifierPool("fr_no_such_model", 1)


def test_zero_processes_means_one_a_cpu() -> None:
    assert resolve_processes(0) == (os.cpu_count() or 1)
    assert resolve_processes(3) == 3
