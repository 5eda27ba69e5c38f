"""Java pieces fetched once from Maven Central into the cache (the broker, the Flink job server).

Each is a small pom under deploy/ resolved by `mvn dependency:copy-dependencies`; a marker file
says the folder is complete, so an interrupted fetch is retried, never half used.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


class FetchError(RuntimeError):
    pass


def fetch_jars(pom: Path, dest: Path, what: str, properties: Mapping[str, str]) -> Path:
    """The runtime jars of `pom` in `dest`, fetched unless already complete."""
    marker = dest / ".complete"
    if marker.exists():
        return dest
    for tool in ("mvn", "java"):
        if shutil.which(tool) is None:
            raise FetchError(f"`{tool}` is not on PATH: {what} needs a JDK (17+) and Maven")
    print(f"fetching {what} from Maven Central (once) into {dest} ...", file=sys.stderr, flush=True)
    dest.mkdir(parents=True, exist_ok=True)
    command = [
        "mvn",
        "-B",
        "-q",
        "-f",
        str(pom),
        "dependency:copy-dependencies",
        *(f"-D{name}={value}" for name, value in properties.items()),
        f"-DoutputDirectory={dest}",
        "-DincludeScope=runtime",
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise FetchError(f"mvn could not fetch {what}:\n{result.stdout}{result.stderr}")
    marker.touch()
    return dest
