"""Read what the sink topics hold at start-up, for dedup's warm start."""

from __future__ import annotations

from newswire.kafka.connection import Connection
from newswire.kafka.tail import read_topic
from newswire.stages.dedup.warm_start import Written, written_from
from newswire.stages.encode.avro_codec import Lookup
from newswire.stages.encode.encoder import Encoder


def read_written(
    connection: Connection,
    sink_topic: str,
    canonical_topic: str,
    lookup: Lookup | None = None,
) -> Written:
    """`lookup` resolves registry ids, for a sink written in the confluent format."""
    encoder = Encoder(lookup=lookup)
    keys = (
        encoder.key.decode(key)
        for key, value in read_topic(connection, sink_topic, idle_ms=500)
        if key is not None and value is not None
    )
    canonical = (
        encoder.article.decode(value)
        for _, value in read_topic(connection, canonical_topic, idle_ms=500)
        if value is not None
    )
    return written_from(keys, canonical)
