"""The import rules between top-level folders (ARCHITECTURE.md section 3), checked on the
source with `ast`, so a forbidden import fails here even when it sits inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
OURS = ("config", "storage", "matching", "alerts", "spiders", "scheduler", "kizuna")

# Folder -> the packages of ours its modules may import (its own package is always allowed).
ALLOWED: dict[str, set[str]] = {
    "config": set(),
    "storage": {"config"},
    "matching": {"config"},
    "alerts": {"config", "storage"},
    "spiders": {"config"},  # plus kizuna.ingest from spiders/pipelines.py only (below)
    "scheduler": {"config", "storage", "alerts", "kizuna"},
}
PIPELINE = Path("spiders/pipelines.py")


def _module_name(path: Path) -> str:
    rel = path.relative_to(REPO).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported_modules(path: Path, module: str | None = None) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, relative ones resolved;
    `module` is the file's dotted name (derived from its place in the repo by default)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    module = module or _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for alias in node.names:
                # `from kizuna import ingest` imports the module kizuna.ingest.
                sub = REPO.joinpath(*target.split("."), alias.name)
                is_module = sub.with_suffix(".py").is_file() or (sub / "__init__.py").is_file()
                found.append((node.lineno, f"{target}.{alias.name}" if is_module else target))
    return found


def _violations(folder: str) -> list[str]:
    allowed = ALLOWED[folder] | {folder}
    problems: list[str] = []
    for path in sorted((REPO / folder).rglob("*.py")):
        rel = path.relative_to(REPO)
        for line, name in _imported_modules(path):
            top = name.split(".")[0]
            if top not in OURS or top in allowed:
                continue
            is_ingest = name == "kizuna.ingest" or name.startswith("kizuna.ingest.")
            if folder == "spiders" and rel == PIPELINE and is_ingest:
                continue
            problems.append(f"{rel}:{line} imports {name}")
    return sorted(set(problems))


def _check(folder: str) -> None:
    problems = _violations(folder)
    assert not problems, (
        f"{folder}/ may import only {sorted(ALLOWED[folder]) or 'nothing of ours'}"
        + (" (and kizuna.ingest from spiders/pipelines.py)" if folder == "spiders" else "")
        + ":\n  "
        + "\n  ".join(problems)
    )


@pytest.mark.parametrize("folder", ["config", "storage", "matching", "alerts", "scheduler"])
def test_folder_imports_only_what_it_may(folder: str) -> None:
    _check(folder)


def test_spiders_import_only_config_and_ingest() -> None:
    _check("spiders")


def test_the_checker_sees_real_imports() -> None:
    """The walker finds top-level, nested and relative imports (else every rule passes)."""
    names = {name for _, name in _imported_modules(REPO / "matching" / "matcher.py")}
    assert {"config.registry", "matching.relevance", "matching.text"} <= names
    names = {name for _, name in _imported_modules(REPO / "kizuna" / "cli.py")}
    assert "kizuna.context" in names  # imported inside command functions
    pipelines = {name for _, name in _imported_modules(REPO / PIPELINE)}
    assert "kizuna.ingest" in pipelines


def test_only_the_pipeline_may_import_ingest() -> None:
    """Every spiders module other than pipelines.py importing kizuna.ingest is reported."""
    offenders = [
        f"{path.relative_to(REPO)}:{line}"
        for path in sorted((REPO / "spiders").rglob("*.py"))
        if path.relative_to(REPO) != PIPELINE
        for line, name in _imported_modules(path)
        if name.split(".")[0] == "kizuna"
    ]
    assert not offenders, "only spiders/pipelines.py may import kizuna.ingest: " + ", ".join(
        offenders
    )


def test_relative_imports_are_resolved(tmp_path: Path) -> None:
    source = tmp_path / "probe.py"
    source.write_text(
        "from ..dates import parse_dmy\nfrom .kpl import article_url\n"
        "def f():\n    from .. import items\n",
        encoding="utf-8",
    )
    names = [name for _, name in _imported_modules(source, "spiders.pages.probe")]
    assert names == ["spiders.dates", "spiders.pages.kpl", "spiders.items"]
