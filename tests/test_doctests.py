"""The examples in the docstrings run: every library module with a ``>>>`` line is doctested.

Modules are found by scanning the sources, so a new module's examples are tested without
being listed here. A module whose optional dependency is missing is skipped, naming it.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: source folder -> the name it installs under (pyproject's package-dir)
PACKAGES = {"gstheory": "gstheory", "proofs": "gstheory.proofs",
            "empirical": "gstheory.empirical"}


def _modules_with_examples() -> list[str]:
    names = []
    for top, installed in PACKAGES.items():
        for f in sorted((REPO / top).rglob("*.py")):
            lines = f.read_text(encoding="utf-8").splitlines()
            # a module whose every example is marked +SKIP (it needs real data or a
            # cluster) has nothing for doctest to attempt
            if any(">>>" in ln and "+SKIP" not in ln for ln in lines):
                parts = (installed, *f.relative_to(REPO / top).with_suffix("").parts)
                names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


MODULES = _modules_with_examples()


def test_examples_are_found():
    assert "gstheory.spectrum" in MODULES and len(MODULES) >= 15


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        pytest.skip(f"{name} needs {exc.name}, which is not installed")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, report=True)
    assert result.attempted > 0, f"{name}: no example collected"
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed"
