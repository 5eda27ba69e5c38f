"""A job's run keeps the cycle collector out of its way, and leaves it as it found it."""

from __future__ import annotations

import gc

from newswire import heap


def test_a_run_freezes_start_up_and_gives_it_back_to_the_collector_afterwards() -> None:
    before = gc.get_threshold()
    start_up = [[] for _ in range(1000)]
    with heap.settled():
        assert gc.get_threshold()[0] == heap.YOUNG_THRESHOLD
        assert gc.get_freeze_count() >= len(start_up)
        cycle: list = []
        cycle.append(cycle)
    assert gc.get_freeze_count() == 0, "what the run froze would never be collected"
    assert gc.get_threshold() == before
