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
    assert rc == 1  # a refuted box is a non-zero exit
    assert "verdict: refuted" in text
    assert "certified fraction: 0.000000" in text


def test_certify_magnitude_and_budget(capsys):
    rc = main(["certify", "theorem2", "--delta", "0.05,0.95", "--ratio", "2,10",
               "--lam", "0.1,1", "--magnitude", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["verdict"] == "certified" and out["form"] == "magnitude"
    rc = main(["certify", "theorem2", "--delta", "-0.5,0.5", "--ratio", "0.5,5",
               "--lam", "0.1,1", "--max-boxes", "5"])
    text = capsys.readouterr().out
    assert rc == 1
    # leaves add up to what the run produced; examined never below a count it reports
    line = next(t for t in text.splitlines() if "boxes examined" in t)
    assert line.startswith("5 boxes examined") and "not examined (box budget" in line


@pytest.mark.parametrize("argv, name", [
    (["--delta", "0.2,0.1", "--ratio", "1,2", "--lam", "1,2"], "--delta"),
    (["--delta", "0.1,0.1", "--ratio", "1,2", "--lam", "1,2"], "--delta"),
    (["--delta", "-1,0.1", "--ratio", "1,2", "--lam", "1,2"], "--delta"),
    (["--delta", "0.1,1.5", "--ratio", "1,2", "--lam", "1,2"], "--delta"),
    (["--delta", "0.1,0.2", "--ratio", "0,2", "--lam", "1,2"], "--ratio"),
    (["--delta", "0.1,0.2", "--ratio", "1,2", "--lam", "-1,2"], "--lam"),
    (["--delta", "0.1,0.2", "--ratio", "1,2", "--lam", "x,2"], "--lam"),
    (["--delta", "0.1,0.2", "--ratio", "1,2", "--lam", "1e17,1.0001e17", "--max-boxes", "1"],
     "--lam"),
    (["--delta", "-0.65,0.3", "--ratio", "1e12,1e200", "--lam", "1,1e12", "--max-boxes", "1"],
     "--ratio"),
    (["--delta", "0.1,0.2", "--ratio", "1,2", "--lam", "1,2", "--max-seconds", "0"],
     "--max-seconds"),
    (["--delta", "0.1,0.2", "--ratio", "1,2", "--lam", "1,2", "--max-boxes", "0"],
     "--max-boxes"),
])
def test_bad_input_one_line(capsys, argv, name):
    with pytest.raises(SystemExit) as exc:
        main(["certify", "theorem2", *argv])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and name in err
    assert "inf" not in err.replace("in [", "")  # no value the user never gave
