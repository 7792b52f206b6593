"""Seeds as submitit jobs (submitit's local executor): the same seed files as inline."""

from __future__ import annotations

import importlib.util

import pytest

from gstheory.empirical import harness

pytestmark = pytest.mark.skipif(importlib.util.find_spec("submitit") is None,
                                reason="the optional extra submitit is not installed")

KW = {"preset": "smoke", "device": "cpu", "progress": False, "figures": False,
      "seeds": 2, "overrides": {"variants": "neg-margin,pos-margin"}}


def test_local_jobs_write_the_inline_bytes_and_resume(tmp_path):
    from gstheory.empirical.launch import SubmititLauncher

    inline = harness.run_experiment("two-moons", out_dir=tmp_path / "inline", **KW)
    launcher = SubmititLauncher("local", tmp_path / "jobs", timeout_min=10, threads=1)
    jobs = harness.run_experiment("two-moons", out_dir=tmp_path / "jobs-out",
                                  launcher=launcher, **KW)
    for s in inline.seeds:
        a = harness.seed_path(inline.path.parent, s).read_bytes()
        b = harness.seed_path(jobs.path.parent, s).read_bytes()
        assert a == b
    assert jobs.metrics == inline.metrics
    assert jobs.timings["launcher"]["cluster"] == "local"
    assert [c["seeds"] for c in jobs.timings["chunks"]] == [[0, 1]]
    # collected and resumed as an inline run's files are
    again = harness.run_experiment("two-moons", out_dir=tmp_path / "jobs-out",
                                   launcher=launcher, **KW)
    assert again.timings["resumed_seeds"] == [0, 1] and again.timings["chunks"] == []


def test_bad_launcher_settings_are_refused():
    from gstheory.empirical.launch import SubmititLauncher

    with pytest.raises(ValueError, match="cluster"):
        SubmititLauncher("pbs")
    with pytest.raises(ValueError, match="timeout_min"):
        SubmititLauncher("local", timeout_min=0)
