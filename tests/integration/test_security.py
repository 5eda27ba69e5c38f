"""Kafka security settings pass through to kafka-python: local brokers with SASL/PLAIN, with
TLS (a certificate the JDK's keytool makes for 127.0.0.1), and with both."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from newswire import job
from newswire.config import Settings
from newswire.devtools.broker import LocalBroker
from newswire.devtools.replay import replay
from newswire.kafka.connection import Connection
from newswire.kafka.tail import read_topic
from newswire.kafka.topics import ensure_topics
from tests.conftest import seed_files
from tests.integration.conftest import TEST_PORT

pytestmark = pytest.mark.kafka

PORTS = {"SASL_PLAINTEXT": TEST_PORT + 100, "SSL": TEST_PORT + 110, "SASL_SSL": TEST_PORT + 120}


@contextmanager
def _secured_broker(protocol: str) -> Iterator[Settings]:
    """A broker of its own speaking `protocol`, and settings that can talk to it."""
    settings = (
        Settings.from_env()
        .on_local_port(PORTS[protocol])
        .isolated("sec")
        .replace(
            security_protocol=protocol,
            until_caught_up=True,
            nlp_model="none",
            poll_timeout_ms=200,
            metrics_port=0,
        )
    )
    if protocol.startswith("SASL_"):
        settings = settings.replace(
            sasl_mechanism="PLAIN",
            sasl_username="newswire",
            sasl_password="s3cret-" + settings.group_id,
        )
    broker = LocalBroker(settings)
    broker.up(reset=True)
    try:
        yield broker.client_settings()
    finally:
        broker.down()


@pytest.fixture(scope="module")
def sasl_settings() -> Iterator[Settings]:
    with _secured_broker("SASL_PLAINTEXT") as settings:
        yield settings


def _pipeline_writes_the_seeds(settings: Settings) -> None:
    ensure_topics(settings)
    producer = Connection.of(settings).producer()
    try:
        replay(producer, settings.raw_topic, seed_files())
    finally:
        producer.close()
    job.run(settings)
    records = list(read_topic(Connection.of(settings), settings.sink_topic))
    assert len(records) == 32


def _refused(settings: Settings) -> None:
    with pytest.raises(Exception):  # noqa: B017 - kafka-python raises per failure mode
        admin = Connection.of(settings).admin(
            request_timeout_ms=5000,
            api_version_auto_timeout_ms=5000,
        )
        try:
            admin.list_topics()
        finally:
            admin.close()


def test_the_pipeline_runs_over_sasl_plain(sasl_settings: Settings) -> None:
    _pipeline_writes_the_seeds(sasl_settings)


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
    _refused(sasl_settings.replace(**change))


@pytest.mark.parametrize("protocol", ["SSL", "SASL_SSL"])
def test_the_pipeline_runs_over_tls_and_a_client_that_does_not_trust_it_is_refused(
    protocol: str,
) -> None:
    with _secured_broker(protocol) as settings:
        _pipeline_writes_the_seeds(settings)
        _refused(settings.replace(ssl_cafile=""))  # the system's CAs do not know this one
        _refused(settings.replace(security_protocol=protocol.replace("SSL", "PLAINTEXT")))
