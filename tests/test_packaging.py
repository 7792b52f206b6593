"""Packaging: the core stands alone, optional packages stay optional, every import is declared."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gstheory.cli import EXTRAS

tomllib = pytest.importorskip("tomllib")

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
#: packages of the optional extras that the core must never import
HEAVY = ("torch", "matplotlib", "sklearn", "numba", "tqdm", "contourpy")
#: import name -> distribution name, where they differ
DIST = {"sklearn": "scikit-learn", "PIL": "pillow", "flint": "python-flint"}


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO,
                          capture_output=True, text=True, timeout=300, check=False)


def _requirement_names(reqs: list[str]) -> set[str]:
    return {re.split(r"[\s\[<>=!~;]", r, maxsplit=1)[0].lower() for r in reqs}


@pytest.mark.parametrize("modules", [
    "gstheory",
    "gstheory.cli",
    # the commands a plain `pip install .` must run
    "gstheory.cli.solve, gstheory.cli.derive, gstheory.cli.certify, gstheory.cli.verify",
])
def test_core_imports_no_optional_package(modules):
    res = _python(f"""
        import sys
        import {modules}
        print(",".join(m for m in {HEAVY!r} if m in sys.modules))
    """)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "", f"import {modules} pulled in {res.stdout.strip()}"


def test_a_command_needing_a_missing_extra_fails_in_one_line():
    """With torch made unimportable, ``gstheory run`` names the extra to install."""
    res = _python("""
        import sys
        from importlib.abc import MetaPathFinder

        class NoTorch(MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "torch" or name.startswith("torch."):
                    raise ModuleNotFoundError(f"No module named {name!r}", name=name)
                return None

        sys.meta_path.insert(0, NoTorch())
        from gstheory.cli import main
        sys.exit(main(["run", "--list"]))
    """)
    assert res.returncode == 2, res.stdout + res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "needs torch" in lines[0] and "gstheory[empirical]" in lines[0]


def test_plain_install_needs_only_the_numeric_symbolic_stack():
    assert _requirement_names(PYPROJECT["project"]["dependencies"]) == {
        "numpy", "scipy", "sympy", "mpmath"}


def test_torch_is_not_pinned_exactly_in_the_metadata_but_in_constraints():
    extras = PYPROJECT["project"]["optional-dependencies"]
    torch_reqs = [r for reqs in extras.values() for r in reqs if r.startswith("torch")
                  and not r.startswith("torchvision")]
    assert torch_reqs and not any("==" in r for r in torch_reqs)
    pins = (REPO / "constraints.txt").read_text(encoding="utf-8").splitlines()
    assert any(re.fullmatch(r"torch==[0-9][0-9.]*", p.strip()) for p in pins)


def _third_party_imports() -> dict[str, set[str]]:
    """Top-level third-party modules imported by the library, with the importing files."""
    first_party = {"gstheory", "proofs", "empirical"}
    found: dict[str, set[str]] = {}
    for top in sorted(first_party):
        for f in (REPO / top).rglob("*.py"):
            for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                    names = [node.module]
                else:
                    continue
                for n in names:
                    root = n.partition(".")[0]
                    if root not in first_party and root not in sys.stdlib_module_names:
                        found.setdefault(root, set()).add(str(f.relative_to(REPO)))
    return found


def test_every_directly_imported_package_is_declared():
    project = PYPROJECT["project"]
    declared = _requirement_names(project["dependencies"])
    for reqs in project["optional-dependencies"].values():
        declared |= _requirement_names(reqs)
    imports = _third_party_imports()
    assert "numpy" in imports   # the scan sees the library's imports
    undeclared = {m: sorted(files) for m, files in imports.items()
                  if DIST.get(m, m).lower() not in declared}
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"


def test_every_optional_package_of_the_cli_names_a_real_extra():
    extras = PYPROJECT["project"]["optional-dependencies"]
    for module, (dist, extra) in EXTRAS.items():
        assert extra in extras, (module, extra)
        assert dist.lower() in _requirement_names(extras[extra]), (module, dist, extra)
        assert DIST.get(module, module).lower() == dist.lower()


def test_every_package_folder_installs_under_the_gstheory_namespace():
    """proofs/ and empirical/ install as gstheory.proofs and gstheory.empirical: every
    folder holding an __init__.py is listed, under its mapped name, and nothing installs
    as a generic top-level name."""
    conf = PYPROJECT["tool"]["setuptools"]
    mapping = conf["package-dir"]
    listed = set(conf["packages"])
    assert all(name == "gstheory" or name.startswith("gstheory.") for name in listed)
    on_disk = set()
    for name, folder in mapping.items():
        for init in (REPO / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO / folder).parts
            on_disk.add(".".join((name, *rel)))
    assert on_disk == listed
