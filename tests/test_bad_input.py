"""Malformed input at every public function of the numeric core and at `gstheory solve`.

Each call either returns finite numbers or raises ValueError whose message names the
parameter (never a TypeError/IndexError/FloatingPointError from deep inside numpy, never a
NaN). Numpy floating-point errors raise inside tests (conftest), so a silent overflow would
fail here too.
"""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys

import mpmath as mp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gstheory import dual, fixed_points, penalties, primal, sensitivity, trajectories
from gstheory.cli import main as cli_main
from gstheory.penalties import Ridge, SpectralDecoupling
from gstheory.spectrum import perturbed_identity

from .strategies import examples

SP = perturbed_identity([36.0, 4.0], 0.5)
PHI = np.array([[3.0, 1.0, 0.5], [-1.0, 2.0, 0.3]])
Y = np.array([1.0, -1.0])
U2 = SP.U

# (function, valid keyword arguments, names a ValueError may cite for each argument)
CASES = {
    "Ridge": (penalties.Ridge, {"lam": 0.1}),
    "SpectralDecoupling": (penalties.SpectralDecoupling, {"lam": 0.1, "gamma": 0.5}),
    "make_penalty": (penalties.make_penalty, {"name": "sd", "lam": 0.1, "gamma": 1.0}),
    "as_penalty": (penalties.as_penalty, {"penalty": "ridge", "lam": 0.1}),
    "Ridge.value": (Ridge(0.1).value, {"theta": [1.0, 2.0]}),
    "SD.value": (SpectralDecoupling(0.1).value, {"theta": None, "margins": [1.0, 2.0]}),
    "SD.per_example": (SpectralDecoupling(0.1).per_example, {"n": 3}),
    "binary_entropy": (dual.binary_entropy, {"alpha": [0.2, 0.3]}),
    "dual_system": (dual.dual_system, {"spectrum": SP, "penalty": Ridge(0.1),
                                       "dynamics": "exact"}),
    "dual_objective": (dual.dual_objective, {"alpha": [0.2, 0.3], "spectrum": SP,
                                             "penalty": Ridge(0.1), "dynamics": "exact"}),
    "vector_field": (dual.vector_field, {"alpha": [0.2, 0.3], "spectrum": SP,
                                         "penalty": Ridge(0.1), "dynamics": "taylor",
                                         "eta": 1.0}),
    "vector_field_jacobian": (dual.vector_field_jacobian, {
        "alpha": [0.2, 0.3], "spectrum": SP, "penalty": SpectralDecoupling(0.1),
        "dynamics": "exact", "eta": 1.0}),
    "solve_fixed_point": (fixed_points.solve_fixed_point, {
        "spectrum": SP, "penalty": Ridge(0.1), "dynamics": "exact", "alpha0": [0.1, 0.1],
        "tol": 1e-13, "max_iter": 50}),
    "solve_fixed_points": (fixed_points.solve_fixed_points, {
        "U": U2, "s2": [[36.0, 4.0], [1.0, 2.0]], "lam": [0.1, 1.0], "penalty": "ridge",
        "dynamics": "taylor", "gamma": None, "tol": 1e-13, "max_iter": 50}),
    "solve_fixed_points_sd": (fixed_points.solve_fixed_points, {
        "U": U2, "s2": [36.0, 4.0], "lam": 0.1, "penalty": "sd", "dynamics": "exact",
        "gamma": 1.0}),
    "solve_fixed_point_mp": (fixed_points.solve_fixed_point_mp, {
        "spectrum": SP, "penalty": Ridge(0.1), "dynamics": "exact", "dps": 20}),
    "solve_fixed_point_mp_s2": (fixed_points.solve_fixed_point_mp, {
        "spectrum": SP, "penalty": Ridge(0.1), "dynamics": "taylor", "dps": 20,
        "s2": [36.0, 4.0]}),
    "closed_form_equal_strengths": (fixed_points.closed_form_equal_strengths, {
        "spectrum": perturbed_identity([2.0, 2.0], 0.3), "penalty": 0.1}),
    "closed_form_permutation": (fixed_points.closed_form_permutation, {
        "spectrum": perturbed_identity([2.0, 3.0], 0.0), "penalty": Ridge(0.1)}),
    "closed_form_sd": (fixed_points.closed_form_sd, {"spectrum": SP,
                                                     "penalty": SpectralDecoupling(0.1)}),
    "sd_alpha": (fixed_points.sd_alpha, {"lam": [0.1, 1.0], "gamma": 0.5,
                                         "dynamics": "exact"}),
    "uncoupled_alpha": (fixed_points.uncoupled_alpha, {"spectrum": SP, "penalty": 0.1}),
    "lemma1": (fixed_points.lemma1, {"spectrum": SP, "penalty": 0.1, "alpha0": [0.1, 0.2]}),
    "responses": (fixed_points.responses, {"alpha": [0.1, 0.2], "spectrum": SP,
                                           "penalty": Ridge(0.1)}),
    "lambertw_exp": (fixed_points.lambertw_exp, {"L": [0.5, 800.0]}),
    "starvation_matrix": (sensitivity.starvation_matrix, {
        "spectrum": SP, "penalty": Ridge(0.1), "dynamics": "taylor"}),
    "starvation_matrices": (sensitivity.starvation_matrices, {
        "U": U2, "s2": [36.0, 4.0], "lam": 0.1, "penalty": "ridge", "dynamics": "exact",
        "gamma": None}),
    "starvation_matrix_mp": (sensitivity.starvation_matrix_mp, {
        "spectrum": SP, "penalty": Ridge(0.1), "dynamics": "exact", "dps": 20}),
    "starvation_matrix_fd_mp": (sensitivity.starvation_matrix_fd_mp, {
        "spectrum": SP, "penalty": Ridge(0.1), "dynamics": "exact", "dps": 20,
        "rel_step": 1e-7}),
    "integrate_dual": (trajectories.integrate_dual, {
        "spectrum": SP, "penalty": Ridge(0.1), "alpha0": [1e-6, 1e-6], "t_final": 0.5,
        "dynamics": "exact", "eta": 1.0, "method": "BDF", "t_eval": None,
        "rtol": 1e-6, "atol": 1e-8}),
    "dual_gradient_ascent": (trajectories.dual_gradient_ascent, {
        "spectrum": SP, "penalty": Ridge(0.1), "lr": 1e-4, "steps": 5, "alpha0": 1e-8,
        "record_every": 2, "clip_min": 1e-50}),
    "primal_gradient_descent": (trajectories.primal_gradient_descent, {
        "Phi0": PHI, "y": Y, "penalty": Ridge(0.1), "lr": 0.01, "steps": 5,
        "theta0": None, "record_every": 1, "U": None}),
    "primal_objective": (primal.primal_objective, {"theta": [0.1, 0.2, 0.3], "Phi0": PHI,
                                                   "y": Y, "penalty": Ridge(0.1)}),
    "primal_gradient": (primal.primal_gradient, {"theta": [0.1, 0.2, 0.3], "Phi0": PHI,
                                                 "y": Y, "penalty": SpectralDecoupling(0.1)}),
    "minimise_primal": (primal.minimise_primal, {"Phi0": PHI, "y": Y, "penalty": Ridge(0.1),
                                                 "tol": 1e-12, "max_iter": 100}),
    "theta_to_z": (primal.theta_to_z, {"theta": [0.1, 0.2, 0.3],
                                       "spectrum": primal.minimise_primal(
                                           PHI, Y, Ridge(0.1)).spectrum}),
}

