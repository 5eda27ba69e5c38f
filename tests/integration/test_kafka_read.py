"""The source's splittable DoFn, driven directly against the real broker."""

from __future__ import annotations

import dataclasses
import time

import pytest
from apache_beam.io.restriction_trackers import OffsetRange

from newswire.config import Settings
from newswire.delivery import forget, ledger
from newswire.kafka.connection import Connection
from newswire.kafka.source import (
    OPEN_END,
    Committer,
    ReadSpec,
    ReadStalled,
    _PartitionTracker,
    _PartitionWatermark,
    _ReadPartitionFn,
)

pytestmark = pytest.mark.kafka


def _spec(settings: Settings, until_caught_up: bool) -> ReadSpec:
    return ReadSpec(
        Connection.of(settings),
        settings.raw_topic,
        settings.group_id,
        until_caught_up,
        poll_timeout_ms=2000,
        run_id=settings.group_id,  # a ledger of the test's own
    )


def _fill(producer, settings: Settings, n: int) -> None:
    for i in range(n):
        producer.send(settings.raw_topic, value=f"page {i}".encode(), partition=0).get(timeout=30)


def test_batch_read_stops_at_its_end_offset_when_more_arrived(settings: Settings, producer) -> None:
    _fill(producer, settings, 5)
    spec = _spec(settings, until_caught_up=True)
    fn = _ReadPartitionFn(spec)
    fn.setup()
    committer = Committer(spec)
    try:
        tracker = _PartitionTracker(OffsetRange(0, 2))  # the log end was 2 when the job started
        watermark = _PartitionWatermark().create_watermark_estimator(None)
        out = list(fn._read_range((settings.raw_topic, 0), tracker, watermark, None))
        assert [v.value.offset for v in out] == [0, 1]
        tracker.check_done()  # raises if work is left or a claim went wrong
        assert committer.commit() == {}, "read is not written: nothing to commit"
        for value in out:
            ledger(spec.run_id).done(value.value.origin)  # the sink's acknowledgement
        assert committer.commit() == {0: 2}
        assert _committed(settings) == 2
    finally:
        committer.close()
        fn.teardown()
        forget(spec.run_id)


def test_initial_restriction_starts_at_the_committed_offset(settings: Settings, producer) -> None:
    _fill(producer, settings, 3)
    spec = _spec(settings, until_caught_up=True)
    fn = _ReadPartitionFn(spec)
    assert fn.initial_restriction((settings.raw_topic, 0)) == OffsetRange(0, 3)
    book = ledger(spec.run_id)
    for offset in (0, 1):
        book.open(0, offset, f"{settings.raw_topic}/0@{offset}")
        book.done(f"{settings.raw_topic}/0@{offset}")
    committer = Committer(spec)
    try:
        committer.commit()
    finally:
        committer.close()
        forget(spec.run_id)
    assert fn.initial_restriction((settings.raw_topic, 0)) == OffsetRange(2, 3)
    follow = _ReadPartitionFn(_spec(settings, until_caught_up=False))
    assert follow.initial_restriction((settings.raw_topic, 0)) == OffsetRange(2, OPEN_END)


def test_open_ranges_split_only_at_checkpoints() -> None:
    tracker = _PartitionTracker(OffsetRange(0, OPEN_END))
    assert tracker.try_claim(0)
    assert tracker.try_split(0.5) is None
    primary, residual = tracker.try_split(0)
    assert (primary, residual) == (OffsetRange(0, 1), OffsetRange(1, OPEN_END))


def _committed(settings: Settings) -> int | None:
    from kafka import TopicPartition

    consumer = Connection.of(settings).consumer(group_id=settings.group_id)
    try:
        return consumer.committed(TopicPartition(settings.raw_topic, 0))
    finally:
        consumer.close()


def test_a_batch_read_that_gets_nothing_fails_clearly_instead_of_growing(
    settings: Settings, producer
) -> None:
    """The range promises 5 records but the log holds 2 (as when a broker is away): the read
    stops after its stall timeout with an error naming where, and holds no more than it read."""
    _fill(producer, settings, 2)
    spec = dataclasses.replace(_spec(settings, until_caught_up=True), stall_timeout_s=2.0)
    fn = _ReadPartitionFn(spec)
    fn.setup()
    try:
        tracker = _PartitionTracker(OffsetRange(0, 5))
        watermark = _PartitionWatermark().create_watermark_estimator(None)
        out = []
        started = time.monotonic()
        with pytest.raises(ReadStalled, match=rf"{settings.raw_topic}\[0\]: no record .* offset 2"):
            out.extend(fn._read_range((settings.raw_topic, 0), tracker, watermark, None))
        assert time.monotonic() - started < 30
        assert [v.value.offset for v in out] == [0, 1]
    finally:
        fn.teardown()
        forget(spec.run_id)
