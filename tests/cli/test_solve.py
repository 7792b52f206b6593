"""`gstheory solve`: the interface scripts depend on (2- and 5-feature --json)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from gstheory.cli import main
from gstheory.fixed_points import solve_fixed_point
from gstheory.penalties import Ridge, SpectralDecoupling
from gstheory.sensitivity import starvation_matrix
from gstheory.spectrum import Spectrum, coupling_matrix, perturbed_identity


def run_json(capsys, *argv: str) -> dict:
    assert main(["solve", *argv, "--json"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return json.loads(out)


def test_two_features_json_matches_library(capsys):
    doc = run_json(capsys, "--s2", "36,4", "--lam", "0.01", "--delta", "0.5")
    sp = perturbed_identity([36.0, 4.0], 0.5)
    fp = solve_fixed_point(sp, Ridge(0.01))
    S = starvation_matrix(sp, Ridge(0.01))
    assert np.allclose(doc["alpha"], fp.alpha, rtol=1e-14)
    assert np.allclose(doc["z"], fp.z, rtol=1e-14)
    assert np.allclose(doc["starvation"], S, rtol=1e-14)
    assert doc["starvation"][0][1] < 0          # feature 1 starves feature 2 (Theorem 2)
    assert doc["starves"][0][1] is True
    assert doc["converged"] is True and doc["residual"] < 1e-12
    assert doc["inputs"]["delta"] == 0.5 and doc["inputs"]["penalty"] == "ridge"
    # the authors' toy at s1 = 6: |z*| ~ (9.07, 1.185), as in their figure's endpoints
    assert doc["z"] == pytest.approx([9.0710, 1.1853], abs=1e-4)


def test_five_features_json_taylor_and_precision(capsys):
    s2 = [9.0, 5.0, 4.0, 2.0, 1.0]
    doc = run_json(capsys, "--s2", ",".join(map(str, s2)), "--lam", "0.1", "--delta", "0.3",
                   "--dynamics", "taylor")
    sp = Spectrum(coupling_matrix(5, 0.3), s2)
    assert np.allclose(doc["alpha"], solve_fixed_point(sp, Ridge(0.1), "taylor").alpha)
    S = np.array(doc["starvation"])
    assert S.shape == (5, 5)
    assert np.allclose(S, starvation_matrix(sp, Ridge(0.1), "taylor"), rtol=1e-12)
    hp = run_json(capsys, "--s2", ",".join(map(str, s2)), "--lam", "0.1", "--delta", "0.3",
                  "--dynamics", "taylor", "--precision", "40")
    assert hp["method"] == "mpmath" and hp["precision"] == 40
    assert np.allclose(hp["alpha"], doc["alpha"], rtol=1e-10)
    assert np.allclose(hp["starvation"], S, rtol=1e-8, atol=1e-10 * np.abs(S).max())
    assert len(hp["alpha_digits"][0].replace("-", "").replace(".", "").split("e")[0]) >= 35


def test_U_from_file_and_sd(tmp_path, capsys):
    rng = np.random.default_rng(0)
    U = np.linalg.qr(rng.standard_normal((3, 3)))[0]
    f = tmp_path / "U.npy"
    np.save(f, U)
    doc = run_json(capsys, "--s2", "3,2,1", "--lam", "0.5", "--U", str(f), "--penalty", "sd",
                   "--gamma", "1.0")
    fp = solve_fixed_point(Spectrum(U, [3.0, 2.0, 1.0]), SpectralDecoupling(0.5, 1.0))
    assert np.allclose(doc["alpha"], fp.alpha) and np.allclose(doc["z"], fp.z)
    assert np.all(np.array(doc["starvation"]) == 0)       # SD decouples


@pytest.mark.parametrize("argv,name", [
    (["--s2", "36,4", "--lam", "-1"], "--lam"),
    (["--s2", "36,x", "--lam", "1"], "--s2"),
    (["--s2", "36,4", "--lam", "1", "--delta", "-1"], "--delta"),
    (["--s2", "36,4", "--lam", "1", "--precision", "ten"], "--precision"),
    (["--s2", "36,4", "--lam", "1", "--gamma", "1"], "--gamma"),
    (["--s2", "36,4", "--lam", "1", "--U", "/nonexistent.npy"], "--U"),
    (["--s2", "36,4", "--lam", "1", "--penalty", "l1"], "--penalty"),
    (["--lam", "1"], "--s2"),
])
def test_bad_arguments_one_line_naming_the_argument(argv, name, capsys):
    with pytest.raises(SystemExit) as e:
        main(["solve", *argv])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and name in err and "Traceback" not in err


def test_non_orthogonal_U_file_refused(tmp_path, capsys):
    f = tmp_path / "U.npy"
    np.save(f, np.array([[1.0, 0.1], [0.0, 1.0]]))
    with pytest.raises(SystemExit) as e:
        main(["solve", "--s2", "2,1", "--lam", "1", "--U", str(f)])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "--U" in err and "orthogonal" in err


def test_human_output_and_subprocess():
    r = subprocess.run([sys.executable, "-m", "gstheory", "solve", "--s2", "36,4", "--lam",
                        "0.01", "--delta", "0.5"], check=False, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert "starvation matrix" in r.stdout and "1->2" in r.stdout
    r = subprocess.run([sys.executable, "-m", "gstheory", "solve", "--help"],
                       check=False, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "--precision" in r.stdout


def test_json_starvation_magnitude_is_sign_free_and_null_where_z_vanishes(capsys):
    doc = run_json(capsys, "--s2", "36,4", "--lam", "0.01", "--delta", "0.5")
    S, z = np.array(doc["starvation"]), np.array(doc["z"])
    assert np.array_equal(np.array(doc["starvation_magnitude"]), np.sign(z) * S)
    keys = ["alpha", "z", "starvation", "starves", "starvation_magnitude", "residual",
            "iterations", "converged", "method", "precision", "inputs"]
    assert list(doc) == keys
    zero = run_json(capsys, "--s2", "36,4", "--lam", "0.01", "--delta", str(1 / np.sqrt(2)))
    assert [row[1] for row in zero["starvation_magnitude"]] == [None, None]
    assert all(row[0] is not None for row in zero["starvation_magnitude"])
    hp = run_json(capsys, "--s2", "36,4", "--lam", "0.01", "--delta", "0.5",
                  "--precision", "30")
    assert np.allclose(hp["starvation_magnitude"], doc["starvation_magnitude"], rtol=1e-9)


def test_misspelt_flag_is_named_with_a_suggestion(capsys):
    with pytest.raises(SystemExit) as e:
        main(["solve", "--s2", "36,4", "--lamda", "0.01"])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.splitlines() == [
        "gstheory solve: error: unrecognized argument --lamda (did you mean --lam?)"]


def test_one_feature_is_singular(capsys):
    assert main(["solve", "--s2", "4", "--lam", "0.1"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("gstheory solve: 1 feature, ")


def test_precision_shows_every_digit_in_text_mode(capsys):
    assert main(["solve", "--s2", "36,4", "--lam", "0.01", "--delta", "0.5",
                 "--precision", "50"]) == 0
    text = capsys.readouterr().out
    doc = run_json(capsys, "--s2", "36,4", "--lam", "0.01", "--delta", "0.5",
                   "--precision", "50")
    for key in ("alpha_digits", "z_digits"):
        for v in doc[key]:
            assert v in text
            assert len(v.replace("-", "").replace(".", "").lstrip("0")) >= 50
    for row in doc["starvation_digits"]:
        assert "  ".join(row) in text
