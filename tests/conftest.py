from __future__ import annotations

import csv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DATA = Path(__file__).resolve().parent / "data"


def seed_files() -> list[Path]:
    return sorted(SEEDS.glob("*.txt"))


def main_labels() -> dict[str, dict[str, set[str]]]:
    with (DATA / "labels.tsv").open(encoding="utf-8") as handle:
        return {
            row["file"]: {
                "partner_countries": set(filter(None, row["partner_countries"].split(","))),
                "themes": set(filter(None, row["themes"].split(","))),
            }
            for row in csv.DictReader(handle, delimiter="\t")
        }


@pytest.fixture(scope="session")
def seeds() -> list[Path]:
    files = seed_files()
    assert len(files) == 5, "the project ships five seed pages"
    return files
