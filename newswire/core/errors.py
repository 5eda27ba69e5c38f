"""Errors that route input to the dead-letter topic instead of stopping the pipeline."""

from __future__ import annotations


class Rejected(ValueError):
    """A page the pipeline cannot handle. `reason` is a stable code consumers can group by."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
