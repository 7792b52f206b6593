"""``gstheory solve --features X.npy --labels y.npy --lam L``: binary and multi-class."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import gstheory
from gstheory.cli import main
from gstheory.multiclass import (
    from_shared_features,
    minimise_primal,
    shared_jacobians,
    solve_fixed_point,
)


def _files(tmp_path, X, y, xname="X.npy", yname="y.npy"):
    fx, fy = tmp_path / xname, tmp_path / yname
    np.save(fx, np.asarray(X))
    np.save(fy, np.asarray(y))
    return str(fx), str(fy)


def _json(capsys, *argv):
    assert main(["solve", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("labels", ["pm", "01"])
def test_binary_matches_the_core(tmp_path, capsys, labels):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((4, 6))
    ypm = np.array([1.0, -1.0, -1.0, 1.0])
    y = ypm if labels == "pm" else (ypm + 1) / 2
    fx, fy = _files(tmp_path, X, y)
    doc = _json(capsys, "--features", fx, "--labels", fy, "--lam", "0.1")
    sp = gstheory.from_features(X, ypm)
    fp = gstheory.solve_fixed_point(sp, gstheory.Ridge(0.1))
    assert doc["problem"] == "binary" and doc["converged"] is True
    assert len(doc["theta"]) == 6 and len(doc["alpha"]) == 4
    np.testing.assert_allclose(doc["alpha"], fp.alpha, rtol=1e-12)
    np.testing.assert_allclose(doc["z"], fp.z, rtol=1e-12)
    np.testing.assert_allclose(doc["starvation"],
                               gstheory.starvation_matrix(sp, gstheory.Ridge(0.1)),
                               rtol=1e-10)
    # theta is the primal optimum: margins y * X theta give alpha = sigma(-margin)
    m = ypm * (X @ np.array(doc["theta"]))
    np.testing.assert_allclose(doc["alpha"], 1 / (1 + np.exp(m)), rtol=1e-10)


def test_binary_rank_deficient_uses_the_k2_embedding(tmp_path, capsys):
    """n > d: the core refuses Y Phi0 without full row rank; the exact K = 2 embedding
    gives the primal optimum."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((12, 3))
    y = (X[:, 0] + 0.3 * rng.standard_normal(12) > 0).astype(float)
    fx, fy = _files(tmp_path, X, y)
    doc = _json(capsys, "--features", fx, "--labels", fy, "--lam", "0.5")
    assert doc["method"] == "multiclass-k2" and doc["converged"] is True
    Phi = np.stack([-X / 2, X / 2], axis=1)
    sol = minimise_primal(Phi, y.astype(int), 0.5)
    np.testing.assert_allclose(doc["theta"], sol.theta, rtol=1e-8)
    assert len(doc["z"]) == 3 and np.array(doc["starvation"]).shape == (3, 3)


def test_k2_embedding_agrees_with_the_core_on_full_rank_data(monkeypatch):
    """The fallback route and the binary core give the same z and starvation."""
    from gstheory.cli.solve_data import _binary
    rng = np.random.default_rng(2)
    X = rng.standard_normal((3, 5))
    ypm = np.array([1.0, -1.0, 1.0])
    core = _binary(X, ypm, 0.2)

    def refuse(*args):
        raise ValueError("forced: take the K = 2 route")
    monkeypatch.setattr(gstheory, "from_features", refuse)
    emb = _binary(X, ypm, 0.2)
    assert core["method"] == "binary-core" and emb["method"] == "multiclass-k2"
    for key in ("theta", "alpha", "z", "starvation"):
        np.testing.assert_allclose(emb[key], core[key], rtol=1e-7,
                                   atol=1e-10 * np.max(np.abs(core[key])))


def test_multiclass_json(tmp_path, capsys):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((9, 2))
    y = np.arange(9) % 3
    fx, fy = _files(tmp_path, X, y)
    doc = _json(capsys, "--features", fx, "--labels", fy, "--lam", "0.05")
    assert doc["problem"] == "multiclass" and doc["K"] == 3 and doc["converged"] is True
    W = np.array(doc["theta"])
    assert W.shape == (2, 3) and np.array(doc["alpha"]).shape == (9, 3)
    sol = minimise_primal(shared_jacobians(X, 3), y, 0.05)
    np.testing.assert_allclose(W.reshape(-1), sol.theta, rtol=1e-8)
    np.testing.assert_allclose(doc["alpha"], sol.alpha, atol=1e-10)
    fp = solve_fixed_point(from_shared_features(X, y, 3), 0.05)
    np.testing.assert_allclose(doc["z"], fp.z_norm, rtol=1e-12)
    assert np.array(doc["starvation"]).shape == (2, 2)


def _bad(tmp_path):
    good_X, good_y = np.eye(3), np.array([0, 1, 2])
    nan_X = np.eye(3)
    nan_X[0, 0] = np.nan
    (tmp_path / "text.npy").write_text("not numpy")
    cases = {
        "missing file": (["--features", str(tmp_path / "none.npy")], "--features"),
        "not npy": (["--features", str(tmp_path / "text.npy")], "--features"),
        "mismatch": (["--labels", "short"], "--labels"),
        "single class": (["--labels", "ones"], "--labels"),
        "nan": (["--features", "nanX"], "--features"),
        "lam": (["--lam", "-1"], "--lam"),
        "labels 1-d": (["--labels", "twod"], "--labels"),
        "float labels": (["--labels", "halves"], "--labels"),
        "with s2": (["--s2", "1,2"], "--s2"),
    }
    files = {"short": np.array([0, 1]), "ones": np.ones(3), "nanX": nan_X,
             "twod": np.zeros((3, 1)), "halves": np.array([0, 0.5, 1])}
    paths = {}
    for k, v in files.items():
        paths[k] = str(tmp_path / f"{k}.npy")
        np.save(paths[k], v)
    fx, fy = _files(tmp_path, good_X, good_y)
    return cases, paths, fx, fy


@pytest.mark.parametrize("case", ["missing file", "not npy", "mismatch", "single class",
                                  "nan", "lam", "labels 1-d", "float labels", "with s2"])
def test_bad_input_one_line_exit_2(tmp_path, capsys, case):
    cases, paths, fx, fy = _bad(tmp_path)
    extra, flag = cases[case]
    args = {"--features": fx, "--labels": fy, "--lam": "0.1"}
    extra = [paths.get(a, a) for a in extra]
    for k, v in zip(extra[::2], extra[1::2]):
        args[k] = v
    argv = [x for kv in args.items() for x in kv]
    with pytest.raises(SystemExit) as exc:
        main(["solve", *argv])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and flag in err and "Traceback" not in err


def test_existing_interface_unchanged(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["solve", "--lam", "1"])
    assert exc.value.code == 2 and "--s2" in capsys.readouterr().err


def test_subprocess_human_output(tmp_path):
    fx, fy = _files(tmp_path, np.eye(3) + 0.1, np.array([0, 1, 2]))
    r = subprocess.run([sys.executable, "-m", "gstheory", "solve", "--features", fx,
                        "--labels", fy, "--lam", "0.1"], capture_output=True, text=True,
                       check=False)
    assert r.returncode == 0, r.stderr
    assert "multiclass problem from data" in r.stdout
