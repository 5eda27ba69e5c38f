from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from pipeline.classify.evaluate import read_labels
from pipeline.memory import tree_rss_bytes
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


class _PeakMemory:
    """Samples the session's whole process tree (pytest, jobs, brokers) for the summary."""

    def __init__(self) -> None:
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="peak-memory", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            self.sample()

    def sample(self) -> None:
        self.peak_bytes = max(self.peak_bytes, tree_rss_bytes(services=True))

    def stop(self) -> None:
        self._stop.set()


def pytest_configure(config: pytest.Config) -> None:
    config._newswire_watchdog = reaper.start(os.getpid())  # type: ignore[attr-defined]
    config._newswire_peak = _PeakMemory()  # type: ignore[attr-defined]


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
