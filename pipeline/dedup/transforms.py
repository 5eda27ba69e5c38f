"""Emit the first value per key, once, with the fact "seen" kept in Beam keyed state.

Runner-agnostic: state lives where the runner keeps it (checkpointed on Flink), never in a
process-global cache. State is bounded: an event-time timer clears a key `ttl_s` after the
element that set it, so memory follows the stories of the last TTL, not all stories ever seen.
"""

from __future__ import annotations

import dataclasses
import typing

import apache_beam as beam
from apache_beam.coders import BooleanCoder, PickleCoder, VarIntCoder
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import (
    BagStateSpec,
    ReadModifyWriteStateSpec,
    TimerSpec,
    on_timer,
)
from apache_beam.utils.timestamp import Duration, Timestamp

from pipeline import metrics
from pipeline.dedup.stories import StoryIndex, StorySettings
from pipeline.ledger import ledger, origin_of
from pipeline.sink.warm_start import KnownStory


@beam.typehints.with_input_types(tuple[str, typing.Any])
class FirstSeenFn(beam.DoFn):
    SEEN = ReadModifyWriteStateSpec("seen", BooleanCoder())
    EXPIRY = TimerSpec("expiry", TimeDomain.WATERMARK)

    def __init__(
        self, what: str, ttl_s: float, known: frozenset[str] = frozenset(), run_id: str = ""
    ) -> None:
        self._what = what
        self._ttl = Duration.of(ttl_s)
        self._known = known  # ids already on the sink before this job started
        self._run_id = run_id

    def process(
        self,
        element,
        timestamp=beam.DoFn.TimestampParam,
        seen=beam.DoFn.StateParam(SEEN),
        expiry=beam.DoFn.TimerParam(EXPIRY),
    ):
        key, value = element
        if key in self._known or seen.read():
            article = getattr(value, "article", None)  # an Item: count by article or teaser
            metrics.duplicate_dropped(article.kind.value if article else self._what)
            if self._run_id:
                ledger(self._run_id).fork(origin_of(value), 0)
            return
        seen.write(True)
        expiry.set(timestamp + self._ttl)
        yield value

    @on_timer(EXPIRY)
    def expire(self, seen=beam.DoFn.StateParam(SEEN)):
        seen.clear()


class StoriesFn(beam.DoFn):
    """Every article's story, from one index of LSH buckets under a single key.

    Keyed state is the durable log of bucket registrations (one bag append per new bucket);
    the index itself lives in the DoFn and is rebuilt from the log when a worker first sees the
    key, so an article costs one stateful element, not one per band. A timer prunes buckets
    older than the TTL from the log and the index. One key means one worker: the stage handles
    hundreds of articles a second, far more than a wire sends; shard it if that ever changes.
    """

    LOG = BagStateSpec("buckets", PickleCoder())
    NEXT_EXPIRY = ReadModifyWriteStateSpec("next_expiry", VarIntCoder())
    EXPIRY = TimerSpec("expiry", TimeDomain.WATERMARK)

    def __init__(
        self, settings: StorySettings, ttl_s: float, known: tuple[KnownStory, ...] = ()
    ) -> None:
        self._settings = settings
        self._ttl_ms = int(ttl_s * 1000)
        self._known = known

    def setup(self) -> None:
        self._index: StoryIndex | None = None

    def _restored(self, log) -> StoryIndex:
        if self._index is None:
            index = StoryIndex(self._settings, remember_ids=False)
            for story in self._known:
                index.register_story(story.story_id, story.first_seen_ms, story.text)
            index.restore(log.read())
            self._index = index
        return self._index

    def process(
        self,
        element,
        log=beam.DoFn.StateParam(LOG),
        next_expiry=beam.DoFn.StateParam(NEXT_EXPIRY),
        expiry=beam.DoFn.TimerParam(EXPIRY),
    ):
        _, item = element
        index = self._restored(log)
        with metrics.stage("stories"):
            story = index.assign(item.article_id, item.article, item.page.replayed_at_ms)
        for entry in index.registrations():
            log.add(entry)
        if next_expiry.read() is None:
            oldest = min((b.first_seen_ms for _, b in index.entries()), default=None)
            at = (oldest if oldest is not None else item.page.replayed_at_ms) + self._ttl_ms
            next_expiry.write(at)
            expiry.set(Timestamp.of(at / 1000))
        if not story.canonical:
            metrics.near_duplicate(item.article.kind.value)
        yield dataclasses.replace(item, story=story)

    @on_timer(EXPIRY)
    def expire(
        self,
        fired=beam.DoFn.TimestampParam,
        log=beam.DoFn.StateParam(LOG),
        next_expiry=beam.DoFn.StateParam(NEXT_EXPIRY),
    ):
        # The next article sets the next timer (the runner's timers set from a timer callback
        # were not reliable here); on a quiet wire the state waits for it to shrink.
        index = self._restored(log)
        kept = index.prune(int(fired.micros // 1000) - self._ttl_ms)
        log.clear()
        for entry in kept:
            log.add(entry)
        next_expiry.clear()


class AssignStories(beam.PTransform):
    """Items -> items with their story (see StoriesFn)."""

    def __init__(
        self, settings: StorySettings, ttl_s: float, known: tuple[KnownStory, ...] = ()
    ) -> None:
        super().__init__()
        self._fn = StoriesFn(settings, ttl_s, known)

    def expand(self, items: beam.PCollection) -> beam.PCollection:
        return (
            items
            # Typed Any: an inferred str key coder made the in-process runner misread the
            # stage's timers (its timer key coder stayed the generic one).
            | "OneIndex" >> beam.Map(lambda item: ("stories", item)).with_output_types(typing.Any)
            | "Stories" >> beam.ParDo(self._fn)
        )
