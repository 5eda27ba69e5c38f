"""The main job for a newcomer: a fresh local broker, the seeds replayed, the pipeline run on the
DirectRunner until they are processed, and the enriched records read back from the sink."""

from __future__ import annotations

import sys
import time

from newswire import job
from newswire.config import Settings
from newswire.devtools import stack
from newswire.devtools.replay import replay, seed_files
from newswire.kafka import tail
from newswire.kafka.connection import Connection
from newswire.kafka.registry import registry_lookup
from newswire.kafka.topics import ensure_topics


def _step(text: str) -> None:
    print(f"\n== {text}", file=sys.stderr, flush=True)


def run(settings: Settings) -> int:
    _step(
        f"local Kafka broker (KRaft) on 127.0.0.1:{settings.broker_port}, fresh log, "
        "and its schema registry"
    )
    settings = stack.up(settings, reset=True).replace(until_caught_up=True)
    try:
        wire = settings.effective_wire_format()
        # The replay needs the topics now; job.run's start-up step checks them and publishes
        # the schemas, once.
        created = ensure_topics(settings)
        print(f"topics: {', '.join(created) or 'all exist'}", file=sys.stderr)

        _step(f"replaying {settings.seeds_dir.name}/ to {settings.raw_topic}")
        producer = Connection.of(settings).producer()
        try:
            replay(producer, settings.raw_topic, seed_files(settings.seeds_dir))
        finally:
            producer.close()

        _step(
            "running the Beam pipeline on the DirectRunner until the pages are processed "
            f"({wire} wire format)"
        )
        started = time.monotonic()
        job.run(settings)
        print(f"pipeline finished in {time.monotonic() - started:.1f}s", file=sys.stderr)

        _step(f"enriched records on {settings.sink_topic}")
        client = Connection.of(settings)
        lookup = registry_lookup(settings)
        records = list(tail.decode_articles(tail.read_topic(client, settings.sink_topic), lookup))
        print(tail.table(records))
        dead = list(tail.decode_dead_letters(tail.read_topic(client, settings.dlq_topic), lookup))
        articles = sum(r["kind"] == "article" for r in records)
        print(
            f"\n{len(records)} records: {articles} articles, {len(records) - articles} teasers; "
            f"{len(dead)} dead letters"
        )
        return 0
    finally:
        _step("stopping the local broker and registry")
        stack.down(settings)
