"""Split a scraped wire page into its main article and its "Voir plus" teasers.

The page layout (see seeds/README.md): headline (sometimes twice), lede, a photo caption fused
with the headline by the image alt text (`<headline> ảnh 1<caption>. Photo : VNA`), a dateline
(`Hanoi, 25 mai (VNA) -`), the body, a sign-off (`– VNA`, `source`), then "Voir plus" and
teasers of three lines each: caption, title, summary.
"""

from __future__ import annotations

import re

from newswire.core.errors import Rejected
from newswire.core.model import Article, Kind, ParsedPage

MAX_HEADLINE_CHARS = 400

_FUSION = re.compile(r"\s*ảnh\s*\d+\s*")
_DATELINE = re.compile(
    r"^(?P<place>[^\W\d_][\w'’ .-]{0,40}?)\s*"
    r"(?:,\s*(?P<date>\d{1,2}(?:er)?\s+[^\W\d_]+(?:\s+\d{4})?))?\s*"
    r"\(VNA\)\s*[-–—]\s*"
)
_PHOTO_CREDIT = re.compile(r"\s*[-–]?\s*Photo\s*[:;]\s*[^.]{0,80}$", re.IGNORECASE)
_SIGN_OFF = re.compile(r"\s*[-–—]\s*VNA\s*$")
_SIGN_OFF_LINE = re.compile(r"^(?:source|[-–—]?\s*VNA)$", re.IGNORECASE)
_SENTENCE_END = tuple('.!?…»"')
_FIRST_SENTENCE = re.compile(r".+?[.!?…](?=\s|$)")


def parse_page(text: str) -> ParsedPage:
    """Parse page text; raises `Rejected` when nothing before "Voir plus" can be a headline."""
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    split = next((i for i, line in enumerate(lines) if _is_voir_plus(line)), len(lines))
    article = _parse_article(lines[:split])
    return ParsedPage(article=article, teasers=tuple(_parse_teasers(lines[split + 1 :])))


def _is_voir_plus(line: str) -> bool:
    return line.casefold() == "voir plus"


def _strip_credit(caption: str) -> str:
    return _PHOTO_CREDIT.sub("", caption).strip()


def _is_caption(line: str) -> bool:
    # The regex tries every position of every line; most lines have no "photo" at all.
    return "photo" in line.lower() and _PHOTO_CREDIT.search(line) is not None


def _parse_article(lines: list[str]) -> Article:
    if not lines:
        raise Rejected("no_headline", "the page has no text before 'Voir plus'")
    title, after_title = lines[0], lines[1:]
    if len(title) > MAX_HEADLINE_CHARS or _DATELINE.match(title):
        # An excerpt as a news search returns it: no headline line, often a dateline first.
        # Its first sentence stands in for the headline, and every line is body.
        title, after_title = derived_title(title), lines

    caption = ""
    rest: list[str] = []
    for line in after_title:
        head, fused, tail = _split_fusion(line)
        if fused:
            caption = caption or _strip_credit(tail)
            if head and head != title and not rest:
                rest.append(head)  # a fused line that repeats a second headline
            continue
        rest.append(line)

    dateline_at = next((i for i, line in enumerate(rest) if _DATELINE.match(line)), None)
    head = rest if dateline_at is None else rest[:dateline_at]
    body = [] if dateline_at is None else rest[dateline_at:]

    alt_titles: list[str] = []
    while head and len(head[0]) <= MAX_HEADLINE_CHARS and not head[0].endswith(_SENTENCE_END):
        if head[0] != title and head[0] not in alt_titles:
            alt_titles.append(head[0])
        head = head[1:]
    lede = head[0] if head else ""
    if dateline_at is None:
        body = head[1:]

    place = date = None
    if body:
        match = _DATELINE.match(body[0])
        if match:
            place, date = match.group("place").strip(), match.group("date")
            body = [body[0][match.end() :], *body[1:]]
    return Article(
        kind=Kind.ARTICLE,
        title=title,
        lede=lede,
        body="\n\n".join(_strip_sign_off(body)),
        caption=caption,
        alt_titles=tuple(alt_titles),
        dateline_place=place,
        dateline_date=date,
    )


def derived_title(line: str, limit: int = 160) -> str:
    """A headline for a page that has none: the first sentence of its first line (after any
    dateline), cut at a word within `limit` characters."""
    match = _DATELINE.match(line)
    text = line[match.end() :] if match else line
    sentence = _FIRST_SENTENCE.match(text)
    title = (sentence.group(0) if sentence else text).strip()
    if len(title) > limit:
        title = title[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    if not title:
        raise Rejected("no_headline", f"no headline and no sentence to stand in: {line[:80]!r}")
    return title


def _split_fusion(line: str) -> tuple[str, bool, str]:
    match = _FUSION.search(line)
    if match is None:
        return line, False, ""
    return line[: match.start()].strip(), True, line[match.end() :].strip()


def _strip_sign_off(paragraphs: list[str]) -> list[str]:
    paragraphs = [p for p in paragraphs if p]
    while paragraphs and _SIGN_OFF_LINE.match(paragraphs[-1]):
        paragraphs.pop()
    if paragraphs:
        paragraphs[-1] = _SIGN_OFF.sub("", paragraphs[-1]).rstrip()
    return [p for p in paragraphs if p]


def _parse_teasers(lines: list[str]) -> list[Article]:
    """Group teaser lines as caption, title, summary; a teaser with no title is dropped."""
    groups: list[dict[str, str]] = []
    for line in lines:
        current = groups[-1] if groups else None
        if _is_caption(line) and (current is None or "title" in current):
            groups.append({"caption": _strip_credit(line)})
        elif current is None or "summary" in current:
            groups.append({"title": line})
        elif "title" not in current:
            current["title"] = line
        else:
            current["summary"] = line
    return [
        Article(
            kind=Kind.TEASER,
            title=g["title"],
            lede=g.get("summary", ""),
            caption=g.get("caption", ""),
        )
        for g in groups
        if "title" in g
    ]
