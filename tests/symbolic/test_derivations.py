"""Every registered derivation runs, cites the paper and names real gstheory functions."""

from __future__ import annotations

import importlib

import pytest

from gstheory import symbolic
from gstheory.proofs.render import render


def resolve(dotted: str) -> object:
    """Import ``gstheory.module.attr[.attr]`` (the longest importable module prefix)."""
    parts = dotted.split(".")
    for k in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:k]))
        except ModuleNotFoundError:
            continue
        for p in parts[k:]:
            obj = getattr(obj, p)
        return obj
    raise ImportError(dotted)


@pytest.mark.parametrize("name", symbolic.names())
def test_derivation_is_complete(name):
    d = symbolic.derive(name)
    assert d.name == name and d.steps and d.results
    assert "Eq." in d.paper_ref
    checked = [s for s in d.steps if s.method not in ("given", "computed")]
    assert len(checked) >= 3, "a derivation must check most of its steps"
    assert d.implemented_by, "each document lists the numeric functions implementing it"
    for fn, _ in d.implemented_by:
        assert fn.startswith("gstheory.")
        resolve(fn)  # raises if the named function does not exist
    text = render(d)
    assert text.endswith("\n") and "\\boxed{" in text
    assert text.index("## Results") < text.index("## Implemented in gstheory")


def test_unknown_name_is_a_value_error_naming_the_known_ones():
    with pytest.raises(ValueError, match="theorem-2"):
        symbolic.derive("theorem-3")


def test_theorem2_sign_is_stated_with_its_method():
    d = symbolic.derive("theorem-2")
    text = render(d)
    assert "reverses for $\\delta < 0$" in text
    signs = [s for s in d.steps if s.method == "sign"]
    assert any("cofactor" in s.title for s in signs)
    assert any("decreasing" in s.title for s in signs)


@pytest.mark.parametrize("name", symbolic.names())
def test_documents_show_what_was_checked(name):
    """Issue 11, section 3: boxes are checked claims citing their step, a summary opens the
    document, the printer version is recorded, no multi-kilobyte expression is printed,
    no step compares an expression with itself, and *given* only states definitions and
    hypotheses (nothing later in the document is computed from a given's claim)."""
    d = symbolic.derive(name)
    for r in d.results:
        assert r.claim is d.steps[d.index(r.step) - 1].claim
    text = render(d)
    assert text.index("## Proof summary") < text.index("## Verification log")
    assert "**Rendered with:** SymPy " in text
    assert max(len(line) for line in text.splitlines()) < 2000
    for s in d.steps:
        if s.method in ("exact", "back-substitution") and hasattr(s.claim, "rhs"):
            assert s.claim.lhs != s.claim.rhs, s.title
        if s.method == "given":
            assert "not derived" in s.verified or "definition" in s.verified \
                or "hypothesis" in s.verified
