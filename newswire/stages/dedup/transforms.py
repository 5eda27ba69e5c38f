"""Beam shells around the dedup indexes: exact repeats by id (`FirstSeen`) and stories
(`AssignStories`).

Runner-agnostic: the durable copy of each index is keyed state (checkpointed on Flink), a log
of compact byte entries; the in-memory copy a worker works from is rebuilt from that log. State
is bounded: an event-time timer a key prunes what is older than the TTL, so memory follows
the stories of the last TTL, not all stories ever seen.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import typing
import uuid
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

import apache_beam as beam
from apache_beam.coders import BytesCoder, VarIntCoder
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import (
    BagStateSpec,
    ReadModifyWriteStateSpec,
    TimerSpec,
    on_timer,
)
from apache_beam.utils.timestamp import Timestamp

from newswire.core import metrics
from newswire.stages.dedup.seen import SeenIds, shard_of
from newswire.stages.dedup.stories import (
    StoryIndex,
    StorySettings,
    decode_registration,
    encode_registration,
)
from newswire.stages.dedup.warm_start import KnownStory

T = TypeVar("T")


@dataclasses.dataclass
class _Copy(Generic[T]):
    token: bytes  # the version in state this copy was built at, or last wrote
    index: T
    next_expiry_ms: int | None  # the key's pending prune timer (NEXT_EXPIRY), or none


class Restored(Generic[T]):
    """A worker's in-memory indexes, one a key, trusted only while the key's state agrees.

    Every change to a key's log writes a fresh random version beside it. An index whose
    version is not the one in state is stale (the runner restored an older checkpoint, or
    another worker owned the key) and is rebuilt from the log, so a rolled-back log is never
    answered from memory that saw later input. The key's pending timer is kept beside the
    index and trusted with it, so an element reads at most one state cell.

    `sole_worker`: this process is the job's only worker for its whole life (the
    DirectRunner): memory cannot be stale, and state is neither read nor written (nothing
    would ever read it back: a restart is a new process, warm-started from the sink); only
    the prune timers are the runner's. The copy then lives until the job ends (`forget_jobs`),
    not until its DoFns are torn down (an idle worker tears them down mid-job). On Prism each
    state read is a blocking call to the runner: two a key in every bundle were the largest
    cost of the keyed stages, and the first touch of each of the 256 shards made the first
    seconds of a run slow (README, "Where the streaming latency went").
    """

    def __init__(self, build: Callable[[Iterable[bytes]], T], sole_worker: bool = False) -> None:
        self._build = build
        self._sole_worker = sole_worker
        self._by_key: dict[typing.Any, _Copy[T]] = {}
        self._users = 0

    @classmethod
    def shared(
        cls, name: str, build: Callable[[Iterable[bytes]], T], sole_worker: bool = False
    ) -> Restored[T]:
        """The process's one copy for the transform `name`. A runner runs several instances of
        a DoFn in a process (one a concurrent bundle); each with its own copy saw the others'
        versions as foreign and rebuilt whole logs from state (about 1,800 rebuilds, 20 s of
        a 70 s streaming run on Prism at 20 pages/s)."""
        with _SHARED_LOCK:
            restored = _SHARED.setdefault(name, cls(build, sole_worker))
            restored._users += 1
            return restored

    @staticmethod
    def release(name: str) -> None:
        """An instance is torn down; the last one frees the copy (a sole worker's lives on)."""
        with _SHARED_LOCK:
            restored = _SHARED.get(name)
            if restored is not None:
                restored._users -= 1
                if restored._users <= 0 and not restored._sole_worker:
                    del _SHARED[name]

    @staticmethod
    def forget_jobs() -> None:
        """The job in this process has ended: free its sole worker's copies. One DirectRunner
        job at a time a process."""
        with _SHARED_LOCK:
            for name in [n for n, r in _SHARED.items() if r._sole_worker]:
                del _SHARED[name]

    def get(self, key, log, version, next_expiry) -> T:
        return self._copy(key, log, version, next_expiry).index

    def _copy(self, key, log, version, next_expiry) -> _Copy[T]:
        cached = self._by_key.get(key)
        token = None if self._sole_worker else version.read()
        if cached is not None and (
            self._sole_worker or (token is not None and cached.token == token)
        ):
            return cached
        # Stale or unknown here. A key never written (a sole worker's unseen key is one) has
        # no state to read; any other is rebuilt from its log.
        if token is None:
            copy = _Copy(b"", self._build(()), None)
        else:
            copy = _Copy(token, self._build(log.read()), next_expiry.read())
        self._by_key[key] = copy
        return copy

    def append(self, key, log, version, entries: Iterable[bytes]) -> None:
        """Log a key's new entries durably, so that a worker can rebuild its index."""
        if self._sole_worker:
            return
        added = False
        for entry in entries:
            log.add(entry)
            added = True
        if added:
            self._changed(key, version)

    def rewrite(self, key, log, version, kept: Iterable[bytes] | None) -> None:
        """The key's log as `kept` says, when a prune removed anything (`kept` is not None)."""
        if kept is None or self._sole_worker:
            return
        log.clear()
        for entry in kept:
            log.add(entry)
        self._changed(key, version)

    def _changed(self, key, version) -> None:
        token = os.urandom(8)
        version.write(token)
        self._by_key[key].token = token

    def schedule(self, key, oldest_ms: int | None, ttl_ms: int, next_expiry, expiry) -> None:
        """One timer a key, an eighth of a TTL after its oldest entry turns a TTL old, so a
        prune removes an eighth of a TTL's entries and the log is rewritten a few times a
        TTL. Call after `get` for the same key."""
        copy = self._by_key[key]
        if oldest_ms is None or copy.next_expiry_ms is not None:
            return
        at = oldest_ms + ttl_ms + ttl_ms // 8
        if not self._sole_worker:
            next_expiry.write(at)
        copy.next_expiry_ms = at
        expiry.set(Timestamp.of(at / 1000))

    def expired(self, key, next_expiry) -> None:
        """The key's timer fired: the next element sets the next one."""
        if not self._sole_worker:
            next_expiry.clear()
        self._by_key[key].next_expiry_ms = None


# Keys are never processed by two bundles at once (the runner's guarantee for keyed state), so
# instances sharing a copy never race on one key; the lock guards the registry only.
_SHARED: dict[str, Restored] = {}
_SHARED_LOCK = threading.Lock()


def _millis(at: Timestamp) -> int:
    return int(at.micros // 1000)


def _seen_ids(entries: Iterable[bytes]) -> SeenIds:
    seen = SeenIds()
    seen.restore(entries)
    return seen


# The state and timer of a key of both dedup DoFns.
LOG = BagStateSpec("log", BytesCoder())
VERSION = ReadModifyWriteStateSpec("version", BytesCoder())
NEXT_EXPIRY = ReadModifyWriteStateSpec("next_expiry", VarIntCoder())
EXPIRY = TimerSpec("expiry", TimeDomain.WATERMARK)


class _LoggedIndexFn(beam.DoFn):
    """A stateful DoFn whose keyed state is a log of compact entries behind an in-memory
    index (see `Restored`), pruned by one event-time timer a key."""

    _ttl_ms: int
    _restored: Restored

    def __init__(self, sole_worker: bool = False) -> None:
        # One name a transform of the graph: the pickled copies a runner makes share it, and so
        # share one in-memory index a process (see `Restored.shared`).
        self._index_name = uuid.uuid4().hex
        self._sole_worker = sole_worker

    def _build(self, log: Iterable[bytes]):
        """The in-memory index from a key's log."""
        raise NotImplementedError

    def setup(self) -> None:
        self._restored = Restored.shared(self._index_name, self._build, self._sole_worker)

    def teardown(self) -> None:
        Restored.release(self._index_name)

    def _prune(self, index, before_ms: int) -> Iterable[bytes] | None:
        """The entries to keep once those before `before_ms` are gone; None if none went."""
        raise NotImplementedError

    @on_timer(EXPIRY)
    def expire(
        self,
        key=beam.DoFn.KeyParam,
        fired=beam.DoFn.TimestampParam,
        log=beam.DoFn.StateParam(LOG),
        version=beam.DoFn.StateParam(VERSION),
        next_expiry=beam.DoFn.StateParam(NEXT_EXPIRY),
    ):
        # The next element sets the next timer (the runner's timers set from a timer callback
        # were not reliable here); on a quiet wire the state waits for it to shrink.
        index = self._restored.get(key, log, version, next_expiry)
        self._restored.rewrite(key, log, version, self._prune(index, _millis(fired) - self._ttl_ms))
        self._restored.expired(key, next_expiry)


class FirstSeenFn(_LoggedIndexFn):
    """(shard, (id, value)) -> the value of each id's first sighting, once.

    Args: as `FirstSeen`'s.
    """

    def __init__(
        self,
        what: str,
        ttl_s: float,
        known: frozenset[str] = frozenset(),
        on_drop: Callable[[Any], None] | None = None,
        sole_worker: bool = False,
    ) -> None:
        super().__init__(sole_worker)
        self._what = what
        self._ttl_ms = int(ttl_s * 1000)
        self._known = known  # ids already on the sink before this job started
        self._on_drop = on_drop

    def _build(self, log: Iterable[bytes]) -> SeenIds:
        return _seen_ids(log)

    def process(
        self,
        element,
        timestamp=beam.DoFn.TimestampParam,
        log=beam.DoFn.StateParam(LOG),
        version=beam.DoFn.StateParam(VERSION),
        next_expiry=beam.DoFn.StateParam(NEXT_EXPIRY),
        expiry=beam.DoFn.TimerParam(EXPIRY),
    ):
        shard, (key, value) = element
        seen = self._restored.get(shard, log, version, next_expiry)
        entry = None if key in self._known else seen.add(key, _millis(timestamp))
        if entry is None:
            article = getattr(value, "article", None)  # an Item: count by article or teaser
            metrics.duplicate_dropped(article.kind.value if article else self._what)
            if self._on_drop is not None:
                self._on_drop(value)
            return
        self._restored.append(shard, log, version, (entry,))
        self._restored.schedule(shard, seen.oldest_ms(), self._ttl_ms, next_expiry, expiry)
        yield value

    def _prune(self, index: SeenIds, before_ms: int) -> list[bytes] | None:
        return index.prune(before_ms)


class FirstSeen(beam.PTransform):
    """(id, value) -> the value of each id's first sighting within the TTL.

    Args:
        what: what the ids name ("page", "article"), for the duplicate metric.
        ttl_s: how long, in event time, an id is remembered.
        known: ids already on the sink before the job started (a warm start).
        on_drop: called with each value dropped as a repeat (the job's delivery bookkeeping).
        shards: how many keys the ids are spread over; state and timers scale with these.
        sole_worker: the job runs in this process alone (the DirectRunner; see `Restored`).
    """

    def __init__(
        self,
        what: str,
        ttl_s: float,
        known: frozenset[str] = frozenset(),
        on_drop: Callable[[Any], None] | None = None,
        shards: int = 256,
        sole_worker: bool = False,
    ) -> None:
        super().__init__()
        self._fn = FirstSeenFn(what, ttl_s, known, on_drop, sole_worker)
        self._shards = shards

    def expand(self, keyed: beam.PCollection) -> beam.PCollection:
        shards = self._shards
        return (
            keyed
            # Typed Any: an inferred key coder made the in-process runner misread the stage's
            # timers (its timer key coder stayed the generic one).
            | "Shard"
            >> beam.Map(lambda kv: (shard_of(kv[0], shards), kv)).with_output_types(typing.Any)
            | "FirstSeen" >> beam.ParDo(self._fn)
        )


class StoriesFn(_LoggedIndexFn):
    """Every article's story, from one index of LSH buckets under a single key.

    Keyed state is the durable log of registrations (at most one compact bag append an
    article, see `encode_registration`), and the index is rebuilt from it (see `Restored`), so
    an article costs one stateful element, not one per band. A timer prunes buckets older than
    the TTL. One key means one worker: the stage handles hundreds of articles a second, far
    more than a wire sends; shard it if that ever changes.

    Args: as `AssignStories`'s.
    """

    def __init__(
        self,
        settings: StorySettings,
        ttl_s: float,
        known: tuple[KnownStory, ...] = (),
        sole_worker: bool = False,
    ) -> None:
        super().__init__(sole_worker)
        self._settings = settings
        self._ttl_ms = int(ttl_s * 1000)
        self._known = known

    def _build(self, log: Iterable[bytes]) -> StoryIndex:
        index = StoryIndex(self._settings, remember_ids=False)
        for story in self._known:
            index.register_story(story.story_id, story.first_seen_ms, story.text)
        index.restore(decode_registration(entry) for entry in log)
        return index

    def process(
        self,
        element,
        log=beam.DoFn.StateParam(LOG),
        version=beam.DoFn.StateParam(VERSION),
        next_expiry=beam.DoFn.StateParam(NEXT_EXPIRY),
        expiry=beam.DoFn.TimerParam(EXPIRY),
    ):
        key, item = element
        index = self._restored.get(key, log, version, next_expiry)
        with metrics.stage("stories"):
            story = index.assign(item.article_id, item.article, item.page.replayed_at_ms)
        self._restored.append(key, log, version, map(encode_registration, index.registrations()))
        self._restored.schedule(key, index.oldest_ms(), self._ttl_ms, next_expiry, expiry)
        if not story.canonical:
            metrics.near_duplicate(item.article.kind.value)
        yield dataclasses.replace(item, story=story)

    def _prune(self, index: StoryIndex, before_ms: int) -> Iterable[bytes] | None:
        kept = index.prune(before_ms)
        return None if kept is None else map(encode_registration, kept)


class AssignStories(beam.PTransform):
    """Items -> items with their story (see StoriesFn).

    Args:
        settings: the MinHash/LSH parameters.
        ttl_s: how long, in event time, a story's buckets are kept.
        known: stories already on the canonical topic (a warm start).
        sole_worker: the job runs in this process alone (the DirectRunner; see `Restored`).
    """

    def __init__(
        self,
        settings: StorySettings,
        ttl_s: float,
        known: tuple[KnownStory, ...] = (),
        sole_worker: bool = False,
    ) -> None:
        super().__init__()
        self._fn = StoriesFn(settings, ttl_s, known, sole_worker)

    def expand(self, items: beam.PCollection) -> beam.PCollection:
        return (
            items
            | "OneIndex" >> beam.Map(lambda item: ("stories", item)).with_output_types(typing.Any)
            | "Stories" >> beam.ParDo(self._fn)
        )
