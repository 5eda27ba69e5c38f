"""Which engine runs the job: the options that choose it, and the service it needs.

- direct, batch (`--until-caught-up`): the in-process FnApiRunner.
- direct, streaming: Prism, the DirectRunner's streaming engine (make prism builds it).
- flink: Beam's portable runner against a Flink job server, started here for the run (an
  embedded Flink, or a cluster's REST address as `--flink-master`) unless one is given.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from apache_beam.options.pipeline_options import PipelineOptions

from newswire.config import Settings
from newswire.kafka.source import CHECKPOINT, LEDGER

FLINK_RETRY_DELAY_MS = 2000


def commit_mode(settings: Settings) -> str:
    """When offsets are committed: at each poll on the DirectRunner, when a checkpoint
    completes on Flink."""
    return CHECKPOINT if settings.runner == "flink" else LEDGER


def sole_worker(settings: Settings) -> bool:
    """Does this process run every stage, and hold every key, for the job's whole life? On
    the DirectRunner (batch or Prism) yes: a restart is a new process with new state. Flink
    restores checkpoints and may move keys, even with LOOPBACK."""
    return settings.runner != "flink"


def stages_in_process(settings: Settings) -> bool:
    """Does every stage run in this process, so that one ledger sees every acknowledgement?
    Yes on the DirectRunner and with Flink's LOOPBACK environment; not with a worker pool."""
    return settings.runner != "flink" or settings.sdk_environment.upper() == "LOOPBACK"


@contextlib.contextmanager
def job_endpoint(settings: Settings) -> Iterator[str]:
    """The job service the run submits to ("" for the in-process DirectRunner): a given one,
    or a Flink job server started for this run and stopped after it."""
    if settings.runner != "flink":
        yield ""
    elif settings.flink_job_endpoint:
        yield settings.flink_job_endpoint
    else:
        from newswire.flink import JobServer

        with JobServer(settings) as server:
            yield server.endpoint


def pipeline_options(
    settings: Settings, extra: list[str] | None = None, endpoint: str = "", job_name: str = ""
) -> PipelineOptions:
    args = list(extra or [])
    if job_name:
        args.append(f"--job_name={job_name}")
    if settings.runner == "flink":
        args += flink_args(settings, endpoint)
    elif settings.until_caught_up:
        # A batch: the DirectRunner's own in-process engine for bounded work. Prism would run it
        # too, but its data channel stalls on very large elements (a 10 MB page hit a gRPC
        # deadline), which a dead-letter path must carry.
        args += ["--runner=FnApiRunner"]
    else:
        prism = prism_binary(settings)
        if prism is None:
            raise SystemExit(
                "a streaming run on the DirectRunner needs Prism: build it with `make prism` "
                "(or pass --prism-location), or run a batch with --until-caught-up"
            )
        # Prism by name: the DirectRunner, when Prism fails to start, quietly falls back to the
        # batch FnApiRunner, which never ends a streaming job, never returns from run(), and
        # grows without bound (a CI run was killed for memory that way). Prism fails loudly.
        args += ["--runner=PrismRunner", f"--prism_location={prism}", "--streaming"]
    return PipelineOptions(args, save_main_session=False)


def flink_args(settings: Settings, endpoint: str) -> list[str]:
    """Always a streaming job, also for a bounded read: Flink's batch mode has no checkpoints,
    and offsets are committed when a checkpoint completes. Bundles finish before each checkpoint
    so that the sink has flushed what the checkpoint covers; the restart strategy is bounded,
    since Flink's default with checkpointing retries a failing job forever."""
    environment = settings.sdk_environment
    kind, _, config = environment.partition(":")
    args = [
        "--runner=PortableRunner",
        f"--job_endpoint={endpoint}",
        f"--environment_type={kind.upper()}",
        "--streaming",
        f"--checkpointing_interval={settings.checkpointing_interval_ms}",
        "--finish_bundle_before_checkpointing",
        f"--parallelism={settings.flink_parallelism}",
        # Beam's Flink option is spelt "mills"; "millis" is silently ignored.
        f"--max_bundle_time_mills={settings.flink_bundle_ms}",
        f"--number_of_execution_retries={settings.flink_restart_attempts}",
        f"--execution_retry_delay={FLINK_RETRY_DELAY_MS}",
    ]
    if config:
        args.append(f"--environment_config={config}")
    if settings.until_caught_up:
        # With checkpointing on, Beam keeps Flink's sources open for ever, so a bounded job
        # never ends; let them close once idle for two checkpoints, so the last read is covered.
        args.append(f"--shutdown_sources_after_idle_ms={2 * settings.checkpointing_interval_ms}")
    return args


def prism_binary(settings: Settings) -> Path | None:
    if settings.prism_location:
        return Path(settings.prism_location)
    default = settings.cache_dir / "bin" / "prism"
    return default if default.exists() else None
