"""The test session's watchdog: what a session started dies with it, however it ends."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from tests import reaper


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[1].split()[0] != "Z"  # a zombie has ended


def test_a_killed_sessions_processes_are_killed_by_its_watchdog() -> None:
    session = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    saved = os.environ.get(reaper.TAG)
    try:
        tag, watchdog = reaper.start(session.pid)  # as pytest does for itself
        leftover = subprocess.Popen(  # a broker or a Prism the session started
            ["sleep", "600"], start_new_session=True
        )
        # Until the child has exec'd, /proc shows the environment it was forked with (this
        # process's own, untagged): a fresh clone's CI read it in that window once.
        deadline = time.monotonic() + 5
        while leftover.pid not in reaper.tagged(tag) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert leftover.pid in reaper.tagged(tag)
        assert watchdog.pid not in reaper.tagged(tag)
        session.kill()  # the session dies without any teardown
        session.wait()
        deadline = time.monotonic() + 10
        while _alive(leftover.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(leftover.pid), "the session's process outlived it"
        watchdog.wait(timeout=10)
    finally:
        if saved is None:
            os.environ.pop(reaper.TAG, None)
        else:
            os.environ[reaper.TAG] = saved
        for process in (leftover, session):
            if process.poll() is None:
                process.kill()
            process.wait(timeout=5)
