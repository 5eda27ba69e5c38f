"""A local Flink 1.19.0 cluster for operators (`newswire flink up|down|status`).

Assembled from the `apache-flink-libraries` sdist (lib/, opt/, plugins/) and the `apache-flink`
wheel (bin/, conf/) on PyPI, so that nothing but the ordinary registries is needed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

from newswire.config import Settings
from newswire.flink import FLINK_VERSION, FlinkError, rest_get
from newswire.ports import listening


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
