"""The pipeline's processing graph on Beam's in-process runner, fed from memory (no Kafka)."""

from __future__ import annotations

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from newswire.core.model import Message
from newswire.devtools import corpus
from newswire.job import EnrichPages
from newswire.stages.encode.encoder import Encoder
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
        articles, canonical, dead = (
            p
            | beam.Create(_messages(loops=3))
            | EnrichPages(max_page_bytes=1 << 20, dedup_ttl_s=7 * 24 * 3600, nlp_model="none")
        )
        ids = articles | "ArticleIds" >> beam.Map(lambda r: encoder.key.decode(r.key)["id"])
        counts = ids | "Kinds" >> beam.Map(lambda i: i[0]) | beam.combiners.Count.PerElement()
        assert_that(counts, equal_to([("a", 5), ("t", 27)]), label="OnePerArticle")
        stories = canonical | "Canonical" >> beam.combiners.Count.Globally()
        assert_that(stories, equal_to([32]), label="SeedStoriesAreDistinct")
        reasons = dead | "Reasons" >> beam.Map(
            lambda r: encoder.dead_letter.decode(r.value)["reason"]
        )
        assert_that(reasons, equal_to(["not_utf8", "no_headline"]), label="DeadLetters")


def test_an_edited_redelivery_joins_its_story_and_is_not_canonical() -> None:
    seeds = {f.name: f.read_text("utf-8") for f in seed_files()}
    page = next(corpus.generate(seeds, pages=1, seed=3, edit_rate=1.0, synthetic=0))
    originals = {label: title for title, label in page.truth}
    messages = [
        *(
            Message("raw", 0, i, None, f.read_bytes(), 1000 + i, ())
            for i, f in enumerate(seed_files())
        ),
        Message("raw", 0, 9, None, page.text.encode(), 9000, ()),
    ]
    encoder = Encoder()
    with TestPipeline(runner="FnApiRunner") as p:
        articles, canonical, _ = (
            p
            | beam.Create(messages)
            | EnrichPages(max_page_bytes=1 << 20, dedup_ttl_s=3600, nlp_model="none")
        )
        records = articles | beam.Map(lambda r: encoder.article.decode(r.value))

        def check(found: list[dict]) -> None:
            by_story: dict[str, list[dict]] = {}
            for r in found:
                by_story.setdefault(r["story_id"], []).append(r)
            edited = [r for r in found if r["replayed_at"].timestamp() == 9.0]
            assert 1 <= len(edited) <= len(originals)  # an unedited teaser is an exact repeat
            for r in edited:
                assert not r["canonical"], r["title"]  # every story on the page was seen
                first = [x for x in by_story[r["story_id"]] if x["canonical"]]
                assert len(first) == 1 and first[0]["replayed_at"].timestamp() < 9.0

        assert_that(records, check)
        total = canonical | "Canonical" >> beam.combiners.Count.Globally()
        assert_that(total, equal_to([32]), label="NoNewCanonical")
