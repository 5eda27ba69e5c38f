from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

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


def _plain_normalise(text: str) -> str:
    """The definition, character by character: what the fast one must equal (ids are keys of
    the compacted sink topic, so a difference would re-key records)."""
    import re
    import unicodedata

    fold = str.maketrans({"đ": "d", "Đ": "d", "’": "'", "‘": "'", "ʼ": "'", "œ": "oe", "æ": "ae"})
    text = unicodedata.normalize("NFC", text).casefold().translate(fold)
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text).strip()


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_normalise_equals_its_plain_definition(text: str) -> None:
    assert normalise(text) == _plain_normalise(text)


def test_normalise_equals_its_plain_definition_on_every_code_point() -> None:
    """Every character, in runs of 500 beside ASCII capitals. The fast definition replaces the
    distinct characters of a text one after another: an order that folded the "æ" coming from
    "ǣ" a second time gave "ae" where the plain definition keeps "æ"."""
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    for start in range(0, len(chars), 500):
        text = " A".join(chars[start : start + 500])
        assert normalise(text) == _plain_normalise(text), f"from U+{ord(chars[start]):04X}"
    for text in ("æ ǣ", "ǣ æ Æ Ǣ", "Ǽ œ Œ ß ẞ İ ΑΣ ς Ꭰ ꭰ"):
        assert normalise(text) == _plain_normalise(text)


def test_normalise_equals_its_plain_definition_on_real_pages() -> None:
    for path in seed_files():
        text = path.read_text("utf-8")
        assert normalise(text) == _plain_normalise(text)
