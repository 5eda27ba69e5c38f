"""A generated corpus of wire pages with known truth, for near-duplicate evaluation and load.

Stories come from the seed pages (each article and teaser is one story) and from distinct
synthetic stories built from the seeds' own sentences, so that they share the seeds'
vocabulary (all crime cooperation) without sharing a sentence: the hard case for a detector.
Pages carry these stories as their article or their teasers, edited the way a wire re-delivers:
accents stripped, case and spacing, a typo, a sentence dropped or reordered, a second headline,
teasers shuffled, an article carried as a teaser elsewhere and a teaser as an article.
"""

from __future__ import annotations

import dataclasses
import random
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from newswire.core.model import Article, Kind
from newswire.core.text import words
from newswire.stages.parse.page import parse_page

_SENTENCE = re.compile(r"(?<=[.!?…])\s+(?=[A-ZÀ-ÖØ-Ý«\"])")
_PARTNERS = (
    "le Japon",
    "la Thaïlande",
    "le Cambodge",
    "l'Australie",
    "l'Inde",
    "la France",
    "l'Allemagne",
    "les États-Unis",
    "le Canada",
    "la Malaisie",
    "l'Indonésie",
    "Singapour",
    "les Philippines",
    "la Mongolie",
    "la Hongrie",
    "le Brésil",
    "l'Égypte",
    "la Turquie",
)
_SUBJECTS = (
    "la lutte contre la criminalité",
    "la prévention du trafic de drogue",
    "la cybersécurité",
    "la gestion des frontières",
    "la lutte contre la traite des êtres humains",
    "la lutte contre le terrorisme",
    "l'échange d'informations",
    "la formation des policiers",
)


@dataclass(frozen=True)
class Story:
    label: str  # the truth: items with one label are one story
    article: Article


@dataclass(frozen=True)
class CorpusPage:
    name: str
    text: str
    truth: tuple[tuple[str, str], ...]  # (item title as rendered, story label), article first


def seed_stories(pages: dict[str, str]) -> list[Story]:
    stories = []
    for name, text in sorted(pages.items()):
        parsed = parse_page(text)
        stories.append(Story(f"{name}#article", parsed.article))
        stories += [Story(f"{name}#t{i}", t) for i, t in enumerate(parsed.teasers)]
    return stories


