"""FirstSeenFn's own logic, with stand-ins for Beam's state and timer handles (the runner's
timer delivery is Beam's; the enrich-transform test runs the DoFn on a real runner)."""

from __future__ import annotations

from apache_beam.utils.timestamp import Timestamp

from newswire.stages.dedup.seen import SeenIds, decode_seen, shard_of
from newswire.stages.dedup.transforms import FirstSeenFn


class _Value:
    def __init__(self) -> None:
        self.value = None

    def read(self):
        return self.value

    def write(self, value) -> None:
        self.value = value

    def clear(self) -> None:
        self.value = None


class _Bag:
    def __init__(self) -> None:
        self.entries: list[bytes] = []

    def read(self) -> list[bytes]:
        return list(self.entries)

    def add(self, entry: bytes) -> None:
        self.entries.append(entry)

    def clear(self) -> None:
        self.entries = []


class _Timer:
    def __init__(self) -> None:
        self.at: Timestamp | None = None

    def set(self, at: Timestamp) -> None:
        self.at = at


class _Shard:
    """One key's state as the runner would keep it."""

    def __init__(self) -> None:
        self.log, self.version, self.next, self.timer = _Bag(), _Value(), _Value(), _Timer()


def _feed(fn: FirstSeenFn, shard: _Shard, key: str, value: str, at: float) -> list[str]:
    element = (0, (key, value))
    return list(
        fn.process(element, Timestamp(at), shard.log, shard.version, shard.next, shard.timer)
    )


def _expire(fn: FirstSeenFn, shard: _Shard, at: float) -> None:
    fn.expire(0, Timestamp(at), shard.log, shard.version, shard.next)


def test_first_value_passes_repeats_drop_and_expiry_forgets() -> None:
    fn = FirstSeenFn("article", ttl_s=80)
    fn.setup()
    shard = _Shard()
    assert _feed(fn, shard, "a", "first", 10) == ["first"]
    assert shard.timer.at == Timestamp(100)  # a TTL and an eighth after the oldest id
    assert _feed(fn, shard, "a", "repeat", 60) == []
    assert _feed(fn, shard, "b", "other", 50) == ["other"]
    assert [decode_seen(e) for e in shard.log.entries] == [("a", 10_000), ("b", 50_000)]
    _expire(fn, shard, 100)  # forgets what was seen before 20 s, keeps "b"
    assert [decode_seen(e) for e in shard.log.entries] == [("b", 50_000)]
    assert _feed(fn, shard, "a", "after expiry", 210) == ["after expiry"]
    assert _feed(fn, shard, "b", "b again", 211) == []
    assert shard.timer.at == Timestamp(140)


def test_a_worker_rebuilds_from_state_the_runner_rolled_back() -> None:
    """A restore from a checkpoint must not be answered from memory that saw later input."""
    fn = FirstSeenFn("article", ttl_s=3600)
    fn.setup()
    shard = _Shard()
    assert _feed(fn, shard, "a", "first", 10) == ["first"]
    checkpoint = (shard.log.read(), shard.version.read())
    assert _feed(fn, shard, "b", "second", 11) == ["second"]
    shard.log.entries, shard.version.value = list(checkpoint[0]), checkpoint[1]  # a restore
    assert _feed(fn, shard, "b", "second, replayed", 11) == ["second, replayed"]
    assert _feed(fn, shard, "a", "first, replayed", 10) == []


def test_a_shard_is_stable_and_spreads_ids() -> None:
    shards = {shard_of(f"a-{n:020d}", 256) for n in range(5_000)}
    assert shard_of("a-1", 256) == shard_of("a-1", 256) and len(shards) == 256


def test_seen_ids_prune_only_what_is_old() -> None:
    seen = SeenIds()
    assert seen.add("x", 1) is not None and seen.add("x", 5) is None
    assert seen.add("y", 9) is not None
    assert seen.prune(0) is None and len(seen) == 2
    assert [decode_seen(e) for e in seen.prune(2) or []] == [("y", 9)]
    assert "x" not in seen and seen.oldest_ms() == 9


def test_copies_of_one_transform_share_their_index_and_never_rebuild_it() -> None:
    """A runner runs several copies of a DoFn in a process, one a concurrent bundle; a copy
    that meets a key another changed must trust the shared index, not re-read the log."""
    import pickle

    fn = FirstSeenFn("article", ttl_s=3600)
    one, other = pickle.loads(pickle.dumps(fn)), pickle.loads(pickle.dumps(fn))
    one.setup()
    other.setup()
    shard = _Shard()
    assert _feed(one, shard, "a", "first", 10) == ["first"]
    reads = []
    shard.log.read = lambda: reads.append(1) or list(shard.log.entries)
    assert _feed(other, shard, "a", "repeat", 11) == []
    assert _feed(other, shard, "b", "second", 12) == ["second"]
    assert _feed(one, shard, "b", "second again", 13) == []
    assert reads == [], "a copy rebuilt the index from the log"
    unrelated = FirstSeenFn("article", ttl_s=3600)
    unrelated.setup()
    assert _feed(unrelated, _Shard(), "a", "another job's first", 10) == ["another job's first"]
    for copy in (one, other, unrelated):
        copy.teardown()


class _Refused(_Value, _Bag):
    """State that must not be touched: the job's only worker trusts its memory, and nothing
    would read what it wrote."""

    def read(self):
        raise AssertionError("a sole worker read state")

    def write(self, value) -> None:
        raise AssertionError("a sole worker wrote state")

    def add(self, entry: bytes) -> None:
        raise AssertionError("a sole worker wrote state")

    def clear(self) -> None:
        raise AssertionError("a sole worker wrote state")


def test_a_sole_worker_touches_no_state_and_keeps_its_index_through_an_idle_teardown() -> None:
    """On the DirectRunner this process is the job's only worker: dedup neither asks the
    runner's state (each ask is a blocking call on Prism) nor writes it (the commits were a
    tenth of a batch's time), and a teardown mid-job (an idle worker's) keeps the index until
    the job ends. Only the prune timer is the runner's."""
    from newswire.stages.dedup.transforms import Restored

    fn = FirstSeenFn("article", ttl_s=80, sole_worker=True)
    fn.setup()
    shard = _Shard()
    shard.log = shard.version = shard.next = _Refused()
    assert _feed(fn, shard, "a", "first", 10) == ["first"]
    assert shard.timer.at == Timestamp(100)
    fn.teardown()  # idle: Beam tears the DoFn down; the job goes on
    fn.setup()
    assert _feed(fn, shard, "a", "repeat", 60) == []
    assert _feed(fn, shard, "b", "second", 50) == ["second"]
    _expire(fn, shard, 100)  # forgets "a" (seen at 10 s), keeps "b"
    assert _feed(fn, shard, "b", "second, repeated", 150) == []
    assert _feed(fn, shard, "a", "after expiry", 210) == ["after expiry"]
    Restored.forget_jobs()  # the job ended: a next job in this process starts empty
    fn.setup()
    assert _feed(fn, _Shard(), "a", "next job", 300) == ["next job"]
    fn.teardown()
    Restored.forget_jobs()
