"""What operators watch: one function per event, counted twice, for two audiences.

Each function increments a Beam metric (the runner's own view: the Flink web UI and its metric
reporters, the job result on the DirectRunner) and a prometheus-client metric, which
`newswire run --metrics-port` serves on /metrics from the pipeline process. On the DirectRunner
the SDK harness runs in that process, so /metrics sees every stage. On Flink each Python SDK
worker is its own process: set NEWSWIRE_METRICS_PORT per worker, or read the Beam metrics
through Flink's Prometheus reporter (README, "Metrics").
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

import apache_beam as beam
from prometheus_client import Counter, Gauge, Histogram, start_http_server

_NS = "newswire"
_LOG = logging.getLogger(__name__)

PAGES_READ = Counter(f"{_NS}_pages_read", "Raw records read from the raw topic")
EMITTED = Counter(f"{_NS}_articles_emitted", "Enriched records built, by kind", ["kind"])
RECORDS = Counter(
    f"{_NS}_records_written", "Records the broker acknowledged, by topic role", ["role"]
)
DUPLICATES = Counter(f"{_NS}_duplicates_dropped", "Exact repeats dropped before the sink", ["kind"])
NEAR_DUPLICATES = Counter(
    f"{_NS}_near_duplicates", "Records marked as an update of an earlier story", ["kind"]
)
DEAD_LETTERS = Counter(f"{_NS}_dead_letters", "Records sent to the dead-letter topic", ["reason"])
LABELS = Counter(f"{_NS}_labels", "Records by partner country and by theme", ["type", "label"])
LATENCY = Histogram(
    f"{_NS}_end_to_end_latency_seconds",
    "From the raw record's timestamp (its replay) to the sink topic's acknowledgement",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
STAGE = Histogram(
    f"{_NS}_stage_seconds",
    "Processing time of one call in a stage (decode, parse, classify: one batch of up to"
    " --batch-size pages or items; with worker processes, from hand-over to result)",
    ["stage"],
    buckets=(0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5),
)
LAG = Gauge(f"{_NS}_consumer_lag", "Records behind the log end", ["topic", "partition"])


_SERVING: set[int] = set()


def serve(port: int) -> None:
    """Serve /metrics on `port` in a daemon thread, once a process. A taken port is logged,
    not raised: metrics must never stop the pipeline."""
    if port in _SERVING:
        return
    try:
        start_http_server(port)
    except OSError as exc:
        _LOG.warning("cannot serve metrics on port %d: %s", port, exc)
        return
    _SERVING.add(port)


# Both libraries look a metric up by name on every call; these run for every element, so each
# distinct metric is looked up once a process (a Beam counter finds the running bundle's
# container when it is incremented, so one object serves every bundle and thread).
@functools.cache
def _beam(namespace: str, name: str):
    return beam.metrics.Metrics.counter(namespace, name)


@functools.cache
def _child(metric, *labels: str):
    return metric.labels(*labels)


def page_read() -> None:
    _beam("pages", "read").inc()
    PAGES_READ.inc()


def duplicate_dropped(kind: str) -> None:
    _beam("duplicates_dropped", kind).inc()
    _child(DUPLICATES, kind).inc()


def near_duplicate(kind: str) -> None:
    _beam("near_duplicates", kind).inc()
    _child(NEAR_DUPLICATES, kind).inc()


def dead_letter(reason: str) -> None:
    _beam("dlq", reason).inc()
    _child(DEAD_LETTERS, reason).inc()


def emitted(kind: str, countries: tuple[str, ...], themes: tuple[str, ...]) -> None:
    _beam("articles", kind).inc()
    _child(EMITTED, kind).inc()
    for country in countries:
        _child(LABELS, "country", country).inc()
    for theme in themes:
        _child(LABELS, "theme", theme).inc()


def written(role: str, event_time_s: float | None) -> None:
    _beam("records_written", role).inc()
    _child(RECORDS, role).inc()
    if role == "sink" and event_time_s is not None:
        LATENCY.observe(max(0.0, time.time() - event_time_s))


def lag(topic: str, partition: int, behind: int) -> None:
    _child(LAG, topic, str(partition)).set(behind)


@contextmanager
def stage(name: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        stage_took(name, time.perf_counter() - started)


def stage_took(name: str, seconds: float) -> None:
    _child(STAGE, name).observe(seconds)
