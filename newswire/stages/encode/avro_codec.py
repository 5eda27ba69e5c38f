"""Avro datums behind a header that names their writer schema (see encode/wire.py).

Writes one header (single-object by default, or a registry id); reads either format: a
single-object fingerprint from the schemas it knows (schemas/ is the contract), a registry id
through `lookup`.

The `avro` package parses schemas and gives their canonical form and fingerprints; the datums
themselves are written and read with fastavro (a C extension, and a dependency of Beam's), which
writes the same bytes: avro's DatumWriter, pure Python and validating each record before
writing it, took 0.38 ms an article record, the largest single cost in the pipeline's thread,
where fastavro takes 0.04 ms.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import avro.schema
import fastavro

from newswire.stages.encode.wire import SINGLE_OBJECT_MAGIC, confluent_id

MAGIC = SINGLE_OBJECT_MAGIC
Lookup = Callable[[int], avro.schema.Schema]  # a writer schema by registry id


def fingerprint(schema: avro.schema.Schema) -> bytes:
    """8 bytes, little-endian, of the schema's Parsing Canonical Form."""
    return schema.fingerprint("CRC-64-AVRO")


Parsed = Any  # a schema as fastavro parsed it


def _parsed(schema: avro.schema.Schema) -> Parsed:
    return fastavro.parse_schema(schema.to_json())


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
        self._parsed = _parsed(schema)
        # The current schema's own parse, so that `decode` knows it and skips resolution.
        self._known = {fingerprint(s): _parsed(s) for s in readable or []}
        self._known[fingerprint(schema)] = self._parsed
        self._by_id: dict[int, Parsed] = {}
        self._lookup = lookup

    def encode(self, datum: dict[str, Any]) -> bytes:
        buffer = io.BytesIO()
        buffer.write(self.header)
        fastavro.schemaless_writer(buffer, self._parsed, datum)
        return buffer.getvalue()

    def decode(self, data: bytes) -> dict[str, Any]:
        writer, payload = self._writer_of(data)
        reader = None if writer is self._parsed else self._parsed
        return fastavro.schemaless_reader(io.BytesIO(payload), writer, reader)  # type: ignore[return-value]

    def _writer_of(self, data: bytes) -> tuple[Parsed, bytes]:
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
        parsed = self._by_id.get(schema_id)
        if parsed is None:
            parsed = self._by_id[schema_id] = _parsed(self._lookup(schema_id))
        return parsed, data[5:]
