"""Read a Kafka topic inside Beam with kafka-python: a splittable DoFn over partition offsets.

The Python SDK's own ReadFromKafka is a cross-language transform that needs a Java expansion
service and Docker; this one runs in the Python worker on every runner.

Each partition is one element whose restriction is an offset range. `until_caught_up` bounds the
range by the partition's end offset when the job starts, so the read finishes (a batch job);
otherwise the range is open and a caught-up partition defers itself (a streaming job, which on
the DirectRunner needs Prism). Offsets are committed to the consumer group only once every
record derived from them is on its topic (see newswire/delivery.py).
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

import apache_beam as beam
from apache_beam.io.restriction_trackers import OffsetRange, OffsetRestrictionTracker
from apache_beam.io.watermark_estimators import ManualWatermarkEstimator
from apache_beam.transforms.core import RestrictionProvider, WatermarkEstimatorProvider
from apache_beam.utils.timestamp import MIN_TIMESTAMP, Duration, Timestamp
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from newswire.core import metrics
from newswire.core.model import Message
from newswire.delivery import ledger
from newswire.kafka.connection import Connection

_LOG = logging.getLogger(__name__)
OPEN_END = sys.maxsize
# When offsets are committed: at each poll (LEDGER, the DirectRunner), or when a checkpoint
# completes after the bundle that read them (CHECKPOINT, Flink). Either way never past what the
# run's ledger says the sinks acknowledged, where the run has one (every stage in this process).
LEDGER, CHECKPOINT = "ledger", "checkpoint"


class ReadStalled(RuntimeError):
    """A bounded read got no record for too long: the broker is away or the log is gone."""


@dataclass(frozen=True)
class ReadSpec:
    """What `ReadFromKafka` reads, and how.

    Args:
        connection: the broker.
        topic: the raw topic; every partition is read.
        group_id: the consumer group whose committed offsets are the start, and are advanced.
        until_caught_up: read up to the log end at start (a batch), else follow for ever.
        poll_timeout_ms: how long one poll of a partition waits for records.
        max_poll_records: records one poll takes at most.
        idle_poll_s: pause before polling a caught-up partition again (streaming).
        stall_timeout_s: a batch read that gets nothing for this long fails.
        run_id: the run's delivery ledger ("": none; commits follow checkpoints alone).
        commit_on: LEDGER (commit what the ledger allows, at each poll) or CHECKPOINT.
    """

    connection: Connection
    topic: str
    group_id: str
    until_caught_up: bool
    poll_timeout_ms: int = 500
    max_poll_records: int = 500
    idle_poll_s: float = 1.0
    stall_timeout_s: float = 300.0
    run_id: str = ""  # the ledger this run's stages report to ("": none, stages elsewhere)
    commit_on: str = LEDGER  # LEDGER: at each poll; CHECKPOINT: when a checkpoint completes

    def consumer(self) -> KafkaConsumer:
        return self.connection.consumer(
            group_id=self.group_id,
            auto_offset_reset="earliest",
            max_poll_records=self.max_poll_records,
            isolation_level="read_committed",
        )


def list_partitions(spec: ReadSpec) -> list[tuple[str, int]]:
    consumer = spec.consumer()
    try:
        partitions = consumer.partitions_for_topic(spec.topic)
    finally:
        consumer.close()
    if not partitions:
        raise RuntimeError(
            f"topic {spec.topic!r} does not exist on {spec.connection.bootstrap_servers}"
        )
    return [(spec.topic, p) for p in sorted(partitions)]


class Committer:
    """Commits the run's progress from its ledger to the consumer group, never backwards.

    A failed commit is logged, not raised: nothing is lost, the next commit supersedes it, and
    a restart before then re-reads records that dedup absorbs.
    """

    def __init__(self, spec: ReadSpec) -> None:
        self._spec = spec
        self._consumer: KafkaConsumer | None = None
        self._committed: dict[int, int] = {}
        self._lock = threading.Lock()

    def commit(self) -> dict[int, int]:
        """Commit what the ledger allows (nothing for a run without one); returns the offsets
        committed now."""
        if not self._spec.run_id:
            return {}
        return self.commit_offsets(ledger(self._spec.run_id).committable())

    def commit_read(self, partition: int, offset: int) -> dict[int, int]:
        """Commit up to `offset`, a checkpoint's read position, but never past what the ledger
        allows when there is one: on Beam's Flink runner a finalizer was seen to fire for reads
        whose records had not reached the sink yet (a kill then lost them)."""
        if self._spec.run_id:
            allowed = ledger(self._spec.run_id).committable().get(partition)
            if allowed is None:
                return {}
            offset = min(offset, allowed)
        return self.commit_offsets({partition: offset})

    def commit_offsets(self, progress: dict[int, int]) -> dict[int, int]:
        """Commit these next-offsets per partition, those ahead of the last commit only."""
        with self._lock:
            ahead = {p: o for p, o in progress.items() if o > self._committed.get(p, -1)}
            if not ahead:
                return {}
            try:
                if self._consumer is None:
                    self._consumer = self._spec.consumer()
                self._consumer.commit(
                    {
                        TopicPartition(self._spec.topic, p): OffsetAndMetadata(o, "", -1)
                        for p, o in ahead.items()
                    }
                )
            except Exception:
                _LOG.warning("offset commit failed at %s", ahead, exc_info=True)
                return {}
            self._committed.update(ahead)
            return ahead

    def close(self) -> None:
        with self._lock:
            if self._consumer is not None:
                self._consumer.close()
                self._consumer = None


class _PartitionWatermark(WatermarkEstimatorProvider):
    """Event time is the record timestamp; a caught-up partition holds the watermark at wall
    time, so that downstream event-time timers still fire when the wire is quiet."""

    def initial_estimator_state(self, element: tuple[str, int], restriction: OffsetRange):
        return MIN_TIMESTAMP

    def create_watermark_estimator(self, state: Timestamp | None) -> ManualWatermarkEstimator:
        return ManualWatermarkEstimator(state if state is not None else MIN_TIMESTAMP)


def _advance(watermark: ManualWatermarkEstimator, to: Timestamp) -> None:
    if to > watermark.current_watermark():
        watermark.set_watermark(to)


_WATERMARK = _PartitionWatermark()


class _PartitionTracker(OffsetRestrictionTracker):
    """Accepts only checkpoints (splits at the current position). A partition is read by one
    consumer in offset order; a split at a fraction of an open range would make a residual
    starting at an offset that does not exist yet."""

    def try_split(self, fraction_of_remainder: float):
        if fraction_of_remainder == 0:
            return super().try_split(0)
        return None


class _ReadPartitionFn(beam.DoFn, RestrictionProvider):
    """Reads one partition; being its own RestrictionProvider lets the spec reach both roles.

    The restriction starts at the group's committed offset (else the earliest) and ends at the
    log end when the job started, or never.
    """

    def __init__(self, spec: ReadSpec) -> None:
        self._spec = spec
        self._consumers: dict[TopicPartition, KafkaConsumer] = {}

    def initial_restriction(self, element: tuple[str, int]) -> OffsetRange:
        tp = TopicPartition(*element)
        consumer = self._spec.consumer()
        try:
            committed = consumer.committed(tp)
            start = committed if committed is not None else consumer.beginning_offsets([tp])[tp]
            stop = consumer.end_offsets([tp])[tp] if self._spec.until_caught_up else OPEN_END
        finally:
            consumer.close()
        _LOG.info(
            "reading %s[%d] from offset %d to %s",
            tp.topic,
            tp.partition,
            start,
            stop if stop != OPEN_END else "the open end",
        )
        return OffsetRange(start, max(start, stop))

    def create_tracker(self, restriction: OffsetRange) -> OffsetRestrictionTracker:
        return _PartitionTracker(restriction)

    def restriction_size(self, element: tuple[str, int], restriction: OffsetRange) -> int:
        return min(restriction.size(), 1 << 30)

    def setup(self) -> None:
        self._consumers = {}
        self._committer = Committer(self._spec)
        self._ledger = ledger(self._spec.run_id)

    def teardown(self) -> None:
        self._committer.close()
        for consumer in self._consumers.values():
            consumer.close()
        self._consumers = {}

    def _positioned(self, tp: TopicPartition, offset: int) -> KafkaConsumer:
        """The partition's own consumer, at `offset`. One consumer a partition, sought only when
        it is elsewhere: a seek or a new assignment drops the fetch in flight, and a poll that
        times out before a large record arrives would then fetch it again, and again."""
        consumer = self._consumers.get(tp)
        if consumer is None:
            consumer = self._consumers[tp] = self._spec.consumer()
            consumer.assign([tp])
            consumer.seek(tp, offset)
        elif consumer.position(tp) != offset:
            consumer.seek(tp, offset)
        return consumer

    @staticmethod
    def _at(consumer: KafkaConsumer, tp: TopicPartition) -> int:
        """The consumer's position; -1 while the broker cannot be asked (not at the end)."""
        try:
            return consumer.position(tp)
        except KafkaError as exc:
            _LOG.warning("no position for %s yet: %s", tp, exc)
            return -1

    def _poll(self, tp: TopicPartition, position: int) -> tuple[KafkaConsumer, list] | None:
        """One poll from `position`; None while the broker is away (nothing claimed)."""
        try:
            consumer = self._positioned(tp, position)
            return consumer, consumer.poll(timeout_ms=self._spec.poll_timeout_ms).get(tp, [])
        except KafkaError as exc:
            _LOG.warning("reading %s failed, retrying: %s", tp, exc)
            return None

    def _claim(self, batch: list, position: int, tracker, watermark):
        """Claims and emits a polled batch; returns the last offset claimed (None: none) and
        whether a claim ran past the restriction's end."""
        claimed = None
        for record in batch:
            if record.offset < position:
                continue  # the broker reset an out-of-range position; never re-read
            if not tracker.try_claim(record.offset):
                return claimed, True  # written after a batch started, or checkpointed away
            claimed = record.offset
            event_time = Timestamp.of(record.timestamp / 1000.0)
            _advance(watermark, event_time)
            message = _message(record)
            if self._spec.run_id:
                self._ledger.open(record.partition, record.offset, message.origin)
            yield beam.window.TimestampedValue(message, event_time)
        return claimed, False

    def _lag(self, consumer: KafkaConsumer, tp: TopicPartition, claimed: int) -> None:
        end = consumer.highwater(tp)
        if end is not None:
            metrics.lag(tp.topic, tp.partition, end - claimed - 1)

    def _follow(self, element, tracker, watermark, finalizer):
        """One poll of an open range, then defer: a streaming read that never ends."""
        self._commit_acknowledged()
        tp = TopicPartition(*element)
        restriction = tracker.current_restriction()
        polled = self._poll(tp, restriction.start)
        if polled is None:
            tracker.defer_remainder(Duration.of(self._spec.idle_poll_s))
            return
        consumer, batch = polled
        claimed, past_the_end = yield from self._claim(batch, restriction.start, tracker, watermark)
        if claimed is not None:
            self._lag(consumer, tp, claimed)
        else:
            _advance(watermark, Timestamp.now() - Duration.of(self._spec.idle_poll_s))
        # After every poll, an idle one too: the last records read may reach the sink only after
        # the checkpoint that followed their read, which then commits short of them; with no
        # new read, nothing committed them until the next record arrived (seen on Flink: a
        # record or two a partition left uncommitted for minutes).
        read_to = restriction.start if claimed is None else claimed + 1
        self._commit_at_checkpoint(finalizer, tp.partition, read_to)
        if past_the_end:
            return  # the failed claim has marked the restriction done
        if self._at(consumer, tp) >= restriction.stop:
            tracker.try_claim(restriction.stop)  # done: claims past the end, nothing left
            return
        if claimed is None:
            tracker.defer_remainder(Duration.of(self._spec.idle_poll_s))
        else:
            tracker.defer_remainder()  # at once, as before this read was split in two

    def _read_range(self, element, tracker, watermark, finalizer):
        """A fixed range, read to its end within this call.

        Never deferred: each deferral of a bounded read made the batch FnApiRunner run the read
        again at once and keep every attempt, so a broker slow to answer grew the job without
        bound (a CI run was killed at 23 GB). Here memory is one poll's records, and a broker
        that gives nothing for `stall_timeout_s` fails the job with a clear error.
        """
        tp = TopicPartition(*element)
        restriction = tracker.current_restriction()
        position, progressed = restriction.start, time.monotonic()
        while position < restriction.stop:
            self._commit_acknowledged()
            polled = self._poll(tp, position)
            consumer, batch = polled if polled is not None else (None, [])
            claimed, past_the_end = yield from self._claim(batch, position, tracker, watermark)
            if claimed is not None:
                position, progressed = claimed + 1, time.monotonic()
                self._lag(consumer, tp, claimed)
                self._commit_at_checkpoint(finalizer, tp.partition, position)
            if past_the_end:
                return
            if consumer is not None and self._at(consumer, tp) >= restriction.stop:
                break  # the rest of the range holds no records (transaction markers)
            stalled = time.monotonic() - progressed
            if stalled > self._spec.stall_timeout_s:
                raise ReadStalled(
                    f"{tp.topic}[{tp.partition}]: no record for {stalled:.0f}s at offset "
                    f"{position} of {restriction.start}..{restriction.stop} from "
                    f"{self._spec.connection.bootstrap_servers}; is the broker up?"
                )
            if polled is None:
                time.sleep(self._spec.idle_poll_s)
        tracker.try_claim(restriction.stop)  # done: claims past the end, nothing left

    def _commit_acknowledged(self) -> None:
        """At each poll on the DirectRunner: what the sinks acknowledged since the last one."""
        if self._spec.commit_on == LEDGER:
            self._committer.commit()

    def _commit_at_checkpoint(self, finalizer, partition: int, offset: int) -> None:
        """On Flink: commit what this bundle read once a checkpoint has completed after it
        (the finalizer fires then), bounded by the ledger where there is one."""
        if self._spec.commit_on == CHECKPOINT and finalizer is not None:
            finalizer.register(lambda: self._committer.commit_read(partition, offset))

    def process(  # type: ignore[override]
        self,
        element: tuple[str, int],
        tracker=beam.DoFn.RestrictionParam(),
        watermark=beam.DoFn.WatermarkEstimatorParam(_WATERMARK),
    ):
        yield from self._read_range(element, tracker, watermark, None)


