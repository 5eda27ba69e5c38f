"""Pipeline assembly: source -> parse -> dedup -> classify -> encode -> sink.

Every stage is a plain function wrapped by a small DoFn in its own package; this module only
wires them and chooses the runner.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import apache_beam as beam
from apache_beam.runners.runner import PipelineState

from newswire import heap, runners
from newswire.config import Settings
from newswire.core import metrics
from newswire.delivery import Counted, Dropped, Forks, forget
from newswire.flink import LOCAL, cancel_jobs
from newswire.kafka.connection import Connection
from newswire.kafka.registry import register_schemas, registry_lookup
from newswire.kafka.schemas_topic import publish_schemas
from newswire.kafka.sink import WriteSpec, WriteToKafka
from newswire.kafka.source import Committer, ReadFromKafka, ReadSpec
from newswire.kafka.topics import check_topics, ensure_topics
from newswire.kafka.warm_start import read_written
from newswire.memory import MemoryGuard
from newswire.pooled import Pooled, PooledStage
from newswire.stages.classify.transforms import ClassifyItems
from newswire.stages.dedup.stories import StorySettings
from newswire.stages.dedup.transforms import AssignStories, FirstSeen, Restored
from newswire.stages.dedup.warm_start import NOTHING, Written
from newswire.stages.encode.encoder import SCHEMAS_DIR
from newswire.stages.encode.transforms import CANONICAL, EncodeDeadLetterFn, EncodeItemFn
from newswire.stages.encode.wire import SINGLE_OBJECT_WIRE, WireFormat
from newswire.stages.parse.transforms import DEAD_LETTERS, DecodePages, SplitPages

_LOG = logging.getLogger(__name__)


class EnrichPages(beam.PTransform):
    """Messages -> (articles, canonical articles, dead letters) as Kafka (key, value) pairs.

    Args:
        max_page_bytes: larger pages are dead-lettered (`too_large`).
        dedup_ttl_s: how long, in event time, page and article ids and stories are remembered.
        nlp_model: the spaCy pipeline the classifier uses, or `none`.
        written: what the sink held at start-up (a warm start), or nothing.
        run_id: the delivery ledger to count forks and drops into ("" for none: the stages
            then run as they are, and a runner's checkpoints alone decide commits).
        wire: the format records are framed in.
        batch_size: pages or items a pure stage hands over (and spaCy is fed) together.
        worker_processes: processes the pure stages (decode, split, classify) run in, beside
            this thread (see newswire/workers.py); 1: none, they run in this thread.
        sole_worker: every stage runs in this process for the job's life (the DirectRunner):
            dedup trusts its in-memory indexes without asking the runner's state each time.
    """

    def __init__(
        self,
        max_page_bytes: int,
        dedup_ttl_s: float,
        nlp_model: str,
        written: Written = NOTHING,
        run_id: str = "",
        wire: WireFormat = SINGLE_OBJECT_WIRE,
        batch_size: int = 64,
        worker_processes: int = 1,
        sole_worker: bool = False,
    ) -> None:
        super().__init__()
        self._max_page_bytes = max_page_bytes
        self._ttl_s = dedup_ttl_s
        self._nlp_model = nlp_model
        self._written = written
        self._run_id = run_id
        self._wire = wire
        self._batch_size = batch_size
        self._worker_processes = worker_processes
        self._sole_worker = sole_worker

    def _counted(self, fn: beam.DoFn) -> beam.DoFn:
        """A stage that turns one element into several, counted for the ledger if there is one."""
        return Counted(fn, self._run_id) if self._run_id else fn

    def _pooled(self, stage: PooledStage, forks: bool = False) -> Pooled:
        """A pure stage, run a batch at a time in the worker processes (or this thread); one
        that turns one element into several is counted for the ledger if there is one."""
        counts = Forks(self._run_id) if forks and self._run_id else None
        return Pooled(stage, self._batch_size, self._worker_processes, counts)

    def expand(self, messages: beam.PCollection) -> tuple[beam.PCollection, beam.PCollection]:
        dropped = Dropped(self._run_id) if self._run_id else None
        decoded = messages | "Decode" >> beam.ParDo(
            self._pooled(DecodePages(self._max_page_bytes))
        ).with_outputs(DEAD_LETTERS, main="pages")
        parsed = (
            decoded.pages
            | "FirstPage"
            >> FirstSeen("page", self._ttl_s, on_drop=dropped, sole_worker=self._sole_worker)
            | "Split"
            >> beam.ParDo(self._pooled(SplitPages(), forks=True)).with_outputs(
                DEAD_LETTERS, main="items"
            )
        )
        articles = (
            parsed.items
            | "FirstArticle"
            >> FirstSeen(
                "article", self._ttl_s, self._written.ids, dropped, sole_worker=self._sole_worker
            )
            | "Stories"
            >> AssignStories(StorySettings(), self._ttl_s, self._written.stories, self._sole_worker)
            | "Classify" >> beam.ParDo(self._pooled(ClassifyItems(self._nlp_model)))
            | "Encode"
            >> beam.ParDo(self._counted(EncodeItemFn(self._wire))).with_outputs(
                CANONICAL, main="all"
            )
        )
        dead_letters = (
            (decoded[DEAD_LETTERS], parsed[DEAD_LETTERS])
            | "AllDeadLetters" >> beam.Flatten()
            | "EncodeDeadLetters" >> beam.ParDo(EncodeDeadLetterFn(self._wire))
        )
        return articles.all, articles[CANONICAL], dead_letters


def read_spec(settings: Settings, run_id: str = "") -> ReadSpec:
    return ReadSpec(
        connection=Connection.of(settings),
        topic=settings.raw_topic,
        group_id=settings.group_id,
        until_caught_up=settings.until_caught_up,
        poll_timeout_ms=settings.poll_timeout_ms,
        max_poll_records=settings.max_poll_records,
        idle_poll_s=settings.idle_poll_s,
        stall_timeout_s=settings.stall_timeout_s,
        run_id=run_id,
        commit_on=runners.commit_mode(settings),
    )


@dataclass(frozen=True)
class StartUp:
    """What the start-up step learnt: what the sink holds, and the format to write in."""

    written: Written = NOTHING
    wire: WireFormat = SINGLE_OBJECT_WIRE


def build(
    p: beam.Pipeline, settings: Settings, start: StartUp | None = None, run_id: str = ""
) -> None:
    start = start or StartUp()
    client = Connection.of(settings)
    articles, canonical, dead_letters = (
        p
        | "ReadPages" >> ReadFromKafka(read_spec(settings, run_id))
        | "Enrich"
        >> EnrichPages(
            settings.max_page_bytes,
            settings.dedup_ttl_s,
            settings.nlp_model,
            start.written,
            run_id,
            start.wire,
            settings.batch_size,
            settings.worker_processes,
            runners.sole_worker(settings),
        )
    )
    timeout = settings.sink_timeout_s
    for records, name, topic, role in (
        (articles, "WriteArticles", settings.sink_topic, "sink"),
        (canonical, "WriteCanonical", settings.canonical_topic, "canonical"),
        (dead_letters, "WriteDeadLetters", settings.dlq_topic, "dlq"),
    ):
        records | name >> WriteToKafka(WriteSpec(client, topic, timeout, role, run_id))


def prepare(settings: Settings) -> StartUp:
    """Start-up: the topics exist as topics.toml says, consumers can resolve every schema (on
    the schemas topic, and in the registry when there is one), and what the sink already holds
    is known (warm start). A registry that cannot be reached fails the job here, before it
    reads or writes anything."""
    wire = register_schemas(settings, SCHEMAS_DIR)
    created = ensure_topics(settings)
    if created:
        _LOG.info("created topics %s", ", ".join(created))
    problems = check_topics(settings)
    for problem in problems:
        _LOG.warning("topic differs from topics.toml: %s", problem)
    connection = Connection.of(settings)
    publish_schemas(connection, settings.schemas_topic, SCHEMAS_DIR)
    if not settings.warm_start:
        return StartUp(NOTHING, wire)
    written = read_written(
        connection,
        settings.sink_topic,
        settings.canonical_topic,
        registry_lookup(settings),
    )
    _LOG.info(
        "warm start: %d ids and %d stories on the sink", len(written.ids), len(written.stories)
    )
    return StartUp(written, wire)


def run(
    settings: Settings,
    extra_args: list[str] | None = None,
    timeout_s: float = 0.0,
    stop: Callable[[], bool] | None = None,
) -> int:
    """Run to the end (a batch), or a streaming job until stopped: by `timeout_s`, or when
    `stop()` says so (checked every second). Fails with MemoryLimitExceeded, the job stopped,
    if its processes pass `settings.max_memory_mb`. Returns the peak resident memory of the
    job's processes (this one, its workers and classifying pool), in bytes (0: not watched)."""
    run_id = uuid.uuid4().hex
    job_name = f"newswire-{run_id[:12]}"
    if settings.metrics_port:
        metrics.serve(settings.metrics_port)
    with runners.job_endpoint(settings) as endpoint:
        options = runners.pipeline_options(settings, extra_args, endpoint, job_name)
        start = prepare(settings)
        # A ledger only where it sees every stage; with a worker pool, checkpoints alone.
        ledger_id = run_id if runners.stages_in_process(settings) else ""
        p = beam.Pipeline(options=options)
        build(p, settings, start, ledger_id)
        committer = Committer(read_spec(settings, ledger_id))
        running: list = []

        def stop_job() -> None:
            for result in running:
                _cancel(settings, result, job_name)

        try:
            with MemoryGuard(settings.max_memory_mb, stop_job) as guard, heap.settled():
                result = p.run()
                running.append(result)
                _wait(result, settings, job_name, timeout_s, stop)
            return guard.peak_bytes
        except KeyboardInterrupt:
            stop_job()  # Ctrl-C: on a cluster the job would otherwise run on
            raise
        finally:
            # The last acknowledgements arrive after the source's last poll (a batch reads
            # everything first); commit them, and no more than them, however the run ended.
            committer.commit()
            committer.close()
            forget(run_id)
            Restored.forget_jobs()


def _cancel(settings: Settings, result, job_name: str) -> None:
    """Cancel through Beam, and on a Flink cluster through its REST API too (Beam's cancel
    does not reach a job there)."""
    _LOG.info("stopping the job")
    try:
        result.cancel()
    except Exception as exc:  # already finished, or the job service is gone
        _LOG.info("cancel: %s", exc)
    if settings.runner == "flink" and settings.flink_master != LOCAL:
        cancel_jobs(settings.flink_master, job_name, submitted=True)


def _wait(
    result, settings: Settings, job_name: str, timeout_s: float, stop: Callable[[], bool] | None
) -> None:
    if timeout_s <= 0 and stop is None:
        result.wait_until_finish()
        return
    deadline = time.monotonic() + timeout_s if timeout_s > 0 else float("inf")
    while not PipelineState.is_terminal(result.state):
        if time.monotonic() >= deadline or (stop is not None and stop()):
            _cancel(settings, result, job_name)
            return
        time.sleep(1)
    result.wait_until_finish()  # finished by itself: raises if it failed
