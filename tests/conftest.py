from __future__ import annotations

import os
from pathlib import Path

import pytest

from newswire.devtools.evaluate import read_labels
from newswire.memory import PeakMemory
from tests import reaper

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DATA = Path(__file__).resolve().parent / "data"


def seed_files() -> list[Path]:
    return sorted(SEEDS.glob("*.txt"))


def main_labels() -> dict[str, dict[str, set[str]]]:
    """The labels of each seed page's main article, by file name."""
    return {
        item.file: {"partner_countries": set(item.partner_countries), "themes": set(item.themes)}
        for item in read_labels(DATA / "labels.tsv")
        if not item.title
    }


@pytest.fixture(scope="session")
def seeds() -> list[Path]:
    files = seed_files()
    assert len(files) == 5, "the project ships five seed pages"
    return files


def pytest_configure(config: pytest.Config) -> None:
    config._newswire_watchdog = reaper.start(os.getpid())  # type: ignore[attr-defined]
    # The session's whole tree, brokers and clusters included, for the closing summary.
    config._newswire_peak = PeakMemory(services=True).start()  # type: ignore[attr-defined]


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    config._newswire_peak.sample()  # type: ignore[attr-defined]
    peak = config._newswire_peak.peak_bytes  # type: ignore[attr-defined]
    terminalreporter.write_line(
        f"peak memory of the test session's processes: {peak / 2**20:.0f} MB"
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    config._newswire_peak.stop()  # type: ignore[attr-defined]
    tag, watchdog = config._newswire_watchdog  # type: ignore[attr-defined]
    reaper.kill_tagged(tag)  # Prism and anything else a test left running
    watchdog.terminate()
