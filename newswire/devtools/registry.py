"""A schema registry on 127.0.0.1 beside the local broker: Apicurio Registry from Maven Central.

Apicurio serves the Confluent registry API at /apis/ccompat/v7. Its schemas live in a topic of
the local broker (KafkaSQL storage), so they survive a restart of the registry with no
database; a broker started from an empty log starts the registry from empty too. Version
3.0.9 is the newest that runs on Java 17.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from newswire.config import Settings
from newswire.devtools import process
from newswire.maven import fetch_archive
from newswire.ports import listening

VERSION = "3.0.9"
ARTIFACT = f"io.apicurio:apicurio-registry-app:{VERSION}:tar.gz:all"
JOURNAL_TOPIC = "newswire.registry.journal"


class RegistryStartError(RuntimeError):
    pass


class LocalRegistry:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app = settings.cache_dir / f"apicurio-registry-{VERSION}"
        self.home = settings.cache_dir / f"registry-{settings.registry_port}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.registry_port}/apis/ccompat/v7"

    @property
    def log(self) -> Path:
        return self.home / "registry.log"

    @property
    def _pid_file(self) -> Path:
        return self.home / "registry.pid"

    def pid(self) -> int | None:
        return process.running_pid(self._pid_file)

    def up(self, timeout_s: float = 120.0) -> None:
        """Start it (fetched once) against the broker the settings point at; wait until ready."""
        if self.pid() is not None:
            self.wait_ready(timeout_s)
            return
        port = self.settings.registry_port
        for taken in (port, port + 1):
            if listening(taken):
                raise RegistryStartError(
                    f"port {taken} is taken by another process; choose another with "
                    "--registry-port (the registry uses it and the next one)"
                )
        fetch_archive(ARTIFACT, self.app, f"Apicurio Registry {VERSION}")
        self.home.mkdir(parents=True, exist_ok=True)
        print(f"starting the schema registry on {self.url} (log: {self.log})", file=sys.stderr)
        started = process.start(self._command(), self._pid_file, self.log)
        self.wait_ready(timeout_s, started)

    def _command(self) -> list[str]:
        port = self.settings.registry_port
        properties = {
            "quarkus.http.host": "127.0.0.1",
            "quarkus.http.port": port,
            # Health and metrics would listen on 0.0.0.0:9000 otherwise.
            "quarkus.management.host": "127.0.0.1",
            "quarkus.management.port": port + 1,
            "apicurio.storage.kind": "kafkasql",
            "apicurio.kafkasql.bootstrap.servers": self.settings.bootstrap_servers,
            "apicurio.kafkasql.topic": JOURNAL_TOPIC,
            "apicurio.kafkasql.consumer.poll.timeout": 500,
        }
        jar = self.app / f"apicurio-registry-app-{VERSION}-runner.jar"
        return [
            "java",
            "-Xmx256m",
            "-XX:+UseSerialGC",
            *(f"-D{name}={value}" for name, value in properties.items()),
            "-jar",
            str(jar),
        ]

    def wait_ready(self, timeout_s: float, started=None) -> None:
        deadline = time.monotonic() + timeout_s
        last: Exception | None = None
        while time.monotonic() < deadline:
            if started is not None and started.poll() is not None:
                raise RegistryStartError(
                    f"the schema registry exited with {started.returncode}; see {self.log}"
                )
            try:
                with urllib.request.urlopen(self.url + "/subjects", timeout=5) as answer:
                    json.loads(answer.read())
                    return
            except (urllib.error.URLError, OSError, ValueError) as exc:
                last = exc
            time.sleep(0.5)
        raise RegistryStartError(
            f"the schema registry was not ready after {timeout_s:.0f}s ({last}); see {self.log}"
        )

    def down(self) -> bool:
        return process.stop(self._pid_file)

    def kill(self) -> None:
        """Stop at once, as a crash would (for fault tests)."""
        process.kill(self._pid_file)

    def status(self) -> str:
        if self.pid() is None:
            return f"stopped (Apicurio Registry {VERSION})"
        return f"running on {self.url}, pid {self.pid()}"
