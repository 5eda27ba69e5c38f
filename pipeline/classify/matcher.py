"""Longest-match phrase matching over normalised word tokens.

Phrases come from data files; a token ending in `*` matches any token with that prefix, so
that `laotien*` covers `laotienne` and `laotiens`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.dedup.keys import normalise

_TOKEN = re.compile(r"[^\W_]+")
_PHRASE_TOKEN = re.compile(r"[^\W_]+\*?")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(normalise(text))


@dataclass(frozen=True)
class Match:
    label: str
    weight: float
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class _Phrase:
    label: str
    weight: float
    parts: tuple[str, ...]

    def matches_at(self, words: list[str], i: int) -> bool:
        if i + len(self.parts) > len(words):
            return False
        for part, word in zip(self.parts, words[i : i + len(self.parts)], strict=True):
            if part.endswith("*"):
                if not word.startswith(part[:-1]):
                    return False
            elif part != word:
                return False
        return True


class PhraseMatcher:
    """Finds non-overlapping phrases, longest first, indexed by their first letter."""

    def __init__(self, phrases: Iterable[tuple[str, float, str]]) -> None:
        self._index: dict[str, list[_Phrase]] = {}
        for label, weight, text in phrases:
            parts = tuple(_PHRASE_TOKEN.findall(normalise(text)))
            if not parts:
                continue
            phrase = _Phrase(label, weight, parts)
            self._index.setdefault(parts[0][0], []).append(phrase)
        for bucket in self._index.values():
            bucket.sort(key=lambda p: (-len(p.parts), -len(p.parts[0])))

    def find(self, text: str) -> Iterator[Match]:
        words = tokens(text)
        i = 0
        while i < len(words):
            for phrase in self._index.get(words[i][0], ()):
                if phrase.matches_at(words, i):
                    end = i + len(phrase.parts)
                    yield Match(phrase.label, phrase.weight, i, end, " ".join(words[i:end]))
                    i = end
                    break
            else:
                i += 1


def read_table(path: Path) -> Iterator[list[str]]:
    """Rows of a tab-separated data file, skipping blank lines and `#` comments."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if line.strip() and not line.startswith("#"):
                yield line.split("\t")
