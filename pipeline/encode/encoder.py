"""Kafka (key, value) byte pairs for the sink and dead-letter topics."""

from __future__ import annotations

import time
from pathlib import Path

from pipeline.config import PROJECT_ROOT
from pipeline.encode.avro_codec import AvroCodec, load_schema
from pipeline.encode.records import article_key, article_record, dead_letter_record
from pipeline.encode.schemas import released_schemas
from pipeline.model import DeadLetter, Item

SCHEMAS_DIR = PROJECT_ROOT / "schemas"


def _now_ms() -> int:
    return int(time.time() * 1000)


class Encoder:
    """Writes with the current schemas; reads records written with any released version."""

    def __init__(self, schemas_dir: Path = SCHEMAS_DIR) -> None:
        released = released_schemas(schemas_dir)

        def codec(name: str) -> AvroCodec:
            return AvroCodec(load_schema(schemas_dir / name), released.get(name, []))

        self.key = codec("article_key.avsc")
        self.article = codec("article.avsc")
        self.dead_letter = codec("dead_letter.avsc")

    def encode_item(self, item: Item) -> tuple[bytes, bytes]:
        return (
            self.key.encode(article_key(item)),
            self.article.encode(article_record(item, _now_ms())),
        )

    def encode_dead_letter(self, dead: DeadLetter) -> tuple[bytes | None, bytes]:
        return dead.message.key, self.dead_letter.encode(dead_letter_record(dead, _now_ms()))
