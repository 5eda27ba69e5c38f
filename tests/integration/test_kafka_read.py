"""The source's splittable DoFn, driven directly against the real broker."""

from __future__ import annotations

import pytest
from apache_beam.io.restriction_trackers import OffsetRange

from pipeline.config import Settings
from pipeline.source.kafka_read import (
    OPEN_END,
    ReadSpec,
    _PartitionTracker,
    _PartitionWatermark,
    _ReadPartitionFn,
)

pytestmark = pytest.mark.kafka


class _Finalizer:
    def __init__(self) -> None:
        self.callbacks: list = []

    def register(self, callback) -> None:
        self.callbacks.append(callback)


def _spec(settings: Settings, until_caught_up: bool) -> ReadSpec:
    return ReadSpec(
        settings.kafka_client_config(),
        settings.raw_topic,
        settings.group_id,
        until_caught_up,
        poll_timeout_ms=2000,
    )


def _fill(producer, settings: Settings, n: int) -> None:
    for i in range(n):
        producer.send(settings.raw_topic, value=f"page {i}".encode(), partition=0).get(timeout=30)


def test_batch_read_stops_at_its_end_offset_when_more_arrived(settings: Settings, producer) -> None:
    _fill(producer, settings, 5)
    fn = _ReadPartitionFn(_spec(settings, until_caught_up=True))
    fn.setup()
    try:
        tracker = _PartitionTracker(OffsetRange(0, 2))  # the log end was 2 when the job started
        finalizer = _Finalizer()
        watermark = _PartitionWatermark().create_watermark_estimator(None)
        out = list(fn._read((settings.raw_topic, 0), tracker, watermark, finalizer))
        assert [v.value.offset for v in out] == [0, 1]
        tracker.check_done()  # raises if work is left or a claim went wrong
        finalizer.callbacks[0]()  # commits offset 2 for the group, as the runner would
        assert fn._committer.committed(_tp(settings)) == 2
    finally:
        fn.teardown()


def test_initial_restriction_starts_at_the_committed_offset(settings: Settings, producer) -> None:
    _fill(producer, settings, 3)
    fn = _ReadPartitionFn(_spec(settings, until_caught_up=True))
    assert fn.initial_restriction((settings.raw_topic, 0)) == OffsetRange(0, 3)
    fn.setup()
    try:
        fn._commit(_tp(settings), 2)
    finally:
        fn.teardown()
    assert fn.initial_restriction((settings.raw_topic, 0)) == OffsetRange(2, 3)
    follow = _ReadPartitionFn(_spec(settings, until_caught_up=False))
    assert follow.initial_restriction((settings.raw_topic, 0)) == OffsetRange(2, OPEN_END)


def test_open_ranges_split_only_at_checkpoints() -> None:
    tracker = _PartitionTracker(OffsetRange(0, OPEN_END))
    assert tracker.try_claim(0)
    assert tracker.try_split(0.5) is None
    primary, residual = tracker.try_split(0)
    assert (primary, residual) == (OffsetRange(0, 1), OffsetRange(1, OPEN_END))


def _tp(settings: Settings):
    from kafka import TopicPartition

    return TopicPartition(settings.raw_topic, 0)
