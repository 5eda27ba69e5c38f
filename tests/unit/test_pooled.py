"""A pooled stage hands batches over and emits what is done while its bundle goes on, in
order, with each element's timestamp and window; the bundle's end emits the rest. A bad
element leaves as a dead letter, the others go on."""

from __future__ import annotations

import os
import time

import apache_beam as beam
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import Timestamp

from newswire.core.model import Message
from newswire.core.tasks import Each
from newswire.pooled import Pooled
from newswire.stages.classify.classifier import Classifier
from newswire.stages.classify.transforms import ClassifyItems
from newswire.stages.parse.decode import read_page
from newswire.stages.parse.split import split_page
from newswire.stages.parse.transforms import DEAD_LETTERS, DecodePages
from tests.conftest import seed_files


def _messages() -> list[Message]:
    return [
        Message("raw", 0, n, None, path.read_bytes(), 0, ()) for n, path in enumerate(seed_files())
    ]


def _run_bundle(fn: Pooled, elements: list) -> tuple[list, list]:
    """(what came out while the bundle went on, what its end emitted)."""
    fn.setup()
    try:
        fn.start_bundle()
        during = [
            out
            for n, element in enumerate(elements)
            for out in fn.process(element, Timestamp(n), GlobalWindow())
        ]
        return during, list(fn.finish_bundle())
    finally:
        fn.teardown()


def test_a_pool_emits_finished_batches_during_the_bundle_and_the_rest_at_its_end() -> None:
    items = 3 * [item for m in _messages() for item in split_page(read_page(m, max_bytes=1 << 20))]
    assert len(items) > 10 * 4
    during, after = _run_bundle(Pooled(ClassifyItems("none"), batch_size=4, processes=2), items)
    # At most four batches a process are held (in the pool's hands, or done here and waiting
    # behind them): the rest came out.
    assert len(during) >= len(items) - 4 * 2 * 4
    assert after, "the bundle's end emitted nothing: batches were not handed over"
    emitted = during + after
    assert [out.value.article_id for out in emitted] == [i.article_id for i in items]
    assert [out.timestamp for out in emitted] == [Timestamp(n) for n in range(len(items))]
    assert all(out.windows == [GlobalWindow()] for out in emitted)
    expected = Classifier.from_data(nlp_model="none").classify_items(items)
    assert [out.value for out in emitted] == expected


def test_a_bad_page_is_a_dead_letter_with_its_reason_and_the_batch_goes_on() -> None:
    good = _messages()
    bad = Message("raw", 0, 99, None, b"\x00\x01 binary", 0, ())
    broken = Message("raw", 0, 100, None, 12345, 0, ())  # type: ignore[arg-type]  # a bug's input
    for processes in (1, 2):
        fn = Pooled(DecodePages(1 << 20), batch_size=3, processes=processes)
        during, after = _run_bundle(fn, [good[0], bad, broken, *good[1:]])
        emitted = during + after
        dead = [out for out in emitted if isinstance(out, beam.pvalue.TaggedOutput)]
        assert [out.tag for out in dead] == [DEAD_LETTERS, DEAD_LETTERS]
        assert [out.value.timestamp for out in dead] == [Timestamp(1), Timestamp(2)]
        letters = [out.value.value for out in dead]
        assert [(d.reason, d.message.offset) for d in letters] == [
            ("binary", 99),
            ("internal", 100),
        ]
        assert "AttributeError" in letters[1].detail or "TypeError" in letters[1].detail
        pages = [out.value for out in emitted if not isinstance(out, beam.pvalue.TaggedOutput)]
        assert [message.offset for _, (_, message) in pages] == [m.offset for m in good]
        assert all(page_id == page.page_id for page_id, (page, _) in pages)


def _where(n: int) -> tuple[int, int]:
    """(n, the process that ran it), slowly: a pool that falls behind."""
    time.sleep(0.05)
    return n, os.getpid()


class _Where:
    name = "where"
    task = Each(_where)

    def __init__(self, light: bool) -> None:
        self.light = light

    def setup(self) -> None:
        pass

    def inputs(self, n: int) -> int:
        return n

    def outputs(self, n: int, result: tuple[int, int]):
        yield result


def test_the_job_thread_runs_batches_of_a_light_stage_while_the_pool_is_behind() -> None:
    numbers = list(range(200))
    for light in (True, False):
        during, after = _run_bundle(Pooled(_Where(light), batch_size=4, processes=2), numbers)
        emitted = [out.value for out in during + after]
        assert [n for n, _ in emitted] == numbers, "out of order"
        here = sum(pid == os.getpid() for _, pid in emitted)
        if light:
            assert here >= 4, "the job's thread only waited for the pool"
            assert here < len(numbers), "the pool ran nothing"
        else:
            assert here == 0, "a heavy stage (a model to load) ran in the job's thread"
