"""A local service's JVM: started in a session of its own, found again by its pid file, stopped.

The broker and the schema registry outlive the command that starts them (`newswire broker
up`), so their pid lives in a file beside their data; a session of their own lets `down` stop
the whole process group and keeps them out of the job's memory count.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path


def running_pid(pid_file: Path) -> int | None:
    try:
        pid = int(pid_file.read_text())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    return pid


def start(
    command: Sequence[str], pid_file: Path, out: Path, env: Mapping[str, str] | None = None
) -> subprocess.Popen:
    with open(out, "ab") as stream:
        process = subprocess.Popen(
            list(command),
            stdout=stream,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=dict(env) if env is not None else None,
        )
    pid_file.write_text(str(process.pid))
    return process


def stop(pid_file: Path, timeout_s: float = 30.0) -> bool:
    """SIGTERM the service's process group, SIGKILL it after `timeout_s`; False if not running."""
    pid = running_pid(pid_file)
    if pid is None:
        return False
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and running_pid(pid_file) is not None:
        time.sleep(0.2)
        reap(pid)
    if running_pid(pid_file) is not None:
        os.killpg(pid, signal.SIGKILL)
        reap(pid)
    pid_file.unlink(missing_ok=True)
    return True


def kill(pid_file: Path) -> None:
    """Stop at once, as a crash would (for fault tests)."""
    pid = running_pid(pid_file)
    if pid is not None:
        os.killpg(pid, signal.SIGKILL)
        reap(pid)
        pid_file.unlink(missing_ok=True)


def reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
