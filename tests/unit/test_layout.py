"""The import rule that keeps the data's path readable in the tree.

- `newswire.core` imports nothing else of the package;
- a stage (`newswire.stages.<name>`) imports only the core and itself, never another stage;
- `newswire.devtools` serves the CLI; nothing the pipeline runs imports it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import newswire

PACKAGE = Path(newswire.__file__).parent


def imported(source: str) -> set[str]:
    """Every newswire module a source file imports, at the top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in names if name.startswith("newswire.")}


def allowed(module: str, target: str) -> bool:
    parts, wanted = module.split("."), target.split(".")
    if parts[1] == "core":
        return wanted[1] == "core"
    if parts[1] == "stages":
        return wanted[1] == "core" or wanted[:3] == parts[:3]
    if wanted[1] == "devtools":
        return parts[1] in ("devtools", "cli")
    return True


def violations(modules: dict[str, str]) -> list[str]:
    return [
        f"{module} imports {target}"
        for module, source in modules.items()
        for target in sorted(imported(source))
        if not allowed(module, target)
    ]


def package_modules() -> dict[str, str]:
    return {
        "newswire." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts): path.read_text()
        for path in PACKAGE.rglob("*.py")
    }


def test_core_and_stages_import_only_what_the_layout_allows() -> None:
    modules = package_modules()
    assert sum(m.startswith("newswire.stages.") for m in modules) >= 20
    assert violations(modules) == []


def test_the_rule_catches_a_stage_that_imports_another_or_a_core_that_imports_out() -> None:
    assert violations(
        {
            "newswire.stages.parse.split": "from newswire.stages.dedup.seen import shard_of",
            "newswire.core.text": "def f():\n    from newswire.config import Settings\n",
            "newswire.job": "import newswire.devtools.demo",
            "newswire.stages.dedup.seen": "from newswire.core import metrics",
        }
    ) == [
        "newswire.stages.parse.split imports newswire.stages.dedup.seen.shard_of",
        "newswire.core.text imports newswire.config.Settings",
        "newswire.job imports newswire.devtools.demo",
    ]
