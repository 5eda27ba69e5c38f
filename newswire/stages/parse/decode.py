"""Turn a raw Kafka value into page text, or reject it with a reason for the dead-letter topic."""

from __future__ import annotations

import json
import re
import unicodedata

from newswire.core.errors import Rejected
from newswire.core.ids import page_id
from newswire.core.model import Message, Page

_ALLOWED_CONTROLS = frozenset("\n\r\t\f\v")
# The Unicode control characters (category Cc: C0 and C1) a page may not hold, as one regex:
# counting them character by character in Python was a tenth of the pipeline's time.
_CONTROLS = re.compile(
    "["
    + "".join(
        re.escape(chr(c))
        for c in range(0x100)
        if unicodedata.category(chr(c)) == "Cc" and chr(c) not in _ALLOWED_CONTROLS
    )
    + "]"
)


def decode_page(value: bytes | None, max_bytes: int) -> str:
    """Decode a page as NFC text; anything that is not a plain-text page raises `Rejected`."""
    if value is None or not value.strip():
        raise Rejected("empty", "the record has no value or only white space")
    if len(value) > max_bytes:
        raise Rejected("too_large", f"{len(value)} bytes, over the limit of {max_bytes}")
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Rejected("not_utf8", f"invalid UTF-8 at byte {exc.start}: {exc.reason}") from None
    text = unicodedata.normalize("NFC", text.lstrip("\ufeff"))
    controls = len(_CONTROLS.findall(text))
    if controls:
        raise Rejected("binary", f"{controls} control characters; a page is plain text")
    stripped = text.lstrip()
    if stripped.startswith("<") and "</" in stripped:
        raise Rejected("markup", "the value is HTML or XML, not a scraped text page")
    if stripped[:1] in "{[":
        try:
            json.loads(stripped)
        except ValueError:
            pass
        else:
            raise Rejected("json", "the value is a JSON document, not a scraped text page")
    return text


SOURCE_HEADER = "source"
REPLAYED_AT_HEADER = "replayed_at_ms"


def read_page(message: Message, max_bytes: int) -> Page:
    """A Kafka message as a Page; the id comes from the text, never from the (untrusted) key."""
    text = decode_page(message.value, max_bytes)
    source = message.header(SOURCE_HEADER)
    replayed_at = message.header(REPLAYED_AT_HEADER)
    return Page(
        page_id=page_id(text),
        source=source.decode("utf-8", "replace") if source else "",
        text=text,
        replayed_at_ms=_int_or(replayed_at, message.timestamp_ms),
        origin=message.origin,
    )


def _int_or(raw: bytes | None, default: int) -> int:
    try:
        return int(raw) if raw else default
    except ValueError:
        return default