def synthetic_stories(pages: dict[str, str], count: int, rng: random.Random) -> list[Story]:
    """Distinct stories from sentences of the seeds' bodies, none shared between two stories.

    A body's first paragraph restates its lede, so sentences that share most of their words
    with any seed headline or lede are left out: they would be the seed story again.
    """
    seeds = seed_stories(pages)
    told = [set(words(f"{s.article.title} {s.article.lede}")) for s in seeds]

    def new_to_seeds(sentence: str) -> bool:
        w = set(words(sentence))
        return all(len(w & t) <= 0.4 * len(w) for t in told)

    pool = sorted(
        {
            s
            for story in seeds
            for p in story.article.body.split("\n\n")
            for s in _SENTENCE.split(p)
            if len(s.split()) >= 6 and new_to_seeds(s)
        }
    )
    rng.shuffle(pool)
    stories = []
    for i in range(min(count, len(pool))):
        partner = _PARTNERS[i % len(_PARTNERS)]
        subject = _SUBJECTS[(i // len(_PARTNERS)) % len(_SUBJECTS)]
        title = f"Le Vietnam et {partner} coopèrent dans {subject} ({i + 1})"
        lede = pool[i]
        stories.append(Story(f"synthetic#{i}", Article(Kind.ARTICLE, title, lede, body=lede)))
    return stories


# Edits a wire makes when it re-delivers a story. Each takes and returns an Article.
def strip_accents(a: Article, rng: random.Random) -> Article:
    def fold(s: str) -> str:
        folded = unicodedata.normalize("NFD", s.replace("đ", "d").replace("Đ", "D"))
        return unicodedata.normalize(
            "NFC", "".join(c for c in folded if not unicodedata.combining(c))
        )

    return _map_text(a, fold)


def case_and_space(a: Article, rng: random.Random) -> Article:
    return dataclasses.replace(
        a, title="  ".join(a.title.upper().split()), lede=" ".join(a.lede.split()) + " "
    )


def typo(a: Article, rng: random.Random) -> Article:
    tokens = a.lede.split() or a.title.split()
    long = [i for i, w in enumerate(tokens) if len(w) > 4]
    if not long:
        return a
    i = rng.choice(long)
    w = tokens[i]
    j = rng.randrange(1, len(w) - 2)
    tokens[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return dataclasses.replace(a, lede=" ".join(tokens)) if a.lede else a


def drop_or_reorder_sentence(a: Article, rng: random.Random) -> Article:
    sentences = _SENTENCE.split(a.lede)
    if len(sentences) < 2:
        return dataclasses.replace(a, lede=a.lede + " Les deux parties ont salué ces résultats.")
    if rng.random() < 0.5:
        sentences.pop(rng.randrange(len(sentences)))
    else:
        rng.shuffle(sentences)
    return dataclasses.replace(a, lede=" ".join(sentences))


def second_headline(a: Article, rng: random.Random) -> Article:
    other = f"{a.title.rstrip('.')} : les précisions"
    return dataclasses.replace(a, alt_titles=(*a.alt_titles, other))


EDITS: tuple[Callable[[Article, random.Random], Article], ...] = (
    strip_accents,
    case_and_space,
    typo,
    drop_or_reorder_sentence,
    second_headline,
)


def _map_text(a: Article, f: Callable[[str], str]) -> Article:
    return dataclasses.replace(
        a,
        title=f(a.title),
        lede=f(a.lede),
        body=f(a.body),
        caption=f(a.caption),
        alt_titles=tuple(f(t) for t in a.alt_titles),
    )


def edited(story: Story, rng: random.Random, rate: float) -> Article:
    article = story.article
    if rng.random() < rate:
        for edit in rng.sample(EDITS, rng.randint(1, 2)):
            article = edit(article, rng)
    return article


def render(article: Article, teasers: Sequence[Article]) -> str:
    """A page in the wire's layout (seeds/README.md), which parse_page reads back."""
    lede = article.lede or article.title + "."
    body = article.body or lede
    caption = article.caption or "Une séance de travail"
    lines = [
        article.title,
        *article.alt_titles,
        "",
        lede,
        f"{article.title} ảnh 1{caption}. Photo : VNA",
        "",
    ]
    lines.append(f"Hanoi, 12 mai (VNA) - {body.replace(chr(10) * 2, chr(10) * 2)}- VNA")
    lines += ["", "Voir plus", ""]
    for teaser in teasers:
        lines += [f"{teaser.caption or 'Une rencontre'}. Photo : VNA", "", teaser.title, ""]
        lines += [teaser.lede or teaser.title + ".", ""]
    return "\n".join(lines)


def generate(
    seed_pages: dict[str, str],
    pages: int,
    seed: int = 0,
    edit_rate: float = 0.7,
    synthetic: int = 60,
) -> Iterator[CorpusPage]:
    rng = random.Random(seed)
    stories = seed_stories(seed_pages) + synthetic_stories(seed_pages, synthetic, rng)
    width = len(str(pages))
    for n in range(pages):
        main, *teasers = rng.sample(stories, rng.randint(4, 7))
        article = dataclasses.replace(edited(main, rng, edit_rate), kind=Kind.ARTICLE)
        shown = [dataclasses.replace(edited(t, rng, edit_rate), kind=Kind.TEASER) for t in teasers]
        order = list(range(len(shown)))
        rng.shuffle(order)
        shown = [shown[i] for i in order]
        labels = [teasers[i].label for i in order]
        truth = (
            (article.title, main.label),
            *((t.title, lab) for t, lab in zip(shown, labels, strict=True)),
        )
        yield CorpusPage(f"corpus_{n:0{width}d}.txt", render(article, shown), tuple(truth))


def edit_page(text: str, rng: random.Random, edit_rate: float = 1.0) -> str:
    """The same page re-delivered: its stories edited, its teasers in another order."""
    parsed = parse_page(text)
    article = edited(Story("", parsed.article), rng, edit_rate)
    teasers = [edited(Story("", t), rng, edit_rate) for t in parsed.teasers]
    rng.shuffle(teasers)
    return render(article, teasers)


def write(out: Path, corpus: Iterator[CorpusPage]) -> int:
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    with (out / "truth.tsv").open("w", encoding="utf-8") as truth:
        truth.write("file\titem\ttitle\tstory\n")
        for page in corpus:
            (out / page.name).write_text(page.text, encoding="utf-8")
            for i, (title, label) in enumerate(page.truth):
                truth.write(f"{page.name}\t{i}\t{title}\t{label}\n")
            count += 1
    return count
