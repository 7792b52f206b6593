"""colored-mnist: the quick preset's predictions hold; bad data directories fail cleanly."""

from __future__ import annotations

import json

import pytest

from gstheory.empirical import harness
from gstheory.empirical.data.colored import PROBES

from ._bad_data import write_idx_dir


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("cm")
    return harness.run_experiment("colored-mnist", "quick", out_dir=out, progress=False), out


def test_quick_predictions_confirmed(quick):
    res, _ = quick
    assert res.metrics["dataset"] == "fashion-mnist"
    failed = [p.line() for p in res.predictions if not p.confirmed]
    assert not failed, failed
    names = {p.name for p in res.predictions}
    assert {"erm-collapses", "sd-beats-erm", "irm-beats-erm", "vrex-beats-erm",
            "oracle-under-cap", "erm-confident-on-colored-blank"} <= names


def test_quick_results_and_figures(quick):
    res, out = quick
    data = json.loads(res.path.read_text())
    assert data["all_confirmed"] is True
    ms = data["metrics"]["methods"]
    assert set(ms) == {"ERM", "SD", "SD-plain", "IRM", "VREx", "oracle"}
    for m in ("ERM", "SD", "IRM"):
        for blank in ("constant", "mean-image"):
            for probe in PROBES:
                v = ms[m]["probes"][blank][probe]
                assert 0 <= v["acc"] <= 1 and 0 <= v["entropy"] <= 0.6932
    # the noise ceiling: nothing that ignores colour can beat 75% by more than sampling
    # noise on 2000 test images (5 binomial std = 0.05)
    assert ms["oracle"]["test_acc"] <= 0.75 + 0.05
    for f in res.figures:
        assert f.exists() and f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "colored-mnist" / "quick" / "seed-0.json").exists()


@pytest.mark.parametrize("kind", ["missing", "truncated", "size"])
def test_bad_data_dir_writes_nothing(tmp_path, kind):
    if kind == "missing":
        d, match = tmp_path / "nowhere", "not a directory"
    elif kind == "truncated":
        d, match = write_idx_dir(tmp_path / "t", truncate=True), "truncated"
    else:
        d, match = write_idx_dir(tmp_path / "s", rows=14), "14x14, expected 28x28"
    out = tmp_path / "results"
    with pytest.raises((ValueError, FileNotFoundError), match=match):
        harness.run_experiment("colored-mnist", "smoke", out_dir=out, progress=False,
                               overrides={"data_dir": str(d)})
    assert not out.exists()


def test_bad_overrides():
    with pytest.raises(ValueError, match="methods"):
        harness.get_config("colored-mnist", "quick", {"methods": "ERM,XYZ"})
    with pytest.raises(ValueError, match="dataset"):
        harness.get_config("colored-mnist", "quick", {"dataset": "cifar"})
