"""Emit the first value per key, once, with the fact "seen" kept in Beam keyed state.

Runner-agnostic: state lives where the runner keeps it (checkpointed on Flink), never in a
process-global cache. State is bounded: an event-time timer clears a key `ttl_s` after the
element that set it, so memory follows the stories of the last TTL, not all stories ever seen.
"""

from __future__ import annotations

import typing

import apache_beam as beam
from apache_beam.coders import BooleanCoder
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec, TimerSpec, on_timer
from apache_beam.utils.timestamp import Duration


@beam.typehints.with_input_types(tuple[str, typing.Any])
class FirstSeenFn(beam.DoFn):
    SEEN = ReadModifyWriteStateSpec("seen", BooleanCoder())
    EXPIRY = TimerSpec("expiry", TimeDomain.WATERMARK)

    def __init__(self, what: str, ttl_s: float) -> None:
        self._what = what
        self._ttl = Duration.of(ttl_s)

    def process(
        self,
        element,
        timestamp=beam.DoFn.TimestampParam,
        seen=beam.DoFn.StateParam(SEEN),
        expiry=beam.DoFn.TimerParam(EXPIRY),
    ):
        _, value = element
        if seen.read():
            beam.metrics.Metrics.counter("duplicates_dropped", self._what).inc()
            return
        seen.write(True)
        expiry.set(timestamp + self._ttl)
        yield value

    @on_timer(EXPIRY)
    def expire(self, seen=beam.DoFn.StateParam(SEEN)):
        seen.clear()
