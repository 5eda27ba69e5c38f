"""The confluent wire format against a real schema registry (Apicurio, KafkaSQL storage on the
session's broker): consumers that know only the registry, restarts, and a registry away."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kafka import TopicPartition

from newswire import job
from newswire.cli import main
from newswire.config import Settings
from newswire.devtools.registry import LocalRegistry
from newswire.devtools.replay import replay
from newswire.kafka.connection import Connection
from newswire.kafka.registry import RegistryClient, RegistryError, registry_lookup
from newswire.kafka.tail import decode_articles, read_topic
from newswire.ports import free_port
from newswire.stages.encode.wire import confluent_id
from tests.conftest import seed_files
from tests.integration.conftest import run_example, run_streaming_while, wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.registry]
SEED_RECORDS = 32


@pytest.fixture
def confluent(settings: Settings, registry: LocalRegistry) -> Settings:
    return settings.replace(schema_registry_url=registry.url)


def _values(settings: Settings) -> list[bytes]:
    pairs = read_topic(Connection.of(settings), settings.sink_topic)
    return [value for _, value in pairs if value is not None]


def test_consumers_that_know_only_the_registry_decode_the_seed_run(
    confluent: Settings, producer, tmp_path: Path, monkeypatch, capsys
) -> None:
    replay(producer, confluent.raw_topic, seed_files())
    job.run(confluent)

    client = RegistryClient(confluent.schema_registry_url)
    registered = client.request("GET", f"/subjects/{confluent.sink_topic}-value/versions/latest")
    values = _values(confluent)
    assert len(values) == SEED_RECORDS
    assert {confluent_id(v) for v in values} == {registered["id"]}  # every record framed
    expected = {
        r["id"]: r
        for r in decode_articles(
            read_topic(Connection.of(confluent), confluent.sink_topic),
            registry_lookup(confluent),
        )
    }
    assert len(expected) == SEED_RECORDS
    url = ["--schema-registry-url", confluent.schema_registry_url]
    for script, args in (
        ("confluent_consumer_example.py", url),  # Confluent's own AvroDeserializer
        ("consumer_example.py", [*url, "--schemas-topic", confluent.schemas_topic]),
    ):
        lines = run_example(script, confluent, tmp_path, *args)
        assert len(lines) == SEED_RECORDS, script
        for line in lines:
            want = expected[line["id"]]
            assert (line["title"], line["partner_countries"], line["themes"]) == (
                want["title"],
                want["partner_countries"],
                want["themes"],
            ), script

    # `newswire tail` given the registry reads the same records.
    monkeypatch.setenv("NEWSWIRE_BOOTSTRAP_SERVERS", confluent.bootstrap_servers)
    monkeypatch.setenv("NEWSWIRE_SINK_TOPIC", confluent.sink_topic)
    monkeypatch.setenv("NEWSWIRE_SCHEMA_REGISTRY_URL", confluent.schema_registry_url)
    capsys.readouterr()
    assert main(["tail", "--json"]) == 0
    tailed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r["id"] for r in tailed} == set(expected)


def test_the_registry_keeps_its_schemas_across_a_restart(
    confluent: Settings, registry: LocalRegistry
) -> None:
    start = job.prepare(confluent)
    assert start.wire.ids is not None
    client = RegistryClient(confluent.schema_registry_url)
    before = client.request("GET", f"/schemas/ids/{start.wire.ids.article}")["schema"]
    registry.down()
    registry.up()  # KafkaSQL: it reads its journal back from the broker
    after = RegistryClient(confluent.schema_registry_url)
    assert after.request("GET", f"/schemas/ids/{start.wire.ids.article}")["schema"] == before
    assert f"{confluent.sink_topic}-value" in after.request("GET", "/subjects")
    config = after.request("GET", f"/config/{confluent.sink_topic}-value")
    assert config["compatibilityLevel"] == "BACKWARD"
    assert job.prepare(confluent).wire == start.wire  # the same ids again, no new version


def test_an_unreachable_registry_fails_the_start_before_anything_is_read_or_written(
    settings: Settings, producer
) -> None:
    away = settings.replace(schema_registry_url=f"http://127.0.0.1:{free_port()}/apis/ccompat/v7")
    replay(producer, away.raw_topic, seed_files()[:1])
    with pytest.raises(RegistryError, match="unreachable"):
        job.run(away)
    assert _values(away) == []
    consumer = Connection.of(away).consumer(group_id=away.group_id)
    try:
        partitions = consumer.partitions_for_topic(away.raw_topic) or set()
        assert all(
            consumer.committed(TopicPartition(away.raw_topic, p)) is None for p in partitions
        )
    finally:
        consumer.close()


@pytest.mark.prism
def test_a_registry_lost_mid_run_changes_nothing_the_job_writes(
    confluent: Settings, registry: LocalRegistry, producer
) -> None:
    """The ids are registered at start-up and cached: the workers never call the registry, so
    every record is framed with a registered id while it is away."""
    streaming = confluent.replace(until_caught_up=False)
    seeds = seed_files()

    def scenario() -> None:
        replay(producer, confluent.raw_topic, seeds[:2])
        wait_for(lambda: len(_values(confluent)) >= 13, 240, "the first two pages")
        registry.kill()
        replay(producer, confluent.raw_topic, seeds[2:])
        wait_for(lambda: len(_values(confluent)) >= SEED_RECORDS, 120, "the rest, registry away")

    try:
        run_streaming_while(streaming, scenario, timeout_s=400)
    finally:
        registry.up()
    values = _values(confluent)
    assert len(values) == SEED_RECORDS
    ids = {confluent_id(v) for v in values}
    assert None not in ids and len(ids) == 1
    decoded = list(
        decode_articles(
            read_topic(Connection.of(confluent), confluent.sink_topic),
            registry_lookup(confluent),
        )
    )
    assert len({r["id"] for r in decoded}) == SEED_RECORDS


def test_schemas_check_asks_the_live_registry(confluent: Settings, monkeypatch, capsys) -> None:
    monkeypatch.setenv("NEWSWIRE_SCHEMA_REGISTRY_URL", confluent.schema_registry_url)
    monkeypatch.setenv("NEWSWIRE_SINK_TOPIC", confluent.sink_topic)
    assert main(["schemas", "check"]) == 0
    assert "compatible with the latest versions in" in capsys.readouterr().out
    # A version the current article schema cannot read: its required field is unknown.
    client = RegistryClient(confluent.schema_registry_url)
    subject = f"{confluent.sink_topic}-value"
    other = {
        "type": "record",
        "name": "Article",
        "namespace": "newswire.v1",
        "fields": [{"name": "only", "type": "int"}],
    }
    client.request("POST", f"/subjects/{subject}/versions", {"schema": json.dumps(other)})
    client.set_compatibility(subject)  # as the pipeline sets it (Apicurio's default: NONE)
    assert main(["schemas", "check"]) == 1
    assert "subjects in the registry would refuse them" in capsys.readouterr().out
