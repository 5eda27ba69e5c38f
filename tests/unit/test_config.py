from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from newswire.config import Settings, settings_parser


def _parse(argv: list[str]) -> argparse.Namespace:
    return argparse.ArgumentParser(parents=[settings_parser()]).parse_args(argv)


def test_flag_beats_environment_beats_default() -> None:
    env = {"NEWSWIRE_BOOTSTRAP_SERVERS": "env:1", "NEWSWIRE_BROKER_PORT": "19092"}
    settings = Settings.from_args(_parse(["--bootstrap-servers", "flag:2"]), env)
    assert settings.bootstrap_servers == "flag:2"
    assert settings.broker_port == 19092
    assert settings.sink_topic == "newswire.articles.enriched"


def test_booleans_and_paths_from_the_environment() -> None:
    settings = Settings.from_env(
        {"NEWSWIRE_UNTIL_CAUGHT_UP": "yes", "NEWSWIRE_CACHE_DIR": "/tmp/x"}
    )
    assert settings.until_caught_up is True
    assert settings.cache_dir == Path("/tmp/x")
    assert (
        Settings.from_args(
            _parse(["--no-until-caught-up"]), {"NEWSWIRE_UNTIL_CAUGHT_UP": "1"}
        ).until_caught_up
        is False
    )


@pytest.mark.parametrize(
    ("name", "value"), [("NEWSWIRE_BROKER_PORT", "abc"), ("NEWSWIRE_UNTIL_CAUGHT_UP", "maybe")]
)
def test_bad_environment_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        Settings.from_env({name: value})


def test_settings_survive_the_trip_through_a_child_process_environment() -> None:
    settings = Settings().replace(
        until_caught_up=True, warm_start=False, metrics_port=0, sink_timeout_s=2.5
    )
    assert Settings.from_env(settings.to_env()) == settings


def test_isolated_settings_share_no_topic_or_group() -> None:
    a, b = Settings().isolated("test"), Settings().isolated("test")
    names = ("raw_topic", "sink_topic", "canonical_topic", "dlq_topic", "schemas_topic", "group_id")
    assert all(getattr(a, n) != getattr(b, n) for n in names)
    assert all(getattr(a, n).startswith("test") for n in names)
    assert len({getattr(a, n) for n in names}) == len(names)
