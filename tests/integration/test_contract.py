"""The consumer contract against the real broker: topics as code, schemas topic, an example
consumer that uses only kafka-python and avro."""

from __future__ import annotations

from pathlib import Path

import pytest
from kafka.admin import NewTopic

from newswire import job
from newswire.cli import main
from newswire.config import Settings
from newswire.devtools.replay import replay
from newswire.kafka.connection import Connection
from newswire.kafka.tail import decode_articles, read_topic
from newswire.kafka.topics import check_topics, wait_for_leaders
from tests.conftest import seed_files
from tests.integration.conftest import run_example

pytestmark = pytest.mark.kafka


def test_topics_match_the_spec_and_drift_is_reported(settings: Settings, monkeypatch) -> None:
    assert check_topics(settings) == []
    admin = Connection.of(settings).admin()
    try:
        admin.create_topics([NewTopic(settings.sink_topic + ".plain", 1, 1)])
        wait_for_leaders(admin, [settings.sink_topic + ".plain"])
    finally:
        admin.close()
    drifted = settings.replace(sink_topic=settings.sink_topic + ".plain")
    problems = check_topics(drifted)
    assert any("partitions" in p for p in problems)
    assert any("cleanup.policy" in p for p in problems)
    monkeypatch.setenv("NEWSWIRE_BOOTSTRAP_SERVERS", settings.bootstrap_servers)
    monkeypatch.setenv("NEWSWIRE_SINK_TOPIC", drifted.sink_topic)
    assert main(["topics", "check"]) == 1


def test_example_consumer_decodes_the_sink_without_the_project(
    settings: Settings, producer, tmp_path: Path
) -> None:
    replay(producer, settings.raw_topic, seed_files())
    job.run(settings)  # also publishes the schemas at start-up
    expected = {
        r["id"]: r
        for r in decode_articles(read_topic(Connection.of(settings), settings.sink_topic))
    }

    lines = run_example(
        "consumer_example.py", settings, tmp_path, "--schemas-topic", settings.schemas_topic
    )
    assert len(lines) == 32
    for line in lines:
        want = expected[line["id"]]
        assert (line["kind"], line["title"], line["partner_countries"], line["themes"]) == (
            want["kind"],
            want["title"],
            want["partner_countries"],
            want["themes"],
        )
