"""Publish the Avro schemas to a compacted topic, keyed by fingerprint, so that consumers can
resolve the writer schema named in each record's single-object header without a registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.encode import schemas
from pipeline.sink.kafka_write import reliable_producer


def publish_schemas(client_config: dict[str, Any], topic: str, folder: Path) -> int:
    producer = reliable_producer(client_config)
    try:
        published = schemas.all_schemas(folder)
        for schema in published:
            key, value = schemas.publication(schema)
            producer.send(topic, key=key, value=value).get(timeout=60)
    finally:
        producer.close()
    return len(published)
