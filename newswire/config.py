"""The one place for configuration: every setting is a CLI flag and a NEWSWIRE_* variable.

Precedence: flag, then environment, then the default below. `newswire --help-settings` lists
them all.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent  # its seeds/ and schemas/ are package data


def _setting(default: Any, help: str, **kwargs: Any) -> Any:
    return field(default=default, metadata={"help": help, **kwargs})


@dataclass(frozen=True)
class Settings:
    # Kafka connection, passed through to kafka-python.
    bootstrap_servers: str = _setting("127.0.0.1:9092", "Kafka bootstrap servers, host:port,...")
    security_protocol: str = _setting("PLAINTEXT", "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL")
    sasl_mechanism: str = _setting("", "SASL mechanism, e.g. PLAIN or SCRAM-SHA-512")
    sasl_username: str = _setting("", "SASL user name")
    sasl_password: str = _setting("", "SASL password", secret=True)
    ssl_cafile: str = _setting("", "CA certificate file (PEM) for SSL")

    # Topics.
    raw_topic: str = _setting("newswire.pages.raw", "topic of raw pages (the replayer writes it)")
    sink_topic: str = _setting("newswire.articles.enriched", "topic of enriched Avro records")
    canonical_topic: str = _setting(
        "newswire.articles.canonical", "the first record of each story only (no updates)"
    )
    dlq_topic: str = _setting("newswire.pages.dlq", "dead-letter topic for pages that fail")
    schemas_topic: str = _setting(
        "newswire.schemas", "compacted topic of Avro schemas by fingerprint"
    )
    schema_registry_url: str = _setting(
        "",
        "Confluent-compatible schema registry API, e.g. http://127.0.0.1:8085/apis/ccompat/v7 "
        "(newswire broker up starts one there); records are then confluent-framed",
    )
    wire_format: str = _setting(
        "",
        "confluent (00 + registry id + Avro) or single-object (C3 01 + fingerprint + Avro); "
        "default: confluent when --schema-registry-url is set",
        choices=("", "confluent", "single-object"),
    )
    group_id: str = _setting(
        "newswire-pipeline", "consumer group whose offsets the pipeline commits"
    )

    # Pipeline.
    runner: str = _setting("direct", "Beam runner: direct or flink", choices=("direct", "flink"))
    until_caught_up: bool = _setting(
        False, "read what the raw topic holds when the job starts, process it, and stop"
    )
    poll_timeout_ms: int = _setting(500, "how long one read of a partition waits for records")
    max_poll_records: int = _setting(500, "records one read of a partition takes at most")
    idle_poll_s: float = _setting(
        0.25,
        "pause before polling a caught-up partition again (the first page after a quiet"
        " spell waits up to this)",
    )
    dedup_ttl_s: float = _setting(
        7 * 24 * 3600.0, "event time after which a page or article id is forgotten by dedup"
    )
    sink_timeout_s: float = _setting(
        60.0, "a write to the sink that is not acknowledged within this fails its bundle"
    )
    warm_start: bool = _setting(
        True, "at start, skip ids already on the sink and rejoin its stories (restarts)"
    )
    max_page_bytes: int = _setting(1_048_576, "pages larger than this go to the dead-letter topic")
    nlp_model: str = _setting(
        "fr_core_news_sm", "spaCy pipeline for lemmas and entities, or none (vocabulary only)"
    )
    batch_size: int = _setting(
        64,
        "pages or items a stage hands over together (to the worker processes, and to spaCy in"
        " one nlp.pipe call), at most one bundle's",
    )
    worker_processes: int = _setting(
        1,
        "processes that decode, split and classify beside the job's thread, each with the"
        " model (0: one a CPU; 1: none, all in the job's thread)",
    )
    metrics_port: int = _setting(
        9464, "serve Prometheus metrics on this port at /metrics while running (0: off)"
    )
    prism_location: str = _setting("", "Prism binary for a streaming DirectRunner (make prism)")
    max_memory_mb: int = _setting(
        4096, "stop the job with an error when its processes' resident memory passes this (0: off)"
    )
    stall_timeout_s: float = _setting(
        300.0, "a batch read that gets no record for this long fails (the broker is away)"
    )

    # Flink (--runner flink).
    flink_master: str = _setting(
        "[local]", "[local]: an embedded Flink started for the run; HOST:PORT: a cluster's REST"
    )
    flink_job_endpoint: str = _setting(
        "", "a running Beam Flink job server, host:port (default: start one for the run)"
    )
    sdk_environment: str = _setting(
        "LOOPBACK",
        "where Flink runs the Python stages: LOOPBACK (this process) or EXTERNAL:host:port "
        "(a Beam worker pool, as in deploy/k8s)",
    )
    checkpointing_interval_ms: int = _setting(
        5000, "Flink checkpoint interval; offsets are committed when a checkpoint completes"
    )
    flink_parallelism: int = _setting(1, "Flink parallelism of the job")
    flink_bundle_ms: int = _setting(
        50,
        "a Flink stage hands its output on after this long at most (Beam's default, 1000,"
        " added about half a second a keyed stage)",
    )
    flink_restart_attempts: int = _setting(
        3, "Flink restarts a failed job this many times (2 s apart) before it fails"
    )
    flink_heap_mb: int = _setting(1024, "heap of the Flink job server (and local task manager)")
    flink_rest_port: int = _setting(8081, "REST port of the local Flink cluster (flink up)")

    # The local broker (newswire broker up|down|status).
    kafka_version: str = _setting("4.1.1", "Apache Kafka version fetched from Maven Central")
    cache_dir: Path = _setting(
        Path.home() / ".cache" / "newswire", "where jars and the local broker's data live"
    )
    broker_port: int = _setting(9092, "local broker's client port on 127.0.0.1")
    controller_port: int = _setting(9093, "local broker's KRaft controller port on 127.0.0.1")
    local_registry: bool = _setting(
        True, "broker up also starts a schema registry (Apicurio, schemas kept on the broker)"
    )
    registry_port: int = _setting(8085, "local schema registry's port on 127.0.0.1")

    # Replay.
    seeds_dir: Path = _setting(PACKAGE_DIR / "seeds", "folder of seed pages (*.txt)")

    def effective_wire_format(self) -> str:
        """The format records are written in: as set, else confluent when a registry is."""
        chosen = self.wire_format or ("confluent" if self.schema_registry_url else "single-object")
        if chosen == "confluent" and not self.schema_registry_url:
            raise ValueError("--wire-format confluent needs --schema-registry-url")
        return chosen

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    def isolated(self, prefix: str) -> Settings:
        """Topics and consumer group of their own (`prefix.<run>.…`), so that a test or a
        benchmark run never sees another's data."""
        run = f"{prefix}.{uuid.uuid4().hex[:8]}"
        return self.replace(
            raw_topic=f"{run}.pages.raw",
            sink_topic=f"{run}.articles.enriched",
            canonical_topic=f"{run}.articles.canonical",
            dlq_topic=f"{run}.pages.dlq",
            schemas_topic=f"{run}.schemas",
            group_id=run.replace(".", "-"),
        )

    def on_local_port(self, port: int) -> Settings:
        """A local broker on `port`, its controller and registry on the next ones. Clients are
        aimed at it by `LocalBroker.client_settings()`, which also trusts its certificate."""
        return self.replace(
            broker_port=port,
            controller_port=port + 1,
            registry_port=port + 2,  # and its management port, port + 3
        )

    def to_env(self) -> dict[str, str]:
        """Every setting as its NEWSWIRE_* variable: how a child process gets these settings."""
        return {
            env_name(f.name): str(value).lower() if isinstance(value, bool) else str(value)
            for f in fields(self)
            for value in (getattr(self, f.name),)
        }

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = environ.get(env_name(f.name))
            if raw is not None:
                values[f.name] = _convert(f, raw)
        return cls(**values)

    @classmethod
    def from_args(
        cls, args: argparse.Namespace, environ: Mapping[str, str] | None = None
    ) -> Settings:
        base = cls.from_env(environ)
        given = {f.name: getattr(args, f.name) for f in fields(cls) if hasattr(args, f.name)}
        return base.replace(**given)


