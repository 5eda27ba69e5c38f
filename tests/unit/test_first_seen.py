"""FirstSeenFn's own logic, with stand-ins for Beam's state and timer handles (the runner's
timer delivery is Beam's; the enrich-transform test runs the DoFn on a real runner)."""

from __future__ import annotations

from apache_beam.utils.timestamp import Timestamp

from pipeline.dedup.transforms import FirstSeenFn


class _State:
    def __init__(self) -> None:
        self.value = None

    def read(self):
        return self.value

    def write(self, value) -> None:
        self.value = value

    def clear(self) -> None:
        self.value = None


class _Timer:
    def __init__(self) -> None:
        self.at: Timestamp | None = None

    def set(self, at: Timestamp) -> None:
        self.at = at


def test_first_value_passes_repeats_drop_and_expiry_forgets() -> None:
    fn = FirstSeenFn("article", ttl_s=100)
    state, timer = _State(), _Timer()

    def feed(value: str, at: float) -> list[str]:
        return list(fn.process(("id", value), Timestamp(at), state, timer))

    assert feed("first", 10) == ["first"]
    assert timer.at == Timestamp(110)  # forget 100 s of event time after the first sighting
    assert feed("repeat", 60) == []
    assert timer.at == Timestamp(110)  # a repeat does not extend the life of the key
    fn.expire(state)
    assert feed("after expiry", 210) == ["after expiry"]
    assert timer.at == Timestamp(310)