class _FollowPartitionFn(_ReadPartitionFn):
    @beam.DoFn.unbounded_per_element()
    def process(  # type: ignore[override]
        self,
        element: tuple[str, int],
        tracker=beam.DoFn.RestrictionParam(),
        watermark=beam.DoFn.WatermarkEstimatorParam(_WATERMARK),
    ):
        yield from self._follow(element, tracker, watermark, None)


# Offsets are committed when a checkpoint completes (Flink): a bundle finalizer. Only these ask
# for one: a DoFn that declares the parameter makes the runner finalize each of its bundles,
# and Prism's calls for bundles that registered nothing failed in the SDK worker ("Bundle is
# not in a finalizable state"), about 500 logged tracebacks in a 30 s run at 20 pages/s.


class _ReadPartitionAtCheckpointsFn(_ReadPartitionFn):
    def process(  # type: ignore[override]
        self,
        element: tuple[str, int],
        # Before the tracker and the watermark: Beam passes those two by name and the
        # finalizer by position.
        finalizer=beam.DoFn.BundleFinalizerParam,
        tracker=beam.DoFn.RestrictionParam(),
        watermark=beam.DoFn.WatermarkEstimatorParam(_WATERMARK),
    ):
        yield from self._read_range(element, tracker, watermark, finalizer)


