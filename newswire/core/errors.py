"""Errors that route input to the dead-letter topic instead of stopping the pipeline."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


class Rejected(ValueError):
    """A page the pipeline cannot handle. `reason` is a stable code consumers can group by."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


INTERNAL = "internal"  # the dead-letter reason of an element that met a bug


@dataclass(frozen=True)
class Failed:
    """An element's failure as data, so that it can travel back from a worker process: its
    dead-letter reason and detail, and for a bug (`internal`) the traceback to log."""

    reason: str
    detail: str
    trace: str = ""

    @property
    def internal(self) -> bool:
        return self.reason == INTERNAL


def attempt(fn: Callable[..., T], *args: Any) -> T | Failed:
    """`fn(*args)`, or how it failed: a rejection as its reason, any other exception (a bug)
    as `internal`, so that one element never stops the stream or is lost."""
    try:
        return fn(*args)
    except Rejected as exc:
        return Failed(exc.reason, exc.detail)
    except Exception as exc:
        return Failed(INTERNAL, f"{type(exc).__name__}: {exc}", traceback.format_exc())
