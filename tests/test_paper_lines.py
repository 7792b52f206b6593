"""Every public definition of the library says what of the paper it implements.

Each public module-level function and class under ``gstheory/`` (names not starting with
``_``; the command layer ``gstheory/cli/`` excepted) carries a docstring line that starts
with ``Paper:``: the equations, definitions, lemmas, theorems, sections, tables or figures
it implements, evaluates, checks or generates test data for, or
``Paper: none (infrastructure).`` where it has no paper content. The sources are read with
:mod:`ast` (nothing is imported), so the test needs no optional dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "gstheory"
SKIPPED = PACKAGE / "cli"
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def _public_definitions() -> list[tuple[Path, Definition]]:
    out: list[tuple[Path, Definition]] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if SKIPPED in path.parents:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        out += [(path, node) for node in tree.body
                if isinstance(node, DEFINITIONS) and not node.name.startswith("_")]
    return out


def _has_paper_line(node: Definition) -> bool:
    doc = ast.get_docstring(node)
    return doc is not None and any(line.startswith("Paper:") for line in doc.splitlines())


def test_definitions_are_found():
    names = {node.name for _, node in _public_definitions()}
    assert {"solve_fixed_point", "Spectrum", "certify_theorem2"} <= names
    assert len(names) > 100


def test_every_public_definition_has_a_paper_line():
    missing = [f"{path.relative_to(REPO)}:{node.lineno}:{node.name}"
               for path, node in _public_definitions() if not _has_paper_line(node)]
    assert not missing, (f"{len(missing)} public definitions have no docstring line starting "
                         "with 'Paper:' (cite the paper, or write 'Paper: none "
                         "(infrastructure).'):\n" + "\n".join(missing))
