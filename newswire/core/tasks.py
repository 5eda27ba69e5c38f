"""A stage's pure work over a batch, as data: it can be built and run in another process.

A `Task` is picklable, hashable data naming a function; `build()` makes the function once in
each process that runs it (a spaCy model loads once a process). newswire/workers.py runs
tasks in worker processes, newswire/pooled.py is the Beam shell that feeds them.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from newswire.core.errors import attempt

Work = Callable[[Sequence[Any]], list[Any]]


class Task(Hashable, Protocol):
    """A stage's pure work over a batch: one result an element, in order."""

    def build(self) -> Work: ...


@dataclass(frozen=True)
class Each:
    """`fn(element, *args)` for each element of a batch; an element that fails gives its
    `Failed` in its place, so that one bad page is a dead letter, not a failed batch.

    `fn` must be a module-level function (it is pickled by name)."""

    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()

    def build(self) -> Work:
        return self

    def __call__(self, batch: Sequence[Any]) -> list[Any]:
        return [attempt(self.fn, element, *self.args) for element in batch]
