"""A mapping whose entries expire by age, pruned at the cost of what it removes.

Both dedup indexes keep one: the ids seen (`seen.SeenIds`) and the story buckets
(`stories.StoryIndex`). A heap orders the entries by the time that ages them, so a prune pops
the old ones and never scans the young.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Expiring(Generic[K, V]):
    def __init__(self) -> None:
        self._values: dict[K, V] = {}
        self._by_age: list[tuple[int, K]] = []

    def setdefault(self, key: K, value: V, aged_from_ms: int) -> bool:
        """Keep `value` under `key` unless one is there; True when it was added."""
        if key in self._values:
            return False
        self._values[key] = value
        heapq.heappush(self._by_age, (aged_from_ms, key))
        return True

    def get(self, key: K) -> V | None:
        return self._values.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def oldest_ms(self) -> int | None:
        return self._by_age[0][0] if self._by_age else None

    def prune(self, before_ms: int) -> int:
        """Drop the entries aged from before `before_ms`; how many went."""
        removed = 0
        while self._by_age and self._by_age[0][0] < before_ms:
            _, key = heapq.heappop(self._by_age)
            del self._values[key]
            removed += 1
        return removed

    def items(self) -> Iterator[tuple[K, V]]:
        return iter(self._values.items())

    def __len__(self) -> int:
        return len(self._values)
