"""Plain data that flows between the stages. No Beam, Kafka or I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    ARTICLE = "article"
    TEASER = "teaser"


@dataclass(frozen=True)
class Message:
    """One record as read from a Kafka topic; the unit the source hands to the pipeline."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp_ms: int
    headers: tuple[tuple[str, bytes], ...] = ()

    @property
    def origin(self) -> str:
        """Where the record came from, in the one spelling pages, records and the ledger use."""
        return f"{self.topic}/{self.partition}@{self.offset}"

    def header(self, name: str) -> bytes | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None


@dataclass(frozen=True)
class PageRef:
    """Where an article came from: what its record names of its page, without the page's text.

    Items carry this, not the Page: a page of ten thousand teasers would otherwise be copied
    into each of them, and every stage boundary would encode it ten thousand times.
    """

    page_id: str
    source: str
    replayed_at_ms: int
    origin: str  # topic/partition@offset, for tracing a record back to its input


@dataclass(frozen=True)
class Page:
    """A raw page that decoded as text, with where it came from."""

    page_id: str
    source: str
    text: str
    replayed_at_ms: int
    origin: str  # topic/partition@offset, for tracing a record back to its input

    @property
    def ref(self) -> PageRef:
        return PageRef(self.page_id, self.source, self.replayed_at_ms, self.origin)


@dataclass(frozen=True)
class Article:
    """A main article or a teaser; a teaser is a short article (its summary is its lede)."""

    kind: Kind
    title: str
    lede: str = ""
    body: str = ""
    caption: str = ""
    alt_titles: tuple[str, ...] = ()
    dateline_place: str | None = None
    dateline_date: str | None = None


@dataclass(frozen=True)
class ParsedPage:
    article: Article
    teasers: tuple[Article, ...] = ()


@dataclass(frozen=True)
class Evidence:
    """Why a label was given: the matched text and the part of the article it was found in."""

    label: str
    field: str  # title | lede | caption | body
    text: str


@dataclass(frozen=True)
class Score:
    """How strongly a label is supported; `iptc` is the theme's IPTC Media Topic code."""

    label: str
    score: float
    iptc: str | None = None


@dataclass(frozen=True)
class Entity:
    """A person, organisation or place named in the article.

    `normalised` folds case, accents and Vietnamese diacritics (`Tô Lâm` and `To Lam` are both
    `to lam`), so that consumers can group mentions of one person.
    """

    type: str  # person | organisation | place
    text: str
    normalised: str
    field: str  # where it was first seen: title | lede | caption | body
    mentions: int = 1


@dataclass(frozen=True)
class Classification:
    partner_countries: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    scores: tuple[Score, ...] = ()
    entities: tuple[Entity, ...] = ()


@dataclass(frozen=True)
class Story:
    """Where an article stands among its near-duplicates (see newswire/stages/dedup/stories.py)."""

    story_id: str
    canonical: bool
    first_seen_ms: int


@dataclass(frozen=True)
class Item:
    """An article in the context of the page that carried it: what dedup and classify work on."""

    article_id: str
    page: PageRef
    article: Article
    classification: Classification = field(default_factory=Classification)
    story: Story | None = None


@dataclass(frozen=True)
class DeadLetter:
    """Input the pipeline could not handle, kept whole so that nothing is lost."""

    reason: str
    detail: str
    message: Message


@dataclass(frozen=True)
class Record:
    """An encoded Kafka record on its way to a topic, with the source offset it derives from."""

    key: bytes | None
    value: bytes
    origin: str
