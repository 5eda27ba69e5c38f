from __future__ import annotations

from pipeline.classify.evaluate import Counts, score


def test_micro_and_macro_averages() -> None:
    report = score(
        [
            (frozenset({"KR"}), ["KR"]),
            (frozenset({"LA"}), ["LA", "RU"]),
            (frozenset({"CN"}), []),
        ]
    )
    assert report.items == 3 and report.exact == 1
    assert report.per_label["RU"] == Counts(tp=0, fp=1, fn=0)
    assert report.micro == Counts(tp=2, fp=1, fn=1)
    assert round(report.micro.f1, 3) == 0.667
    # KR and LA are perfect, RU and CN score 0: the macro F1 is their mean.
    assert report.macro_f1 == 0.5


def test_empty_predictions_for_empty_gold_are_right() -> None:
    report = score([(frozenset(), [])])
    assert report.exact == 1 and report.micro.f1 == 1.0 and report.macro_f1 == 1.0
