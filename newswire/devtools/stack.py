"""The local stack a newcomer, the demo and the tests run on: the broker, and beside it the
schema registry whose schemas live on that broker."""

from __future__ import annotations

import sys

from newswire.config import Settings
from newswire.devtools.broker import LocalBroker
from newswire.devtools.registry import LocalRegistry


def registry_for(broker: LocalBroker) -> LocalRegistry | None:
    """The broker's registry, when the settings want one and it can reach the broker (the
    local registry speaks PLAINTEXT to Kafka only)."""
    settings = broker.client_settings()
    if not settings.local_registry:
        return None
    if settings.security_protocol != "PLAINTEXT":
        print(
            f"no local schema registry over {settings.security_protocol}: "
            "records are single-object encoded",
            file=sys.stderr,
        )
        return None
    return LocalRegistry(settings)


def up(settings: Settings, reset: bool = False) -> Settings:
    """Start the stack (or find it running); the settings that point clients at it."""
    broker = LocalBroker(settings)
    registry = registry_for(broker)
    if reset and registry is not None:
        registry.down()  # its state is on the broker's log, about to be emptied
    broker.up(reset=reset)
    client = broker.client_settings()
    if registry is None:
        return client
    registry.up()
    return client.replace(schema_registry_url=registry.url)


def down(settings: Settings) -> list[str]:
    """Stop what runs; the names of what was stopped."""
    broker = LocalBroker(settings)
    registry = registry_for(broker)
    stopped = []
    if registry is not None and registry.down():
        stopped.append("schema registry")
    if broker.down():
        stopped.append("broker")
    return stopped


def status(settings: Settings) -> str:
    broker = LocalBroker(settings)
    registry = registry_for(broker)
    lines = [f"broker: {broker.status()}"]
    if registry is not None:
        lines.append(f"schema registry: {registry.status()}")
    return "\n".join(lines)
