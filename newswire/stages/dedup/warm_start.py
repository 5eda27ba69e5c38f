"""What the sink already holds, as dedup's starting point after a restart.

The DirectRunner keeps no state across restarts, and the source re-reads every page whose
offsets were not committed when the job stopped. The ids already on the sink topic seed the
exact-duplicate filter, and the canonical topic's stories seed the near-duplicate buckets, so
a re-delivered page adds nothing and an edited one joins its old story. (On Flink, state comes
back from the checkpoint instead.) Reading the topics is the Kafka side's work
(`newswire.kafka.warm_start`); this module turns their decoded records into dedup's terms.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from newswire.core.model import Article, Kind
from newswire.stages.dedup.stories import story_text


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


def written_from(
    keys: Iterable[Mapping[str, Any]], canonical: Iterable[Mapping[str, Any]]
) -> Written:
    """`keys`: the sink topic's decoded keys; `canonical`: the canonical topic's decoded
    article records, oldest first (a story's last record wins)."""
    ids = frozenset(key["id"] for key in keys)
    stories = {}
    for record in canonical:
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