class _FollowPartitionAtCheckpointsFn(_ReadPartitionFn):
    @beam.DoFn.unbounded_per_element()
    def process(  # type: ignore[override]
        self,
        element: tuple[str, int],
        finalizer=beam.DoFn.BundleFinalizerParam,
        tracker=beam.DoFn.RestrictionParam(),
        watermark=beam.DoFn.WatermarkEstimatorParam(_WATERMARK),
    ):
        yield from self._follow(element, tracker, watermark, finalizer)


_READ_FNS = {
    (True, False): _ReadPartitionFn,
    (False, False): _FollowPartitionFn,
    (True, True): _ReadPartitionAtCheckpointsFn,
    (False, True): _FollowPartitionAtCheckpointsFn,
}


def _message(record: Any) -> Message:
    return Message(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=record.key,
        value=record.value,
        timestamp_ms=record.timestamp,
        headers=tuple((k, v or b"") for k, v in (record.headers or ())),
    )


class ReadFromKafka(beam.PTransform):
    """PBegin -> Messages of every partition of `spec.topic`, timestamped by the broker's
    record time; a splittable DoFn a partition, so a runner can checkpoint and resume it.

    Args:
        spec: the topic, group and polling (see `ReadSpec`).
    """

    def __init__(self, spec: ReadSpec) -> None:
        super().__init__()
        self._spec = spec

    def expand(self, pbegin: beam.pvalue.PBegin) -> beam.PCollection[Message]:
        fn_class = _READ_FNS[self._spec.until_caught_up, self._spec.commit_on == CHECKPOINT]
        return (
            pbegin
            | "Impulse" >> beam.Impulse()
            | "ListPartitions" >> beam.FlatMap(lambda _, spec: list_partitions(spec), self._spec)
            | "SpreadPartitions" >> beam.Reshuffle()
            | "ReadPartitions" >> beam.ParDo(fn_class(self._spec))
        )
