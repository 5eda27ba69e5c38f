"""ClassifyFn with a pool hands batches over and emits what is done while its bundle goes on,
in order, with each item's timestamp and window; the bundle's end emits the rest."""

from __future__ import annotations

from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import Timestamp

from newswire.core.model import Message
from newswire.stages.classify.classifier import Classifier
from newswire.stages.classify.transforms import ClassifyFn
from newswire.stages.parse.decode import read_page
from newswire.stages.parse.split import split_page
from tests.conftest import seed_files


def _items() -> list:
    messages = [
        Message("raw", 0, n, None, path.read_bytes(), 0, ()) for n, path in enumerate(seed_files())
    ]
    return [item for m in messages for item in split_page(read_page(m, max_bytes=1 << 20))]


def test_a_pool_emits_finished_batches_during_the_bundle_and_the_rest_at_its_end() -> None:
    items = _items()
    assert len(items) > 5 * 4
    fn = ClassifyFn("none", batch_size=4, processes=2)
    fn.setup()
    try:
        fn.start_bundle()
        during = [
            out
            for n, item in enumerate(items)
            for out in fn.process(item, Timestamp(n), GlobalWindow())
        ]
        after = list(fn.finish_bundle())
    finally:
        fn.teardown()
    # At most twice as many batches as processes stay in the pool's hands: the rest came out.
    assert len(during) >= len(items) - 2 * 2 * 4
    assert after, "the bundle's end emitted nothing: batches were not handed over"
    emitted = during + after
    assert [out.value.article_id for out in emitted] == [i.article_id for i in items]
    assert [out.timestamp for out in emitted] == [Timestamp(n) for n in range(len(items))]
    assert all(out.windows == [GlobalWindow()] for out in emitted)
    expected = Classifier.from_data(nlp_model="none").classify_items(items)
    assert [out.value for out in emitted] == expected
