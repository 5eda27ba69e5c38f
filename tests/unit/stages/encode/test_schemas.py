from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from newswire.cli import main
from newswire.stages.encode import schemas
from newswire.stages.encode.encoder import SCHEMAS_DIR


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    copy = tmp_path / "schemas"
    shutil.copytree(SCHEMAS_DIR, copy)
    return copy


def _edit(folder: Path, name: str, change) -> None:
    path = folder / name
    schema = json.loads(path.read_text())
    change(schema)
    path.write_text(json.dumps(schema))


def test_current_schemas_are_compatible_with_the_last_release() -> None:
    assert schemas.releases(SCHEMAS_DIR), "schemas/history holds at least one release"
    assert schemas.check(SCHEMAS_DIR) == []
    assert main(["schemas", "check"]) == 0


def test_a_field_with_a_default_is_a_compatible_change(folder: Path) -> None:
    _edit(
        folder,
        "article.avsc",
        lambda s: s["fields"].append(
            {"name": "priority", "type": ["null", "string"], "default": None}
        ),
    )
    assert schemas.check(folder) == []


def test_a_required_new_field_breaks_backward_compatibility_and_is_named(
    folder: Path, capsys
) -> None:
    _edit(
        folder, "article.avsc", lambda s: s["fields"].append({"name": "priority", "type": "string"})
    )
    problems = schemas.check(folder)
    assert [(p.schema, p.direction) for p in problems] == [("article.avsc", "backward")]
    assert "priority" in problems[0].message
    assert main(["schemas", "check", "--dir", str(folder)]) == 1
    assert "priority" in capsys.readouterr().err


def test_removing_a_field_without_default_breaks_forward_compatibility(folder: Path) -> None:
    _edit(
        folder,
        "article.avsc",
        lambda s: s.update(fields=[f for f in s["fields"] if f["name"] != "origin"]),
    )
    problems = schemas.check(folder)
    assert [(p.direction, p.message) for p in problems] == [("forward", "origin")]


def test_removing_an_enum_symbol_is_incompatible(folder: Path) -> None:
    def drop_teaser(schema: dict) -> None:
        kind = next(f for f in schema["fields"] if f["name"] == "kind")
        kind["type"]["symbols"] = ["article"]

    _edit(folder, "article.avsc", drop_teaser)
    assert any(p.direction == "backward" for p in schemas.check(folder))


def test_deleting_a_released_schema_is_reported(folder: Path) -> None:
    (folder / "dead_letter.avsc").unlink()
    assert [p.schema for p in schemas.check(folder)] == ["dead_letter.avsc"]
