"""``gstheory run``: bad input is one line and exit status 2, before any work."""

from __future__ import annotations

import json

import pytest

from gstheory.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = int(exc.code)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("argv, names", [
    (["two-moons", "--set", "steps=99999999999999999999"], "steps="),
    (["two-moons", "--seeds", "1000000000000"], "--seeds"),
    (["two-moons", "--set", "lr=1e300"], "lr="),
    (["two-moons", "--set", "width=0"], "width="),
    (["two-moons", "--set", "nope=1"], "nope"),
    (["two-moons", "--threads", "0"], "--threads"),
    (["two-moons", "--preset", "huge"], "preset"),
    (["colored-mnist", "--set", "dataset=mnist-5k"], "n_test"),
    (["minority-groups", "--set", "data_dir=/nonexistent"], "/nonexistent"),
])
def test_bad_input_is_one_line_before_any_work(capsys, tmp_path, argv, names):
    code, out, err = run(capsys, "run", *argv, "--out", str(tmp_path))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and names in err
    assert list(tmp_path.iterdir()) == []          # nothing written


def test_unavailable_cuda_exits_at_once(capsys, tmp_path):
    import torch
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    code, _, err = run(capsys, "run", "two-moons", "--device", "cuda", "--out",
                       str(tmp_path))
    assert code == 2 and "cuda" in err and list(tmp_path.iterdir()) == []


def test_hparams_table(capsys):
    code, out, _ = run(capsys, "run", "toy-dual", "--hparams")
    assert code == 0 and out.startswith("| name | type | allowed |")
    assert "| `steps` |" in out


def test_json_records_the_seeds_run(capsys, tmp_path):
    code, out, _ = run(capsys, "run", "toy-dual", "--preset", "smoke", "--seeds", "2",
                       "--no-figures", "--json", "--out", str(tmp_path))
    doc = json.loads(out)
    assert code == 0 and doc["seeds"] == [0, 1] and doc["config"]["seeds"] == 2
