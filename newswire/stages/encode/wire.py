"""How a record's bytes say which schema wrote them: the two wire formats newswire writes.

- single-object (Avro's own spec): C3 01, the schema's 8-byte CRC-64-AVRO fingerprint, the
  datum. Consumers find the schema by fingerprint on the schemas topic; no registry needed.
- confluent (what Confluent's and Apicurio's serdes, Kafka Connect, ksqlDB and Flink SQL's
  `avro-confluent` read): 00, the schema's 4-byte registry id (big-endian), the datum.

Plain functions and data: the ids come from the registry at start-up (newswire/kafka/registry.py).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

CONFLUENT = "confluent"
SINGLE_OBJECT = "single-object"
FORMATS = (CONFLUENT, SINGLE_OBJECT)

SINGLE_OBJECT_MAGIC = b"\xc3\x01"
CONFLUENT_MAGIC = b"\x00"
_ID = struct.Struct(">I")


def confluent_header(schema_id: int) -> bytes:
    return CONFLUENT_MAGIC + _ID.pack(schema_id)


def confluent_id(data: bytes) -> int | None:
    """The registry id a confluent-framed value names; None if the value is not framed so."""
    if len(data) < 5 or data[:1] != CONFLUENT_MAGIC:
        return None
    return _ID.unpack_from(data, 1)[0]


@dataclass(frozen=True)
class SchemaIds:
    """Registry ids of the schemas the pipeline writes with (confluent format)."""

    key: int
    article: int
    dead_letter: int


@dataclass(frozen=True)
class WireFormat:
    """What the pipeline frames its records with; `ids` is set for the confluent format."""

    name: str = SINGLE_OBJECT
    ids: SchemaIds | None = None

    def __post_init__(self) -> None:
        if self.name not in FORMATS:
            raise ValueError(f"wire format {self.name!r}: expected one of {', '.join(FORMATS)}")
        if (self.name == CONFLUENT) != (self.ids is not None):
            raise ValueError("the confluent wire format needs the schemas' registry ids")


SINGLE_OBJECT_WIRE = WireFormat()
