"""Delivery under faults, against the real broker: a killed pipeline, a restarted broker, a sink
that refuses writes. Each asserts that every page's records reach the sink, no id twice, and
that no offset is committed for what was not written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from kafka import TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType

from newswire import job, runners
from newswire.config import Settings
from newswire.devtools import corpus
from newswire.devtools.broker import LocalBroker
from newswire.devtools.files import read_items
from newswire.devtools.replay import replay
from newswire.kafka.connection import Connection
from newswire.kafka.tail import read_topic
from newswire.stages.encode.encoder import Encoder
from tests.conftest import seed_files
from tests.integration.conftest import run_streaming_while

pytestmark = [pytest.mark.kafka, pytest.mark.faults]


def _corpus(tmp_path: Path, pages: int, seed: int) -> list[Path]:
    seeds = {f.name: f.read_text("utf-8") for f in seed_files()}
    corpus.write(tmp_path, corpus.generate(seeds, pages, seed=seed))
    return sorted(tmp_path.glob("corpus_*.txt"))


def _expected_ids(files: list[Path]) -> set[str]:
    return {item.article_id for f in files for item in read_items(f, 1 << 20)}


def _sink_ids(settings: Settings) -> list[str]:
    """Every id on the sink's log, repeats included (before compaction could fold them)."""
    encoder = Encoder()
    return [
        encoder.key.decode(key)["id"]
        for key, value in read_topic(Connection.of(settings), settings.sink_topic)
        if key is not None and value is not None
    ]


def _committed(settings: Settings) -> dict[int, int | None]:
    consumer = Connection.of(settings).consumer(group_id=settings.group_id)
    try:
        partitions = consumer.partitions_for_topic(settings.raw_topic) or set()
        return {p: consumer.committed(TopicPartition(settings.raw_topic, p)) for p in partitions}
    finally:
        consumer.close()


def _wait_for(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout_s:.0f}s")
        time.sleep(1)


def _env(settings: Settings) -> dict[str, str]:
    return {**os.environ, **settings.replace(until_caught_up=False).to_env()}


@pytest.mark.prism
def test_kill_9_in_mid_stream_then_restart_loses_nothing_and_doubles_nothing(
    settings: Settings, producer, tmp_path: Path
) -> None:
    settings = settings.replace(nlp_model="none", until_caught_up=False)
    if runners.prism_binary(settings) is None:
        pytest.fail("Prism is not built: run `make prism` (make test does it)")
    kill_9_then_restart(settings, producer, _corpus(tmp_path, pages=60, seed=21))


def kill_9_then_restart(settings: Settings, producer, files: list[Path]) -> None:
    """`newswire run` killed with SIGKILL (with everything it started) once records flow, then
    started again: every page's records end on the sink, none twice."""
    expected = _expected_ids(files)
    command = [sys.executable, "-m", "newswire.cli", "run", "--timeout", "600"]
    first = subprocess.Popen(command, env=_env(settings), start_new_session=True)
    # Feed only once the job consumes: a job slow to start would otherwise find the whole
    # corpus waiting and finish it before the kill.
    replay(producer, settings.raw_topic, files[:1])
    _wait_for(lambda: _sink_ids(settings), 300, "the first job consuming")
    feeder = threading.Thread(
        target=replay, args=(producer, settings.raw_topic, files[1:], 1, 2.0), daemon=True
    )
    feeder.start()
    _wait_for(lambda: len(_sink_ids(settings)) >= 40, 120, "records on the sink")
    os.killpg(first.pid, signal.SIGKILL)  # the run and what it started, mid-stream
    first.wait()
    assert len(set(_sink_ids(settings))) < len(expected), "the job finished before the kill"
    feeder.join(timeout=120)

    second = subprocess.Popen(command, env=_env(settings), start_new_session=True)
    try:
        _wait_for(lambda: set(_sink_ids(settings)) >= expected, 300, "every record after restart")
    finally:
        os.killpg(second.pid, signal.SIGKILL)
        second.wait()
    ids = _sink_ids(settings)
    assert set(ids) == expected
    assert len(ids) == len(set(ids)), "an id was written twice"


@pytest.mark.prism
def test_broker_restart_in_mid_stream_recovers_without_operator(
    settings: Settings, broker: LocalBroker, tmp_path: Path
) -> None:
    streaming = settings.replace(nlp_model="none", until_caught_up=False)
    before, after = seed_files(), _corpus(tmp_path, pages=10, seed=5)
    expected = _expected_ids(before) | _expected_ids(after)

    def scenario() -> None:
        _send(settings, before)
        _wait_for(lambda: len(_sink_ids(settings)) >= 32, 240, "seed records")
        broker.down()
        time.sleep(5)
        broker.up()
        _send(settings, after)
        _wait_for(lambda: set(_sink_ids(settings)) >= expected, 240, "records after restart")

    run_streaming_while(streaming, scenario, timeout_s=600)
    ids = _sink_ids(settings)
    assert set(ids) == expected and len(ids) == len(set(ids))


def _send(settings: Settings, files: list[Path]) -> None:

    producer = Connection.of(settings).producer()
    try:
        replay(producer, settings.raw_topic, files)
    finally:
        producer.close()


def _set_max_message_bytes(settings: Settings, value: int) -> None:
    admin = Connection.of(settings).admin()
    try:
        admin.alter_configs(
            [
                ConfigResource(
                    ConfigResourceType.TOPIC,
                    settings.sink_topic,
                    configs={"max.message.bytes": str(value)},
                )
            ]
        )
    finally:
        admin.close()


def test_a_sink_that_refuses_writes_fails_clearly_and_commits_nothing(
    settings: Settings, producer
) -> None:
    settings = settings.replace(nlp_model="none", sink_timeout_s=10.0)
    replay(producer, settings.raw_topic, seed_files())
    _set_max_message_bytes(settings, 64)  # every record is now too large for the broker
    started = time.monotonic()
    with pytest.raises(Exception, match=r"MessageSizeTooLarge|too large"):
        job.run(settings)
    assert time.monotonic() - started < 120  # a bound, not a hang
    assert set(_committed(settings).values()) == {None}  # nothing committed
    assert _sink_ids(settings) == []

    _set_max_message_bytes(settings, 16 * 1024 * 1024)  # the operator fixes the topic
    job.run(settings)
    ids = _sink_ids(settings)
    assert len(ids) == len(set(ids)) == 32


def test_a_missing_sink_topic_fails_after_the_bound_and_commits_nothing(
    settings: Settings, producer
) -> None:
    settings = settings.replace(nlp_model="none", sink_timeout_s=5.0)
    replay(producer, settings.raw_topic, seed_files())
    missing = settings.replace(sink_topic=settings.sink_topic + ".missing", warm_start=False)
    import apache_beam as beam

    p = beam.Pipeline(options=runners.pipeline_options(missing))
    job.build(p, missing)  # without prepare(), which would create the topic
    started = time.monotonic()
    with pytest.raises(Exception, match=r"(?i)timeout|timed out|not available|metadata"):
        p.run().wait_until_finish()
    assert time.monotonic() - started < 120
    assert set(_committed(settings).values()) == {None}
