from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.classify.evaluate import read_labels

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
