"""Kafka security settings pass through to kafka-python: a local broker with SASL/PLAIN."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from kafka.admin import KafkaAdminClient

from pipeline import job
from pipeline.config import Settings
from pipeline.local.broker import LocalBroker
from pipeline.sink.kafka_write import reliable_producer
from pipeline.sink.tail import read_topic
from pipeline.source.replay import replay
from pipeline.topics import ensure_topics
from tests.conftest import seed_files
from tests.integration.conftest import TEST_PORT

pytestmark = pytest.mark.kafka

SASL_PORT = TEST_PORT + 100


@pytest.fixture(scope="module")
def sasl_settings() -> Iterator[Settings]:
    run = uuid.uuid4().hex[:8]
    settings = Settings.from_env().replace(
        broker_port=SASL_PORT,
        controller_port=SASL_PORT + 1,
        bootstrap_servers=f"127.0.0.1:{SASL_PORT}",
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="PLAIN",
        sasl_username="newswire",
        sasl_password="s3cret-" + run,
        raw_topic=f"sasl.{run}.raw",
        sink_topic=f"sasl.{run}.enriched",
        canonical_topic=f"sasl.{run}.canonical",
        dlq_topic=f"sasl.{run}.dlq",
        schemas_topic=f"sasl.{run}.schemas",
        group_id=f"sasl-{run}",
        until_caught_up=True,
        nlp_model="none",
        poll_timeout_ms=200,
    )
    broker = LocalBroker(settings)
    broker.up(reset=True)
    try:
        yield settings
    finally:
        broker.down()


def test_the_pipeline_runs_over_sasl_plain(sasl_settings: Settings) -> None:
    ensure_topics(sasl_settings)
    producer = reliable_producer(sasl_settings.kafka_client_config())
    try:
        replay(producer, sasl_settings.raw_topic, seed_files())
    finally:
        producer.close()
    job.run(sasl_settings)
    records = list(read_topic(sasl_settings.kafka_client_config(), sasl_settings.sink_topic))
    assert len(records) == 32


@pytest.mark.parametrize(
    "change",
    [
        {"sasl_password": "wrong"},
        {"security_protocol": "PLAINTEXT", "sasl_mechanism": ""},
    ],
    ids=["wrong-password", "no-sasl"],
)
def test_a_client_without_the_right_credentials_is_refused(
    sasl_settings: Settings, change: dict[str, str]
) -> None:
    wrong = sasl_settings.replace(**change)
    with pytest.raises(Exception):  # noqa: B017 - kafka-python raises per failure mode
        admin = KafkaAdminClient(
            **wrong.kafka_client_config(), request_timeout_ms=5000, api_version_auto_timeout_ms=5000
        )
        try:
            admin.list_topics()
        finally:
            admin.close()
