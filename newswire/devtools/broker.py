"""A single-node KRaft Kafka broker on 127.0.0.1, from Apache Kafka's own jars.

The jars come from Maven Central once (mvn dependency:copy-dependencies over
kafka-pom.xml beside this module) into the cache folder; the broker's data lives beside them, one
folder per port, so that a test broker and a demo broker never share state.
"""

from __future__ import annotations

import base64
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from newswire.config import Settings
from newswire.devtools import process
from newswire.kafka.connection import Connection
from newswire.maven import fetch_jars
from newswire.ports import listening

POM = Path(__file__).with_name("kafka-pom.xml")


class BrokerError(RuntimeError):
    pass


@dataclass(frozen=True)
class BrokerPaths:
    jars: Path
    home: Path

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def properties(self) -> Path:
        return self.home / "server.properties"

    @property
    def log4j(self) -> Path:
        return self.home / "log4j2.properties"

    @property
    def log(self) -> Path:
        return self.home / "server.log"

    @property
    def pid(self) -> Path:
        return self.home / "broker.pid"

    @property
    def ca(self) -> Path:
        """The PEM certificate TLS clients trust (`--ssl-cafile`), when the broker speaks TLS."""
        return self.home / "ca.pem"


class LocalBroker:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        cache = settings.cache_dir
        self.paths = BrokerPaths(
            jars=cache / f"kafka-{settings.kafka_version}" / "libs",
            home=cache / f"broker-{settings.broker_port}",
        )

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.settings.broker_port}"

    # -- jars ---------------------------------------------------------------------------------

    def fetch_jars(self) -> None:
        fetch_jars(
            POM,
            self.paths.jars,
            f"Apache Kafka {self.settings.kafka_version} jars",
            {"kafka.version": self.settings.kafka_version},
        )

    # -- lifecycle ------------------------------------------------------------------------------

    def pid(self) -> int | None:
        return process.running_pid(self.paths.pid)

    def is_listening(self) -> bool:
        return listening(self.settings.broker_port)

    def up(self, reset: bool = False, timeout_s: float = 120.0) -> None:
        if self.pid() is not None:
            if not reset:
                self.wait_ready(timeout_s)
                return
            self.down()
        if self.is_listening():
            raise BrokerError(
                f"port {self.settings.broker_port} is taken by another process; "
                "choose another with --broker-port"
            )
        self.fetch_jars()
        if reset and self.paths.home.exists():
            shutil.rmtree(self.paths.home)
        self.paths.home.mkdir(parents=True, exist_ok=True)
        self._write_config()
        if not (self.paths.data / "meta.properties").exists():
            self._format()
        _say(f"starting Kafka on {self.bootstrap} (log: {self.paths.log})")
        started = process.start(
            self._java("kafka.Kafka", str(self.paths.properties)),
            self.paths.pid,
            self.paths.home / "stdout.log",
        )
        self.wait_ready(timeout_s, started)

    def wait_ready(self, timeout_s: float, started: subprocess.Popen | None = None) -> None:
        deadline = time.monotonic() + timeout_s
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if started is not None and started.poll() is not None:
                raise BrokerError(
                    f"the broker exited with {started.returncode}; see {self.paths.log}"
                )
            if self.is_listening():
                try:
                    admin = Connection.of(self.client_settings()).admin(request_timeout_ms=5000)
                    admin.list_topics()
                    admin.close()
                    return
                except Exception as exc:
                    last_error = exc
            time.sleep(0.5)
        raise BrokerError(
            f"the broker was not ready after {timeout_s:.0f}s ({last_error}); see {self.paths.log}"
        )

    def down(self, timeout_s: float = 30.0) -> bool:
        return process.stop(self.paths.pid, timeout_s)

    def kill(self) -> None:
        """Stop the broker at once, as a crash would (for fault tests)."""
        process.kill(self.paths.pid)

    def status(self) -> str:
        pid = self.pid()
        if pid is None:
            return f"stopped (data: {self.paths.home})"
        state = "ready" if self.is_listening() else "starting"
        return f"{state} on {self.bootstrap}, pid {pid} (data: {self.paths.home})"

    # -- files ----------------------------------------------------------------------------------

    def _java(self, main: str, *args: str) -> list[str]:
        return [
            "java",
            "-Xms256m",
            "-Xmx1g",
            "-XX:+UseG1GC",
            f"-Dlog4j2.configurationFile={self.paths.log4j}",
            "-cp",
            str(self.paths.jars / "*"),
            main,
            *args,
        ]

    def _format(self) -> None:
        cluster_id = _cluster_id()
        result = subprocess.run(
            self._java(
                "kafka.tools.StorageTool",
                "format",
                "-t",
                cluster_id,
                "-c",
                str(self.paths.properties),
            ),
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            logged = self.paths.log.read_text()[-4000:] if self.paths.log.exists() else ""
            raise BrokerError(
                f"formatting the KRaft log failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}{logged}"
            )

    def _write_config(self) -> None:
        port, cport = self.settings.broker_port, self.settings.controller_port
        protocol = self.settings.security_protocol
        if protocol not in ("PLAINTEXT", "SASL_PLAINTEXT", "SSL", "SASL_SSL"):
            raise BrokerError(
                "the local broker speaks PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL, "
                f"not {protocol}"
            )
        self.paths.properties.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@127.0.0.1:{cport}",
                    f"listeners={protocol}://127.0.0.1:{port},CONTROLLER://127.0.0.1:{cport}",
                    f"advertised.listeners={protocol}://127.0.0.1:{port}",
                    "controller.listener.names=CONTROLLER",
                    f"inter.broker.listener.name={protocol}",
                    f"listener.security.protocol.map={protocol}:{protocol},CONTROLLER:PLAINTEXT",
                    *self._sasl_config(),
                    *self._tls_config(),
                    f"log.dirs={self.paths.data}",
                    "num.partitions=1",
                    "auto.create.topics.enable=false",
                    "offsets.topic.replication.factor=1",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    "log.cleaner.backoff.ms=1000",
                    "",
                ]
            )
        )
        self.paths.log4j.write_text(
            "\n".join(
                [
                    "rootLogger.level=INFO",
                    "rootLogger.appenderRef.file.ref=file",
                    "appender.file.type=File",
                    "appender.file.name=file",
                    f"appender.file.fileName={self.paths.log}",
                    "appender.file.layout.type=PatternLayout",
                    "appender.file.layout.pattern=[%d] %p %m (%c)%n",
                    "",
                ]
            )
        )

    def _sasl_config(self) -> list[str]:
        """SASL/PLAIN on the client listener, with the configured user as its only user."""
        protocol = self.settings.security_protocol
        if not protocol.startswith("SASL_"):
            return []
        if self.settings.sasl_mechanism != "PLAIN" or not self.settings.sasl_username:
            raise BrokerError(
                f"a {protocol} local broker needs --sasl-mechanism PLAIN "
                "and --sasl-username/--sasl-password"
            )
        user, password = self.settings.sasl_username, self.settings.sasl_password
        jaas = (
            "org.apache.kafka.common.security.plain.PlainLoginModule required "
            f'username="{user}" password="{password}" user_{user}="{password}";'
        )
        return [
            "sasl.enabled.mechanisms=PLAIN",
            "sasl.mechanism.inter.broker.protocol=PLAIN",
            f"listener.name.{protocol.lower()}.plain.sasl.jaas.config={jaas}",
        ]

    def _tls_config(self) -> list[str]:
        """TLS on the client listener with a self-signed certificate for 127.0.0.1, made once
        by the JDK's keytool; clients trust its `ca.pem`."""
        if not self.settings.security_protocol.endswith("SSL"):
            return []
        keystore, truststore = self.paths.home / "broker.p12", self.paths.home / "trust.p12"
        password = "newswire-local"  # guards a throwaway certificate for loopback only
        store = ["-storetype", "PKCS12", "-storepass", password]
        if not keystore.exists():
            ca, key, trust = (shlex.quote(str(p)) for p in (self.paths.ca, keystore, truststore))
            for command in (
                "-genkeypair -alias broker -keyalg RSA -keysize 2048 -validity 365 "
                f"-dname CN=localhost -ext SAN=ip:127.0.0.1,dns:localhost -keystore {key} "
                f"-keypass {password}",
                f"-exportcert -rfc -alias broker -keystore {key} -file {ca}",
                f"-importcert -noprompt -alias ca -file {ca} -keystore {trust}",
            ):
                args = shlex.split(command)
                done = subprocess.run(["keytool", *args, *store], capture_output=True, text=True)
                if done.returncode != 0:
                    raise BrokerError(f"keytool {args[0]} failed:\n{done.stdout}{done.stderr}")
        return [
            f"ssl.keystore.location={keystore}",
            "ssl.keystore.type=PKCS12",
            f"ssl.keystore.password={password}",
            f"ssl.key.password={password}",
            f"ssl.truststore.location={truststore}",
            "ssl.truststore.type=PKCS12",
            f"ssl.truststore.password={password}",
        ]

    def client_settings(self) -> Settings:
        """The settings, pointed at this broker and trusting its certificate if it has one
        and none was given: what `broker up` and the tests' clients use."""
        settings = self.settings.replace(bootstrap_servers=self.bootstrap)
        if settings.security_protocol.endswith("SSL") and not settings.ssl_cafile:
            settings = settings.replace(ssl_cafile=str(self.paths.ca))
        return settings


def _cluster_id() -> str:
    """A KRaft cluster id: a random UUID in URL-safe base64, never starting with "-" (the
    storage tool would read it as an option; Kafka's own `Uuid.randomUuid` avoids it too)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
