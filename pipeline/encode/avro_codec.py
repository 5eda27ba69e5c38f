"""Avro single-object encoding: 0xC3 0x01, the schema's CRC-64-AVRO fingerprint, the datum.

The header lets a consumer find the writer's schema by fingerprint (the schemas in schemas/
are the contract) without a schema registry.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import avro.io
import avro.schema

MAGIC = b"\xc3\x01"


def fingerprint(schema: avro.schema.Schema) -> bytes:
    """8 bytes, little-endian, of the schema's Parsing Canonical Form."""
    return schema.fingerprint("CRC-64-AVRO")


def load_schema(path: Path) -> avro.schema.Schema:
    return avro.schema.parse(path.read_text(encoding="utf-8"))


class AvroCodec:
    """Writes with one schema; reads any schema it knows, resolved to the writer's own."""

    def __init__(
        self, schema: avro.schema.Schema, readable: list[avro.schema.Schema] | None = None
    ):
        self.schema = schema
        self.header = MAGIC + fingerprint(schema)
        self._writer = avro.io.DatumWriter(schema)
        self._known = {fingerprint(s): s for s in [schema, *(readable or [])]}

    def encode(self, datum: dict[str, Any]) -> bytes:
        buffer = io.BytesIO()
        buffer.write(self.header)
        self._writer.write(datum, avro.io.BinaryEncoder(buffer))
        return buffer.getvalue()

    def decode(self, data: bytes) -> dict[str, Any]:
        if data[:2] != MAGIC:
            raise ValueError("not Avro single-object encoding (no C3 01 header)")
        writer = self._known.get(data[2:10])
        if writer is None:
            raise ValueError(f"unknown writer schema fingerprint {data[2:10].hex()}")
        reader = avro.io.DatumReader(writer, self.schema)
        return reader.read(avro.io.BinaryDecoder(io.BytesIO(data[10:])))
