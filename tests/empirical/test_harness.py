"""The experiment harness: registry, configs, overrides, resume, atomic results, CLI."""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from gstheory import validation as check
from gstheory.cli import main as gst_main
from gstheory.empirical import harness
from gstheory.empirical.harness import Config, Experiment, Prediction


@dataclass(frozen=True)
class DummyConfig(Config):
    seeds: int = 3
    scale: float = 1.0
    steps: int = 5
    label: str = "x"
    flag: bool = False
    widths: tuple[int, ...] = (4, 4)
    threshold: float = -1e9

    def validate(self) -> None:
        check.integer("seeds", self.seeds, minimum=1)
        check.positive("scale", self.scale)
        check.integer("steps", self.steps, minimum=1)


CALLS: list[list[int]] = []


class Dummy(Experiment):
    name = "dummy-test"
    paper_ref = "none"
    description = "a deterministic toy for the harness tests"
    presets: ClassVar[dict[str, Any]] = {
        "quick": DummyConfig(), "paper": DummyConfig(seeds=5, steps=50),
        "smoke": DummyConfig(seeds=1, steps=1)}
    seed_chunk = 1

    def run_seeds(self, config, seeds, device):
        CALLS.append(list(seeds))
        out = {}
        for s in seeds:
            rng = np.random.default_rng(s)
            out[s] = {"value": float(config.scale * rng.standard_normal()),
                      "device": str(device)}
        return out

    def summarize(self, config, per_seed):
        vals = [r["value"] for r in per_seed.values()]
        return {"mean": float(np.mean(vals)), "n": len(vals)}

    def predictions(self, config, metrics):
        return [Prediction("finite-mean", "the mean is finite",
                           bool(np.isfinite(metrics["mean"])), {"mean": metrics["mean"]}),
                Prediction("above-threshold", "the mean is > the threshold",
                           metrics["mean"] > config.threshold,
                           {"mean": metrics["mean"], "threshold": config.threshold})]

    def figures(self, config, per_seed, metrics, out_dir):
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(2, 2))
        ax.plot([r["value"] for r in per_seed.values()])
        path = Path(out_dir) / "dummy.png"
        fig.savefig(path)
        plt.close(fig)
        return [path]


@pytest.fixture
def dummy(monkeypatch):
    harness.discover()
    monkeypatch.setitem(harness._REGISTRY, Dummy.name, Dummy())
    CALLS.clear()
    return Dummy.name


def test_registered_experiments_are_discovered():
    names = harness.names()
    for expected in ("two-moons", "feature-dynamics", "toy-dual"):
        assert expected in names
    for n in names:
        exp = harness.get(n)
        assert set(harness.REQUIRED_PRESETS) <= set(exp.presets)
        for cfg in exp.presets.values():
            assert dataclasses.is_dataclass(cfg)
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(cfg, dataclasses.fields(cfg)[0].name, None)


def test_unknown_experiment_and_preset_list_valid_ones():
    with pytest.raises(ValueError, match="valid experiments: .*two-moons"):
        harness.get("no-such-thing")
    with pytest.raises(ValueError, match="valid presets: quick, paper, smoke"):
        harness.get_config("two-moons", "huge")


def test_register_refuses_incomplete_declarations():
    class NoName(Experiment):
        presets = Dummy.presets
    with pytest.raises(ValueError, match="name"):
        harness.register(NoName)

    class NoSmoke(Experiment):
        name = "no-smoke"
        presets: ClassVar[dict[str, Any]] = {"quick": DummyConfig(),
                                             "paper": DummyConfig()}
    with pytest.raises(ValueError, match="smoke"):
        harness.register(NoSmoke)


