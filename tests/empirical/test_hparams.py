"""Hyper-parameters declared once: every field has a range; validation and the docs table
come from the declaration."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from gstheory.empirical import harness, hparams, tables
from gstheory.empirical.hparams import OneOf, Range, Text, positive


def test_every_field_of_every_experiment_is_declared():
    for name in harness.names():
        exp = harness.get(name)
        for cfg in exp.presets.values():
            assert hparams.undeclared(type(cfg)) == []
            hparams.check_config(cfg)          # every preset lies inside its ranges


def test_every_numeric_field_has_an_upper_bound():
    for name in harness.names():
        cfg = harness.get(name).presets["paper"]
        for field, spec in hparams.declared(type(cfg)).items():
            if isinstance(spec, Range):
                assert spec.hi is not None, (name, field)


@pytest.mark.parametrize("value, ok", [(1, True), (10, True), (0, False), (11, False),
                                       (5.5, True), (float("nan"), False)])
def test_range_check(value, ok):
    r = Range(1, 10)
    if ok:
        r.check("x", value)
    else:
        with pytest.raises(ValueError, match=r"x=.*\[1, 10\]"):
            r.check("x", value)


def test_open_ends_and_other_specs():
    with pytest.raises(ValueError, match=r"\(0, 100\]"):
        positive(100).check("lr", 0.0)
    positive(100).check("lr", 100.0)
    with pytest.raises(ValueError, match="a, b"):
        OneOf(("a", "b")).check("k", "c")
    with pytest.raises(ValueError, match="non-empty"):
        Text().check("p", "")


@pytest.mark.parametrize("experiment, key, value", [
    ("two-moons", "steps", "99999999999999999999"), ("two-moons", "lr", "1e300"),
    ("colored-mnist", "hidden", "0"), ("minority-groups", "sd_coefs", "1,-1"),
    ("toy-dual", "strengths", ",".join(["2"] * 100)), ("margin", "width", "1000")])
def test_overrides_outside_the_range_are_refused(experiment, key, value):
    with pytest.raises(ValueError, match=f"^{key}="):
        harness.get_config(experiment, "smoke", {key: value})


def test_table_lists_every_field_with_each_preset_value():
    exp = harness.get("toy-dual")
    table = tables.markdown_table(exp)
    lines = table.strip().splitlines()
    cfg = exp.presets["smoke"]
    assert len(lines) == 2 + len(dataclasses.fields(cfg))
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    assert header[:3] == ["name", "type", "allowed"]
    steps = next(ln for ln in lines if ln.startswith("| `steps`"))
    cells = [c.strip().strip("`") for c in steps.strip("|").split("|")]
    assert cells[header.index("smoke")] == str(cfg.steps)
    assert cells[header.index("paper")] == str(exp.presets["paper"].steps)


def test_docs_include_the_generated_tables():
    """docs/experiments.md carries the tables as generated now (regenerate with
    ``python3 -m gstheory.empirical.hparams`` if this fails after a change of a preset)."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "experiments.md").read_text()
    m = re.search(r"<!-- hparams:begin -->\n(.*)<!-- hparams:end -->", doc, re.DOTALL)
    assert m is not None
    assert m.group(1) == tables.markdown_all()
