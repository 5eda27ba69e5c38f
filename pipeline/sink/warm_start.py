"""What the sink already holds, read at start-up so that a restarted job does not write again.

The DirectRunner keeps no state across restarts, and the source re-reads every page whose
offsets were not committed when the job stopped. The ids already on the sink topic seed the
exact-duplicate filter, and the canonical topic's stories seed the near-duplicate buckets, so
a re-delivered page adds nothing and an edited one joins its old story. (On Flink, state comes
back from the checkpoint instead.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.dedup.stories import story_text
from pipeline.encode.avro_codec import Lookup
from pipeline.encode.encoder import Encoder
from pipeline.model import Article, Kind
from pipeline.sink.tail import read_topic


@dataclass(frozen=True)
class KnownStory:
    story_id: str
    first_seen_ms: int
    text: str  # what its band keys are computed from


@dataclass(frozen=True)
class Written:
    ids: frozenset[str]
    stories: tuple[KnownStory, ...]


NOTHING = Written(frozenset(), ())


def read_written(
    client_config: dict[str, Any],
    sink_topic: str,
    canonical_topic: str,
    lookup: Lookup | None = None,
) -> Written:
    """`lookup` resolves registry ids, for a sink written in the confluent format."""
    encoder = Encoder(lookup=lookup)
    ids = frozenset(
        encoder.key.decode(key)["id"]
        for key, value in read_topic(client_config, sink_topic, idle_ms=500)
        if key is not None and value is not None
    )
    stories = {}
    for _, value in read_topic(client_config, canonical_topic, idle_ms=500):
        if value is None:
            continue
        record = encoder.article.decode(value)
        if record.get("story_id") is None:
            continue
        article = Article(
            Kind(record["kind"]),
            record["title"],
            record["lede"],
            alt_titles=tuple(record["alt_titles"]),
        )
        first_seen = record["first_seen"] or record["replayed_at"]
        stories[record["story_id"]] = KnownStory(
            record["story_id"], int(first_seen.timestamp() * 1000), story_text(article)
        )
    return Written(ids, tuple(stories.values()))
