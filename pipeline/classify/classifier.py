"""Partner countries and themes of one article, with the evidence for each label.

Scoring is positional: a mention in the title counts most, then the lede; the dateline place is
not scored, so a story filed from Moscow about Laos is about Laos. The home country is never a
partner. Each teaser is classified on its own text only.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from pipeline.classify.matcher import Match, PhraseMatcher, read_table
from pipeline.model import Article, Classification, Evidence, Item

_DATA = Path(str(resources.files("pipeline.classify") / "data"))


@dataclass(frozen=True)
class ClassifierSettings:
    home_country: str = "VN"
    field_weights: dict[str, float] = field(
        default_factory=lambda: {"title": 3.0, "lede": 2.0, "caption": 1.0, "body": 1.0}
    )
    # A partner must be named in the title or lede and reach this share of the top score.
    partner_share: float = 0.5
    # With no partner in title or lede, a body-only country needs this many mentions.
    body_only_mentions: int = 2
    theme_threshold: float = 2.0


class Classifier:
    def __init__(
        self,
        countries: PhraseMatcher,
        themes: PhraseMatcher,
        settings: ClassifierSettings | None = None,
    ) -> None:
        self._countries = countries
        self._themes = themes
        self.settings = settings or ClassifierSettings()

    @classmethod
    def from_data(
        cls, data_dir: Path = _DATA, settings: ClassifierSettings | None = None
    ) -> Classifier:
        countries = PhraseMatcher(
            (code, 1.0, alias) for code, alias, *_ in read_table(data_dir / "countries.tsv")
        )
        themes = PhraseMatcher(
            (theme, float(weight), term)
            for theme, weight, term, *_ in read_table(data_dir / "themes.tsv")
        )
        return cls(countries, themes, settings)

    def classify_item(self, item: Item) -> Item:
        return dataclasses.replace(item, classification=self.classify(item.article))

    def classify(self, article: Article) -> Classification:
        fields = _fields(article)
        country_hits = _hits(self._countries, fields)
        theme_hits = _hits(self._themes, fields)
        partners = self._partners(country_hits)
        themes = self._themes_over_threshold(theme_hits)
        evidence = [
            Evidence(m.label, name, m.text)
            for label_set, hits in ((partners, country_hits), (themes, theme_hits))
            for name, m in hits
            if m.label in label_set
        ]
        return Classification(
            partner_countries=tuple(partners),
            themes=tuple(themes),
            evidence=tuple(dict.fromkeys(evidence)),
        )

    def _partners(self, hits: list[tuple[str, Match]]) -> list[str]:
        weights = self.settings.field_weights
        score: dict[str, float] = defaultdict(float)
        prominent: set[str] = set()
        mentions: dict[str, int] = defaultdict(int)
        for name, match in hits:
            if match.label == self.settings.home_country:
                continue
            score[match.label] += weights[name]
            mentions[match.label] += 1
            if name in ("title", "lede"):
                prominent.add(match.label)
        if not score:
            return []
        if prominent:
            top = max(score[c] for c in prominent)
            chosen = [c for c in prominent if score[c] >= self.settings.partner_share * top]
        else:
            top = max(score.values())
            chosen = [
                c
                for c, s in score.items()
                if s == top and mentions[c] >= self.settings.body_only_mentions
            ]
        return sorted(chosen, key=lambda c: (-score[c], c))

    def _themes_over_threshold(self, hits: list[tuple[str, Match]]) -> list[str]:
        weights = self.settings.field_weights
        score: dict[str, float] = defaultdict(float)
        for name, match in hits:
            score[match.label] += match.weight * weights[name]
        kept = [t for t, s in score.items() if s >= self.settings.theme_threshold]
        return sorted(kept, key=lambda t: (-score[t], t))


def _fields(article: Article) -> list[tuple[str, str]]:
    return [
        ("title", article.title),
        ("lede", article.lede),
        ("caption", article.caption),
        ("body", article.body),
    ]


def _hits(matcher: PhraseMatcher, fields: Iterable[tuple[str, str]]) -> list[tuple[str, Match]]:
    return [(name, match) for name, text in fields if text for match in matcher.find(text)]
