"""``gstheory certify theorem2``."""

from __future__ import annotations

import json

import pytest

from gstheory.cli import main


def test_certify_paper_box_json(capsys):
    rc = main(["certify", "theorem2", "--delta", "0.05,0.1", "--ratio", "4,8",
               "--lam", "0.1,1", "--dynamics", "taylor", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert out["certified_fraction"] == pytest.approx(1.0)
    assert out["refuted"] == [] and out["undecided"] == []
    assert out["verdict"] == "certified"


def test_certify_refuses_counterexample_box(capsys):
    rc = main(["certify", "theorem2", "--delta", "-0.1,-0.05", "--ratio", "4,5",
               "--lam", "0.2,0.3", "--max-depth", "4"])
    text = capsys.readouterr().out
    assert rc == 0
    assert "verdict: refuted" in text and "counterexample" in text
    assert "certified fraction: 0.000000" in text


@pytest.mark.parametrize("argv, name", [
    (["--delta", "0.2,0.1", "--ratio", "1,2", "--lam", "1,2"], "--delta"),
    (["--delta", "0.1,0.1", "--ratio", "1,2", "--lam", "1,2"], "--delta"),
    (["--delta", "-1,0.1", "--ratio", "1,2", "--lam", "1,2"], "--delta"),
    (["--delta", "0.1,1.5", "--ratio", "1,2", "--lam", "1,2"], "--delta"),
    (["--delta", "0.1,0.2", "--ratio", "0,2", "--lam", "1,2"], "--ratio"),
    (["--delta", "0.1,0.2", "--ratio", "1,2", "--lam", "-1,2"], "--lam"),
    (["--delta", "0.1,0.2", "--ratio", "1,2", "--lam", "x,2"], "--lam"),
])
def test_bad_input_one_line(capsys, argv, name):
    with pytest.raises(SystemExit) as exc:
        main(["certify", "theorem2", *argv])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and name in err
