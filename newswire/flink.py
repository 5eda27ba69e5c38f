"""Flink for the pipeline: Beam's Flink job server, and a cluster's REST API for cancelling.

The Java side is pinned here and nowhere else. Maven Central serves no ready
`beam-runners-flink-*-job-server` jar, only the runner library; Beam 2.62.0 is the newest whose
runner and `beam-runners-java-job-service` both resolve, and it brings Flink 1.19.0. The Python
SDK submits over Beam's portable job API, which these versions share, so the Python side keeps
its own Beam version. The cluster (`newswire flink up`) is the same Flink 1.19.0, assembled
from the `apache-flink-libraries` sdist (lib/, opt/, plugins/) and the `apache-flink` wheel
(bin/, conf/) on PyPI, so that nothing but the ordinary registries is needed.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from newswire.config import Settings
from newswire.maven import fetch_jars
from newswire.ports import free_port, listening

BEAM_JAVA_VERSION = "2.62.0"
FLINK_VERSION = "1.19.0"
POM = Path(__file__).with_name("jobserver-pom.xml")
LOCAL = "[local]"


class FlinkError(RuntimeError):
    pass


def job_server_jars(settings: Settings) -> Path:
    return fetch_jars(
        POM,
        settings.cache_dir / f"beam-flink-job-server-{BEAM_JAVA_VERSION}",
        f"Beam {BEAM_JAVA_VERSION}'s Flink {FLINK_VERSION} job server",
        {"beam.java.version": BEAM_JAVA_VERSION, "flink.minor": FLINK_VERSION.rsplit(".", 1)[0]},
    )


def _die_with_parent() -> None:
    """In the child before exec: the kernel kills it when the process that started it dies,
    however that dies (kill -9, the OOM killer), so no job server outlives its job."""
    pr_set_pdeathsig = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


class JobServer:
    """Beam's FlinkJobServerDriver as a child process, on free loopback ports.

    With `flink_master` "[local]" it embeds a Flink mini-cluster that runs the job in its own
    JVM; with HOST:PORT it submits to that cluster's REST endpoint.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.process: subprocess.Popen | None = None
        self.port = 0

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.settings.cache_dir / "logs" / f"flink-job-server-{self.port}.log"

    def start(self, timeout_s: float = 120.0) -> str:
        jars = job_server_jars(self.settings)
        self.port = free_port()
        command = [
            "java",
            f"-Xmx{self.settings.flink_heap_mb}m",
            "-cp",
            str(jars / "*"),
            "org.apache.beam.runners.flink.FlinkJobServerDriver",
            f"--flink-master={self.settings.flink_master}",
            "--job-host=127.0.0.1",
            f"--job-port={self.port}",
            f"--artifact-port={free_port()}",
            f"--expansion-port={free_port()}",
        ]
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                command,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,
            )
        deadline = time.monotonic() + timeout_s
        while not listening(self.port):
            if self.process.poll() is not None:
                raise FlinkError(
                    f"the Flink job server exited with {self.process.returncode}:\n"
                    + self.log.read_text(errors="replace")[-3000:]
                )
            if time.monotonic() > deadline:
                self.stop()
                raise FlinkError(f"the Flink job server did not listen within {timeout_s:.0f}s")
            time.sleep(0.2)
        return self.endpoint

    def stop(self, timeout_s: float = 20.0) -> None:
        """Stop it; its log stays only if it had died by itself."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.log.unlink(missing_ok=True)

    def __enter__(self) -> JobServer:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def rest_get(address: str, path: str, timeout_s: float = 2.0) -> dict | None:
    """A Flink REST answer as JSON; None when nothing answers there."""
    try:
        with urllib.request.urlopen(f"http://{address}{path}", timeout=timeout_s) as answer:
            return json.loads(answer.read())
    except (OSError, urllib.error.URLError, ValueError):
        return None


def cancel_jobs(
    address: str, name_prefix: str, timeout_s: float = 60.0, submitted: bool = False
) -> list[str]:
    """Cancel the running jobs named `name_prefix…` on a cluster and wait until they are
    CANCELED: Beam's cancel does not reach a job there, Flink's REST API does. With
    `submitted`, a job was handed to the job server: wait for it to show on the cluster (a
    slow submission outlived a short run, and the job ran on after its cancel)."""
    deadline = time.monotonic() + timeout_s
    while True:
        jobs = [
            found
            for found in (rest_get(address, "/jobs/overview") or {}).get("jobs", [])
            if found.get("name", "").startswith(name_prefix)
        ]
        if jobs or not submitted or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    cancelled = []
    for found in jobs:
        if found.get("state") in _LIVE:
            request = urllib.request.Request(
                f"http://{address}/jobs/{found['jid']}?mode=cancel", method="PATCH"
            )
            with contextlib.suppress(OSError):
                urllib.request.urlopen(request, timeout=5).close()
                cancelled.append(found["jid"])
    for jid in cancelled:
        while (rest_get(address, f"/jobs/{jid}") or {}).get("state") not in _ENDED:
            if time.monotonic() > deadline:
                raise FlinkError(f"Flink job {jid} on {address} was not cancelled in {timeout_s}s")
            time.sleep(0.5)
    return cancelled


_LIVE = ("INITIALIZING", "CREATED", "RUNNING", "RESTARTING", "RECONCILING", "CANCELLING", "FAILING")
_ENDED = ("CANCELED", "FINISHED", "FAILED")
