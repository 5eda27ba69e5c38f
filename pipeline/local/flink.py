"""Flink for the pipeline: Beam's Flink job server, and a local Flink cluster for operators.

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
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from pipeline.config import PROJECT_ROOT, Settings
from pipeline.local.maven import fetch_jars
from pipeline.local.ports import free_port, listening

BEAM_JAVA_VERSION = "2.62.0"
FLINK_VERSION = "1.19.0"
POM = PROJECT_ROOT / "deploy" / "flink" / "jobserver-pom.xml"
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


# -- a local Flink cluster (newswire flink up|down|status) -------------------------------------


class LocalCluster:
    """A JobManager and a TaskManager on loopback, from Flink's PyPI distribution."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.home = settings.cache_dir / f"flink-{FLINK_VERSION}"
        self.conf = settings.cache_dir / f"flink-cluster-{settings.flink_rest_port}"

    @property
    def rest(self) -> str:
        return f"127.0.0.1:{self.settings.flink_rest_port}"

    def install(self) -> Path:
        marker = self.home / ".complete"
        if marker.exists():
            return self.home
        print(
            f"fetching Flink {FLINK_VERSION} from PyPI (once, about 300 MB) into {self.home} ...",
            file=sys.stderr,
            flush=True,
        )
        with tempfile.TemporaryDirectory() as tmp:
            downloads = Path(tmp)
            for spec, kind in (
                (f"apache-flink-libraries=={FLINK_VERSION}", "--no-binary=:all:"),
                (f"apache-flink=={FLINK_VERSION}", "--only-binary=:all:"),
            ):
                command = [sys.executable, "-m", "pip", "download", "--no-deps", kind, spec]
                done = subprocess.run(
                    [*command, "-d", str(downloads)], capture_output=True, text=True
                )
                if done.returncode != 0:
                    raise FlinkError(f"pip could not download {spec}:\n{done.stderr[-2000:]}")
            shutil.rmtree(self.home, ignore_errors=True)
            self.home.mkdir(parents=True)
            _unpack_distribution(downloads, self.home)
        marker.touch()
        return self.home

    def up(self, timeout_s: float = 120.0) -> str:
        if self._overview() is not None:
            return self.rest
        port = self.settings.flink_rest_port
        if listening(port):
            raise FlinkError(f"port {port} is taken; choose another with --flink-rest-port")
        home = self.install()
        self._write_conf(home)
        done = subprocess.run(
            ["bash", str(home / "bin" / "start-cluster.sh")],
            env=self._env(),
            capture_output=True,
            text=True,
            start_new_session=True,  # a service: it outlives this command
        )
        if done.returncode != 0:
            raise FlinkError(f"start-cluster.sh failed:\n{done.stdout}{done.stderr}")
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            overview = self._overview()
            if overview and overview.get("taskmanagers", 0) >= 1:
                return self.rest
            failure = self._startup_failure()
            if failure:
                self.down()
                raise FlinkError(f"Flink did not start: {failure} (logs: {self.log_dir})")
            time.sleep(0.5)
        raise FlinkError(f"the Flink cluster was not ready in {timeout_s:.0f}s; see {self.log_dir}")

    def down(self) -> bool:
        if not (self.home / "bin").exists() or not self.conf.exists():
            return False
        running = self._overview() is not None
        subprocess.run(
            ["bash", str(self.home / "bin" / "stop-cluster.sh")],
            env=self._env(),
            capture_output=True,
        )
        deadline = time.monotonic() + 30
        while self._overview() is not None:
            if time.monotonic() > deadline:
                raise FlinkError(f"Flink on {self.rest} still answers after stop-cluster.sh")
            time.sleep(0.5)
        return running

    def status(self) -> str:
        overview = self._overview()
        if overview is None:
            return f"stopped (Flink {FLINK_VERSION}, REST port {self.settings.flink_rest_port})"
        return (
            f"running on {self.rest}: {overview.get('taskmanagers')} task manager(s), "
            f"{overview.get('slots-available')} free slot(s), "
            f"{overview.get('jobs-running')} running job(s)"
        )

    @property
    def log_dir(self) -> Path:
        return self.conf / "log"

    def _env(self) -> dict[str, str]:
        """What Flink's scripts need to find this cluster's configuration and logs."""
        return {**os.environ, "FLINK_CONF_DIR": str(self.conf), "FLINK_LOG_DIR": str(self.log_dir)}

    def _startup_failure(self) -> str:
        """The cause a JobManager logged when it gave up starting, if it did."""
        for log in self.log_dir.glob("*standalonesession*.log"):
            for line in log.read_text(errors="replace").splitlines():
                if "Caused by:" in line and "Exception" in line:
                    return line.split("Caused by:", 1)[1].strip()
        return ""

    def _overview(self) -> dict | None:
        return rest_get(self.rest, "/overview")

    def _write_conf(self, home: Path) -> None:
        self.conf.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(exist_ok=True)
        for source in (home / "conf").iterdir():  # logging, workers, masters
            if source.name != "config.yaml":
                shutil.copy(source, self.conf / source.name)
        s = self.settings
        (self.conf / "config.yaml").write_text(
            "\n".join(
                [
                    "jobmanager.rpc.address: 127.0.0.1",
                    "jobmanager.bind-host: 127.0.0.1",
                    "taskmanager.bind-host: 127.0.0.1",
                    "taskmanager.host: 127.0.0.1",
                    "rest.address: 127.0.0.1",
                    "rest.bind-address: 127.0.0.1",
                    f"rest.port: {s.flink_rest_port}",
                    f"jobmanager.rpc.port: {s.flink_rest_port + 1}",  # never a fixed 6123
                    "jobmanager.memory.process.size: 1024m",
                    f"taskmanager.memory.process.size: {s.flink_heap_mb + 512}m",
                    f"taskmanager.numberOfTaskSlots: {max(2, s.flink_parallelism)}",
                    f"io.tmp.dirs: {self.conf / 'tmp'}",
                    # Its own pid files: by default every cluster shares /tmp's, and one
                    # cluster's stop-cluster.sh stops another's (or none).
                    f"env.pid.dir: {self.conf}",
                    f"env.log.dir: {self.log_dir}",
                    "",
                ]
            )
        )


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


_FROM_SDIST = ("bin", "lib", "opt", "plugins")


def _unpack_distribution(downloads: Path, home: Path) -> None:
    """lib/, opt/, plugins/ and bin/'s jar from the libraries sdist's deps/; bin/ and conf/
    from the wheel's pyflink/."""
    (sdist,) = downloads.glob("apache*flink*libraries-*.tar.gz")
    with tarfile.open(sdist) as archive:
        for member in archive.getmembers():
            parts = Path(member.name).parts
            if len(parts) > 3 and parts[1] == "deps" and parts[2] in _FROM_SDIST:
                member.name = str(Path(*parts[2:]))
                archive.extract(member, home, filter="data")
    (wheel,) = downloads.glob("apache_flink-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            parts = Path(name).parts
            if len(parts) > 2 and parts[0] == "pyflink" and parts[1] in ("bin", "conf"):
                target = home / Path(*parts[1:])
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(name))
    for script in (home / "bin").glob("*.sh"):
        script.chmod(0o755)
    (home / "bin" / "flink").chmod(0o755)
