"""Loopback ports for the local services: is one taken, and a free one."""

from __future__ import annotations

import socket

LOOPBACK = "127.0.0.1"


def listening(port: int, host: str = LOOPBACK) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]
