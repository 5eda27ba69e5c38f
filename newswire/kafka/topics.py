"""Create the project's topics from topics.toml, idempotently."""

from __future__ import annotations

import contextlib
import time
import tomllib
from importlib import resources
from typing import Any

from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from newswire.config import Settings
from newswire.kafka.connection import Connection


def topic_specs(settings: Settings) -> dict[str, dict[str, Any]]:
    """Topic name -> spec from topics.toml, with names taken from the settings."""
    specs = tomllib.loads((resources.files("newswire.kafka") / "topics.toml").read_text("utf-8"))
    names = {
        "raw": settings.raw_topic,
        "sink": settings.sink_topic,
        "canonical": settings.canonical_topic,
        "dlq": settings.dlq_topic,
        "schemas": settings.schemas_topic,
    }
    return {names[role]: spec for role, spec in specs.items()}


def ensure_topics(settings: Settings) -> list[str]:
    """Create the missing topics; return the names created."""
    admin = Connection.of(settings).admin()
    try:
        existing = set(admin.list_topics())
        missing = [
            NewTopic(
                name=name,
                num_partitions=spec["partitions"],
                replication_factor=spec["replication_factor"],
                topic_configs=spec.get("config", {}),
            )
            for name, spec in topic_specs(settings).items()
            if name not in existing
        ]
        if missing:
            # Created by someone else meanwhile is what we wanted.
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(missing)
            wait_for_leaders(admin, [t.name for t in missing])
        return [t.name for t in missing]
    finally:
        admin.close()


def wait_for_leaders(admin: KafkaAdminClient, names: list[str], timeout_s: float = 30.0) -> None:
    """A new topic takes writes once every partition has a leader; wait for that."""
    deadline = time.monotonic() + timeout_s
    while True:
        topics = admin.describe_topics(names)
        if all(
            t.get("error_code", 0) == 0
            and t["partitions"]
            and all(p["leader_id"] >= 0 for p in t["partitions"])
            for t in topics
        ):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"topics {names} have no leader after {timeout_s:.0f}s")
        time.sleep(0.2)


def check_topics(settings: Settings) -> list[str]:
    """How the broker's topics differ from topics.toml; empty when they match."""
    specs = topic_specs(settings)
    admin = Connection.of(settings).admin()
    try:
        existing = set(admin.list_topics())
        problems = [f"{name}: missing" for name in specs if name not in existing]
        present = [name for name in specs if name in existing]
        if not present:
            return problems
        described = {t["name"]: t for t in admin.describe_topics(present)}
        resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in present]
        actual = _topic_configs(admin.describe_configs(config_resources=resources))
        for name in present:
            spec, partitions = specs[name], described[name]["partitions"]
            if not partitions:
                problems.append(f"{name}: no partition metadata yet (just created?)")
                continue
            if len(partitions) != spec["partitions"]:
                problems.append(f"{name}: {len(partitions)} partitions, want {spec['partitions']}")
            replicas = min(len(p["replica_nodes"]) for p in partitions)
            if replicas < spec["replication_factor"]:
                problems.append(
                    f"{name}: replication {replicas}, want {spec['replication_factor']}"
                )
            for key, want in spec.get("config", {}).items():
                have = actual.get(name, {}).get(key)
                if have != want:
                    problems.append(f"{name}: {key}={have}, want {want}")
        return problems
    finally:
        admin.close()


def _topic_configs(described: dict) -> dict[str, dict[str, str]]:
    """kafka-python 3 answers {"topic": {name: {key: {"value": ...}}}}."""
    return {
        name: {key: entry["value"] for key, entry in configs.items()}
        for name, configs in described.get("topic", {}).items()
    }
