"""The package as a user installs it: `pip install .`, not editable, run away from the checkout.

The wheel must carry what the code finds at run time (the Avro schemas, the seed pages, the
vocabularies, topics.toml, the poms), so the installed `newswire` classifies pages, checks its
schemas and takes the seeds through a real broker with nothing but the wheel.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from newswire.config import Settings
from newswire.kafka.connection import Connection
from newswire.kafka.tail import decode_articles, read_topic
from tests.conftest import ROOT, seed_files

pytestmark = pytest.mark.kafka


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 600):
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{command[:3]} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the wheel built from the checkout; its dependencies are borrowed
    from the test's own environment (a path entry, so the editable install there is not)."""
    home = tmp_path_factory.mktemp("install")
    wheels = home / "wheels"
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        cwd=home,
    )
    (wheel,) = wheels.glob("newswire-*.whl")
    venv = home / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=home)
    python = venv / "bin" / "python"
    site = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            cwd=home,
        ).stdout.strip()
    )
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            str(wheel),
        ],
        cwd=home,
    )
    (site / "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def _env(settings: Settings | None = None) -> dict[str, str]:
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    if settings is not None:
        env.update(settings.to_env())
        env.pop("NEWSWIRE_SEEDS_DIR")  # the installed package's own seeds
    return env


def test_the_installed_package_runs_from_its_own_files(installed: Path, tmp_path: Path) -> None:
    python = str(installed / "bin" / "python")
    where = _run([python, "-c", "import newswire; print(newswire.__file__)"], tmp_path, _env())
    assert Path(where.stdout.strip()).is_relative_to(installed), "the checkout was imported"
    _run([str(installed / "bin" / "newswire"), "schemas", "check"], tmp_path, _env())
    pages = [Path(p) for p in seed_files()]
    out = _run(
        [str(installed / "bin" / "newswire"), "classify", "--nlp-model", "none", *map(str, pages)],
        tmp_path,
        _env(),
    ).stdout
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 32
    assert any(line["partner_countries"] for line in lines)


def test_the_installed_package_takes_the_seeds_through_the_broker(
    installed: Path, tmp_path: Path, settings: Settings
) -> None:
    settings = settings.replace(nlp_model="none", warm_start=False)
    newswire = str(installed / "bin" / "newswire")
    _run([newswire, "replay"], tmp_path, _env(settings))
    _run([newswire, "run", "--until-caught-up"], tmp_path, _env(settings))
    records = list(decode_articles(read_topic(Connection.of(settings), settings.sink_topic)))
    assert len(records) == 32
    assert {r["kind"] for r in records} == {"article", "teaser"}
