"""Near-duplicate stories: MinHash signatures, LSH bands, and the story an article belongs to.

A wire re-delivers a story edited: accents dropped, a second headline, a sentence added or
reworded, the same story as a page's article and as another page's teaser. Exact ids miss
those. Each article is shingled (word pairs of its normalised headlines and lede, the part a
teaser shares with its article), signed with MinHash (datasketch), and the signature cut into
bands. Each band is a bucket key. An article whose signature shares at least `min_bands`
buckets with one story joins that story; otherwise it starts a story of its own and is its
canonical record. Either way the buckets it is first to fill are registered to the story it
ended in, so a story grows by its edits and never splits off a story with no canonical record.

Plain functions and a small in-memory index: the Beam shell (dedup/transforms.py) keeps one
log of buckets in keyed state, the offline `newswire classify` keeps them in a dict, and both
use `StoryIndex`.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from pipeline.classify.nlp import words
from pipeline.model import Article, Story


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


class Signer:
    """MinHash signatures and band keys; the permutations are made once."""

    def __init__(self, settings: StorySettings | None = None) -> None:
        self.settings = settings or StorySettings()

    @cached_property
    def _template(self):
        from datasketch import MinHash

        return MinHash(num_perm=self.settings.num_perm, seed=self.settings.seed)

    def signature(self, text: str) -> np.ndarray:
        from datasketch import MinHash

        template = self._template
        minhash = MinHash(
            num_perm=self.settings.num_perm,
            seed=self.settings.seed,
            permutations=template.permutations,
            scheme=template.scheme,
        )
        minhash.update_batch(sorted(shingles(text, self.settings.shingle)))
        return minhash.hashvalues

    def band_keys(self, text: str) -> list[str]:
        """One key a band: its index and a short hash of its rows."""
        signature = self.signature(text)
        rows = self.settings.rows
        return [
            f"{band}:"
            + hashlib.blake2b(
                signature[band * rows : (band + 1) * rows].tobytes(), digest_size=8
            ).hexdigest()
            for band in range(self.settings.bands)
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


class StoryIndex:
    """The band buckets of the stories seen, in memory, and the story of each new article.

    The pipeline keeps one in its stories DoFn and logs every new bucket to keyed state
    (`registrations`), from which a worker `restore`s it; `newswire classify` keeps one for
    the files of a call and, with `remember_ids`, also marks exact repeats as updates.
    """

    def __init__(self, settings: StorySettings | None = None, remember_ids: bool = True) -> None:
        self.signer = Signer(settings)
        self._buckets: dict[str, Bucket] = {}
        self._new: list[tuple[str, Bucket]] = []
        self._seen: dict[str, Story] | None = {} if remember_ids else None

    def assign(self, article_id: str, article: Article, seen_ms: int) -> Story:
        if self._seen is not None and article_id in self._seen:
            return dataclasses.replace(self._seen[article_id], canonical=False)
        keys = self.signer.band_keys(story_text(article))
        found = [self._buckets.get(key) for key in keys]
        answers = [Answer(b.story_id, b.first_seen_ms) if b else Answer(None) for b in found]
        story = resolve(article_id, seen_ms, answers, self.signer.settings.min_bands)
        joined = Bucket(story.story_id, story.first_seen_ms)
        for key, bucket in zip(keys, found, strict=True):
            if bucket is None:
                self._buckets[key] = joined
                self._new.append((key, joined))
        if self._seen is not None:
            self._seen[article_id] = story
        return story

    def registrations(self) -> list[tuple[str, Bucket]]:
        """Buckets registered since the last call, to be logged durably."""
        new, self._new = self._new, []
        return new

    def restore(self, entries: Iterable[tuple[str, Bucket]]) -> None:
        for key, bucket in entries:
            self._buckets.setdefault(key, bucket)

    def register_story(self, story_id: str, first_seen_ms: int, text: str) -> None:
        """A story known from elsewhere (the canonical topic, at a warm start)."""
        bucket = Bucket(story_id, first_seen_ms)
        self.restore((key, bucket) for key in self.signer.band_keys(text))

    def prune(self, before_ms: int) -> list[tuple[str, Bucket]]:
        """Forget buckets of stories first seen before `before_ms`; the kept entries."""
        self._buckets = {k: b for k, b in self._buckets.items() if b.first_seen_ms >= before_ms}
        return list(self._buckets.items())

    def entries(self) -> Iterable[tuple[str, Bucket]]:
        return self._buckets.items()

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