def env_name(name: str) -> str:
    return "NEWSWIRE_" + name.upper()


def _convert(f: dataclasses.Field, raw: str) -> Any:
    kind = type(f.default)
    if kind is bool:
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off", ""):
            return False
        raise ValueError(f"{env_name(f.name)}={raw!r} is not a boolean (use true or false)")
    if issubclass(kind, Path):
        return Path(raw).expanduser()
    try:
        return kind(raw)
    except ValueError:
        raise ValueError(f"{env_name(f.name)}={raw!r} is not a valid {kind.__name__}") from None


def settings_parser() -> argparse.ArgumentParser:
    """A parent parser with one flag per setting; unset flags leave env and defaults alone."""
    parser = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    group = parser.add_argument_group("settings (each also NEWSWIRE_<NAME> in the environment)")
    for f in fields(Settings):
        flag = "--" + f.name.replace("_", "-")
        help_text = f"{f.metadata['help']} [{env_name(f.name)}]"
        if type(f.default) is bool:
            group.add_argument(flag, action=argparse.BooleanOptionalAction, help=help_text)
            continue
        kind = Path if isinstance(f.default, Path) else type(f.default)
        group.add_argument(
            flag,
            type=kind,
            help=help_text,
            choices=f.metadata.get("choices"),
            metavar=f.name.upper(),
        )
    return parser
