from __future__ import annotations

import pytest

from newswire.core.errors import Rejected
from newswire.core.model import Message
from newswire.stages.parse.decode import decode_page, read_page


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "empty"),
        (b"", "empty"),
        (b" \n\t ", "empty"),
        (b"x" * 101, "too_large"),
        (b"Titre \xff\xfe", "not_utf8"),
        (b"Titre\x00\x01\x02", "binary"),
        (b"<html><body><p>Titre</p></body></html>", "markup"),
        (b'{"title": "Titre"}', "json"),
    ],
)
def test_bad_values_are_rejected_with_a_reason(value: bytes | None, reason: str) -> None:
    with pytest.raises(Rejected) as info:
        decode_page(value, max_bytes=100)
    assert info.value.reason == reason
    assert info.value.detail


def test_text_is_nfc_and_bom_is_dropped() -> None:
    decomposed = "\ufeffHano\u0069\u0308".encode()
    assert decode_page(decomposed, 100) == "Hanoï"


def test_read_page_takes_source_and_replay_time_from_headers_and_id_from_text() -> None:
    message = Message(
        "raw",
        2,
        7,
        b"untrusted",
        b"Titre\n\nLede.",
        1000,
        (("source", b"a.txt"), ("replayed_at_ms", b"2000")),
    )
    page = read_page(message, 100)
    same_text_other_key = read_page(Message("raw", 0, 1, None, message.value, 5, ()), 100)
    assert (page.source, page.replayed_at_ms, page.origin) == ("a.txt", 2000, "raw/2@7")
    assert page.page_id == same_text_other_key.page_id
    assert same_text_other_key.replayed_at_ms == 5  # falls back to the record timestamp
