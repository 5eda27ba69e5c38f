"""Write (key, value) byte pairs to a Kafka topic with kafka-python.

A bundle finishes only when the broker has acknowledged every record in it (acks=all, with
idempotence), so a failure fails the bundle and the runner retries it. Each acknowledged
record is reported to the run's ledger, from which the source commits its offsets: they never
run ahead of what is on the topic.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import apache_beam as beam
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from kafka import KafkaProducer
from kafka.errors import KafkaError

from newswire.core import metrics
from newswire.core.model import Record
from newswire.delivery import ledger
from newswire.kafka.connection import Connection


@dataclass(frozen=True)
class WriteSpec:
    """Where `WriteToKafka` writes.

    Args:
        connection: the broker.
        topic: the topic written.
        flush_timeout_s: a bundle whose records are not all acknowledged by then fails.
        role: the topic's role in topics.toml (sink, canonical, dlq), for metrics.
        run_id: the delivery ledger each acknowledged record is reported to ("" for none).
    """

    connection: Connection
    topic: str
    flush_timeout_s: float = 60.0
    role: str = "sink"  # the topic's role in topics.toml, for metrics
    run_id: str = ""  # whose ledger hears of each acknowledged record

    def producer(self) -> KafkaProducer:
        bound_ms = int(self.flush_timeout_s * 1000)
        return self.connection.producer(
            linger_ms=5,
            # Every wait is bounded by the flush timeout: metadata for a missing topic, a full
            # buffer, and the retries (with back-off) of a record the broker refuses.
            request_timeout_ms=min(30_000, bound_ms // 2),
            delivery_timeout_ms=bound_ms,
            max_block_ms=bound_ms,
            retry_backoff_ms=200,
        )


class _ProduceFn(beam.DoFn):
    def __init__(self, spec: WriteSpec) -> None:
        self._spec = spec
        self._producer: KafkaProducer | None = None
        self._pending: list[tuple[Any, float | None, str]] = []

    def setup(self) -> None:
        self._producer = self._spec.producer()

    def start_bundle(self) -> None:
        self._pending = []

    def process(self, record: Record, timestamp=beam.DoFn.TimestampParam) -> None:
        assert self._producer is not None
        future = self._producer.send(self._spec.topic, key=record.key, value=record.value)
        event_time = float(timestamp) if timestamp > MIN_TIMESTAMP else None
        self._pending.append((future, event_time, record.origin))

    def finish_bundle(self) -> None:
        assert self._producer is not None
        # The producer gives up on a record after the bound (delivery_timeout_ms) and fails its
        # future with the broker's last answer; wait a little longer than that, so that the
        # error raised is the broker's, not a flush that timed out first.
        wait_s = self._spec.flush_timeout_s + 5
        with metrics.stage(f"write_{self._spec.role}"), contextlib.suppress(KafkaError):
            # kafka-python's flush raises a bare "Future not done" as soon as one batch has
            # failed; each record's own future below carries the broker's error.
            self._producer.flush(timeout=wait_s)
        acknowledged = ledger(self._spec.run_id)
        for future, event_time, origin in self._pending:
            future.get(timeout=wait_s)  # raises what the broker said
            metrics.written(self._spec.role, event_time)
            acknowledged.done(origin)
        self._pending = []

    def teardown(self) -> None:
        if self._producer is not None:
            self._producer.close()


class WriteToKafka(beam.PTransform):
    """Records -> the topic; a bundle ends only when the broker acknowledged all of it.

    Args:
        spec: the topic and its bounds (see `WriteSpec`).
    """

    def __init__(self, spec: WriteSpec) -> None:
        super().__init__()
        self._spec = spec

    def expand(self, pcoll: beam.PCollection) -> beam.pvalue.PDone:
        return pcoll | "Produce" >> beam.ParDo(_ProduceFn(self._spec))
