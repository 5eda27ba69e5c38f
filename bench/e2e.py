"""End-to-end measurements through the real broker: the pipeline, and a plain loop."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence

from newswire.config import Settings
from newswire.core.errors import Rejected
from newswire.core.model import Message
from newswire.devtools.broker import LocalBroker
from newswire.kafka.connection import Connection
from newswire.kafka.tail import read_topic
from newswire.kafka.topics import ensure_topics
from newswire.stages.classify.classifier import Classifier
from newswire.stages.encode.encoder import Encoder
from newswire.stages.parse.decode import REPLAYED_AT_HEADER, SOURCE_HEADER, read_page
from newswire.stages.parse.split import split_page

BENCH_PORT = int(os.environ.get("NEWSWIRE_BENCH_BROKER_PORT", "19192"))


def bench_settings(nlp_model: str, worker_processes: int = 1) -> Settings:
    local = LocalBroker(Settings.from_env().on_local_port(BENCH_PORT))
    return (
        local.client_settings()
        .isolated("bench")
        .replace(nlp_model=nlp_model, metrics_port=0, worker_processes=worker_processes)
    )


def start_broker() -> LocalBroker:
    broker = LocalBroker(bench_settings("none"))
    broker.up(reset=True)
    return broker


def publish(settings: Settings, pages: list[str], rate: float = 0.0) -> None:
    """Pages to the raw topic, acknowledged; `rate` pages per second, or as fast as possible."""
    producer = Connection.of(settings).producer(linger_ms=20)
    started = time.monotonic()
    try:
        for n, text in enumerate(pages):
            if rate:
                time.sleep(max(0.0, started + n / rate - time.monotonic()))
            now_ms = int(time.time() * 1000)
            producer.send(
                settings.raw_topic,
                value=text.encode(),
                timestamp_ms=now_ms,
                headers=[
                    (SOURCE_HEADER, f"bench_{n}.txt".encode()),
                    (REPLAYED_AT_HEADER, str(now_ms).encode()),
                ],
            )
        producer.flush(timeout=300)
    finally:
        producer.close()


def _env(settings: Settings) -> dict[str, str]:
    return {**os.environ, **settings.to_env()}


def run_pipeline(settings: Settings, extra: list[str], timeout_s: float) -> tuple[float, float]:
    """`newswire run` in a child process: (wall seconds, the child's peak RSS in MB)."""
    command = [sys.executable, "-m", "newswire.cli", "run", *extra]
    started = time.monotonic()
    done = subprocess.run(
        command, env=_env(settings), check=True, timeout=timeout_s, capture_output=True, text=True
    )
    elapsed = time.monotonic() - started
    peak = re.search(r"peak memory (\d+) MB", done.stderr)
    return elapsed, float(peak.group(1)) if peak else float("nan")


def run_pipeline_empty(settings: Settings) -> tuple[float, float]:
    """A batch job over an empty topic: what starting a job costs."""
    ensure_topics(settings)
    return run_pipeline(settings, ["--until-caught-up"], timeout_s=600)


def e2e_batch(settings: Settings, pages: list[str]) -> dict[str, float]:
    ensure_topics(settings)
    publish(settings, pages)
    elapsed, peak_mb = run_pipeline(settings, ["--until-caught-up"], timeout_s=1800)
    return {"pages": len(pages), "seconds": round(elapsed, 1), "peak_rss_mb": round(peak_mb)}


def sink_latencies(settings: Settings) -> list[tuple[float, float]]:
    """(replay time, seconds from replay to the sink record's own timestamp) of every sink
    record; the replay time is the record's header time, in epoch seconds."""
    from kafka import TopicPartition

    consumer = Connection.of(settings).consumer(enable_auto_commit=False)
    encoder = Encoder()
    try:
        partitions = [
            TopicPartition(settings.sink_topic, p)
            for p in consumer.partitions_for_topic(settings.sink_topic) or ()
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        end = consumer.end_offsets(partitions)
        out = []
        while any(consumer.position(tp) < end[tp] for tp in partitions):
            for records in consumer.poll(timeout_ms=1000).values():
                for record in records:
                    replayed = encoder.article.decode(record.value)["replayed_at"].timestamp()
                    out.append((replayed, record.timestamp / 1000 - replayed))
        return out
    finally:
        consumer.close()


def latency_streaming(
    settings: Settings, pages: list[str], rate: float, warm_up: Sequence[str] = ()
) -> dict[str, float]:
    """A streaming job (Prism, or Flink with runner=flink) fed at `rate` pages per second: p50
    and p99 latency of `pages`, fed after `warm_up` (other pages, at the same rate).

    The warm-up is the job's first load, reported apart (`warm_up_p99_s`): a job's first
    seconds of input pay for what it sets up on first use (on Flink, the first read of each
    dedup shard's state and the JVM compiling its hot paths; the first 8 s of load ran at
    p50 2.5 s where the rest ran at 0.7 s), which a running job paid once, long ago."""
    ensure_topics(settings)
    child = subprocess.Popen(
        [sys.executable, "-m", "newswire.cli", "run", "--timeout", "900"],
        env=_env(settings.replace(until_caught_up=False)),
        start_new_session=True,
    )
    try:
        time.sleep(30)  # the job starts (Prism or Flink, the workers) before the wire does
        publish(settings, list(warm_up), rate)
        measured_from = time.time()
        publish(settings, pages, rate)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            got = sum(1 for _ in read_topic(Connection.of(settings), settings.sink_topic))
            if got and _all_read(settings):
                break
            time.sleep(2)
    finally:
        import signal

        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    every = sink_latencies(settings)
    latencies = sorted(late for replayed, late in every if replayed >= measured_from)
    first = sorted(late for replayed, late in every if replayed < measured_from)
    return {
        "pages": len(pages),
        "rate": rate,
        "records": len(latencies),
        "p50_s": round(statistics.median(latencies), 3),
        "p99_s": _p99(latencies),
        "warm_up_pages": len(warm_up),
        "warm_up_p99_s": _p99(first) if first else None,
    }


def _p99(ordered: list[float]) -> float:
    return round(ordered[int(0.99 * (len(ordered) - 1))], 3)


def _all_read(settings: Settings) -> bool:
    from kafka import TopicPartition

    consumer = Connection.of(settings).consumer(group_id=settings.group_id)
    try:
        partitions = [
            TopicPartition(settings.raw_topic, p)
            for p in consumer.partitions_for_topic(settings.raw_topic) or ()
        ]
        ends = consumer.end_offsets(partitions)
        return all((consumer.committed(tp) or 0) >= ends[tp] for tp in partitions)
    finally:
        consumer.close()


def plain_loop(settings: Settings, pages: list[str]) -> dict[str, float]:
    """What a user would write instead: consume, parse, classify, encode, produce, commit.

    One process, kafka-python only, the project's own functions; no dedup beyond a set of ids.
    """
    from kafka import KafkaConsumer

    ensure_topics(settings)
    publish(settings, pages)
    classifier = Classifier.from_data(nlp_model=settings.nlp_model)
    encoder = Encoder()
    consumer = KafkaConsumer(
        settings.raw_topic,
        **Connection.of(settings).client_args(),
        group_id=settings.group_id,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=16 * 1024 * 1024,
    )
    producer = Connection.of(settings).producer(linger_ms=5)
    seen: set[str] = set()
    done = 0
    started = time.monotonic()
    try:
        while done < len(pages):
            for records in consumer.poll(timeout_ms=1000).values():
                for record in records:
                    done += 1
                    message = Message(
                        record.topic,
                        record.partition,
                        record.offset,
                        record.key,
                        record.value,
                        record.timestamp,
                        tuple(record.headers or ()),
                    )
                    try:
                        items = split_page(read_page(message, settings.max_page_bytes))
                    except Rejected:
                        continue
                    fresh = [i for i in items if i.article_id not in seen]
                    seen.update(i.article_id for i in fresh)
                    for item in classifier.classify_items(fresh):
                        key, value = encoder.encode_item(item)
                        producer.send(settings.sink_topic, key=key, value=value)
            producer.flush()
            consumer.commit()
        elapsed = time.monotonic() - started
    finally:
        producer.close()
        consumer.close()
    return {"pages": len(pages), "seconds": round(elapsed, 1)}
