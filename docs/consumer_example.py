"""Read newswire's enriched records with only kafka-python and avro (no newswire code).

    pip install kafka-python avro
    python consumer_example.py --bootstrap-servers 127.0.0.1:9092

Each value is Avro single-object encoded: C3 01, the writer schema's CRC-64-AVRO fingerprint
(8 bytes, little-endian), then the Avro binary datum. The writer schemas are on the compacted
topic newswire.schemas, keyed by the fingerprint in hex.
"""

from __future__ import annotations

import argparse
import io
import json

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


def decode(value: bytes, writers: dict[bytes, avro.schema.Schema]) -> dict:
    if value[:2] != b"\xc3\x01":
        raise ValueError("not Avro single-object encoding")
    writer = writers[value[2:10]]
    return avro.io.DatumReader(writer).read(avro.io.BinaryDecoder(io.BytesIO(value[10:])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap-servers", default="127.0.0.1:9092")
    parser.add_argument("--topic", default="newswire.articles.enriched")
    parser.add_argument("--schemas-topic", default="newswire.schemas")
    args = parser.parse_args()

    consumer = KafkaConsumer(
        bootstrap_servers=args.bootstrap_servers.split(","), group_id=None, enable_auto_commit=False
    )
    try:
        writers = load_schemas(consumer, args.schemas_topic)
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
