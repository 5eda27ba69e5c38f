"""Publish the Avro schemas to a compacted topic, keyed by fingerprint, so that consumers can
resolve the writer schema named in each record's single-object header without a registry."""

from __future__ import annotations

from pathlib import Path

from newswire.kafka.connection import Connection
from newswire.stages.encode import schemas


def publish_schemas(connection: Connection, topic: str, folder: Path) -> int:
    producer = connection.producer()
    try:
        published = schemas.all_schemas(folder)
        for schema in published:
            key, value = schemas.publication(schema)
            producer.send(topic, key=key, value=value).get(timeout=60)
    finally:
        producer.close()
    return len(published)
