"""The classifier with spaCy's French pipeline: lemmas, entities and the measured targets.

The model loads once for the module (about 20 s the first time in a process).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from newswire.core.model import Article, Kind
from newswire.core.text import words
from newswire.devtools import evaluate
from newswire.stages.classify.classifier import Classifier
from newswire.stages.parse.page import parse_page
from tests.conftest import DATA, SEEDS

MODEL = "fr_core_news_sm"
HELDOUT = DATA / "heldout"


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.from_data(nlp_model=MODEL)


def _evaluate(classifier: Classifier, labels: Path, pages: Path) -> dict[str, evaluate.Report]:
    items = evaluate.read_labels(labels)
    parsed = {f: parse_page((pages / f).read_text("utf-8")) for f in {i.file for i in items}}
    results = classifier.classify_many([evaluate.find_article(i, parsed[i.file]) for i in items])
    return {
        task: evaluate.score(
            (i.gold(task), getattr(r, task)) for i, r in zip(items, results, strict=True)
        )
        for task in evaluate.TASKS
    }


def test_lemmas_let_a_vocabulary_term_match_its_inflections(classifier: Classifier) -> None:
    analysis = classifier._analyzer.analyse(["Les polices renforcent leurs saisies"])[0]
    lemmas = {t.form: t.lemma for t in analysis.tokens}
    assert lemmas["renforcent"] == "renforcer" and lemmas["saisies"] == "saisie"


def test_entities_are_normalised_so_spellings_group(classifier: Classifier) -> None:
    article = Article(Kind.TEASER, "Le secrétaire général Tô Lâm reçoit Vilay Lakhamphong", "")
    found = {(e.type, e.text, e.normalised) for e in classifier.classify(article).entities}
    assert ("person", "Tô Lâm", "to lam") in found
    # The same folding as the model-free path: one key for every spelling of a name.
    assert {" ".join(words(s)) for s in ("Tô Lâm", "To Lam", "TÔ  LÂM")} == {"to lam"}
    assert " ".join(words("Nguyên Văn Đức")) == "nguyen van duc"


def test_seed_entities_carry_text_normalised_form_and_field(classifier: Classifier) -> None:
    article = parse_page((SEEDS / "003_89217d9390309922.txt").read_text("utf-8")).article
    entities = classifier.classify(article).entities
    by_norm = {e.normalised: e for e in entities}
    assert by_norm["interpol"].type == "organisation"
    assert by_norm["jurgen stock"].type == "person"
    assert all(e.field in ("title", "lede", "caption", "body") for e in entities)


def test_labelled_seed_set_countries_are_all_right(classifier: Classifier) -> None:
    reports = _evaluate(classifier, DATA / "labels.tsv", SEEDS)
    assert reports["partner_countries"].items == 32
    assert reports["partner_countries"].micro.f1 == 1.0
    assert reports["themes"].micro.f1 >= 0.85


def test_held_out_pages_meet_the_targets(classifier: Classifier) -> None:
    reports = _evaluate(classifier, HELDOUT / "labels.tsv", HELDOUT)
    assert reports["partner_countries"].micro.f1 >= 0.92
    assert reports["themes"].micro.f1 >= 0.85