# names a message may cite when an argument is an object carrying several parameters
ALIASES = {"spectrum": ("spectrum", "s2", "U"), "penalty": ("penalty", "lam", "gamma"),
           "theta": ("theta", "margins"), "name": ("penalty",), "L": ("L",)}

JUNK = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf, -1.0, 0.0, 1.0, 2.0, 1e308, -1e-300,
                     1e-320, "abc", "", None, True, 3, -7, [], [[1.0]], [math.nan, 1.0],
                     [1.0, 2.0, 3.0], [0.5, -0.5], [[0.1, 0.2], [0.3, 0.4]], complex(1, 1),
                     "exact", "ridge", {"a": 1}]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=0, max_size=4),
    st.integers(-3, 3).map(lambda k: np.ones((2,) * max(k, 0))),
    st.builds(lambda a, b: np.full((a, b), 0.3), st.integers(0, 3), st.integers(0, 3)),
)


def assert_finite(obj) -> None:
    """Every number reachable from ``obj`` is finite."""
    if obj is None or isinstance(obj, (str, bool)):
        return
    if isinstance(obj, (int, float, np.integer, np.floating)):
        assert math.isfinite(float(obj)), obj
    elif isinstance(obj, np.ndarray):
        if obj.dtype.kind in "fc":
            assert np.all(np.isfinite(obj)), obj
    elif hasattr(obj, "_mpf_"):
        assert mp.isfinite(obj), obj
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            assert_finite(v)
    elif dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            assert_finite(getattr(obj, f.name))


