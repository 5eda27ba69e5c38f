from __future__ import annotations

from newswire.core.ids import article_id, page_id
from newswire.core.model import Article, Kind
from newswire.core.text import normalise
from newswire.stages.parse.page import parse_page
from tests.conftest import seed_files


def test_normalise_folds_case_accents_space_and_form() -> None:
    assert normalise("  Tô  Lâm\n") == "to lam"
    assert normalise("Hanoï") == normalise("Hanoi") == normalise("HANOI")
    assert normalise("Nguyễn Đức") == "nguyen duc"
    assert normalise("l’ASEAN") == normalise("l'ASEAN")
    assert normalise("Hano\u0069\u0308") == normalise("Hano\u00ef")


def test_teaser_id_ignores_accents_case_and_spacing_but_not_wording() -> None:
    a = Article(Kind.TEASER, "Tô Lâm reçoit", "Le  résumé.")
    b = Article(Kind.TEASER, "TO LAM RECOIT", "Le résumé.")
    c = Article(Kind.TEASER, "To Lam recoit", "Un autre résumé.")
    assert article_id(a) == article_id(b) != article_id(c)
    assert article_id(a).startswith("t-")
    assert article_id(Article(Kind.ARTICLE, a.title, a.lede)).startswith("a-")


def test_ids_are_distinct_across_the_seeds() -> None:
    items = [
        a
        for f in seed_files()
        for p in [parse_page(f.read_text("utf-8"))]
        for a in (p.article, *p.teasers)
    ]
    assert len({article_id(a) for a in items}) == len(items) == 32
    pages = {page_id(f.read_text("utf-8")) for f in seed_files()}
    assert len(pages) == 5
