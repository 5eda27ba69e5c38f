"""Near-duplicate stories on the generated corpus: the targets, and the core's rules."""

from __future__ import annotations

import dataclasses
import hashlib
import json

import pytest

from newswire.cli import main
from newswire.core.ids import article_id
from newswire.devtools import corpus
from newswire.devtools.replay import replay_records
from newswire.stages.dedup.stories import (
    Answer,
    Signer,
    StoryIndex,
    StorySettings,
    decode_registration,
    duplicate_pairs,
    encode_registration,
    resolve,
)
from newswire.stages.parse.page import parse_page
from tests.conftest import seed_files


def _seeds() -> dict[str, str]:
    return {f.name: f.read_text("utf-8") for f in seed_files()}


def test_pair_precision_and_recall_on_the_generated_corpus() -> None:
    """Pooled over three 1000-page corpora (seed 2 alone: precision 0.986, README)."""
    truth: set[tuple[int, int]] = set()
    found: set[tuple[int, int]] = set()
    offset = 0
    for seed in (1, 2, 7):
        items = []
        for page in corpus.generate(_seeds(), pages=1000, seed=seed):
            parsed = parse_page(page.text)
            articles = [parsed.article, *parsed.teasers]
            assert [a.title for a in articles] == [title for title, _ in page.truth]
            items += [(a, label) for a, (_, label) in zip(articles, page.truth, strict=True)]
        assert len({label for _, label in items}) > 50  # seed stories and distinct synthetic ones
        index = StoryIndex()
        predicted = [index.assign(article_id(a), a, n).story_id for n, (a, _) in enumerate(items)]
        shift = {(i + offset, j + offset) for i, j in duplicate_pairs([lb for _, lb in items])}
        truth |= shift
        found |= {(i + offset, j + offset) for i, j in duplicate_pairs(predicted)}
        offset += len(items)
    precision = len(truth & found) / len(found)
    recall = len(truth & found) / len(truth)
    assert precision >= 0.99, precision
    assert recall >= 0.95, recall


def test_ten_perturbed_replays_of_the_seeds_give_one_canonical_record_per_story() -> None:
    """What `replay --loop 10 --perturb` sends, through the same index the pipeline uses."""
    index = StoryIndex()
    canonical = 0
    for n, (_, raw, _) in enumerate(replay_records(seed_files(), 10, perturb=True)):
        parsed = parse_page(raw.decode("utf-8"))
        for article in (parsed.article, *parsed.teasers):
            canonical += index.assign(article_id(article), article, n).canonical
    assert canonical == 32


def test_an_article_joins_the_earliest_story_enough_bands_agree_on() -> None:
    answers = [Answer("s-b", 20)] * 3 + [Answer("s-a", 10)] * 3 + [Answer("s-c", 5)] * 2
    story = resolve("a-x", 30, answers, min_bands=3)
    assert (story.story_id, story.canonical, story.first_seen_ms) == ("s-a", False, 10)
    alone = resolve("a-x", 30, [Answer(None)] * 5 + answers[-2:], min_bands=3)
    assert (alone.story_id, alone.canonical, alone.first_seen_ms) == ("s-a-x", True, 30)
    own = resolve("a-x", 40, [Answer("s-a-x", 30)] * 5, min_bands=3)  # a retried bundle
    assert own.canonical


def test_the_index_logs_new_buckets_prunes_old_ones_and_restores() -> None:
    parsed = parse_page(seed_files()[0].read_text("utf-8"))
    index = StoryIndex(remember_ids=False)
    first = index.assign(article_id(parsed.article), parsed.article, 1_000)
    logged = index.registrations()
    assert len(logged) == 1 and len(logged[0].keys) == index.signer.settings.bands
    assert index.registrations() == []
    stored = [encode_registration(registration) for registration in logged]
    assert len(stored[0]) < 600  # a story's state, as the runner keeps it
    restored = StoryIndex(remember_ids=False)
    restored.restore(decode_registration(entry) for entry in stored)
    again = restored.assign("a-other", parsed.article, 2_000)
    assert again.story_id == first.story_id and not again.canonical
    assert restored.prune(before_ms=500) is None and len(restored) == len(logged[0].keys)
    assert restored.prune(before_ms=1_500) == [] and len(restored) == 0


