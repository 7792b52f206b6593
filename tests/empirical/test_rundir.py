"""One run per results folder: the lock and the removal of stale temporary files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gstheory.empirical.rundir import FolderBusyError, claim, stale_temporaries

ROOT = Path(__file__).resolve().parents[2]


def _holder(directory: Path) -> str:
    """A child process's program: hold ``directory`` until stdin closes."""
    return ("import sys\nfrom gstheory.empirical.rundir import claim\n"
            f"with claim({str(directory)!r}):\n"
            "    print('held', flush=True)\n    sys.stdin.read()\n")


def test_claim_removes_only_temporaries(tmp_path):
    keep = tmp_path / "seed-0.json"
    keep.write_text("{}")
    stale = [tmp_path / ".seed-1.json.x1.tmp", tmp_path / ".fig.png.y2.tmp"]
    for p in stale:
        p.write_bytes(b"")
    assert stale_temporaries(tmp_path) == sorted(stale)
    with claim(tmp_path) as removed:
        assert sorted(removed) == sorted(stale)
    assert keep.exists() and not any(p.exists() for p in stale)


def test_second_claim_in_another_process_is_refused(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", _holder(tmp_path)],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(FolderBusyError, match=f"pid {holder.pid}"), claim(tmp_path):
            pass
        # the command line refuses a concurrent run with one line and exit status 2
        out = tmp_path.parent / "cli"
        run_dir = out / "toy-dual" / "smoke"
        run_dir.mkdir(parents=True)
        holder2 = subprocess.Popen(
            [sys.executable, "-c", _holder(run_dir)],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert holder2.stdout.readline().strip() == "held"
            cli = subprocess.run([sys.executable, "-m", "gstheory", "run", "toy-dual",
                                  "--preset", "smoke", "--out", str(out)], cwd=ROOT,
                                 capture_output=True, text=True, check=False)
        finally:
            holder2.communicate("")
        assert cli.returncode == 2
        assert len(cli.stderr.strip().splitlines()) == 1
        assert "another run" in cli.stderr and not list(run_dir.glob("seed-*.json"))
    finally:
        holder.communicate("")
    with claim(tmp_path):                       # released when the holder exits
        pass
