"""Longest-match phrase matching over analysed tokens, on the word or on its lemma.

Phrases come from data files. A phrase word matches a token whose form or lemma equals it, so
`saisir` in a vocabulary matches `saisies` once the lemmatiser has run; a word ending in `*`
matches any token with that prefix, which covers inflections when no lemmatiser runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from newswire.core.text import normalise
from newswire.stages.classify.nlp import Token

_PHRASE_WORD = re.compile(r"[^\W_]+\*?")


@dataclass(frozen=True)
class Match:
    label: str
    weight: float
    start: int
    end: int
    text: str


def _word_matches(part: str, token: Token) -> bool:
    if part.endswith("*"):
        prefix = part[:-1]
        return token.form.startswith(prefix) or token.lemma.startswith(prefix)
    return part in (token.form, token.lemma)


@dataclass(frozen=True)
class _Phrase:
    label: str
    weight: float
    parts: tuple[str, ...]

    def matches_at(self, tokens: Sequence[Token], i: int) -> bool:
        if i + len(self.parts) > len(tokens):
            return False
        return all(
            _word_matches(part, token)
            for part, token in zip(self.parts, tokens[i : i + len(self.parts)], strict=True)
        )


def _longest_first(phrase: _Phrase) -> tuple[int, int]:
    return (-len(phrase.parts), -len(phrase.parts[0]))


_PREFIX_KEY = 2  # a prefix phrase is found by the first letters of its first word


class PhraseMatcher:
    """Finds non-overlapping phrases, longest first.

    Phrases are indexed by their first word (or its first letters, for a prefix), so a token
    is compared only with the phrases that can start at it.

    Args:
        phrases: (label, weight, phrase); a phrase's words may end in `*` (a prefix).
    """

    def __init__(self, phrases: Iterable[tuple[str, float, str]]) -> None:
        self._exact: dict[str, list[_Phrase]] = {}
        self._prefix: dict[str, list[_Phrase]] = {}
        for label, weight, text in phrases:
            parts = tuple(_PHRASE_WORD.findall(normalise(text)))
            if not parts:
                continue
            phrase = _Phrase(label, weight, parts)
            first = parts[0]
            if first.endswith("*"):
                self._prefix.setdefault(first[:_PREFIX_KEY], []).append(phrase)
            else:
                self._exact.setdefault(first, []).append(phrase)

    def _candidates(self, token: Token) -> list[_Phrase]:
        found = [
            *self._exact.get(token.form, ()),
            *self._prefix.get(token.form[:_PREFIX_KEY], ()),
        ]
        if token.lemma != token.form:
            found += self._exact.get(token.lemma, ())
            found += self._prefix.get(token.lemma[:_PREFIX_KEY], ())
        if len(found) > 1:
            # Stable: among phrases of one length, the data file's order decides, never the
            # hash order of a set (which changes from one process to the next).
            found = sorted(dict.fromkeys(found), key=_longest_first)
        return found

    def find(self, tokens: Sequence[Token]) -> Iterator[Match]:
        i = 0
        while i < len(tokens):
            for phrase in self._candidates(tokens[i]):
                if phrase.matches_at(tokens, i):
                    end = i + len(phrase.parts)
                    text = " ".join(t.form for t in tokens[i:end])
                    yield Match(phrase.label, phrase.weight, i, end, text)
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