def test_overrides_are_typed_and_validated():
    cfg = DummyConfig()
    new = harness.apply_overrides(cfg, {"scale": "2.5", "steps": "7", "flag": "true",
                                        "label": "y", "widths": "8,16,32"})
    assert (new.scale, new.steps, new.flag, new.label, new.widths) == \
        (2.5, 7, True, "y", (8, 16, 32))
    assert cfg.scale == 1.0  # the preset itself is untouched
    with pytest.raises(ValueError, match="unknown setting.*valid settings: .*scale"):
        harness.apply_overrides(cfg, {"nope": 1})
    with pytest.raises(ValueError, match="scale"):
        harness.apply_overrides(cfg, {"scale": "-1"})
    with pytest.raises(ValueError, match="steps"):
        harness.apply_overrides(cfg, {"steps": "1.5"})
    with pytest.raises(ValueError, match="flag"):
        harness.apply_overrides(cfg, {"flag": "maybe"})
    assert harness.parse_set(["a=1", " b = x "]) == {"a": "1", "b": "x"}
    with pytest.raises(ValueError, match="key=value"):
        harness.parse_set(["novalue"])


def test_prediction_serialises_and_prints():
    p = Prediction("p", "statement", np.bool_(True), {"x": np.float64(0.5), "v": [1, 2]})
    assert p.confirmed is True
    d = p.to_dict()
    assert json.loads(json.dumps(d)) == {"name": "p", "statement": "statement",
                                         "confirmed": True,
                                         "evidence": {"x": 0.5, "v": [1, 2]},
                                         "asserted": True}
    assert p.line().startswith("[CONFIRMED] p: x=0.5")
    assert Prediction("q", "s", False).line().startswith("[REFUTED]")
    # an unasserted prediction says so when printed and in its JSON
    u = Prediction("u", "s", False, {"x": 1.0}, asserted=False)
    assert u.to_dict()["asserted"] is False
    assert "not established at this scale" in u.line()


