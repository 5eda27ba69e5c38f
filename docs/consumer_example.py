"""Read newswire's enriched records with only kafka-python and avro (no newswire code).

    pip install kafka-python avro
    python consumer_example.py --bootstrap-servers 127.0.0.1:9092 \
        [--schema-registry-url http://127.0.0.1:8085/apis/ccompat/v7]

A value is in one of two wire formats, told apart by its first byte:
- Avro single-object: C3 01, the writer schema's CRC-64-AVRO fingerprint (8 bytes,
  little-endian), the Avro binary datum. The writer schemas are on the compacted topic
  newswire.schemas, keyed by the fingerprint in hex.
- Confluent: 00, the writer schema's registry id (4 bytes, big-endian), the Avro binary datum.
  The schema is at GET <registry>/schemas/ids/<id>.
"""

from __future__ import annotations

import argparse
import io
import json
import struct
import urllib.request

import avro.io
import avro.schema
from kafka import KafkaConsumer, TopicPartition


def read_all(consumer: KafkaConsumer, topic: str):
    """Every record of a topic, from the beginning to the end it has now."""
    partitions = [
        TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())
    ]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    end = consumer.end_offsets(partitions)
    while any(consumer.position(tp) < end[tp] for tp in partitions):
        for records in consumer.poll(timeout_ms=1000).values():
            yield from records


def load_schemas(consumer: KafkaConsumer, topic: str) -> dict[bytes, avro.schema.Schema]:
    return {
        bytes.fromhex(record.key.decode()): avro.schema.parse(record.value.decode())
        for record in read_all(consumer, topic)
        if record.value is not None
    }


class Writers:
    """Writer schemas: by fingerprint from the schemas topic, by id from the registry."""

    def __init__(self, by_fingerprint: dict[bytes, avro.schema.Schema], registry: str) -> None:
        self.by_fingerprint = by_fingerprint
        self.registry = registry.rstrip("/")
        self.by_id: dict[int, avro.schema.Schema] = {}

    def by_registry_id(self, schema_id: int) -> avro.schema.Schema:
        if schema_id not in self.by_id:
            if not self.registry:
                raise ValueError(f"schema id {schema_id}: give --schema-registry-url")
            url = f"{self.registry}/schemas/ids/{schema_id}"
            with urllib.request.urlopen(url, timeout=10) as answer:
                self.by_id[schema_id] = avro.schema.parse(json.loads(answer.read())["schema"])
        return self.by_id[schema_id]


def decode(value: bytes, writers: Writers) -> dict:
    if value[:2] == b"\xc3\x01":
        writer, datum = writers.by_fingerprint[value[2:10]], value[10:]
    elif value[:1] == b"\x00":
        writer, datum = writers.by_registry_id(struct.unpack(">I", value[1:5])[0]), value[5:]
    else:
        raise ValueError("neither Avro single-object nor Confluent framing")
    return avro.io.DatumReader(writer).read(avro.io.BinaryDecoder(io.BytesIO(datum)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap-servers", default="127.0.0.1:9092")
    parser.add_argument("--topic", default="newswire.articles.enriched")
    parser.add_argument("--schemas-topic", default="newswire.schemas")
    parser.add_argument("--schema-registry-url", default="")
    args = parser.parse_args()

    consumer = KafkaConsumer(
        bootstrap_servers=args.bootstrap_servers.split(","), group_id=None, enable_auto_commit=False
    )
    try:
        writers = Writers(load_schemas(consumer, args.schemas_topic), args.schema_registry_url)
        latest: dict[bytes, dict] = {}  # the topic is compacted: the last value per key wins
        for record in read_all(consumer, args.topic):
            latest[record.key] = decode(record.value, writers)
    finally:
        consumer.close()
    for article in latest.values():
        print(
            json.dumps(
                {k: article[k] for k in ("id", "kind", "title", "partner_countries", "themes")},
                ensure_ascii=False,
            )
        )


if __name__ == "__main__":
    main()
