"""The pipeline's processing graph on Beam's in-process runner, fed from memory (no Kafka)."""

from __future__ import annotations

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from pipeline.encode.encoder import Encoder
from pipeline.job import EnrichPages
from pipeline.model import Message
from tests.conftest import seed_files


def _messages(loops: int) -> list[Message]:
    pages = [f.read_bytes() for f in seed_files()]
    out = [
        Message("raw", 0, i, None, raw, 1000 + i, (("source", b"s.txt"),))
        for i, raw in enumerate(pages * loops)
    ]
    return [
        *out,
        Message("raw", 1, 0, b"k", b"\xff", 5, ()),
        Message("raw", 1, 1, None, b"Voir plus", 6, ()),
    ]


def test_replays_yield_each_article_once_and_bad_pages_become_dead_letters() -> None:
    encoder = Encoder()
    with TestPipeline(runner="FnApiRunner") as p:
        articles, dead = (
            p
            | beam.Create(_messages(loops=3))
            | EnrichPages(max_page_bytes=1 << 20, dedup_ttl_s=7 * 24 * 3600)
        )
        ids = articles | "ArticleIds" >> beam.Map(lambda kv: encoder.key.decode(kv[0])["id"])
        counts = ids | "Kinds" >> beam.Map(lambda i: i[0]) | beam.combiners.Count.PerElement()
        assert_that(counts, equal_to([("a", 5), ("t", 27)]), label="OnePerArticle")
        reasons = dead | "Reasons" >> beam.Map(
            lambda kv: encoder.dead_letter.decode(kv[1])["reason"]
        )
        assert_that(reasons, equal_to(["not_utf8", "no_headline"]), label="DeadLetters")
