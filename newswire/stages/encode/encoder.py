"""Kafka (key, value) byte pairs for the sink and dead-letter topics."""

from __future__ import annotations

import time
from pathlib import Path

from newswire.core.model import DeadLetter, Item
from newswire.stages.encode.avro_codec import AvroCodec, Lookup, load_schema
from newswire.stages.encode.records import article_key, article_record, dead_letter_record
from newswire.stages.encode.schemas import released_schemas
from newswire.stages.encode.wire import SINGLE_OBJECT_WIRE, WireFormat, confluent_header

# The .avsc files of the project's schemas/, shipped in the package (newswire/schemas).
SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas"


def _now_ms() -> int:
    return int(time.time() * 1000)


class Encoder:
    """Writes with the current schemas in `wire`'s format; reads records written with any
    released version, single-object or, given `lookup` (a registry), confluent-framed.

    Args:
        schemas_dir: the .avsc files and their released history.
        wire: the framing records are written in (single-object, or confluent with ids).
        lookup: a registry's schemas by id, to read confluent-framed records.
    """

    def __init__(
        self,
        schemas_dir: Path = SCHEMAS_DIR,
        wire: WireFormat = SINGLE_OBJECT_WIRE,
        lookup: Lookup | None = None,
    ) -> None:
        released = released_schemas(schemas_dir)

        def codec(name: str, schema_id: int | None) -> AvroCodec:
            header = None if schema_id is None else confluent_header(schema_id)
            return AvroCodec(
                load_schema(schemas_dir / name), released.get(name, []), header, lookup
            )

        ids = wire.ids
        self.key = codec("article_key.avsc", ids and ids.key)
        self.article = codec("article.avsc", ids and ids.article)
        self.dead_letter = codec("dead_letter.avsc", ids and ids.dead_letter)

    def encode_item(self, item: Item) -> tuple[bytes, bytes]:
        return (
            self.key.encode(article_key(item)),
            self.article.encode(article_record(item, _now_ms())),
        )

    def encode_dead_letter(self, dead: DeadLetter) -> tuple[bytes | None, bytes]:
        return dead.message.key, self.dead_letter.encode(dead_letter_record(dead, _now_ms()))
