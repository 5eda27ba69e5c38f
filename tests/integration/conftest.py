"""A real single-node KRaft broker for the test session, on its own ports and data folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kafka import KafkaProducer

from newswire import job, runners
from newswire.config import Settings
from newswire.devtools.broker import LocalBroker
from newswire.devtools.registry import LocalRegistry
from newswire.kafka.connection import Connection
from newswire.kafka.topics import ensure_topics
from tests.conftest import ROOT

TEST_PORT = int(os.environ.get("NEWSWIRE_TEST_BROKER_PORT", "29092"))
# Every job a test runs fails (that test alone) when its processes pass this ceiling.
MEMORY_CEILING_MB = int(os.environ.get("NEWSWIRE_TEST_MEMORY_CEILING_MB", "3072"))


@pytest.fixture(scope="session")
def broker() -> Iterator[LocalBroker]:
    settings = Settings.from_env().on_local_port(TEST_PORT)
    local = LocalBroker(settings)
    local.up(reset=True)
    yield local
    local.down()


@pytest.fixture(scope="session")
def registry(broker: LocalBroker) -> Iterator[LocalRegistry]:
    """The schema registry beside the session's broker, started by the first test that needs
    it (its schemas live on the broker, in topic newswire.registry.journal)."""
    local = LocalRegistry(broker.client_settings())
    local.up()
    yield local
    local.down()


@pytest.fixture
def settings(broker: LocalBroker) -> Settings:
    """Fresh topics and consumer group per test, so that tests never see each other's data."""
    s = (
        broker.client_settings()
        .isolated("test")
        .replace(
            until_caught_up=True,
            poll_timeout_ms=200,
            idle_poll_s=0.2,
            metrics_port=0,
            max_memory_mb=MEMORY_CEILING_MB,
        )
    )
    ensure_topics(s)
    return s


@pytest.fixture
def producer(settings: Settings) -> Iterator[KafkaProducer]:
    client = Connection.of(settings).producer()
    yield client
    client.close()


def run_example(script: str, settings: Settings, tmp_path: Path, *args: str) -> list[dict]:
    """Run a docs/ example consumer with newswire made unimportable (it must stand on its
    own); its JSON lines."""
    blocker = tmp_path / "blocker" / "newswire"
    blocker.mkdir(parents=True, exist_ok=True)
    (blocker / "__init__.py").write_text("raise ImportError('the example must not use newswire')\n")
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "docs" / script),
            "--bootstrap-servers",
            settings.bootstrap_servers,
            "--topic",
            settings.sink_topic,
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
        env={"PYTHONPATH": str(blocker.parent), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout_s:.0f}s")
        time.sleep(1)


def run_streaming_while(settings: Settings, scenario: Callable[[], None], timeout_s: float) -> None:
    """Run a streaming job in this thread while `scenario` drives the test in another; the job
    stops when the scenario ends, and the scenario's failure is raised here.

    The job must own the main thread: Beam starts Prism's job server with a signal handler,
    which Python allows only there (from another thread the DirectRunner quietly fell back to
    the batch FnApiRunner, which never stops).
    """
    if settings.runner == "direct" and runners.prism_binary(settings) is None:
        pytest.fail("Prism is not built: run `make prism` (make test does it)")
    errors: list[BaseException] = []
    done = threading.Event()

    def drive() -> None:
        try:
            scenario()
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    driver = threading.Thread(target=drive, daemon=True)
    driver.start()
    job.run(settings, timeout_s=timeout_s, stop=done.is_set)
    driver.join(timeout=30)
    if errors:
        raise errors[0]
    assert done.is_set(), "the job ended before the test's scenario did"
