"""A ceiling on a job's resident memory, so that a run that grows fails alone, with a clear error,
instead of the kernel killing whatever is largest on the machine.

The job's memory is this process and its descendants (the SDK worker, Prism, an embedded Flink
job server) less the local services, which run in sessions of their own (`broker up`, a Flink
cluster): they outlive a job and are not its growth.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path

_LOG = logging.getLogger(__name__)
_PROC = Path("/proc")


class MemoryLimitExceeded(RuntimeError):
    """The job's process tree passed its ceiling; the job was stopped."""


def _ppids() -> dict[int, int]:
    """Every process's parent, from /proc (the stat line's 4th field, after the name)."""
    parents: dict[int, int] = {}
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            parents[int(entry.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    return parents


def descendants(root: int, services: bool = False) -> list[int]:
    """`root`'s descendants, less (unless `services`) any subtree that runs in a session of its
    own: a local service, not the job."""
    children: dict[int, list[int]] = {}
    for pid, parent in _ppids().items():
        children.setdefault(parent, []).append(pid)
    found, stack = [], list(children.get(root, ()))
    while stack:
        pid = stack.pop()
        with contextlib.suppress(OSError):
            if not services and os.getsid(pid) == pid:
                continue
            found.append(pid)
            stack.extend(children.get(pid, ()))
    return found


def rss_bytes(pid: int) -> int:
    """Resident memory of one process; 0 once it is gone."""
    try:
        for line in (_PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def tree_rss_bytes(root: int | None = None, services: bool = False) -> int:
    root = os.getpid() if root is None else root
    return rss_bytes(root) + sum(rss_bytes(pid) for pid in descendants(root, services))


class PeakMemory:
    """Samples a process tree's resident memory every `interval_s` in a thread and keeps the
    peak; `on_sample(bytes)` sees each sample and ends the sampling by returning True."""

    def __init__(
        self,
        interval_s: float = 1.0,
        services: bool = False,
        on_sample: Callable[[int], bool] | None = None,
    ) -> None:
        self.peak_bytes = 0
        self._interval_s = interval_s
        self._services = services
        self._on_sample = on_sample
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> PeakMemory:
        self._thread = threading.Thread(target=self._run, name="peak-memory", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def sample(self) -> int:
        used = tree_rss_bytes(services=self._services)
        self.peak_bytes = max(self.peak_bytes, used)
        return used

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            used = self.sample()
            if self._on_sample is not None and self._on_sample(used):
                return


class MemoryGuard:
    """Watches the job's tree every `interval_s`; past `limit_mb` it calls `on_exceeded` (stop
    the job) and raises MemoryLimitExceeded in the main thread, where the job waits.

    A limit of 0 turns it off. Used as a context manager around a job's run.
    """

    def __init__(
        self,
        limit_mb: int,
        on_exceeded: Callable[[], None] | None = None,
        interval_s: float = 0.5,
    ) -> None:
        self.limit_mb = limit_mb
        self._on_exceeded = on_exceeded
        self._sampler = PeakMemory(interval_s, on_sample=self._check)
        self._tripped: str | None = None
        self._previous_handler: object = None

    @property
    def peak_bytes(self) -> int:
        return self._sampler.peak_bytes

    @property
    def tripped(self) -> str | None:
        return self._tripped

    def __enter__(self) -> MemoryGuard:
        if self.limit_mb <= 0:
            return self
        if threading.current_thread() is threading.main_thread():
            self._previous_handler = signal.signal(signal.SIGUSR1, self._raise)
        self._sampler.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.limit_mb > 0:
            self._sampler.sample()  # the peak of a job shorter than a sampling interval too
        self._sampler.stop()
        if self._previous_handler is not None:
            signal.signal(signal.SIGUSR1, self._previous_handler)  # type: ignore[arg-type]
        if self._tripped and exc_info[0] is None:
            raise MemoryLimitExceeded(self._tripped)

    def _raise(self, _signum: int, _frame: object) -> None:
        if self._tripped:
            raise MemoryLimitExceeded(self._tripped)

    def _check(self, used: int) -> bool:
        """Over the ceiling: stop the job, interrupt the main thread, and stop watching."""
        if used <= self.limit_mb * 1024 * 1024:
            return False
        self._tripped = (
            f"the job's processes use {used / 2**20:.0f} MB, over the ceiling of "
            f"{self.limit_mb} MB (--max-memory-mb); the job was stopped"
        )
        _LOG.error(self._tripped)
        if self._on_exceeded is not None:
            with contextlib.suppress(Exception):
                self._on_exceeded()
        if self._previous_handler is not None:
            os.kill(os.getpid(), signal.SIGUSR1)  # the handler runs in the main thread
        return True
