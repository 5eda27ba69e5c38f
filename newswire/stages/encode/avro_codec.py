"""Avro datums behind a header that names their writer schema (see encode/wire.py).

Writes one header (single-object by default, or a registry id); reads either format: a
single-object fingerprint from the schemas it knows (schemas/ is the contract), a registry id
through `lookup`.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import avro.io
import avro.schema

from newswire.stages.encode.wire import SINGLE_OBJECT_MAGIC, confluent_id

MAGIC = SINGLE_OBJECT_MAGIC
Lookup = Callable[[int], avro.schema.Schema]  # a writer schema by registry id


def fingerprint(schema: avro.schema.Schema) -> bytes:
    """8 bytes, little-endian, of the schema's Parsing Canonical Form."""
    return schema.fingerprint("CRC-64-AVRO")


def load_schema(path: Path) -> avro.schema.Schema:
    return avro.schema.parse(path.read_text(encoding="utf-8"))


class AvroCodec:
    """Writes with one schema; reads any schema it knows, resolved to the writer's own.

    Args:
        schema: the schema records are written with (and read into).
        readable: older versions it can also read.
        header: the bytes before each record (default: single-object magic + fingerprint).
        lookup: a registry's schemas by id, for confluent-framed records.
    """

    def __init__(
        self,
        schema: avro.schema.Schema,
        readable: list[avro.schema.Schema] | None = None,
        header: bytes | None = None,
        lookup: Lookup | None = None,
    ):
        self.schema = schema
        self.header = MAGIC + fingerprint(schema) if header is None else header
        self._writer = avro.io.DatumWriter(schema)
        self._known = {fingerprint(s): s for s in [schema, *(readable or [])]}
        self._lookup = lookup

    def encode(self, datum: dict[str, Any]) -> bytes:
        buffer = io.BytesIO()
        buffer.write(self.header)
        self._writer.write(datum, avro.io.BinaryEncoder(buffer))
        return buffer.getvalue()

    def decode(self, data: bytes) -> dict[str, Any]:
        writer, payload = self._writer_of(data)
        reader = avro.io.DatumReader(writer, self.schema)
        return reader.read(avro.io.BinaryDecoder(io.BytesIO(payload)))

    def _writer_of(self, data: bytes) -> tuple[avro.schema.Schema, bytes]:
        if data[:2] == MAGIC:
            writer = self._known.get(data[2:10])
            if writer is None:
                raise ValueError(f"unknown writer schema fingerprint {data[2:10].hex()}")
            return writer, data[10:]
        schema_id = confluent_id(data)
        if schema_id is None:
            raise ValueError("neither Avro single-object (C3 01) nor Confluent (00) framing")
        if self._lookup is None:
            raise ValueError(
                f"a Confluent-framed record (schema id {schema_id}): "
                "reading it needs --schema-registry-url"
            )
        return self._lookup(schema_id), data[5:]
