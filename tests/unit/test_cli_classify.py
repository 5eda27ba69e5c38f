from __future__ import annotations

import json
import logging

from newswire.cli import _ClosingNoise, main
from tests.conftest import main_labels, seed_files


def test_classify_prints_articles_and_teasers_with_the_labels(capsys) -> None:
    assert main(["classify", *map(str, seed_files())]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    articles = {r["source"]: r for r in lines if r["kind"] == "article"}
    assert len(lines) == 32 and len(articles) == 5
    for name, want in main_labels().items():
        assert set(articles[name]["partner_countries"]) == want["partner_countries"]
        assert set(articles[name]["themes"]) == want["themes"]
    assert {"source", "kind", "title", "partner_countries", "themes", "id"} <= set(lines[0])


def test_classify_reports_unreadable_pages_and_fails(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00")
    assert main(["classify", str(bad), str(seed_files()[0])]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.err.strip())["error"] == "not_utf8"
    assert len(captured.out.splitlines()) == 6  # the good page still printed


def test_classify_labels_an_excerpt_with_no_headline_line(tmp_path, capsys) -> None:
    excerpt = tmp_path / "excerpt.txt"
    excerpt.write_text(
        "Hanoi, 12 mars (VNA) - Le ministère de la Sécurité publique du Vietnam et la police "
        "japonaise ont signé un mémorandum sur la lutte contre la cybercriminalité.\n",
        encoding="utf-8",
    )
    assert main(["classify", "--nlp-model", "none", str(excerpt)]) == 0
    (line,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert line["title"].startswith("Le ministère de la Sécurité publique")
    assert line["partner_countries"] == ["JP"] and "cybercrime" in line["themes"]


def test_the_closing_clients_cancelled_refresh_is_not_reported_as_an_error() -> None:
    def record(message: str) -> logging.LogRecord:
        return logging.LogRecord("kafka.cluster", logging.ERROR, "", 0, message, (), None)

    noise = _ClosingNoise()
    assert not noise.filter(record("Metadata refresh: failed Cancelled"))
    assert noise.filter(record("Metadata refresh: failed NodeNotReadyError"))