def test_pruning_keeps_the_younger_stories_whole() -> None:
    pages = [parse_page(path.read_text("utf-8")).article for path in seed_files()[:3]]
    index = StoryIndex(remember_ids=False)
    for n, article in enumerate(pages):
        index.assign(f"a-{n}", article, 1_000 * (n + 1))
    kept = index.prune(before_ms=1_500)
    assert kept is not None
    assert sorted(r.bucket.story_id for r in kept) == ["s-a-1", "s-a-2"]
    assert index.oldest_ms() == 2_000 and len(index) == sum(len(r.keys) for r in kept)


def test_an_edit_that_joins_a_story_registers_its_new_buckets_to_that_story() -> None:
    """Else a later edit matching the new buckets would join a story with no canonical record."""
    parsed = parse_page(seed_files()[0].read_text("utf-8"))
    index = StoryIndex(remember_ids=False)
    first = index.assign("a-first", parsed.article, 1_000)
    index.registrations()
    edited = dataclasses.replace(
        parsed.article, alt_titles=("Un second titre, ajouté par le desk du soir",)
    )
    second = index.assign("a-second", edited, 2_000)
    new = index.registrations()
    assert (second.story_id, second.canonical) == (first.story_id, False)
    assert new, "the second headline fills buckets of its own"
    assert {r.bucket.story_id for r in new} == {first.story_id}
    assert {r.bucket.first_seen_ms for r in new} == {1_000}


def test_settings_refuse_more_rows_than_permutations() -> None:
    with pytest.raises(ValueError, match="num_perm"):
        StorySettings(num_perm=64, bands=42, rows=3)


def test_the_article_and_its_teaser_elsewhere_are_one_story() -> None:
    parsed = parse_page(seed_files()[0].read_text("utf-8"))
    as_teaser = corpus.render(parsed.teasers[1], [parsed.article])
    again = parse_page(as_teaser)
    index = StoryIndex()
    first = index.assign(article_id(parsed.article), parsed.article, 1)
    teaser = again.teasers[0]
    later = index.assign(article_id(teaser), teaser, 2)
    assert first.canonical and not later.canonical and later.story_id == first.story_id


def test_corpus_command_writes_pages_and_truth(tmp_path) -> None:
    assert main(["corpus", "--out", str(tmp_path), "--pages", "12", "--seed", "4"]) == 0
    pages = sorted(tmp_path.glob("corpus_*.txt"))
    truth = (tmp_path / "truth.tsv").read_text("utf-8").splitlines()
    assert len(pages) == 12 and truth[0] == "file\titem\ttitle\tstory"
    assert {line.split("\t")[0] for line in truth[1:]} == {p.name for p in pages}


def test_classify_marks_stories_over_all_files_of_one_call(tmp_path, capsys) -> None:
    edited = tmp_path / "edited.txt"
    edited.write_text(corpus.edit_page(seed_files()[0].read_text("utf-8"), _rng()), "utf-8")
    assert main(["classify", "--nlp-model", "none", str(seed_files()[0]), str(edited)]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    first = [r for r in records if r["source"] != "edited.txt"]
    again = [r for r in records if r["source"] == "edited.txt"]
    assert all(r["canonical"] for r in first) and not any(r["canonical"] for r in again)
    assert {r["story_id"] for r in again} <= {r["story_id"] for r in first}


def _rng():
    import random

    return random.Random(5)


def test_band_keys_stay_those_already_in_keyed_state() -> None:
    """The keys are stored (keyed state, checkpoints) and recomputed at a warm start: a change
    to shingles, hashes or permutations would split every story across the change. These were
    written with datasketch 2.0's MinHash, which `Signer` reimplements."""
    signer = Signer()
    pinned = {
        "Le Vietnam et le Japon renforcent leur coopération contre la cybercriminalité": (
            "004d459b18603858"
        ),
        "Hanoi (VNA) - Le ministre de la Sécurité publique a reçu l'ambassadeur de Russie.": (
            "1e2251f5d31d87a1"
        ),
        "": "732e4214a721d00a",  # no shingle: every row at its maximum
        "seul": "6bc037e8b2316cc6",  # fewer words than a shingle: the text is one
    }
    for text, digest in pinned.items():
        keys = signer.band_keys(text)
        assert len(keys) == 42 and all(len(key) == 9 for key in keys)
        assert hashlib.blake2b(b"".join(keys), digest_size=8).hexdigest() == digest, text
