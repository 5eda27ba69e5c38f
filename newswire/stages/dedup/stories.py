"""Near-duplicate stories: MinHash signatures, LSH bands, and the story an article belongs to.

A wire re-delivers a story edited: accents dropped, a second headline, a sentence added or
reworded, the same story as a page's article and as another page's teaser. Exact ids miss
those. Each article is shingled (word pairs of its normalised headlines and lede, the part a
teaser shares with its article), signed with MinHash (`Signer`), and the signature cut into
bands. Each band is a bucket key. An article whose signature shares at least `min_bands`
buckets with one story joins that story; otherwise it starts a story of its own and is its
canonical record. Either way the buckets it is first to fill are registered to the story it
ended in, so a story grows by its edits and never splits off a story with no canonical record.

Plain functions and a small in-memory index: the Beam shell (dedup/transforms.py) keeps a
log of compact registrations in keyed state, the offline `newswire classify` keeps the index
alone, and both use `StoryIndex`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import struct
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from newswire.core.model import Article, Story
from newswire.core.text import words
from newswire.stages.dedup.expiring import Expiring


@dataclass(frozen=True)
class StorySettings:
    # Chosen on the generated corpus (`newswire corpus`, README "Near-duplicates"): with 42
    # bands of 3 rows, an article must share 3 bands with a story to join it; one or two shared
    # bands happen by chance between distinct stories that share vocabulary.
    num_perm: int = 126
    bands: int = 42
    rows: int = 3  # bands * rows <= num_perm
    min_bands: int = 3
    shingle: int = 2
    seed: int = 1

    def __post_init__(self) -> None:
        if self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands*rows = {self.bands * self.rows} > num_perm {self.num_perm}")
        if not 1 <= self.min_bands <= self.bands:
            raise ValueError("min_bands must be between 1 and bands")


@dataclass(frozen=True)
class Bucket:
    """What a band bucket remembers: the story of the first article that fell into it."""

    story_id: str
    first_seen_ms: int


@dataclass(frozen=True)
class Answer:
    """One band's answer for one article: the story found in its bucket, if any."""

    story_id: str | None
    first_seen_ms: int = 0


def story_text(article: Article) -> str:
    return " ".join((article.title, *article.alt_titles, article.lede))


def shingles(text: str, size: int) -> set[bytes]:
    tokens = words(text)
    if len(tokens) < size:
        return {" ".join(tokens).encode()} if tokens else set()
    return {" ".join(tokens[i : i + size]).encode() for i in range(len(tokens) - size + 1)}


BandKey = bytes  # one byte of band index, then an 8-byte hash of the band's rows


# The MurmurHash3 32-bit finalizer: spreads each shingle's hash before the permutations.
_FMIX32 = tuple(np.uint32(c) for c in (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16))
_MAX32 = np.uint32(0xFFFFFFFF)


def _fmix32(hv: np.ndarray) -> np.ndarray:
    s1, m1, s2, m2, s3 = _FMIX32
    hv = hv ^ (hv >> s1)
    hv = hv * m1
    hv = hv ^ (hv >> s2)
    hv = hv * m2
    return hv ^ (hv >> s3)


