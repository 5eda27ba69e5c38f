"""One connection builds every client's arguments, security included."""

from __future__ import annotations

import pickle

from newswire.config import Settings
from newswire.kafka.connection import Connection


def test_security_settings_reach_the_client_arguments() -> None:
    args = Connection.of(
        Settings(
            bootstrap_servers="a:1,b:2",
            security_protocol="SASL_SSL",
            sasl_mechanism="PLAIN",
            sasl_username="u",
            sasl_password="p",
            ssl_cafile="/ca.pem",
        )
    ).client_args()
    assert args["bootstrap_servers"] == ["a:1", "b:2"]
    assert args["security_protocol"] == "SASL_SSL"
    assert (
        args["sasl_mechanism"],
        args["sasl_plain_username"],
        args["sasl_plain_password"],
        args["ssl_cafile"],
    ) == ("PLAIN", "u", "p", "/ca.pem")


def test_plaintext_passes_no_sasl_or_tls_arguments() -> None:
    args = Connection.of(Settings()).client_args()
    assert not {"sasl_mechanism", "ssl_cafile"} & args.keys()


def test_a_connection_pickles_for_workers_and_hides_its_password() -> None:
    connection = Connection("b:1", "SASL_PLAINTEXT", "PLAIN", "u", "secret")
    assert pickle.loads(pickle.dumps(connection)) == connection
    assert "secret" not in repr(connection)
