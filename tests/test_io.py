"""Atomic output and writable-directory checks (gstheory/io.py)."""

from __future__ import annotations

import json
import os
import stat

import pytest

from gstheory.io import (
    atomic_write,
    atomic_write_json,
    atomic_write_text,
    ensure_writable_dir,
    save_figure,
)


def test_text_and_json_land_whole_and_readable(tmp_path):
    p = atomic_write_text(tmp_path / "sub" / "a.md", "x\ny\n")
    assert p.read_text() == "x\ny\n"
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o644  # not mkstemp's private 0600
    q = atomic_write_json(tmp_path / "b.json", {"k": [1, 2.5]})
    assert json.loads(q.read_text()) == {"k": [1, 2.5]}


def test_failed_write_keeps_old_file_and_leaves_no_temp(tmp_path):
    p = atomic_write_text(tmp_path / "r.json", "old")

    def boom(fh):
        fh.write("half")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        atomic_write(p, boom)
    assert p.read_text() == "old"
    assert sorted(f.name for f in tmp_path.iterdir()) == ["r.json"]


def test_ensure_writable_dir_refuses_a_file_and_an_unwritable_place(tmp_path):
    assert ensure_writable_dir(tmp_path / "new", "out").is_dir()
    f = tmp_path / "file"
    f.write_text("")
    with pytest.raises(ValueError, match="out=.*not a directory"):
        ensure_writable_dir(f, "out")
    with pytest.raises(ValueError, match="--out=.*not writable"):
        ensure_writable_dir(f / "below", "--out")


def test_save_figure_writes_a_png(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    p = save_figure(fig, tmp_path / "f.png", dpi=50)
    plt.close(fig)
    assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_to_jsonable_converts_numpy_and_refuses_nan_unless_allowed():
    import math

    import mpmath
    import numpy as np

    from gstheory.io import to_jsonable

    out = to_jsonable({"a": np.arange(3.0), 1: (np.int64(2), np.bool_(True)),
                       "m": mpmath.mpf("0.25")})
    assert out == {"a": [0.0, 1.0, 2.0], "1": [2, True], "m": 0.25}
    assert json.loads(json.dumps(out)) == out
    assert type(out["1"][0]) is int and type(out["1"][1]) is bool
    with pytest.raises(ValueError, match="non-finite"):
        to_jsonable([1.0, np.float64("nan")])
    assert math.isinf(to_jsonable({"x": float("inf")}, allow_nonfinite=True)["x"])
