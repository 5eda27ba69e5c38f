"""The memory ceiling: what it counts, and that a job passing it fails alone."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from newswire.memory import MemoryGuard, MemoryLimitExceeded, descendants, tree_rss_bytes

ROOT = Path(__file__).resolve().parents[2]
HOLD_200_MB = (
    "import time; x = bytearray(200 << 20); x[::4096] = b'x' * len(x[::4096]); time.sleep(60)"
)


def _child(**popen: object) -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-c", HOLD_200_MB], **popen)  # type: ignore[call-overload]
    time.sleep(1.5)  # let it touch its pages
    return child


def test_the_tree_counts_a_child_but_not_a_service_in_its_own_session() -> None:
    before = tree_rss_bytes()
    job_child = _child()
    service = _child(start_new_session=True)
    try:
        pids = descendants(os.getpid())
        assert job_child.pid in pids
        assert service.pid not in pids
        assert service.pid in descendants(os.getpid(), services=True)
        grown = tree_rss_bytes() - before
        assert 150 << 20 < grown < 350 << 20  # the child's 200 MB, not the service's too
    finally:
        for process in (job_child, service):
            process.kill()
            process.wait()


def test_a_growing_job_is_stopped_and_fails_with_a_clear_error() -> None:
    stopped = []
    limit_mb = tree_rss_bytes() // 2**20 + 150
    hog = []
    guard = MemoryGuard(limit_mb, on_exceeded=lambda: stopped.append(True), interval_s=0.1)
    with pytest.raises(MemoryLimitExceeded, match=f"over the ceiling of {limit_mb} MB"), guard:
        for _ in range(400):  # up to 4 GB: the guard must stop it long before
            hog.append(bytearray(10 << 20))
            hog[-1][::4096] = b"x" * len(hog[-1][::4096])
            time.sleep(0.01)
    assert stopped == [True], "the job was not asked to stop"
    assert len(hog) < 100


def test_no_ceiling_means_no_guard() -> None:
    with MemoryGuard(0) as guard:
        pass
    assert guard.tripped is None and guard.peak_bytes == 0


def test_a_job_over_the_ceiling_fails_its_test_and_the_session_goes_on(tmp_path: Path) -> None:
    suite = tmp_path / "test_growth.py"
    suite.write_text(
        textwrap.dedent(
            """
            import time
            from newswire.memory import MemoryGuard, tree_rss_bytes

            def test_a_job_that_grows():
                hog = []
                with MemoryGuard(tree_rss_bytes() // 2**20 + 150, interval_s=0.1):
                    while True:
                        hog.append(bytearray(10 << 20))
                        hog[-1][::4096] = b"x" * len(hog[-1][::4096])
                        time.sleep(0.01)

            def test_the_next_test_still_runs():
                assert True
            """
        )
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(suite)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert "1 failed, 1 passed" in done.stdout, done.stdout + done.stderr
    assert "MemoryLimitExceeded" in done.stdout
