"""The ledger: an offset is committable only when everything derived from it is acknowledged."""

from __future__ import annotations

import apache_beam as beam
from hypothesis import given
from hypothesis import strategies as st

from newswire.core.model import DeadLetter, Message, Record
from newswire.delivery import Ledger, ledger, origin_of


def _open(book: Ledger, offset: int, partition: int = 0) -> str:
    at = Message("raw", partition, offset, None, b"", 0).origin
    book.open(partition, offset, at)
    return at


def test_an_offset_waits_for_every_record_derived_from_it() -> None:
    book = Ledger()
    page, dup, bad = _open(book, 10), _open(book, 11), _open(book, 12)
    assert book.committable() == {}, "nothing done yet: nothing to commit"
    book.fork(page, 3)  # a page and two teasers
    book.fork(dup, 0)  # a page seen before: dropped, done
    book.done(bad)  # a dead letter, acknowledged
    book.done(page)
    book.done(page)
    assert book.committable() == {}, "one of the page's records is not acknowledged yet"
    book.done(page)
    assert book.committable() == {0: 13} and book.pending() == 0


def test_partitions_progress_apart_and_unknown_origins_are_ignored() -> None:
    book = Ledger()
    slow, fast = _open(book, 5, partition=0), _open(book, 7, partition=1)
    book.done(fast)
    book.done("raw/9@9")  # fed to a transform directly, not read by this run
    assert book.committable() == {1: 8}
    book.done(slow)
    assert book.committable() == {0: 6, 1: 8}


@given(st.lists(st.integers(min_value=0, max_value=4), min_size=1, max_size=30), st.randoms())
def test_commits_never_pass_an_open_offset_whatever_the_order(fanouts, rng) -> None:
    book = Ledger()
    acks = []
    for offset, fanout in enumerate(fanouts):
        at = _open(book, offset)
        book.fork(at, fanout)
        acks += [(offset, at)] * fanout
    rng.shuffle(acks)
    done: dict[int, int] = {}
    for offset, at in acks:
        book.done(at)
        done[offset] = done.get(offset, 0) + 1
        committed = book.committable().get(0, 0)
        assert all(done.get(o, 0) == fanouts[o] for o in range(committed))
    assert book.committable() == {0: len(fanouts)}


def test_every_element_names_its_origin() -> None:
    message = Message("raw", 2, 40, None, b"x", 0)
    assert origin_of(message) == "raw/2@40"
    assert origin_of(DeadLetter("binary", "", message)) == "raw/2@40"
    assert origin_of(Record(b"k", b"v", "raw/2@40")) == "raw/2@40"
    assert ledger("run-a") is ledger("run-a") and ledger("run-a") is not ledger("run-b")


def test_the_job_counts_a_stage_s_outputs_and_dedup_s_drops_for_the_stage() -> None:
    """Stages report nothing themselves: `Forks` counts what a pooled split made of a page
    (items and dead letters alike, when the pool gives them back), and `Dropped` closes a
    repeat's unit."""
    from apache_beam.transforms.window import GlobalWindow

    from newswire.delivery import Dropped, Forks, forget
    from newswire.pooled import Pooled
    from newswire.stages.parse.decode import read_page
    from newswire.stages.parse.transforms import SplitPages
    from tests.conftest import seed_files

    run = "test-counted"
    book = ledger(run)
    try:
        message = Message("raw", 0, 3, None, seed_files()[0].read_bytes(), 0)
        repeat = Message("raw", 0, 4, None, message.value, 0)
        for m in (message, repeat):
            book.open(m.partition, m.offset, m.origin)
        page = read_page(message, 1 << 20)
        split = Pooled(SplitPages(), forks=Forks(run))
        split.setup()
        split.start_bundle()
        assert not list(split.process((page, message), 0, GlobalWindow()))
        assert book.pending() == 2, "counted before the stage gave the page's items"
        outputs = list(split.finish_bundle())
        assert len(outputs) > 1
        Dropped(run)((read_page(repeat, 1 << 20), repeat))
        for _ in outputs[1:]:
            book.done(page.origin)
        assert book.committable() == {}, "one of offset 3's items is not acknowledged yet"
        book.done(page.origin)
        assert book.committable() == {0: 5} and book.pending() == 0
    finally:
        forget(run)


def test_counted_counts_what_a_plain_stage_made_of_each_element() -> None:
    from newswire.delivery import Counted, forget

    class Twice(beam.DoFn):
        def process(self, element):
            yield element
            yield element

    run = "test-counted-plain"
    book = ledger(run)
    try:
        message = Message("raw", 1, 7, None, b"x", 0)
        book.open(1, 7, message.origin)
        counted = Counted(Twice(), run)
        counted.setup()
        assert len(list(counted.process(message))) == 2
        book.done(message.origin)
        assert book.committable() == {}, "one of the two outputs is not acknowledged yet"
        book.done(message.origin)
        assert book.committable() == {1: 8}
    finally:
        forget(run)
