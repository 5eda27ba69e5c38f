from __future__ import annotations

from newswire.devtools.evaluate import (
    Counts,
    LabelledItem,
    confusions,
    format_worst,
    misses,
    score,
    worst_pages,
)


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


def test_confusions_and_the_worst_pages_name_what_went_wrong() -> None:
    pairs = [(frozenset({"crime"}), ["diplomacy"]), (frozenset({"crime", "drugs"}), ["drugs"])]
    table = confusions(pairs)
    assert table == {"crime": {"diplomacy": 1, "-": 1}}
    items = [
        LabelledItem("a.txt", "", frozenset({"JP"}), frozenset({"crime"})),
        LabelledItem("b.txt", "", frozenset({"KR"}), frozenset({"drugs"})),
        LabelledItem("b.txt", "teaser", frozenset(), frozenset()),
    ]
    predicted = [
        {"partner_countries": ["JP"], "themes": ["crime"]},
        {"partner_countries": ["CN"], "themes": ["drugs", "diplomacy"]},
        {"partner_countries": [], "themes": ["politics"]},
    ]
    worst = worst_pages(misses(items, predicted), n=10)
    assert [file for file, _ in worst] == ["b.txt"]  # a.txt is right
    assert sum(len(m.missed) + len(m.spurious) for m in worst[0][1]) == 4
    assert "spurious ['diplomacy']" in format_worst(worst)
