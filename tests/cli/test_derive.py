"""``gstheory derive`` (``python -m gstheory derive``): check, determinism, drift, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
import sympy as sp

import gstheory.cli.derive as pcli
from gstheory.cli import main
from gstheory.proofs.render import render, rendered_version
from gstheory.symbolic.derivation import Derivation, StepFailed

REPO = Path(__file__).resolve().parents[2]


def run(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:  # fail_cleanly turns CliError into exit status 2
        return int(exc.code)


def test_committed_documents_are_up_to_date(capsys):
    """What CI relies on: a fresh regeneration equals the committed documents."""
    assert run(["derive", "--check"]) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert "DRIFTED" not in out and out.count("checked ") == len(pcli.symbolic.names())


def test_regeneration_is_byte_identical_under_another_hash_seed(tmp_path):
    """Regenerate in a fresh interpreter with a different PYTHONHASHSEED (set iteration
    order changes): the bytes must equal the committed documents."""
    env = dict(os.environ, PYTHONHASHSEED="12345")
    res = subprocess.run([sys.executable, "-m", "gstheory", "derive", "--out", str(tmp_path)],
                         check=False, cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    committed = pcli.DEFAULT_OUT
    names = sorted(p.name for p in committed.glob("*.md"))
    assert names == sorted(p.name for p in tmp_path.glob("*.md"))
    for name in names:
        assert (tmp_path / name).read_bytes() == (committed / name).read_bytes(), name


# --- CLI logic on a tiny fake registry (fast) ----------------------------------------
def _tiny(name: str, wrong: bool = False) -> Derivation:
    x = sp.Symbol("x", positive=True)
    d = Derivation(name, f"Tiny {name}", "Eq. 0")
    d.step("square", sp.expand((x + 1) ** 2), x**2 + (-2 if wrong else 2) * x + 1,
           how="expand")
    d.result("square", "square")
    return d


@pytest.fixture
def fake(monkeypatch):
    """Replace the registry seen by the CLI with two tiny derivations."""
    state = {"wrong": False, "calls": 0}

    def derive(name):
        state["calls"] += 1
        return _tiny(name, wrong=state["wrong"] and name == "beta")
    monkeypatch.setattr(pcli, "symbolic", types.SimpleNamespace(
        names=lambda: ["alpha", "beta"], derive=derive))
    return state


def test_writes_documents_and_index_then_check_passes(fake, tmp_path, capsys):
    assert run(["derive", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.glob("*.md")) == ["README.md", "alpha.md",
                                                             "beta.md"]
    assert (tmp_path / "alpha.md").read_text() == render(_tiny("alpha"))
    text = (tmp_path / "alpha.md").read_text()
    assert "\\boxed{" in text and "Eq. 0" in text and "$$" in text
    assert run(["derive", "--out", str(tmp_path), "--check"]) == 0
    first = {p.name: p.read_bytes() for p in tmp_path.glob("*.md")}
    assert run(["derive", "--out", str(tmp_path)]) == 0
    assert first == {p.name: p.read_bytes() for p in tmp_path.glob("*.md")}


def test_check_names_every_drifted_missing_or_stale_document(fake, tmp_path, capsys):
    assert run(["derive", "--out", str(tmp_path)]) == 0
    (tmp_path / "alpha.md").write_text("edited by hand\n")
    (tmp_path / "beta.md").unlink()
    (tmp_path / "gamma.md").write_text("left over\n")
    capsys.readouterr()
    assert run(["derive", "--out", str(tmp_path), "--check"]) == 1
    out = capsys.readouterr().out
    assert "alpha.md (differs" in out
    assert "beta.md (missing)" in out
    assert "gamma.md (no derivation" in out
    assert (tmp_path / "alpha.md").read_text() == "edited by hand\n"  # --check never writes


def test_another_sympy_version_is_reported_and_compared_by_structure(fake, tmp_path, capsys):
    """A document rendered by another SymPy printer: the check says so, skips the byte
    comparison and compares the structure (a changed step title is still drift)."""
    assert run(["derive", "--out", str(tmp_path)]) == 0
    path = tmp_path / "alpha.md"
    text = path.read_text()
    assert rendered_version(text) == sp.__version__
    other = text.replace(f"SymPy {sp.__version__}", "SymPy 0.9.9").replace(
        "x^{2}", "x^2")
    path.write_text(other)
    capsys.readouterr()
    assert run(["derive", "--out", str(tmp_path), "--check"]) == 0
    out = capsys.readouterr().out
    assert f"rendered with SymPy 0.9.9, running {sp.__version__}" in out
    assert "byte comparison skipped" in out and "DRIFTED" not in out
    path.write_text(other.replace("### Step 1. square", "### Step 1. cube"))
    assert run(["derive", "--out", str(tmp_path), "--check"]) == 1
    assert "structure differs" in capsys.readouterr().out


def test_a_failing_step_fails_the_command(fake, tmp_path, capsys):
    fake["wrong"] = True
    assert run(["derive", "--out", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "FAILED beta" in out and "square" in out
    assert not (tmp_path / "beta.md").exists()
    assert not (tmp_path / "README.md").exists()  # no index from a partial run


def test_unknown_name_lists_the_known_ones(fake, capsys):
    assert run(["derive", "alpha", "nonsense"]) == 2
    err = capsys.readouterr().err
    assert "'nonsense'" in err and "alpha, beta" in err
    assert fake["calls"] == 0


def test_unwritable_out_is_reported_before_any_work(fake, tmp_path, capsys):
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a directory")
    assert run(["derive", "--out", str(blocker / "sub")]) == 2
    assert "--out" in capsys.readouterr().err
    assert run(["derive", "--out", str(blocker)]) == 2
    assert "not a directory" in capsys.readouterr().err
    assert run(["derive", "--check", "--out", str(tmp_path / "absent")]) == 2
    assert fake["calls"] == 0


def test_list_json_and_subset(fake, tmp_path, capsys):
    assert run(["derive", "--list"]) == 0
    assert capsys.readouterr().out.split() == ["alpha", "beta"]
    assert run(["derive", "beta", "--out", str(tmp_path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in doc["documents"]] == ["beta"]
    assert doc["drifted"] == [] and doc["failed"] == []
    # a subset does not write the index (it would list only part of the documents)
    assert not (tmp_path / "README.md").exists()


def test_step_failed_is_an_assertion_error():
    assert issubclass(StepFailed, AssertionError)


def test_python_m_gstheory_derive_lists_the_real_derivations():
    res = subprocess.run([sys.executable, "-m", "gstheory", "derive", "--list"], cwd=REPO,
                         check=False, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0
    assert "theorem-2" in res.stdout.split()
