"""Java pieces fetched once from Maven Central into the cache (the broker, the Flink job server,
the schema registry).

Jars come from a small pom under deploy/ resolved by `mvn dependency:copy-dependencies`; a
finished application comes as one archive (`fetch_archive`). A marker file says the folder is
complete, so an interrupted fetch is retried, never half used.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from collections.abc import Mapping
from pathlib import Path


class FetchError(RuntimeError):
    pass


def fetch_jars(pom: Path, dest: Path, what: str, properties: Mapping[str, str]) -> Path:
    """The runtime jars of `pom` in `dest`, fetched unless already complete."""
    return _fetch(
        dest,
        what,
        [
            "-f",
            str(pom),
            "dependency:copy-dependencies",
            *(f"-D{name}={value}" for name, value in properties.items()),
            "-DincludeScope=runtime",
        ],
    )


def fetch_archive(artifact: str, dest: Path, what: str) -> Path:
    """A tar.gz artifact (`group:name:version:tar.gz:classifier`) unpacked into `dest`."""

    def unpack() -> None:
        for archive in dest.glob("*.tar.gz"):
            with tarfile.open(archive) as tar:
                tar.extractall(dest, filter="data")
            archive.unlink()

    return _fetch(dest, what, ["dependency:copy", f"-Dartifact={artifact}"], unpack)


def _fetch(dest: Path, what: str, goal: list[str], then=None) -> Path:
    marker = dest / ".complete"
    if marker.exists():
        return dest
    for tool in ("mvn", "java"):
        if shutil.which(tool) is None:
            raise FetchError(f"`{tool}` is not on PATH: {what} needs a JDK (17+) and Maven")
    print(f"fetching {what} from Maven Central (once) into {dest} ...", file=sys.stderr, flush=True)
    dest.mkdir(parents=True, exist_ok=True)
    command = ["mvn", "-B", "-q", *goal, f"-DoutputDirectory={dest}"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=dest)
    if result.returncode != 0:
        raise FetchError(f"mvn could not fetch {what}:\n{result.stdout}{result.stderr}")
    if then is not None:
        then()
    marker.touch()
    return dest