class Signer:
    """MinHash signatures and band keys; the permutations are made once.

    The signature is datasketch 2.0's `MinHash` (scheme affine32: the first 4 bytes of a
    shingle's SHA-1, MurmurHash3-finalised, through `a*h + b mod 2**32`, permutations drawn
    from `RandomState(seed)`), computed here in a few numpy operations: the library's object
    per article cost more than the hashing, a third of the pipeline's time for stories, and
    its signatures changed between releases, which would have moved every band key in keyed
    state. tests/unit/stages/dedup/test_stories.py pins the keys.
    """

    def __init__(self, settings: StorySettings | None = None) -> None:
        self.settings = settings or StorySettings()
        gen = np.random.RandomState(self.settings.seed)
        n = self.settings.num_perm
        self._a = gen.randint(0, 1 << 31, n, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
        self._b = gen.randint(0, 1 << 32, n, dtype=np.uint32)
        size = self.settings.rows * 4  # bytes of a band's rows
        self._bands = [
            (bytes((band,)), band * size, (band + 1) * size) for band in range(self.settings.bands)
        ]

    def signature(self, text: str) -> np.ndarray:
        values = shingles(text, self.settings.shingle)
        if not values:
            return np.full(self.settings.num_perm, _MAX32, dtype=np.uint32)
        sha1 = hashlib.sha1
        # The first 4 bytes of each SHA-1 as little-endian uint32s, read by numpy in one go.
        hv = np.frombuffer(b"".join([sha1(v).digest()[:4] for v in values]), dtype="<u4")
        hashed = np.multiply.outer(_fmix32(hv.astype(np.uint32)), self._a)
        hashed += self._b
        return hashed.min(axis=0)

    def band_keys(self, text: str) -> list[BandKey]:
        """One key a band: its index and a short hash of its rows (9 bytes, for compact state)."""
        signature = self.signature(text).tobytes()
        blake2b = hashlib.blake2b
        return [
            prefix + blake2b(signature[start:end], digest_size=8).digest()
            for prefix, start, end in self._bands
        ]


def own_story_id(article_id: str) -> str:
    return "s-" + article_id


def resolve(article_id: str, seen_ms: int, answers: Iterable[Answer], min_bands: int) -> Story:
    """The article's story: the earliest story enough of its bands agree on, else its own."""
    votes: dict[tuple[int, str], int] = defaultdict(int)
    own = own_story_id(article_id)
    for answer in answers:
        # Its own registration (a retried bundle) is no evidence; the same text under the
        # other kind (`s-a-…` for `t-…`) is: the article carried as a teaser elsewhere.
        if answer.story_id is not None and answer.story_id != own:
            votes[(answer.first_seen_ms, answer.story_id)] += 1
    agreed = sorted(key for key, count in votes.items() if count >= min_bands)
    if not agreed:
        return Story(own, canonical=True, first_seen_ms=seen_ms)
    first_seen_ms, story_id = agreed[0]
    return Story(story_id, canonical=False, first_seen_ms=first_seen_ms)


@dataclass(frozen=True)
class Registration:
    """Buckets one article was first to fill, all given to one story: the unit of the log."""

    bucket: Bucket
    keys: tuple[BandKey, ...]


_KEY_BYTES = 9
_HEADER = struct.Struct(">qH")  # first_seen_ms, length of the story id


def encode_registration(registration: Registration) -> bytes:
    """Compact bytes for keyed state: 10 bytes, the story id, then 9 bytes a bucket."""
    story_id = registration.bucket.story_id.encode()
    return (
        _HEADER.pack(registration.bucket.first_seen_ms, len(story_id))
        + story_id
        + b"".join(registration.keys)
    )


def decode_registration(data: bytes) -> Registration:
    first_seen_ms, length = _HEADER.unpack_from(data)
    start = _HEADER.size + length
    story_id = data[_HEADER.size : start].decode()
    keys = tuple(data[i : i + _KEY_BYTES] for i in range(start, len(data), _KEY_BYTES))
    return Registration(Bucket(story_id, first_seen_ms), keys)


class StoryIndex:
    """The band buckets of the stories seen, in memory, and the story of each new article.

    The pipeline keeps one in its stories DoFn and logs every article's new buckets to keyed
    state (`registrations`), from which a worker `restore`s it; `newswire classify` keeps one
    for the files of a call and, with `remember_ids`, also marks exact repeats as updates.
    Pruning costs what it removes (see `Expiring`).

    Args:
        settings: the MinHash/LSH parameters.
        remember_ids: also answer an article id seen before with its story (an update).
    """

    def __init__(self, settings: StorySettings | None = None, remember_ids: bool = True) -> None:
        self.signer = Signer(settings)
        self._buckets: Expiring[BandKey, Bucket] = Expiring()
        self._new: list[Registration] = []
        self._seen: dict[str, Story] | None = {} if remember_ids else None

    def assign(self, article_id: str, article: Article, seen_ms: int) -> Story:
        if self._seen is not None and article_id in self._seen:
            return dataclasses.replace(self._seen[article_id], canonical=False)
        keys = self.signer.band_keys(story_text(article))
        found = [self._buckets.get(key) for key in keys]
        answers = [Answer(b.story_id, b.first_seen_ms) for b in found if b]  # empty ones: no vote
        story = resolve(article_id, seen_ms, answers, self.signer.settings.min_bands)
        joined = Bucket(story.story_id, story.first_seen_ms)
        filled = tuple(key for key, bucket in zip(keys, found, strict=True) if bucket is None)
        if filled:
            registration = Registration(joined, filled)
            self._add(registration)
            self._new.append(registration)
        if self._seen is not None:
            self._seen[article_id] = story
        return story

    def _add(self, registration: Registration) -> None:
        bucket = registration.bucket
        for key in registration.keys:
            self._buckets.setdefault(key, bucket, bucket.first_seen_ms)

    def registrations(self) -> list[Registration]:
        """Registrations since the last call, to be logged durably."""
        new, self._new = self._new, []
        return new

    def restore(self, registrations: Iterable[Registration]) -> None:
        for registration in registrations:
            self._add(registration)

    def register_story(self, story_id: str, first_seen_ms: int, text: str) -> None:
        """A story known from elsewhere (the canonical topic, at a warm start)."""
        keys = tuple(self.signer.band_keys(text))
        self.restore([Registration(Bucket(story_id, first_seen_ms), keys)])

    def oldest_ms(self) -> int | None:
        return self._buckets.oldest_ms()

    def prune(self, before_ms: int) -> list[Registration] | None:
        """Forget buckets of stories first seen before `before_ms`. None when nothing went;
        else what is kept, as registrations to rewrite the log with."""
        if not self._buckets.prune(before_ms):
            return None
        by_bucket: dict[Bucket, list[BandKey]] = defaultdict(list)
        for key, bucket in self._buckets.items():
            by_bucket[bucket].append(key)
        return [Registration(bucket, tuple(keys)) for bucket, keys in by_bucket.items()]

    def __len__(self) -> int:
        return len(self._buckets)


def duplicate_pairs(clusters: Sequence[str]) -> set[tuple[int, int]]:
    """Index pairs (i < j) that share a cluster label: the pairs a detector should find."""
    members: dict[str, list[int]] = defaultdict(list)
    for index, cluster in enumerate(clusters):
        members[cluster].append(index)
    return {
        (a, b) for group in members.values() for i, a in enumerate(group) for b in group[i + 1 :]
    }
