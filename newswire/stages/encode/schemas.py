"""The schemas in schemas/ as a contract: released versions, compatibility, publication.

A change must be compatible both ways with the newest release (FULL compatibility in
schema-registry terms), so that producers and consumers can upgrade in either order.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

from newswire.stages.encode.avro_codec import load_schema

_RELEASE = re.compile(r"^v(\d+)$")


@dataclass(frozen=True)
class Incompatibility:
    schema: str
    direction: str  # backward: new reads old; forward: old reads new
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.schema}: not {self.direction} compatible at {self.location}: {self.message}"


def releases(schemas_dir: Path) -> list[Path]:
    history = schemas_dir / "history"
    found = (
        [p for p in history.iterdir() if p.is_dir() and _RELEASE.match(p.name)]
        if history.exists()
        else []
    )
    return sorted(found, key=lambda p: int(_RELEASE.match(p.name).group(1)))  # type: ignore[union-attr]


def released_schemas(schemas_dir: Path) -> dict[str, list[avro.schema.Schema]]:
    """File name -> every released version of it, oldest first."""
    out: dict[str, list[avro.schema.Schema]] = {}
    for release in releases(schemas_dir):
        for path in sorted(release.glob("*.avsc")):
            out.setdefault(path.name, []).append(load_schema(path))
    return out


def check(schemas_dir: Path) -> list[Incompatibility]:
    """Every way the current schemas break compatibility with the newest release."""
    latest = releases(schemas_dir)
    if not latest:
        return []
    problems: list[Incompatibility] = []
    for path in sorted(schemas_dir.glob("*.avsc")):
        released = latest[-1] / path.name
        if not released.exists():
            continue  # a new schema: nothing to be compatible with
        old, new = load_schema(released), load_schema(path)
        for direction, reader, writer in (("backward", new, old), ("forward", old, new)):
            result = ReaderWriterCompatibilityChecker().get_compatibility(reader, writer)
            if result.compatibility is not SchemaCompatibilityType.compatible:
                locations = sorted(result.locations) or ["/"]
                for message in sorted(result.messages) or ["incompatible"]:
                    problems.append(
                        Incompatibility(path.name, direction, ",".join(locations), message)
                    )
    for released in sorted(latest[-1].glob("*.avsc")):
        if not (schemas_dir / released.name).exists():
            problems.append(
                Incompatibility(released.name, "backward", "/", "a released schema was removed")
            )
    return problems


def all_schemas(schemas_dir: Path) -> list[avro.schema.Schema]:
    """Current and released schemas, once each (by canonical form)."""
    seen: dict[str, avro.schema.Schema] = {}
    for path in [
        *sorted(schemas_dir.glob("*.avsc")),
        *sorted(schemas_dir.glob("history/v*/*.avsc")),
    ]:
        schema = load_schema(path)
        seen.setdefault(schema.canonical_form, schema)
    return list(seen.values())


def publication(schema: avro.schema.Schema) -> tuple[bytes, bytes]:
    """(key, value) for the schemas topic: the fingerprint in hex, the schema's JSON."""
    return schema.fingerprint("CRC-64-AVRO").hex().encode(), json.dumps(schema.to_json()).encode()
