"""How every Kafka client of the project is made: one typed connection, one set of arguments.

Producers, consumers and admin clients all take their broker address and security from here,
so a TLS or SASL setting reaches every one of them (the replayer, the job's source and sinks,
the warm start, `tail`, the topic check) or none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient

if TYPE_CHECKING:
    from newswire.config import Settings

MAX_RECORD_BYTES = 16 * 1024 * 1024  # matches max.message.bytes in topics.toml


@dataclass(frozen=True)
class Connection:
    """A broker and the credentials to reach it (picklable: transforms carry it to workers).

    Args:
        bootstrap_servers: host:port,... of one or more brokers.
        security_protocol: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL.
        sasl_mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 ("" for no SASL).
        sasl_username, sasl_password: the SASL credentials.
        ssl_cafile: the CA certificate (PEM) that signed the broker's, for SSL.
    """

    bootstrap_servers: str = "127.0.0.1:9092"
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str = ""
    sasl_username: str = ""
    sasl_password: str = field(default="", repr=False)
    ssl_cafile: str = ""

    @classmethod
    def of(cls, settings: Settings) -> Connection:
        return cls(
            settings.bootstrap_servers,
            settings.security_protocol,
            settings.sasl_mechanism,
            settings.sasl_username,
            settings.sasl_password,
            settings.ssl_cafile,
        )

    def client_args(self) -> dict[str, Any]:
        """kafka-python keyword arguments shared by every client."""
        args: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers.split(","),
            "security_protocol": self.security_protocol,
        }
        if self.sasl_mechanism:
            args.update(
                sasl_mechanism=self.sasl_mechanism,
                sasl_plain_username=self.sasl_username,
                sasl_plain_password=self.sasl_password,
            )
        if self.ssl_cafile:
            args["ssl_cafile"] = self.ssl_cafile
        return args

    def producer(self, **overrides: Any) -> KafkaProducer:
        """The project's one way to write: every replica acknowledges, retries never duplicate."""
        config = {
            "acks": "all",
            "enable_idempotence": True,
            "max_request_size": MAX_RECORD_BYTES,
            **overrides,
        }
        return KafkaProducer(**self.client_args(), **config)

    def consumer(self, **overrides: Any) -> KafkaConsumer:
        """A consumer that commits nothing by itself (`group_id` etc. as overrides)."""
        return KafkaConsumer(**self.client_args(), **{"enable_auto_commit": False, **overrides})

    def admin(self, **overrides: Any) -> KafkaAdminClient:
        return KafkaAdminClient(**self.client_args(), **overrides)
