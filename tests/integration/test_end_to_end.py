"""Replay -> Kafka -> Beam -> Kafka round trips against the real broker."""

from __future__ import annotations

import multiprocessing
import time

import pytest
from kafka import TopicPartition

from newswire import job
from newswire.cli import main
from newswire.config import Settings
from newswire.devtools.replay import replay
from newswire.kafka.connection import Connection
from newswire.kafka.tail import decode_articles, decode_dead_letters, read_topic
from tests.conftest import main_labels, seed_files
from tests.integration.conftest import run_streaming_while

pytestmark = pytest.mark.kafka

SEED_RECORDS = 32  # 5 articles + 27 distinct teasers


def _articles(settings: Settings) -> list[dict]:
    return list(decode_articles(read_topic(Connection.of(settings), settings.sink_topic)))


def _dead_letters(settings: Settings) -> list[dict]:
    return list(decode_dead_letters(read_topic(Connection.of(settings), settings.dlq_topic)))


def test_seed_replay_round_trip(settings: Settings, producer) -> None:
    replay(producer, settings.raw_topic, seed_files())
    job.run(settings)
    assert_seed_records(settings)


def test_seed_round_trip_with_two_worker_processes(settings: Settings, producer) -> None:
    replay(producer, settings.raw_topic, seed_files())
    job.run(settings.replace(worker_processes=2))
    assert_seed_records(settings)
    # The pool went with the job: no worker process outlives it.
    assert not [p for p in multiprocessing.active_children() if p.is_alive()]


def assert_seed_records(settings: Settings) -> None:
    """The sink holds the seeds' 32 records once each, the main articles labelled as by hand,
    and nothing went to the dead-letter topic."""
    records = _articles(settings)
    assert len(records) == SEED_RECORDS
    assert len({r["id"] for r in records}) == SEED_RECORDS
    articles = {r["source"]: r for r in records if r["kind"] == "article"}
    assert len(articles) == 5
    for name, want in main_labels().items():
        assert set(articles[name]["partner_countries"]) == want["partner_countries"]
        assert set(articles[name]["themes"]) == want["themes"]
    assert _dead_letters(settings) == []


def test_loop_replay_adds_no_new_id_and_commits_offsets(settings: Settings, producer) -> None:
    replay(producer, settings.raw_topic, seed_files())
    job.run(settings)
    first_ids = {r["id"] for r in _articles(settings)}

    replay(producer, settings.raw_topic, seed_files(), loop=3)
    job.run(settings)
    records = _articles(settings)
    # Within the second run all 15 re-deliveries are duplicates of one another; across the
    # batch runs the ids are stable, so the compacted topic keeps one record per id.
    assert {r["id"] for r in records} == first_ids

    assert _all_committed(settings)


def _all_committed(settings: Settings) -> bool:
    """Has the pipeline's group committed every raw record (i.e. read and written it all)?"""
    consumer = Connection.of(settings).consumer(group_id=settings.group_id)
    try:
        partitions = [
            TopicPartition(settings.raw_topic, p)
            for p in consumer.partitions_for_topic(settings.raw_topic)
        ]
        ends = consumer.end_offsets(partitions)
        return {tp: consumer.committed(tp) or 0 for tp in partitions} == ends
    finally:
        consumer.close()


def test_bad_pages_go_to_the_dead_letter_topic_with_their_reason(
    settings: Settings, producer
) -> None:
    bad = {
        b"": "empty",
        b"\xff\xfeTitre": "not_utf8",
        b"Voir plus\n\nTitre\n\nResume": "no_headline",
        b"<html><p>x</p></html>": "markup",
        b"x" * (settings.max_page_bytes + 1): "too_large",
    }
    for value in bad:
        producer.send(settings.raw_topic, key=None, value=value).get(timeout=30)
    replay(producer, settings.raw_topic, seed_files()[:1])
    job.run(settings)
    dead = _dead_letters(settings)
    assert sorted((d["value"], d["reason"]) for d in dead) == sorted(bad.items())
    assert all(d["detail"] and d["topic"] == settings.raw_topic for d in dead)
    assert len(_articles(settings)) == 6  # the good page still went through


