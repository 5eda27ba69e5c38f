"""Precision, recall and F1 of the classifier against hand-written labels.

A label file is tab-separated: `file`, `title` (empty for the page's main article, else the
title of one of its teasers), `partner_countries` and `themes` (comma-separated).
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from newswire.core.model import Article, ParsedPage
from newswire.core.text import normalise

TASKS = ("partner_countries", "themes")


@dataclass(frozen=True)
class LabelledItem:
    file: str
    title: str  # empty: the main article
    partner_countries: frozenset[str]
    themes: frozenset[str]

    def gold(self, task: str) -> frozenset[str]:
        return getattr(self, task)


def read_labels(path: Path) -> list[LabelledItem]:
    with path.open(encoding="utf-8") as handle:
        lines = (line for line in handle if not line.startswith("#"))
        reader = csv.reader(lines, delimiter="\t")
        return [
            LabelledItem(file, title, _split(countries), _split(themes))
            for file, title, countries, themes, *_ in reader
        ]


def _split(cell: str) -> frozenset[str]:
    return frozenset(label.strip() for label in cell.split(",") if label.strip())


def find_article(item: LabelledItem, page: ParsedPage) -> Article:
    if not item.title:
        return page.article
    wanted = normalise(item.title)
    for teaser in page.teasers:
        if normalise(teaser.title) == wanted:
            return teaser
    raise LookupError(f"{item.file}: no teaser titled {item.title!r}")


@dataclass(frozen=True)
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)


@dataclass(frozen=True)
class Report:
    per_label: Mapping[str, Counts]
    items: int
    exact: int  # items whose predicted set equals the gold set

    @property
    def micro(self) -> Counts:
        return sum(self.per_label.values(), Counts())

    @property
    def macro_f1(self) -> float:
        if not self.per_label:
            return 1.0
        return sum(c.f1 for c in self.per_label.values()) / len(self.per_label)


def score(pairs: Iterable[tuple[frozenset[str], Sequence[str]]]) -> Report:
    """(gold, predicted) label sets, one pair per item."""
    counts: dict[str, Counts] = defaultdict(Counts)
    items = exact = 0
    for gold, predicted in pairs:
        predicted_set = frozenset(predicted)
        items += 1
        exact += gold == predicted_set
        for label in gold | predicted_set:
            counts[label] += Counts(
                tp=int(label in gold and label in predicted_set),
                fp=int(label in predicted_set and label not in gold),
                fn=int(label in gold and label not in predicted_set),
            )
    return Report(dict(sorted(counts.items())), items, exact)


def confusions(pairs: Iterable[tuple[frozenset[str], Sequence[str]]]) -> dict[str, Counter[str]]:
    """For each gold label missed, the labels given instead on the same items ("-" for none):
    what a label is confused with."""
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for gold, predicted in pairs:
        spurious = set(predicted) - gold
        for missed in gold - set(predicted):
            out[missed].update(spurious or {"-"})
    return dict(sorted(out.items()))


@dataclass(frozen=True)
class Miss:
    """One labelled item's errors on one task."""

    file: str
    title: str
    task: str
    missed: frozenset[str]
    spurious: frozenset[str]


def misses(items: Sequence[LabelledItem], predictions: Sequence[Mapping[str, Sequence[str]]]):
    for item, predicted in zip(items, predictions, strict=True):
        for task in TASKS:
            got, gold = frozenset(predicted[task]), item.gold(task)
            if got != gold:
                yield Miss(item.file, item.title, task, gold - got, got - gold)


def worst_pages(found: Iterable[Miss], n: int = 10) -> list[tuple[str, list[Miss]]]:
    """The `n` pages with the most wrong labels, each with its misses."""
    by_page: dict[str, list[Miss]] = defaultdict(list)
    for miss in found:
        by_page[miss.file].append(miss)

    def errors(misses_of_page: list[Miss]) -> int:
        return sum(len(m.missed) + len(m.spurious) for m in misses_of_page)

    ranked = sorted(by_page.items(), key=lambda kv: (-errors(kv[1]), kv[0]))
    return ranked[:n]


def format_confusions(task: str, table: Mapping[str, Counter[str]]) -> str:
    lines = [f"{task}: missed label -> given instead (count)"]
    for label, given in table.items():
        instead = ", ".join(f"{other} ({count})" for other, count in given.most_common(4))
        lines.append(f"  {label:<12} -> {instead}")
    return "\n".join(lines)


def format_worst(pages: list[tuple[str, list[Miss]]]) -> str:
    lines = [f"the {len(pages)} pages with the most wrong labels:"]
    for file, page_misses in pages:
        lines.append(f"  {file}")
        for m in page_misses:
            lines.append(
                f"    {m.title[:50] or '(main)'} {m.task}: missed {sorted(m.missed) or '-'},"
                f" spurious {sorted(m.spurious) or '-'}"
            )
    return "\n".join(lines)


def format_report(task: str, report: Report) -> str:
    lines = [f"{task}: {report.items} items, {report.exact} exactly right"]
    lines.append(
        f"  {'label':<12} {'prec':>6} {'recall':>6} {'f1':>6} {'tp':>4} {'fp':>4} {'fn':>4}"
    )
    rows = [*report.per_label.items(), ("micro", report.micro)]
    for label, c in rows:
        lines.append(
            f"  {label:<12} {c.precision:6.3f} {c.recall:6.3f} {c.f1:6.3f}"
            f" {c.tp:4} {c.fp:4} {c.fn:4}"
        )
    lines.append(f"  {'macro':<12} {'':>6} {'':>6} {report.macro_f1:6.3f}")
    return "\n".join(lines)
