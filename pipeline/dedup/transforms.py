"""Emit the first value per key, once, with the fact "seen" kept in Beam keyed state.

Runner-agnostic: state lives where the runner keeps it (checkpointed on Flink), never in a
process-global cache.
"""

from __future__ import annotations

import typing

import apache_beam as beam
from apache_beam.coders import BooleanCoder
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec


@beam.typehints.with_input_types(tuple[str, typing.Any])
class FirstSeenFn(beam.DoFn):
    SEEN = ReadModifyWriteStateSpec("seen", BooleanCoder())

    def __init__(self, what: str) -> None:
        self._what = what

    def process(self, element, seen=beam.DoFn.StateParam(SEEN)):
        _, value = element
        if seen.read():
            beam.metrics.Metrics.counter("duplicates_dropped", self._what).inc()
            return
        seen.write(True)
        yield value
