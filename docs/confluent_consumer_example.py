"""Read newswire's enriched records with Confluent's own client and nothing else: the
registry URL is all it needs to know (records written with the confluent wire format).

    pip install confluent-kafka fastavro httpx attrs cachetools authlib certifi
    python confluent_consumer_example.py --bootstrap-servers 127.0.0.1:9092 \\
        --schema-registry-url http://127.0.0.1:8085/apis/ccompat/v7
"""

from __future__ import annotations

import argparse
import json

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap-servers", default="127.0.0.1:9092")
    parser.add_argument("--topic", default="newswire.articles.enriched")
    parser.add_argument("--schema-registry-url", required=True)
    args = parser.parse_args()

    registry = SchemaRegistryClient({"url": args.schema_registry_url})
    deserialize = AvroDeserializer(registry)  # the writer schema comes by each record's id
    consumer = Consumer(
        {
            "bootstrap.servers": args.bootstrap_servers,
            "group.id": "confluent-consumer-example",
            "enable.auto.commit": False,
        }
    )
    try:
        metadata = consumer.list_topics(args.topic, timeout=30).topics[args.topic]
        partitions = [TopicPartition(args.topic, p) for p in sorted(metadata.partitions)]
        ends = {
            tp.partition: consumer.get_watermark_offsets(tp, timeout=30)[1] for tp in partitions
        }
        consumer.assign([TopicPartition(args.topic, p, 0) for p in ends])
        pending = {p for p, end in ends.items() if end > 0}
        latest: dict[str, dict] = {}  # the topic is compacted: the last value per key wins
        while pending:
            message = consumer.poll(10)
            if message is None:
                raise SystemExit("no record within 10 s before the end of the topic")
            if message.error():
                raise SystemExit(str(message.error()))
            key = deserialize(message.key(), SerializationContext(args.topic, MessageField.KEY))
            value = deserialize(
                message.value(), SerializationContext(args.topic, MessageField.VALUE)
            )
            latest[key["id"]] = value
            if message.offset() + 1 >= ends[message.partition()]:
                pending.discard(message.partition())
    finally:
        consumer.close()
    for article in latest.values():
        fields = ("id", "kind", "title", "partner_countries", "themes")
        print(json.dumps({k: article[k] for k in fields}, ensure_ascii=False))


if __name__ == "__main__":
    main()
