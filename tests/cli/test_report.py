"""``gstheory report`` (tiny smoke setting: no experiments, committed derivations)."""

from __future__ import annotations

import json

import pytest

from gstheory.cli import main


def test_report_smoke(capsys, tmp_path):
    rc = main(["report", "--out", str(tmp_path), "--preset", "smoke", "--experiments",
               "none", "--no-derive", "--json", "--results", str(tmp_path / "results")])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["regressions"] == 0
    html = (tmp_path / "report.html").read_text()
    md = (tmp_path / "report.md").read_text()
    assert html.count("data:image/png;base64,") == len(out["figures"]) >= 4
    assert "theorem-2" in md and "Validity maps" in md
    for f in out["figures"]:
        with open(f, "rb") as fh:
            assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    from gstheory.claims import STATUSES

    assert out["claims"]["theorem-2"] in STATUSES
    # the claim's sign-map evidence describes the validity section's own maps: same count
    import re

    points = re.findall(r'"points": (\d+)', md)
    assert points
    assert f"{points[0]} grid points" in md


def test_report_unknown_experiment(capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(["report", "--out", str(tmp_path), "--experiments", "nope"])
    assert exc.value.code == 2
    assert "--experiments" in capsys.readouterr().err


def test_report_unavailable_cuda_exits_at_once(capsys, tmp_path):
    import torch
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    out = tmp_path / "r"
    with pytest.raises(SystemExit) as exc:
        main(["report", "--out", str(out), "--device", "cuda"])
    assert exc.value.code == 2 and "cuda" in capsys.readouterr().err
    assert not out.exists()


def test_report_says_an_experiment_did_not_run(capsys, tmp_path, monkeypatch):
    """Without Fashion-MNIST, minority-groups cannot run: the summary, the claims table
    and the notes say so and the report exits non-zero."""
    from gstheory.empirical.data import idx

    monkeypatch.setattr(idx, "search_path", lambda name, data_dir=None: [tmp_path / "no"])
    rc = main(["report", "--out", str(tmp_path), "--preset", "smoke", "--experiments",
               "minority-groups,toy-dual", "--no-derive", "--json", "--no-progress"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 1
    assert "DataNotFoundError" in out["not_run"]["minority-groups"]
    assert "toy-dual" not in out["not_run"]
    assert out["claims"]["exp:minority-groups"] == "not-checked"
    md = (tmp_path / "report.md").read_text()
    assert "did not run" in md and "every check came out as expected" not in md


def test_experiment_records_read_result_json_and_get_error_bars(tmp_path, monkeypatch):
    """An experiment run by the report carries its result.json's paper numbers and
    per-seed metrics, and (with several seeds) an error-bar figure file that is a PNG;
    a single-seed run gets none."""
    from gstheory.cli.report import _experiments
    from gstheory.empirical import harness
    from gstheory.report import paper_rows
    from tests.empirical.test_harness import DummyWithPaper

    harness.discover()
    monkeypatch.setitem(harness._REGISTRY, DummyWithPaper.name, DummyWithPaper())
    [rec] = _experiments([DummyWithPaper.name], "quick", tmp_path / "results", "cpu",
                         progress=False, threads=1, fig_dir=tmp_path / "figures")
    doc = json.loads((tmp_path / "results" / DummyWithPaper.name / "quick"
                      / "result.json").read_text())
    assert rec["paper_numbers"] == doc["paper_numbers"] and rec["seeds"] == doc["seeds"]
    assert paper_rows(rec)[0].values == pytest.approx(
        [v * DummyWithPaper.paper_numbers[0].scale for v in doc["metrics"]["value_per_seed"]])
    caption, path = rec["spread_figure"]
    with open(path, "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    assert f"n = {len(doc['seeds'])}" in caption
    [one] = _experiments([DummyWithPaper.name], "smoke", tmp_path / "results", "cpu",
                         progress=False, threads=1, fig_dir=tmp_path / "figures1")
    assert len(one["seeds"]) == 1 and "spread_figure" not in one
