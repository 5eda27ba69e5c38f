"""The options that choose and tune the engine."""

from __future__ import annotations

from newswire import runners
from newswire.config import Settings


def test_flink_bundles_are_short_and_the_option_is_spelt_as_beam_spells_it() -> None:
    """Beam's Flink option is `max_bundle_time_mills`; `..._millis` is dropped without a word,
    and each keyed stage then held its output for up to a second."""
    args = runners.flink_args(Settings().replace(runner="flink", flink_bundle_ms=75), "host:1")
    assert "--max_bundle_time_mills=75" in args
    assert not [a for a in args if a.startswith("--max_bundle_time_millis")]


def test_only_the_direct_runner_is_a_sole_worker() -> None:
    assert runners.sole_worker(Settings())
    assert not runners.sole_worker(Settings().replace(runner="flink"))