def call_and_check(fname: str, arg: str, junk) -> None:
    fn, kwargs = CASES[fname]
    kw = dict(kwargs)
    kw[arg] = junk
    try:
        out = fn(**kw)
    except ValueError as exc:
        msg = str(exc)
        names = ALIASES.get(arg, (arg,))
        if "shape" in msg:   # a shape mismatch may be reported on the other operand
            names = tuple(names) + tuple(kwargs)
        assert any(n in msg for n in names), f"{fname}({arg}={junk!r}): {msg}"
        return
    assert_finite(out)


@settings(max_examples=examples(400))
@given(data=st.data())
def test_every_public_function_rejects_malformed_input_cleanly(data):
    fname = data.draw(st.sampled_from(sorted(CASES)))
    arg = data.draw(st.sampled_from(sorted(CASES[fname][1])))
    junk = data.draw(JUNK)
    call_and_check(fname, arg, junk)


@pytest.mark.parametrize("fname", sorted(CASES))
def test_valid_baseline_calls_return_finite_numbers(fname):
    fn, kwargs = CASES[fname]
    assert_finite(fn(**kwargs))


CLI_BASE = {"--s2": "36,4", "--lam": "0.01", "--delta": "0.5"}
CLI_JUNK = st.one_of(
    st.sampled_from(["nan", "inf", "-1", "0", "1", "abc", "", ",", "1,,2", "1e400", "-0.5",
                     "36,nan", "2,-3", "1e-320", "0x10", "1,2,3", "99999", "-inf"]),
    st.text(max_size=8),
)


# capsys is reset by readouterr() in every example, so sharing it across examples is safe
@settings(max_examples=examples(60),
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_gstheory_solve_rejects_malformed_arguments_cleanly(data, capsys):
    opts = dict(CLI_BASE)
    key = data.draw(st.sampled_from(["--s2", "--lam", "--delta", "--precision", "--gamma",
                                     "--penalty", "--dynamics"]))
    opts[key] = data.draw(CLI_JUNK)
    if key == "--gamma":
        opts["--penalty"] = "sd"
    argv = ["solve", "--json"]
    for k, v in opts.items():
        argv += [f"{k}={v}"]
    try:
        status = cli_main(argv)
    except SystemExit as exc:
        status = exc.code
    out, err = capsys.readouterr()
    capsys.readouterr()
    if status == 0:
        import json
        doc = json.loads(out)
        assert all(math.isfinite(v) for v in doc["alpha"] + doc["z"])
        assert all(math.isfinite(v) for row in doc["starvation"] for v in row)
    else:
        assert status == 2
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("gstheory solve: error: "), err
        assert "Traceback" not in err


def test_gstheory_solve_subprocess_bad_arguments():
    for argv, name in [(["--s2", "36,-4", "--lam", "0.01"], "--s2"),
                       (["--s2", "36,4", "--lam", "0"], "--lam"),
                       (["--s2", "36,4", "--lam", "0.01", "--delta", "1.5"], "--delta")]:
        r = subprocess.run([sys.executable, "-m", "gstheory", "solve", *argv],
                           check=False, capture_output=True, text=True, timeout=60)
        assert r.returncode == 2
        assert "Traceback" not in r.stderr and name in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1
