"""/metrics during a real run: the counters agree with what reached the sink."""

from __future__ import annotations

import threading
import time
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from newswire import job
from newswire.config import Settings
from newswire.core import metrics
from newswire.devtools.replay import replay
from newswire.kafka.connection import Connection
from newswire.kafka.tail import decode_articles, read_topic
from tests.conftest import seed_files
from tests.integration.conftest import TEST_PORT

pytestmark = pytest.mark.kafka

METRICS_PORT = TEST_PORT + 50


def _scrape() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{METRICS_PORT}/metrics", timeout=5) as r:
        text = r.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_endpoint_counts_what_reached_the_sink(settings: Settings, producer) -> None:
    settings = settings.replace(metrics_port=METRICS_PORT, nlp_model="none")
    replay(producer, settings.raw_topic, seed_files(), loop=2)
    producer.send(settings.raw_topic, value=b"\xff\xfe").get(timeout=30)
    # Counters are per process and cumulative (other tests ran jobs in this process too):
    # compare what this run added.
    metrics.serve(METRICS_PORT)
    before = _scrape()
    during: list[dict] = []
    thread = threading.Thread(target=job.run, args=(settings,), daemon=True)
    thread.start()
    while thread.is_alive():
        during.append(_scrape())
        time.sleep(0.5)
    after = _scrape()
    assert during, "the endpoint was not scraped during the run"

    def added(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    records = list(decode_articles(read_topic(Connection.of(settings), settings.sink_topic)))
    kinds = [r["kind"] for r in records]
    assert added("newswire_records_written_total", role="sink") == len(records) == 32
    assert added("newswire_records_written_total", role="dlq") == 1
    assert added("newswire_pages_read_total") == 11  # the seeds twice and one bad record
    assert added("newswire_articles_emitted_total", kind="article") == kinds.count("article")
    assert added("newswire_articles_emitted_total", kind="teaser") == kinds.count("teaser")
    assert added("newswire_duplicates_dropped_total", kind="page") == 5
    assert added("newswire_dead_letters_total", reason="not_utf8") == 1
    korea = sum("KR" in r["partner_countries"] for r in records)
    assert added("newswire_labels_total", type="country", label="KR") == korea >= 1
    assert added("newswire_end_to_end_latency_seconds_count") == 32
    assert added("newswire_stage_seconds_count", stage="encode") == 32  # one an element
    # The pure stages: one a batch (of pages read, of pages not repeated, of new items).
    assert 1 <= added("newswire_stage_seconds_count", stage="decode") <= 11
    assert 1 <= added("newswire_stage_seconds_count", stage="parse") <= 5
    assert 1 <= added("newswire_stage_seconds_count", stage="classify") <= 32
    lag = [
        value
        for (name, labels), value in after.items()
        if name == "newswire_consumer_lag" and dict(labels)["topic"] == settings.raw_topic
    ]
    assert lag and max(lag) == 0  # every partition read caught up at the end
