"""The same pipeline on Flink: Beam's Flink job server (embedded Flink, and a local cluster),
checkpointed, against the real broker."""

from __future__ import annotations

import shutil
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from newswire import job
from newswire.config import Settings
from newswire.core import metrics
from newswire.devtools.flink_cluster import LocalCluster
from newswire.devtools.replay import replay
from newswire.flink import JobServer, rest_get
from newswire.ports import free_port
from tests.conftest import seed_files
from tests.integration.test_end_to_end import (
    SEED_RECORDS,
    _all_committed,
    _articles,
    assert_seed_records,
)
from tests.integration.test_faults import _corpus, kill_9_then_restart

pytestmark = [pytest.mark.kafka, pytest.mark.flink]


@pytest.fixture(scope="module")
def job_server(broker) -> Iterator[str]:
    """One embedded Flink for the module's in-process runs (each run is its own Flink job)."""
    settings = Settings.from_env()
    with JobServer(settings) as server:
        yield server.endpoint


@pytest.fixture
def flink(settings: Settings, job_server: str) -> Settings:
    return settings.replace(
        runner="flink", flink_job_endpoint=job_server, checkpointing_interval_ms=1000
    )


def test_seed_round_trip_on_flink(flink: Settings, producer) -> None:
    replay(producer, flink.raw_topic, seed_files())
    job.run(flink)
    assert_seed_records(flink)
    # Committed at the checkpoints that covered the reads, up to the log end.
    assert _all_committed(flink)


def test_loop_replay_on_flink_adds_no_new_id(flink: Settings, producer) -> None:
    flink = flink.replace(nlp_model="none")
    replay(producer, flink.raw_topic, seed_files())
    job.run(flink)
    first = [r["id"] for r in _articles(flink)]
    replay(producer, flink.raw_topic, seed_files(), loop=3)
    job.run(flink)
    ids = [r["id"] for r in _articles(flink)]
    assert len(first) == SEED_RECORDS
    assert ids == first, "a replay wrote a record again"
    assert _all_committed(flink)


def test_metrics_count_a_flink_run(flink: Settings, producer) -> None:
    """The Python stages run in this process (LOOPBACK), so /metrics is served here."""
    port = free_port()
    flink = flink.replace(nlp_model="none", metrics_port=port)
    replay(producer, flink.raw_topic, seed_files(), loop=2)
    metrics.serve(port)
    before = _written(port)
    job.run(flink)
    after = _written(port)
    added = {role: after.get(role, 0) - before.get(role, 0) for role in after}
    assert added["sink"] == SEED_RECORDS  # the second delivery was dropped as duplicates
    assert added.get("dlq", 0) == 0


def _written(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        text = answer.read().decode()
    return {
        sample.labels["role"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "newswire_records_written_total"
    }


def test_a_stream_commits_its_last_reads_once_the_wire_goes_quiet(
    flink: Settings, producer, tmp_path: Path
) -> None:
    """Offsets of the last pages read are committed while the job runs, once the sink has
    them, not only when more pages arrive: a checkpoint can complete while a page read before
    it is still on its way to the sink, and commits only up to it; with no later read, the
    rest stayed uncommitted for as long as the wire was quiet (a page or two a partition,
    seen in the latency benchmark)."""
    streaming = flink.replace(until_caught_up=False, nlp_model="none")
    feeder = threading.Thread(
        target=replay,
        args=(producer, streaming.raw_topic, _corpus(tmp_path, pages=60, seed=23)),
        kwargs={"rate": 5.0},
    )
    checks: list[bool] = []

    def fed_and_all_committed() -> bool:
        checks.append(not feeder.is_alive() and _all_committed(streaming))
        return checks[-1]

    feeder.start()
    try:
        job.run(streaming, timeout_s=120, stop=fed_and_all_committed)
    finally:
        feeder.join()
    assert checks and checks[-1], f"not all committed while running ({len(checks)} checks)"


def test_kill_9_on_flink_then_restart_loses_nothing_and_doubles_nothing(
    settings: Settings, producer, tmp_path: Path
) -> None:
    """The whole job (CLI, embedded Flink, Python worker) killed mid-stream, then started again:
    offsets committed at checkpoints, the warm start skips what reached the sink after them."""
    settings = settings.replace(
        runner="flink", nlp_model="none", until_caught_up=False, checkpointing_interval_ms=1000
    )
    kill_9_then_restart(settings, producer, _corpus(tmp_path, pages=60, seed=22))


# Cancelling the streaming job closes the LOOPBACK worker's gRPC streams under its reader
# threads, which end with CANCELLED ("Runner closed connection"): the expected end of a
# cancel, not a failure of the job.
@pytest.mark.filterwarnings(
    "ignore:Exception in thread (read_grpc_client_inputs|run_worker)"
    ":pytest.PytestUnhandledThreadExceptionWarning"
)
def test_on_a_local_flink_cluster_a_batch_finishes_and_a_stream_is_cancelled(
    settings: Settings, producer, tmp_path: Path
) -> None:
    cluster = LocalCluster(settings.replace(flink_rest_port=free_port()))
    try:
        cluster.up()
        on_cluster = settings.replace(
            runner="flink",
            flink_master=cluster.rest,
            nlp_model="none",
            checkpointing_interval_ms=1000,
        )
        replay(producer, on_cluster.raw_topic, seed_files())
        job.run(on_cluster)
        assert len(_articles(on_cluster)) == SEED_RECORDS
        assert _all_committed(on_cluster)

        streaming = on_cluster.replace(until_caught_up=False)
        replay(producer, streaming.raw_topic, seed_files()[:1], loop=2)  # duplicates only
        job.run(streaming, timeout_s=20)
        jobs = (rest_get(cluster.rest, "/jobs/overview") or {}).get("jobs", [])
        states = sorted(j["state"] for j in jobs if j["name"].startswith("newswire-"))
        assert states == ["CANCELED", "FINISHED"], states
    finally:
        cluster.down()
    assert cluster.status().startswith("stopped")
    shutil.rmtree(cluster.conf)  # its configuration and logs, one folder per REST port
