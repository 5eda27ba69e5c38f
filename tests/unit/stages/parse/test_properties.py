"""Property tests: any input either becomes items or is rejected with a reason; nothing else."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newswire.core.errors import Rejected
from newswire.core.model import Message
from newswire.stages.classify.classifier import Classifier
from newswire.stages.parse.decode import read_page
from newswire.stages.parse.split import split_page
from tests.conftest import seed_files

CLASSIFIER = Classifier.from_data(nlp_model="none")
SEED_LINES = [line for f in seed_files() for line in f.read_text("utf-8").splitlines()]
REASONS = {"empty", "too_large", "not_utf8", "binary", "markup", "json", "no_headline"}

page_like = st.lists(
    st.one_of(
        st.sampled_from(SEED_LINES),
        st.sampled_from(["Voir plus", "", " ảnh 1", "– VNA", "source"]),
        st.text(max_size=80),
    ),
    max_size=40,
).map("\n".join)


def _handle(value: bytes) -> None:
    message = Message("raw", 0, 0, None, value, 0, ())
    try:
        items = split_page(read_page(message, max_bytes=64 * 1024))
    except Rejected as exc:
        assert exc.reason in REASONS and exc.detail
        return
    assert items and items[0].article.title
    for item in items:
        labels = CLASSIFIER.classify(item.article)
        assert "VN" not in labels.partner_countries
        assert {e.label for e in labels.evidence} == set(labels.partner_countries) | set(
            labels.themes
        )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_arbitrary_bytes(value: bytes) -> None:
    _handle(value)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(page_like)
def test_page_like_text(text: str) -> None:
    _handle(text.encode("utf-8"))