def test_device_resolution():
    import torch
    assert harness.resolve_device("cpu").type == "cpu"
    assert harness.resolve_device("auto").type == ("cuda" if torch.cuda.is_available()
                                                   else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA device"):
            harness.resolve_device("cuda")
    with pytest.raises(ValueError, match="device"):
        harness.resolve_device("tpu")


def test_run_writes_results_and_resumes(dummy, tmp_path):
    res = harness.run_experiment(dummy, preset="quick", device="cpu", out_dir=tmp_path,
                                 progress=False)
    run_dir = tmp_path / dummy / "quick"
    assert res.path == run_dir / "result.json"
    assert sorted(p.name for p in run_dir.iterdir() if p.name != ".lock") == \
        ["dummy.png", "result.json", "seed-0.json", "seed-1.json", "seed-2.json"]
    doc = json.loads(res.path.read_text())
    for key in ("config", "seeds", "versions", "device", "timings", "metrics",
                "predictions", "figures"):
        assert key in doc
    assert doc["seeds"] == [0, 1, 2]
    assert {p["name"] for p in doc["predictions"]} == {"finite-mean", "above-threshold"}
    for p in doc["predictions"]:
        assert set(p) >= {"name", "statement", "confirmed", "evidence"}
    assert CALLS == [[0], [1], [2]]  # seed_chunk=1: one call per seed
    # Interrupted run: drop one seed file, the others must not be recomputed.
    (run_dir / "seed-1.json").unlink()
    CALLS.clear()
    res2 = harness.run_experiment(dummy, preset="quick", device="cpu", out_dir=tmp_path,
                                  progress=False)
    assert CALLS == [[1]]
    assert res2.timings["resumed_seeds"] == [0, 2]
    assert res2.metrics == res.metrics  # same config, seed, device -> same numbers
    # A changed config makes old seed files stale: everything is recomputed.
    CALLS.clear()
    res3 = harness.run_experiment(dummy, preset="quick", device="cpu", out_dir=tmp_path,
                                  progress=False, overrides={"scale": 2.0})
    assert CALLS == [[0], [1], [2]]
    assert res3.metrics["mean"] == pytest.approx(2 * res.metrics["mean"], rel=1e-12)
    # More seeds than before: only the new ones run.
    CALLS.clear()
    harness.run_experiment(dummy, preset="quick", seeds=4, device="cpu",
                           out_dir=tmp_path, progress=False, overrides={"scale": 2.0})
    assert CALLS == [[3]]


def test_all_seeds_in_one_call_and_a_finished_run_recomputes_nothing(dummy, tmp_path,
                                                                     monkeypatch):
    monkeypatch.setattr(harness._REGISTRY[dummy], "seed_chunk", None)
    res = harness.run_experiment(dummy, preset="quick", device="cpu", out_dir=tmp_path,
                                 progress=False)
    assert CALLS == [[0, 1, 2]]
    CALLS.clear()
    again = harness.run_experiment(dummy, preset="quick", device="cpu", out_dir=tmp_path,
                                   progress=False)
    assert CALLS == []                  # every seed file is current: nothing runs
    assert again.timings["resumed_seeds"] == [0, 1, 2]
    assert again.metrics == res.metrics and again.path.exists()


def test_no_temp_files_left_behind(dummy, tmp_path):
    harness.run_experiment(dummy, device="cpu", out_dir=tmp_path, progress=False,
                           figures=False)
    leftovers = [p for p in (tmp_path / dummy / "quick").iterdir()
                 if p.name.startswith(".") and p.name != ".lock"]
    assert leftovers == []


def test_bad_input_fails_before_training(dummy, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ValueError, match="not a directory|not writable"):
        harness.run_experiment(dummy, device="cpu", out_dir=blocker, progress=False)
    if os.geteuid() != 0:  # root ignores permission bits
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        with pytest.raises(ValueError, match="not writable"):
            harness.run_experiment(dummy, device="cpu", out_dir=ro, progress=False)
    with pytest.raises(ValueError, match="seeds"):
        harness.run_experiment(dummy, seeds=0, device="cpu", out_dir=tmp_path)
    with pytest.raises(ValueError, match="steps"):
        harness.run_experiment(dummy, device="cpu", out_dir=tmp_path,
                               overrides={"steps": 0})
    assert CALLS == []


def test_cli_run_and_list(dummy, tmp_path, capsys):
    assert gst_main(["run", "--list"]) == 0
    out = capsys.readouterr().out
    assert "two-moons" in out and "dummy-test" in out
    code = gst_main(["run", dummy, "--device", "cpu", "--out", str(tmp_path), "--json"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["experiment"] == dummy and len(doc["predictions"]) == 2
    # exit 0 even when a prediction is refuted (an impossible threshold)
    code = gst_main(["run", dummy, "--device", "cpu", "--out", str(tmp_path),
                     "--no-progress", "--set", "threshold=1e9"])
    out = capsys.readouterr().out
    assert code == 0
    assert "[CONFIRMED] finite-mean" in out and "[REFUTED] above-threshold" in out


@pytest.mark.parametrize("argv, message", [
    (["run", "nope"], "valid experiments"),
    (["run", "dummy-test", "--preset", "huge"], "valid presets"),
    (["run", "dummy-test", "--set", "scale=-1"], "scale"),
    (["run", "dummy-test", "--set", "bogus=1"], "valid settings"),
    (["run", "dummy-test", "--seeds", "0"], "seeds"),
    (["run", "dummy-test", "--device", "tpu"], "device"),
])
def test_cli_bad_input_is_one_line(dummy, tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        gst_main([*argv, "--out", str(tmp_path)])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err
    assert CALLS == []


def test_prediction_with_own_threshold_carries_the_paper_verdict():
    p = Prediction("c", "cost <= 15", True, {"cost": 0.09}, threshold_source="ours",
                   paper_check={"statement": "paper: about 3", "confirmed": False})
    d = p.to_dict()
    assert d["threshold_source"] == "ours" and d["paper_check"]["confirmed"] is False
    with pytest.raises(ValueError, match="threshold_source"):
        Prediction("c", "s", True, threshold_source="mine")


# --------------------------------------------------------------------------- losing nothing
_KILL_RUN = ["two-moons", "--preset", "smoke", "--seeds", "4", "--no-figures",
             "--threads", "1", "--set", "variants=neg-margin,pos-margin",
             "--set", "steps=6000", "--set", "reference_steps=6000"]


def test_sigkill_loses_only_the_chunk_in_flight(tmp_path):
    """SIGKILL a run after its first chunk is written; the re-run recomputes only the
    seeds whose files are missing (two-moons stacks 2 seeds per chunk)."""
    import signal
    import subprocess
    import sys
    import time

    root = Path(__file__).resolve().parents[2]
    run_dir = tmp_path / "two-moons" / "smoke"
    proc = subprocess.Popen([sys.executable, "-m", "gstheory", "run", *_KILL_RUN,
                             "--out", str(tmp_path), "--no-progress"], cwd=root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not (run_dir / "seed-0.json").exists():
            assert proc.poll() is None, "the run ended before writing a seed"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    done = sorted(int(p.stem.split("-")[1]) for p in run_dir.glob("seed-*.json"))
    assert not (run_dir / "result.json").exists()
    assert 0 in done and len(done) < 4
    res = harness.run_experiment(
        "two-moons", preset="smoke", seeds=4, device="cpu", out_dir=tmp_path,
        overrides=harness.parse_set(_KILL_RUN[-5::2]), progress=False, figures=False)
    assert res.timings["resumed_seeds"] == done
    assert res.timings["computed_seeds"] == [s for s in range(4) if s not in done]


def test_swapped_data_file_recomputes_the_seed(tmp_path):
    from tests.empirical._bad_data import write_idx_dir

    data = write_idx_dir(tmp_path / "data", n=60)
    over = {"data_dir": str(data), "dataset": "mnist", "n_train": "40", "n_test": "10",
            "methods": "ERM"}
    kw = {"preset": "smoke", "device": "cpu", "out_dir": tmp_path / "out",
          "overrides": over, "progress": False, "figures": False}
    first = harness.run_experiment("colored-mnist", **kw)
    assert harness.run_experiment("colored-mnist", **kw).timings["resumed_seeds"] == [0]
    labels = data / "train-labels-idx1-ubyte.gz"
    import gzip
    blob = bytearray(gzip.decompress(labels.read_bytes()))
    blob[8:] = bytes((b + 1) % 10 for b in blob[8:])          # other labels, same layout
    labels.write_bytes(gzip.compress(bytes(blob)))
    again = harness.run_experiment("colored-mnist", **kw)
    assert again.timings["resumed_seeds"] == [] and again.timings["computed_seeds"] == [0]
    assert again.config["data_sha256"] != first.config["data_sha256"]


def test_result_records_the_seeds_that_ran(dummy, tmp_path):
    res = harness.run_experiment(dummy, seeds=4, device="cpu", out_dir=tmp_path,
                                 progress=False, figures=False)
    doc = json.loads(res.path.read_text())
    assert doc["config"]["seeds"] == 4 == len(doc["seeds"])
    # the seed count is not part of the fingerprint: a 2-seed run reuses seeds 0 and 1
    res2 = harness.run_experiment(dummy, seeds=2, device="cpu", out_dir=tmp_path,
                                  progress=False, figures=False)
    assert res2.timings["resumed_seeds"] == [0, 1]


def test_stale_temporaries_are_removed(dummy, tmp_path):
    run_dir = tmp_path / dummy / "quick"
    run_dir.mkdir(parents=True)
    stale = run_dir / ".dummy.png.abc123.tmp"
    stale.write_bytes(b"")
    res = harness.run_experiment(dummy, device="cpu", out_dir=tmp_path, progress=False,
                                 figures=False)
    assert not stale.exists()
    assert res.timings["removed_temporaries"] == [stale.name]


def test_a_busy_results_folder_is_refused(dummy, tmp_path):
    from gstheory.empirical.rundir import FolderBusyError, claim

    run_dir = tmp_path / dummy / "quick"
    run_dir.mkdir(parents=True)
    with claim(run_dir), pytest.raises(FolderBusyError, match=f"pid {os.getpid()}"):
        harness.run_experiment(dummy, device="cpu", out_dir=tmp_path, progress=False,
                               figures=False)
    assert CALLS == []                      # refused before any work
    harness.run_experiment(dummy, device="cpu", out_dir=tmp_path, progress=False,
                           figures=False)   # free again once the holder is gone
    assert len(CALLS) == 3


@pytest.mark.parametrize("name, overrides", [
    ("two-moons", {"lr": "100", "variants": "pos-margin"}),
    ("feature-dynamics", {"lr": "100"}),
    ("margin", {"lr": "100"}),
])
def test_divergence_names_the_learning_rate(tmp_path, name, overrides):
    with pytest.raises(harness.DivergenceError, match=r"diverged.*lr=\[?100"):
        harness.run_experiment(name, preset="smoke", device="cpu",
                               out_dir=tmp_path, progress=False, figures=False,
                               overrides=overrides)
    assert not list((tmp_path / name / "smoke").glob("seed-*.json"))


def test_progress_in_a_log_is_plain_lines(capsys):
    token = harness._PROGRESS.set(True)
    try:
        assert list(harness.progress(range(3), desc="stage")) == [0, 1, 2]
    finally:
        harness._PROGRESS.reset(token)
    err = capsys.readouterr().err
    assert err.splitlines()[0] == "[gstheory] stage: 3 steps"
    assert "\r" not in err and "\x1b" not in err and "done in" in err


# --------------------------------------------------------------------------- paper numbers
class DummyWithPaper(Dummy):
    name = "dummy-paper-test"
    paper_numbers = (
        harness.PaperNumber("value", 12.5, "metrics.value_per_seed", "%", "Table 0",
                            scale=100.0, std=0.5, setting="a toy"),
        harness.PaperNumber("never measured", 3.0, "metrics.absent_per_seed", "", "Fig. 0"),
    )

    def summarize(self, config, per_seed):
        out = super().summarize(config, per_seed)
        out["value_per_seed"] = [r["value"] for r in per_seed.values()]
        return out


def test_paper_numbers_validate_and_register():
    with pytest.raises(ValueError, match="value"):
        harness.PaperNumber("x", float("nan"), "metrics.a", "%", "Table 2")
    with pytest.raises(ValueError, match="metric"):
        harness.PaperNumber("x", 1.0, "metrics..a", "%", "Table 2")
    with pytest.raises(ValueError, match="scale"):
        harness.PaperNumber("x", 1.0, "metrics.a", "%", "Table 2", scale=0.0)
    with pytest.raises(ValueError, match="std"):
        harness.PaperNumber("x", 1.0, "metrics.a", "%", "Table 2", std=-1.0)
    n = harness.PaperNumber("x", 1.0, "metrics.a", "%", "Table 2")

    class Listed(Dummy):
        name = "listed-paper-numbers"
        paper_numbers = [n]  # type: ignore[assignment]  # noqa: RUF012
    with pytest.raises(ValueError, match="tuple of PaperNumber"):
        harness.register(Listed)

    class Repeated(Dummy):
        name = "repeated-paper-numbers"
        paper_numbers = (n, n)
    with pytest.raises(ValueError, match="repeat a label"):
        harness.register(Repeated)


def test_result_json_carries_paper_numbers_the_report_reads(dummy, tmp_path, monkeypatch):
    """The declared numbers reach result.json; the core report, reading only that file,
    puts numpy's mean and sample std of the seed files' values beside them."""
    from gstheory.report import paper_rows

    monkeypatch.setitem(harness._REGISTRY, DummyWithPaper.name, DummyWithPaper())
    res = harness.run_experiment(DummyWithPaper.name, preset="quick", device="cpu",
                                 out_dir=tmp_path, progress=False, figures=False)
    doc = json.loads(res.path.read_text())
    assert doc["paper_numbers"] == [p.to_dict() for p in DummyWithPaper.paper_numbers]
    seed_values = np.array([json.loads((res.path.parent / f"seed-{s}.json").read_text())
                            ["result"]["value"] for s in doc["seeds"]])
    measured, absent = paper_rows(doc)
    declared = DummyWithPaper.paper_numbers[0]
    assert measured.paper == declared.value and measured.paper_std == declared.std
    assert measured.n == len(doc["seeds"]) >= 2
    assert measured.mean == pytest.approx(np.mean(seed_values) * declared.scale)
    assert measured.std == pytest.approx(np.std(seed_values * declared.scale, ddof=1))
    assert absent.n == 0
    # an experiment that declares none writes an empty list
    plain = harness.run_experiment(dummy, preset="quick", device="cpu", out_dir=tmp_path,
                                   progress=False, figures=False)
    assert json.loads(plain.path.read_text())["paper_numbers"] == []
