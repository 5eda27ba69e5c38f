from __future__ import annotations

import pytest

from pipeline.classify.classifier import Classifier
from pipeline.classify.matcher import PhraseMatcher
from pipeline.model import Article, Kind
from pipeline.parse.page import parse_page
from tests.conftest import SEEDS, main_labels

LABELS = main_labels()


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.from_data()


@pytest.mark.parametrize("name", sorted(LABELS))
def test_main_articles_match_the_labels_exactly(classifier: Classifier, name: str) -> None:
    article = parse_page((SEEDS / name).read_text(encoding="utf-8")).article
    result = classifier.classify(article)
    assert set(result.partner_countries) == LABELS[name]["partner_countries"]
    assert set(result.themes) == LABELS[name]["themes"]
    labels = set(result.partner_countries) | set(result.themes)
    assert {e.label for e in result.evidence} == labels  # every label has evidence


def test_home_country_is_never_a_partner(classifier: Classifier) -> None:
    article = Article(
        Kind.ARTICLE, "Le Vietnam renforce sa police", "Hanoi, le ministère vietnamien."
    )
    assert classifier.classify(article).partner_countries == ()


def test_passing_mention_does_not_outrank_the_partner(classifier: Classifier) -> None:
    article = Article(
        Kind.ARTICLE,
        "Vietnam et Laos renforcent leur coopération",
        "Les polices vietnamienne et laotienne coopèrent.",
        body="Une réunion a eu lieu, comme avec Interpol l'an dernier.",
    )
    assert classifier.classify(article).partner_countries == ("LA",)


def test_body_only_country_needs_repeated_mentions(classifier: Classifier) -> None:
    once = Article(
        Kind.ARTICLE, "Réunion sur la sécurité", "Un chapeau.", body="Une délégation du Japon."
    )
    twice = Article(
        Kind.ARTICLE,
        "Réunion sur la sécurité",
        "Un chapeau.",
        body="Une délégation du Japon. Le Japon a signé.",
    )
    assert classifier.classify(once).partner_countries == ()
    assert classifier.classify(twice).partner_countries == ("JP",)


def test_teasers_are_classified_on_their_own_text(classifier: Classifier) -> None:
    page = parse_page((SEEDS / "000_f63c9966fde575a3.txt").read_text(encoding="utf-8"))
    singapore = classifier.classify(page.teasers[0])
    assert singapore.partner_countries == ("SG",)
    assert "KR" not in singapore.partner_countries


def test_matcher_prefers_the_longest_phrase_and_prefixes() -> None:
    matcher = PhraseMatcher(
        [("KR", 1.0, "coreen*"), ("KP", 1.0, "nord coreen*"), ("LA", 1.0, "laotien*")]
    )
    found = [
        (m.label, m.text) for m in matcher.find("Les Nord-Coréennes et les Laotiens, un Coréen")
    ]
    assert found == [("KP", "nord coreennes"), ("LA", "laotiens"), ("KR", "coreen")]