def test_tail_prints_the_sink_table(settings: Settings, producer, capsys, monkeypatch) -> None:
    replay(producer, settings.raw_topic, seed_files()[:2])
    job.run(settings)
    monkeypatch.setenv("NEWSWIRE_BOOTSTRAP_SERVERS", settings.bootstrap_servers)
    monkeypatch.setenv("NEWSWIRE_SINK_TOPIC", settings.sink_topic)
    assert main(["tail"]) == 0
    out = capsys.readouterr().out
    assert "Vietnam et Chine coopèrent dans la lutte contre la criminalité" in out
    assert "13 records on" in out


@pytest.mark.prism
def test_streaming_on_prism_dedups_live_replays(settings: Settings, producer) -> None:
    streaming = settings.replace(until_caught_up=False)

    def scenario() -> None:
        replay(producer, settings.raw_topic, seed_files())
        # The worker loads the spaCy model first (about 20 s, more on a busy machine).
        _wait_for(lambda: len(_articles(settings)) >= SEED_RECORDS, 240)
        replay(producer, settings.raw_topic, seed_files(), loop=3)
        _wait_for(lambda: _all_committed(settings), 60)  # the job has read all 20 deliveries

    run_streaming_while(streaming, scenario, timeout_s=400)
    records = _articles(settings)
    assert len(records) == SEED_RECORDS
    assert len({r["id"] for r in records}) == SEED_RECORDS


def _wait_for(condition, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s")
        time.sleep(1)


def test_hostile_input_never_stops_the_pipeline(settings: Settings, producer) -> None:
    seed = seed_files()[0].read_text(encoding="utf-8")
    head = seed.split("Voir plus")[0]
    many_teasers = (
        head
        + "Voir plus\n"
        + "".join(
            f"\nLégende {i}. Photo : VNA\n\nTitre de teaser {i}\n\nRésumé {i}.\n"
            for i in range(10_000)
        )
    )
    bad = {
        b"\x00\x01\x02\x03" * 64: "binary",
        b'{"title": "Vietnam", "body": "..."}': "json",
        b"Titre\x07 avec une cloche": "binary",
        b"Voir plus": "no_headline",
        b"y" * (10 * 1024 * 1024): "too_large",
        b"": "empty",
        b"Titre\xff\xfe cass\xe9": "not_utf8",
        b"<html><body><h1>Vietnam</h1></body></html>": "markup",
    }
    for value in bad:
        producer.send(settings.raw_topic, key=None, value=value).get(timeout=60)
    producer.send(settings.raw_topic, key=None, value=many_teasers.encode()).get(timeout=60)
    producer.send(settings.raw_topic, key=None, value=seed_files()[1].read_bytes()).get(timeout=60)
    job.run(settings)

    dead = _dead_letters(settings)
    assert sorted((d["reason"], len(d["value"])) for d in dead) == sorted(
        (reason, len(value)) for value, reason in bad.items()
    )
    records = _articles(settings)
    teasers = [r for r in records if r["title"].startswith("Titre de teaser ")]
    assert len(teasers) == 10_000
    assert (
        len(records) == 10_000 + 1 + 7
    )  # the big page's article; seed 001's article and 6 teasers


def test_perturbed_replays_add_updates_but_never_a_second_canonical_record(
    settings: Settings, producer
) -> None:
    """`replay --loop 10 --perturb`: the seeds, then nine edited re-deliveries of each page."""
    settings = settings.replace(nlp_model="none")  # stories, not language, are under test
    replay(producer, settings.raw_topic, seed_files(), loop=10, perturb=True)
    job.run(settings)
    records = _articles(settings)
    config = Connection.of(settings)
    canonical = list(decode_articles(read_topic(config, settings.canonical_topic)))
    assert len(canonical) == SEED_RECORDS  # one per seed story
    assert len({r["story_id"] for r in canonical}) == SEED_RECORDS
    assert all(r["canonical"] for r in canonical)
    updates = [r for r in records if not r["canonical"]]
    assert len(updates) > SEED_RECORDS  # the edits came through, as updates
    assert {r["story_id"] for r in records} == {r["story_id"] for r in canonical}
    assert _dead_letters(settings) == []
