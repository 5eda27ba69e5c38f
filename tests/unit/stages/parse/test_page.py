from __future__ import annotations

import pytest

from newswire.core.errors import Rejected
from newswire.core.model import Kind
from newswire.stages.parse.page import parse_page
from tests.conftest import SEEDS

EXPECTED = {
    # file: (title starts, dateline place, dateline date, teasers, alt titles)
    "000_f63c9966fde575a3.txt": ("Vietnam et R. de Corée", "Hanoi", "25 mai", 5, 0),
    "001_71031d16c6ae1aff.txt": ("Vietnam et Chine coopèrent", "Hanoi", None, 6, 0),
    "002_8ddefcfad6a777dd.txt": ("Les ministères vietnamien et lao", "Hanoï", None, 7, 0),
    "003_89217d9390309922.txt": (
        "Le Vietnam renforce sa coopération avec Interpol",
        "Hanoï",
        None,
        4,
        0,
    ),
    "004_679247a4154d51ed.txt": ("Vietnam et Russie coopèrent", "Moscou", "6 septembre", 5, 1),
}


def _page(name: str):
    return parse_page((SEEDS / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_seed_layouts(name: str) -> None:
    title, place, date, teasers, alts = EXPECTED[name]
    page = _page(name)
    article = page.article
    assert article.kind is Kind.ARTICLE
    assert article.title.startswith(title)
    assert (article.dateline_place, article.dateline_date) == (place, date)
    assert len(page.teasers) == teasers
    assert len(article.alt_titles) == alts
    assert article.lede and article.lede != article.title
    assert "(VNA)" not in article.body
    assert "ảnh 1" not in article.caption and "ảnh 1" not in article.body
    assert "Photo" not in article.caption
    assert not article.body.rstrip().endswith("VNA")
    assert not article.body.rstrip().endswith("source")
    assert all(t.kind is Kind.TEASER and t.title and t.lede for t in page.teasers)


def test_body_starts_after_dateline_and_keeps_run_together_words() -> None:
    article = _page("002_8ddefcfad6a777dd.txt").article
    assert article.body.startswith("Le ministre vietnamien de laSécurité publique")
    assert "laotiend'intensifier" in article.body
    assert article.body.endswith("entre les deux ministères.")


def test_caption_is_split_from_the_fused_headline() -> None:
    article = _page("000_f63c9966fde575a3.txt").article
    assert article.caption == (
        "Le ministre de la Sécurité publique Tô Lâm (droite) et le commandant adjoint "
        "de la KNPA Min Gab Ryong."
    )
    assert _page("002_8ddefcfad6a777dd.txt").article.caption == ""  # only "Photo : VNA"


def test_second_headline_is_kept_as_alt_title() -> None:
    article = _page("004_679247a4154d51ed.txt").article
    assert article.title == "Vietnam et Russie coopèrent dans la sécurité"
    assert article.alt_titles == ("Vietnam et Russie renforcent la coopération dans la sécurité",)
    assert article.lede.startswith("Le ministère vietnamien de la Sécurité publique")


def test_teaser_fields() -> None:
    first = _page("000_f63c9966fde575a3.txt").teasers[0]
    assert (
        first.title
        == "Le Vietnam et Singapour coopèrent sur la cybersécurité et la transformation numérique"
    )
    assert first.caption.startswith("Le ministre de la Sécurité publique, Luong Tam Quang")
    assert first.lede.startswith("Les deux ministres se sont engagés")


def test_page_without_voir_plus_has_no_teasers() -> None:
    text = (SEEDS / "003_89217d9390309922.txt").read_text(encoding="utf-8").split("Voir plus")[0]
    page = parse_page(text)
    assert page.teasers == ()
    assert page.article.title.startswith("Le Vietnam renforce")


def test_page_without_dateline_uses_lines_after_lede_as_body() -> None:
    page = parse_page(
        "Titre de la dépêche\n\nLe chapeau de l'article.\n\nPremier paragraphe.\n\nSecond. - VNA"
    )
    assert page.article.lede == "Le chapeau de l'article."
    assert page.article.body == "Premier paragraphe.\n\nSecond."
    assert page.article.dateline_place is None


@pytest.mark.parametrize(
    "text", ["Voir plus\n\nCaption. Photo : VNA\n\nTitre\n\nRésumé", "   \n\n"]
)
def test_page_with_no_headline_is_rejected(text: str) -> None:
    with pytest.raises(Rejected) as info:
        parse_page(text)
    assert info.value.reason == "no_headline"


def test_a_page_that_opens_on_its_dateline_gets_its_first_sentence_as_headline() -> None:
    page = parse_page(
        "Hanoi, 25 mai (VNA) - Le Vietnam et le Japon renforcent la coopération policière. "
        "Les deux ministères ont signé un accord.\n\nUn second paragraphe."
    )
    article = page.article
    assert article.title == "Le Vietnam et le Japon renforcent la coopération policière."
    assert (article.dateline_place, article.dateline_date) == ("Hanoi", "25 mai")
    assert article.body.startswith("Le Vietnam et le Japon") and "second paragraphe" in article.body


def test_an_excerpt_without_headline_is_cut_at_a_word() -> None:
    line = "Dans le cadre de la coopération " + "très étroite " * 30 + "fin."
    title = parse_page(line).article.title
    assert title.endswith("…") and len(title) <= 161 and " tr…" not in title
