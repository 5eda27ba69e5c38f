"""Partner countries, themes and entities of one article, with the evidence for each label.

Scoring is positional: a mention in the title counts most, then the lede; the dateline place is
not scored, so a story filed from Moscow about Laos is about Laos. The home country is never a
partner. Words inside a matched country or organisation name (`Office des Nations unies contre
la drogue et le crime`) are a name, not a theme. Each teaser is classified on its own text only.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from newswire.core.model import Article, Classification, Entity, Evidence, Item, Score
from newswire.core.tasks import Work
from newswire.core.text import words
from newswire.stages.classify import gazetteer
from newswire.stages.classify.matcher import Match, PhraseMatcher, read_table
from newswire.stages.classify.nlp import Analysis, Analyzer, Token, make_analyzer

_DATA = Path(str(resources.files("newswire.stages.classify") / "data"))
_ENTITY_TYPES = {"PER": "person", "ORG": "organisation", "LOC": "place"}
_ENTITY_TRIM = " -–—,.;:()«»\"'’"

Hits = list[tuple[str, Match]]  # (field, match)


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
    # In a short article (a teaser: title and summary, no body) a theme must also reach this
    # share of the top theme: one passing word in a summary does not make a second theme.
    short_theme_share: float = 0.35
    # Theme terms with at most this many words between them are one list (topic_lists.tsv).
    list_gap: int = 5


def with_classification(item: Item, result: Classification) -> Item:
    return dataclasses.replace(item, classification=result)


def with_classifications(items: Sequence[Item], results: Sequence[Classification]) -> list[Item]:
    """The items, each with its result (in the same order)."""
    return [with_classification(i, r) for i, r in zip(items, results, strict=True)]


@dataclass(frozen=True)
class ClassifyTask:
    """Classification as a task (newswire/core/tasks.py): articles -> their classifications,
    with the classifier built once a process."""

    nlp_model: str

    def build(self) -> Work:
        return Classifier.from_data(nlp_model=self.nlp_model).classify_many


class Classifier:
    """An article's partner countries and themes, with the evidence for each.

    Args:
        countries: country aliases -> ISO codes (and organisation codes).
        themes: theme vocabulary, weighted.
        taxonomy: theme -> IPTC media topic code.
        analyzer: tokens, lemmas and entities (spaCy or plain).
        settings: thresholds and field weights.
        cues: (kind, words) that, just before a name, make it a party or a place, or are
            skipped (partner_cues.tsv).
        lists: (kind, theme): `security` and `sector` themes, which, named in one list, are a
            relationship's fields (topic_lists.tsv).
    """

    def __init__(
        self,
        countries: PhraseMatcher,
        themes: PhraseMatcher,
        taxonomy: Mapping[str, str],
        analyzer: Analyzer,
        settings: ClassifierSettings | None = None,
        cues: Iterable[tuple[str, str]] = (),
        lists: Iterable[tuple[str, str]] = (),
    ) -> None:
        self._countries = countries
        self._themes = themes
        self._taxonomy = dict(taxonomy)
        self._analyzer = analyzer
        self.settings = settings or ClassifierSettings()
        cues = list(cues)
        self._party = tuple(tuple(words(w)) for kind, w in cues if kind == "party")
        self._place = frozenset(w for kind, w in cues if kind == "place")
        self._skip = frozenset(w for kind, w in cues if kind == "skip")
        self._glue = self._skip.union(*(words(w) for kind, w in cues if kind == "glue"))
        self._listed = {
            tuple(words(w)): kind for kind, w in cues if kind in ("participants", "members")
        }
        lists = list(lists)
        self._security = frozenset(theme for kind, theme in lists if kind == "security")
        self._sector = frozenset(theme for kind, theme in lists if kind == "sector")

    @property
    def nlp_model(self) -> str:
        return self._analyzer.name

    @classmethod
    def from_data(
        cls,
        *,
        nlp_model: str,
        data_dir: Path = _DATA,
        settings: ClassifierSettings | None = None,
    ) -> Classifier:
        """The classifier over the data files in `data_dir`.

        Args:
            nlp_model: a spaCy pipeline package (the job's `--nlp-model`), or `none` for the
                vocabulary alone; no default here, so the job's setting is the only one.
            data_dir: countries.tsv, themes.tsv and taxonomy.tsv.
            settings: thresholds and weights.
        """
        countries = PhraseMatcher(
            (code, 1.0, alias) for code, alias in gazetteer.aliases(data_dir / "countries.tsv")
        )
        themes = PhraseMatcher(
            (theme, float(weight), term)
            for theme, weight, term, *_ in read_table(data_dir / "themes.tsv")
        )
        taxonomy = {theme: iptc for theme, iptc, *_ in read_table(data_dir / "taxonomy.tsv")}
        cues = [(kind, cue) for kind, cue, *_ in read_table(data_dir / "partner_cues.tsv")]
        lists = [(kind, theme) for kind, theme, *_ in read_table(data_dir / "topic_lists.tsv")]
        analyzer = make_analyzer(nlp_model)
        return cls(countries, themes, taxonomy, analyzer, settings, cues, lists)

    def classify_item(self, item: Item) -> Item:
        return self.classify_items([item])[0]

    def classify_items(self, items: Sequence[Item]) -> list[Item]:
        """Classify a batch: the analyser sees every field of every item in one `pipe`."""
        return with_classifications(items, self.classify_many([i.article for i in items]))

    def classify(self, article: Article) -> Classification:
        return self.classify_many([article])[0]

    def classify_many(self, articles: Sequence[Article]) -> list[Classification]:
        per_article = [_fields(article) for article in articles]
        analyses = iter(self._analyzer.analyse([text for fs in per_article for _, text in fs]))
        return [
            self._classify([(name, next(analyses)) for name, _ in fields]) for fields in per_article
        ]

    def _classify(self, analysed: list[tuple[str, Analysis]]) -> Classification:
        country_hits: Hits = []
        theme_hits: Hits = []
        cued: set[str] = set()
        placed: set[tuple[str, int]] = set()  # (field, start) of names that are places
        for name, analysis in analysed:
            names = list(self._countries.find(analysis.tokens))
            country_hits += [(name, m) for m in names]
            cued.update(m.label for m in names if self._cued(analysis.tokens, m.start))
            cued.update(self._participants(analysis.tokens, names))
            placed.update((name, m.start) for m in names if self._placed(analysis.tokens, m.start))
            terms = [m for m in self._themes.find(analysis.tokens) if not _inside(m, names)]
            theme_hits += [(name, m) for m in self._outside_fields(terms)]
        partner_scores = self._partners(country_hits, cued, placed)
        short = all(name != "body" for name, _ in analysed)
        theme_scores = self._themes_over_threshold(theme_hits, short)
        evidence = [
            Evidence(m.label, name, m.text)
            for scores, hits in ((partner_scores, country_hits), (theme_scores, theme_hits))
            for name, m in hits
            if m.label in scores
        ]
        scores = [Score(c, s) for c, s in partner_scores.items()]
        scores += [Score(t, s, self._taxonomy.get(t)) for t, s in theme_scores.items()]
        return Classification(
            partner_countries=tuple(partner_scores),
            themes=tuple(theme_scores),
            evidence=tuple(dict.fromkeys(evidence)),
            scores=tuple(scores),
            entities=_entities(analysed),
        )

    def _cued(self, tokens: Sequence[Token], start: int) -> bool:
        """Is the name at `start` preceded by a partner cue (determiners skipped)?"""
        before = [t.form for t in tokens[max(0, start - 6) : start]]
        while before and before[-1] in self._skip:
            before.pop()
        return any(
            len(cue) <= len(before) and tuple(before[-len(cue) :]) == cue for cue in self._party
        )

    def _participants(self, tokens: Sequence[Token], names: Sequence[Match]) -> set[str]:
        """The members of lists of parties: three names or more joined by `glue` words
        ("l'Australie, la Chine et le Japon"), that name the home country among them, follow
        a `participants` cue ("huit pays partenaires (...)") or a party cue ("des représentants
        de l'Indonésie, du Cambodge, ..."), unless a `members` cue is nearer ("les pays membres
        de l'ASEAN (...)": the organisation is the party). After a party cue two names are a
        list too ("par l'intermédiaire de l'ASEAN et d'Interpol")."""
        found: set[str] = set()
        for run in self._lists(tokens, names):
            labels = {m.label for m in run}
            cued = self._cued(tokens, run[0].start)
            if len(labels) < (2 if cued else 3):
                continue
            cue = self._nearest_list_cue(tokens, run[0].start)
            party = self.settings.home_country in labels or cued
            if cue == "participants" or (cue is None and party):
                found |= labels
        return found

    def _lists(self, tokens: Sequence[Token], names: Sequence[Match]) -> Iterator[list[Match]]:
        def joined(before: Match, after: Match) -> bool:
            gap = [t.form for t in tokens[before.end : after.start]]
            return len(gap) <= 4 and all(w in self._glue for w in gap)

        return _runs(names, joined)

    def _nearest_list_cue(
        self, tokens: Sequence[Token], start: int, window: int = 10
    ) -> str | None:
        before = [t.form for t in tokens[max(0, start - window) : start]]
        for end in range(len(before), 0, -1):
            for cue, kind in self._listed.items():
                if len(cue) <= end and tuple(before[end - len(cue) : end]) == cue:
                    return kind
        return None

    def _placed(self, tokens: Sequence[Token], start: int) -> bool:
        """Is the name at `start` a place ("au Cambodge")?"""
        return start > 0 and tokens[start - 1].form in self._place

    def _partners(
        self, hits: Hits, cued: set[str], placed: set[tuple[str, int]]
    ) -> dict[str, float]:
        weights = self.settings.field_weights
        score: dict[str, float] = defaultdict(float)
        prominent: set[str] = set()
        mentions: dict[str, int] = defaultdict(int)
        for name, match in hits:
            if match.label == self.settings.home_country:
                continue
            score[match.label] += weights[name]
            mentions[match.label] += 1
            if name in ("title", "lede") and (name, match.start) not in placed:
                prominent.add(match.label)
        if not score:
            return {}
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
        # A name after a partner cue ("via Interpol", "avec l'appui du Japon") is a party.
        chosen += [c for c in sorted(cued) if c in score and c not in chosen]
        return {c: score[c] for c in sorted(chosen, key=lambda c: (-score[c], c))}

    def _outside_fields(self, terms: Sequence[Match]) -> Iterator[Match]:
        """The theme terms that are not in a list of a relationship's fields (topic_lists.tsv):
        such a list says what two parties cooperate on, not what the article reports."""
        gap = self.settings.list_gap
        for run in _runs(terms, lambda before, after: after.start - before.end <= gap):
            labels = {m.label for m in run}
            if not (labels & self._security and len(labels & self._sector) >= 2):
                yield from run

    def _themes_over_threshold(self, hits: Hits, short: bool) -> dict[str, float]:
        weights = self.settings.field_weights
        score: dict[str, float] = defaultdict(float)
        for name, match in hits:
            score[match.label] += match.weight * weights[name]
        if not score:
            return {}
        bar = self.settings.theme_threshold
        if short:
            bar = max(bar, self.settings.short_theme_share * max(score.values()))
        kept = [t for t, s in score.items() if s >= bar]
        return {t: score[t] for t in sorted(kept, key=lambda t: (-score[t], t))}


def _fields(article: Article) -> list[tuple[str, str]]:
    fields = [
        ("title", article.title),
        ("lede", article.lede),
        ("caption", article.caption),
        ("body", article.body),
    ]
    return [(name, text) for name, text in fields if text]


def _runs(
    matches: Sequence[Match], joined: Callable[[Match, Match], bool]
) -> Iterator[list[Match]]:
    """Matches in text order, grouped where `joined(previous, next)` holds between neighbours:
    the names of a list of parties, the terms of a list of topics."""
    run: list[Match] = []
    for match in sorted(matches, key=lambda m: m.start):
        if run and not joined(run[-1], match):
            yield run
            run = []
        run.append(match)
    if run:
        yield run


def _inside(match: Match, spans: Iterable[Match]) -> bool:
    return any(span.start <= match.start and match.end <= span.end for span in spans)


def _entities(analysed: list[tuple[str, Analysis]]) -> tuple[Entity, ...]:
    found: dict[tuple[str, str], Entity] = {}
    for name, analysis in analysed:
        for entity in _clean_entities(name, analysis.entities):
            key = (entity.type, entity.normalised)
            seen = found.get(key)
            found[key] = dataclasses.replace(seen, mentions=seen.mentions + 1) if seen else entity
    return tuple(found.values())


def _clean_entities(name: str, entities: Iterable[tuple[str, str]]) -> Iterator[Entity]:
    """Drop what the small model gets wrong most: spans across lines, lower-case fragments
    (`ministre de la`), punctuation."""
    for label, raw in entities:
        kind = _ENTITY_TYPES.get(label)
        if kind is None or "\n" in raw:
            continue
        text = " ".join(raw.split()).strip(_ENTITY_TRIM)
        normalised = " ".join(words(text))
        if len(normalised) < 2 or not any(w[:1].isupper() for w in text.split()):
            continue
        yield Entity(kind, text, normalised, name)
