"""Read enriched records back from the sink topic: what a downstream consumer sees."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kafka import TopicPartition

from newswire.kafka.connection import Connection
from newswire.stages.encode.avro_codec import Lookup
from newswire.stages.encode.encoder import Encoder


def read_topic(
    connection: Connection, topic: str, follow: bool = False, idle_ms: int = 2000
) -> Iterator[tuple[bytes | None, bytes | None]]:
    """(key, value) of every record from the beginning; stops at the end unless following."""
    consumer = connection.consumer(group_id=None)
    try:
        partitions = [
            TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            raise RuntimeError(f"topic {topic!r} does not exist")
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        end = consumer.end_offsets(partitions)
        while True:
            batch = consumer.poll(timeout_ms=idle_ms)
            for records in batch.values():
                for record in records:
                    yield record.key, record.value
            if not follow and all(consumer.position(tp) >= end[tp] for tp in partitions):
                return
    finally:
        consumer.close()


def decode_articles(
    pairs: Iterator[tuple[bytes | None, bytes | None]], lookup: Lookup | None = None
) -> Iterator[dict[str, Any]]:
    """Either wire format; `lookup` (a registry's schemas by id) for confluent-framed ones."""
    encoder = Encoder(lookup=lookup)
    for _, value in pairs:
        if value is not None:
            yield encoder.article.decode(value)


def decode_dead_letters(
    pairs: Iterator[tuple[bytes | None, bytes | None]], lookup: Lookup | None = None
) -> Iterator[dict[str, Any]]:
    encoder = Encoder(lookup=lookup)
    for _, value in pairs:
        if value is not None:
            yield encoder.dead_letter.decode(value)


def table(records: list[dict[str, Any]]) -> str:
    rows = [("kind", "title", "partners", "themes")]
    for r in records:
        title = r["title"] if len(r["title"]) <= 70 else r["title"][:69] + "…"
        rows.append(
            (
                r["kind"],
                title,
                ",".join(r["partner_countries"]) or "-",
                ",".join(r["themes"]) or "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True)) + "  " + row[3]
        for row in rows
    ]
    lines.insert(1, "-" * min(160, max(len(line) for line in lines)))
    return "\n".join(lines)
