"""Which read DoFn a job gets: only a job that commits at checkpoints asks for a bundle
finalizer (Prism finalized every bundle of a DoFn that asked, and failed with "Bundle is not in
a finalizable state" for the ones that registered nothing)."""

from __future__ import annotations

import inspect

import apache_beam as beam
import pytest

from newswire.config import Settings
from newswire.kafka.connection import Connection
from newswire.kafka.source import CHECKPOINT, LEDGER, ReadFromKafka, ReadSpec


def _read_fn(until_caught_up: bool, commit_on: str) -> beam.DoFn:
    spec = ReadSpec(Connection.of(Settings()), "raw", "group", until_caught_up, commit_on=commit_on)
    p = beam.Pipeline()
    _ = p | ReadFromKafka(spec)
    found = []

    class _Find(beam.pipeline.PipelineVisitor):
        def visit_transform(self, node) -> None:
            if isinstance(node.transform, beam.ParDo) and node.full_label.endswith(
                "ReadPartitions"
            ):
                found.append(node.transform.fn)

    p.visit(_Find())
    (fn,) = found
    return fn


def _asks_for_finalizer(fn: beam.DoFn) -> bool:
    defaults = inspect.signature(fn.process).parameters.values()
    return any(param.default is beam.DoFn.BundleFinalizerParam for param in defaults)


@pytest.mark.parametrize("until_caught_up", [True, False])
def test_only_checkpoint_commits_ask_for_a_bundle_finalizer(until_caught_up: bool) -> None:
    assert _asks_for_finalizer(_read_fn(until_caught_up, CHECKPOINT))
    assert not _asks_for_finalizer(_read_fn(until_caught_up, LEDGER))


def test_a_follow_read_is_unbounded_and_a_caught_up_read_is_not() -> None:
    for commit_on in (CHECKPOINT, LEDGER):
        follow = _read_fn(False, commit_on).process
        batch = _read_fn(True, commit_on).process
        assert getattr(follow, "unbounded_per_element", False)
        assert not getattr(batch, "unbounded_per_element", False)
