"""The schemas in a Confluent-compatible schema registry (Confluent's, or Apicurio's
`/apis/ccompat/v7`): registered at start-up, looked up by id when reading, checked for
compatibility by `newswire schemas check`.

Subjects follow the TopicNameStrategy (`<topic>-key`, `<topic>-value`), which is what
Confluent's serdes, Kafka Connect and Flink SQL look up by default. Compatibility is set to
BACKWARD on each subject (Confluent's default; Apicurio's global default is NONE).
"""

from __future__ import annotations

import functools
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import avro.schema

from newswire.config import Settings
from newswire.stages.encode.avro_codec import Lookup, load_schema
from newswire.stages.encode.wire import CONFLUENT, SINGLE_OBJECT_WIRE, SchemaIds, WireFormat

_CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
COMPATIBILITY = "BACKWARD"


class RegistryError(RuntimeError):
    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status, when the registry answered


class RegistryClient:
    """A small explicit client of the Confluent schema registry REST API.

    Args:
        url: the API's base, e.g. http://127.0.0.1:8085/apis/ccompat/v7.
        timeout_s: each request's bound.
    """

    def __init__(self, url: str, timeout_s: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self._timeout = timeout_s

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """One call of the API: its JSON answer, or RegistryError saying what failed."""
        request = urllib.request.Request(
            self.url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": _CONTENT_TYPE, "Accept": _CONTENT_TYPE},
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:500]
            raise RegistryError(
                f"schema registry {method} {self.url}{path}: HTTP {exc.code}: {detail}", exc.code
            ) from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise RegistryError(
                f"schema registry at {self.url} is unreachable ({reason}); "
                "is it running (newswire broker up starts one), and is --schema-registry-url right?"
            ) from exc

    def set_compatibility(self, subject: str, level: str = COMPATIBILITY) -> None:
        self.request("PUT", f"/config/{subject}", {"compatibility": level})

    def register(self, subject: str, schema: avro.schema.Schema) -> int:
        """The schema's id under `subject`, registered as its next version if new."""
        try:
            answer = self.request("POST", f"/subjects/{subject}/versions", _payload(schema))
        except RegistryError as exc:
            if exc.status == 409:
                raise RegistryError(
                    f"{schema.fullname} is not {COMPATIBILITY} compatible with the latest "
                    f"version of subject {subject} in the registry: {exc}"
                ) from exc
            raise
        return int(answer["id"])

    def is_compatible(self, subject: str, schema: avro.schema.Schema) -> bool:
        path = f"/compatibility/subjects/{subject}/versions/latest"
        try:
            answer = self.request("POST", path, _payload(schema))
        except RegistryError as exc:
            if exc.status == 404:
                return True  # no version yet: nothing to be compatible with
            raise
        return bool(answer.get("is_compatible"))

    @functools.cache  # noqa: B019 - a client lives as long as its reader; ids never change
    def schema(self, schema_id: int) -> avro.schema.Schema:
        return avro.schema.parse(self.request("GET", f"/schemas/ids/{schema_id}")["schema"])


def _payload(schema: avro.schema.Schema) -> dict[str, str]:
    return {"schemaType": "AVRO", "schema": json.dumps(schema.to_json())}


_FILES = {"key": "article_key.avsc", "article": "article.avsc", "dead_letter": "dead_letter.avsc"}


def subjects(settings: Settings, schemas_dir: Path) -> dict[str, tuple[str, avro.schema.Schema]]:
    """Each subject the pipeline writes under -> (role, current schema)."""
    schema = {role: load_schema(schemas_dir / name) for role, name in _FILES.items()}
    out: dict[str, tuple[str, avro.schema.Schema]] = {}
    for topic in (settings.sink_topic, settings.canonical_topic):
        out[f"{topic}-key"] = ("key", schema["key"])
        out[f"{topic}-value"] = ("article", schema["article"])
    # A dead letter keeps its input's raw key: only its value is Avro.
    out[f"{settings.dlq_topic}-value"] = ("dead_letter", schema["dead_letter"])
    return out


def register_schemas(settings: Settings, schemas_dir: Path) -> WireFormat:
    """Start-up: the format the job writes, with its ids registered when it is confluent."""
    if settings.effective_wire_format() != CONFLUENT:
        return SINGLE_OBJECT_WIRE
    client = RegistryClient(settings.schema_registry_url)
    ids: dict[str, set[int]] = {role: set() for role in _FILES}
    for subject, (role, schema) in subjects(settings, schemas_dir).items():
        ids[role].add(_register(client, subject, schema))
    split = {role: sorted(found) for role, found in ids.items() if len(found) > 1}
    if split:  # one encoded record goes to the sink and canonical topics alike
        raise RegistryError(f"the registry gave one schema different ids by subject: {split}")
    return WireFormat(CONFLUENT, SchemaIds(**{role: found.pop() for role, found in ids.items()}))


def _register(client: RegistryClient, subject: str, schema: avro.schema.Schema) -> int:
    """Register under BACKWARD compatibility. A registry may refuse to configure a subject it
    does not have yet (Apicurio does): then the first version goes in, and the setting after."""
    try:
        client.set_compatibility(subject)
    except RegistryError as exc:
        if exc.status != 404:
            raise
        schema_id = client.register(subject, schema)
        client.set_compatibility(subject)
        return schema_id
    return client.register(subject, schema)


def compatibility_problems(settings: Settings, schemas_dir: Path) -> list[str]:
    """Subjects whose latest registered version the current schema is not compatible with."""
    client = RegistryClient(settings.schema_registry_url)
    return [
        f"{subject}: {schema.fullname} is not {COMPATIBILITY} compatible with the registry's "
        "latest version"
        for subject, (_, schema) in subjects(settings, schemas_dir).items()
        if not client.is_compatible(subject, schema)
    ]


def registry_lookup(settings: Settings) -> Lookup | None:
    """Writer schemas by registry id, for reading confluent-framed records; None without a
    registry (single-object records need none)."""
    return (
        RegistryClient(settings.schema_registry_url).schema
        if settings.schema_registry_url
        else None
    )
