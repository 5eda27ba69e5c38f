"""No process outlives a test session, however it ends.

Every process the session starts inherits a tag in its environment. A watchdog outside
pytest's process tree waits for pytest to end and then kills every tagged process: brokers,
Prism, Flink job servers, jobs run as subprocesses, even when pytest itself was killed (by the
OOM killer, a timeout, kill -9) and no teardown ran.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

TAG = "NEWSWIRE_TEST_SESSION"


def tagged(tag: str) -> list[int]:
    """Processes started with TAG=tag in their environment (as exec'd: a process's own later
    changes to os.environ do not show, so pytest itself is never among them)."""
    needle = f"{TAG}={tag}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            with contextlib.suppress(OSError):
                if needle in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
    return found


def kill_tagged(tag: str) -> list[int]:
    killed = tagged(tag)
    for pid in killed:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return killed


def start(parent: int) -> tuple[str, subprocess.Popen]:
    """Tag this process's future children and start the watchdog; returns the tag."""
    tag = uuid.uuid4().hex
    os.environ[TAG] = tag
    clean = {k: v for k, v in os.environ.items() if k != TAG}
    watchdog = subprocess.Popen(
        [sys.executable, __file__, str(parent), tag],
        env=clean,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # a kill of pytest's group must not take it along
    )
    return tag, watchdog


def _watch(parent: int, tag: str) -> None:
    while True:
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            break
        time.sleep(1)
    killed = kill_tagged(tag)
    if killed:
        print(f"test session ended: killed {len(killed)} leftover process(es)", file=sys.stderr)


if __name__ == "__main__":
    _watch(int(sys.argv[1]), sys.argv[2])
