"""Exact repeats: the ids seen within the TTL, and the shard of keyed state an id lives in.

Ids are grouped into a few hundred shards so that keyed state scales with shards, not ids: a
shard's state is a log of compact entries (`add` returns the one to append) from which a
worker `restore`s its in-memory set. Plain data; dedup/transforms.py is the Beam shell.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable

from newswire.stages.dedup.expiring import Expiring

_SEEN_AT = struct.Struct(">q")


def shard_of(key: str, shards: int) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest(), "big") % shards


def encode_seen(key: str, seen_ms: int) -> bytes:
    return _SEEN_AT.pack(seen_ms) + key.encode()


def decode_seen(entry: bytes) -> tuple[str, int]:
    return entry[_SEEN_AT.size :].decode(), _SEEN_AT.unpack_from(entry)[0]


class SeenIds:
    """Ids and when they were first seen; an id is forgotten a TTL after that."""

    def __init__(self) -> None:
        self._ids: Expiring[str, int] = Expiring()

    def add(self, key: str, seen_ms: int) -> bytes | None:
        """The entry to log when `key` is new, else None (a repeat)."""
        return encode_seen(key, seen_ms) if self._ids.setdefault(key, seen_ms, seen_ms) else None

    def restore(self, entries: Iterable[bytes]) -> None:
        for entry in entries:
            key, seen_ms = decode_seen(entry)
            self._ids.setdefault(key, seen_ms, seen_ms)

    def oldest_ms(self) -> int | None:
        return self._ids.oldest_ms()

    def prune(self, before_ms: int) -> list[bytes] | None:
        """Forget ids seen before `before_ms`: None when none went, else the log to keep."""
        if not self._ids.prune(before_ms):
            return None
        return [encode_seen(key, seen_ms) for key, seen_ms in self._ids.items()]

    def __contains__(self, key: object) -> bool:
        return key in self._ids

    def __len__(self) -> int:
        return len(self._ids)
