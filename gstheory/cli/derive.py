"""``gstheory derive``: regenerate or check the derivation documents.

``gstheory derive`` runs every derivation of :mod:`gstheory.symbolic` (each step checked),
renders it to ``proofs/generated/<name>.md`` and writes the index ``README.md``.
``--check`` regenerates in memory and fails (exit status 1) naming every document that
differs from the file on disk, is missing, or is left over from a removed derivation.
Each document records the SymPy version whose LaTeX printer rendered it. Where that
differs from the running SymPy, ``--check`` says so ("rendered with SymPy X, running
Y"), skips the byte comparison (another printer may format the same expression
differently), still re-verifies every step, and compares the documents' structure: the
lines outside math (step titles, methods, verification lines); a structural difference
is drift.
A derivation whose step fails its verification also gives exit status 1.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import sympy as sp

import gstheory.proofs as proofs
from gstheory import symbolic
from gstheory.io import atomic_write_text, ensure_writable_dir
from gstheory.proofs.render import render, render_index, rendered_version, structure
from gstheory.symbolic.derivation import Derivation, StepFailed

from .common import CliError, emit_json

#: where the committed documents live
DEFAULT_OUT = Path(proofs.__file__).resolve().parent / "generated"
INDEX = "README.md"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``gstheory derive``."""
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help="derivations to regenerate (default: all; the index "
                             "README.md is rewritten only when all are regenerated)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
                        help=f"output folder (default: {DEFAULT_OUT})")
    parser.add_argument("--check", action="store_true",
                        help="do not write: exit 1 if a document in DIR differs from a "
                             "fresh regeneration (names each drifted document)")
    parser.add_argument("--list", action="store_true", help="list the derivations and exit")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object (documents, drift, timings)")


def _writable(out: Path) -> None:
    """Create ``out`` if needed and prove it writable, before any SymPy work."""
    ensure_writable_dir(out, "--out")


def execute(args: argparse.Namespace) -> int:
    """Run ``gstheory derive``; returns the exit status (0 ok, 1 drift or failed step)."""
    known = symbolic.names()
    if args.list:
        if args.json:
            emit_json({"derivations": known})
        else:
            for name in known:
                print(name)
        return 0
    unknown = [n for n in args.names if n not in known]
    if unknown:
        raise CliError(f"unknown derivation(s) {', '.join(map(repr, unknown))}; known "
                       f"derivations: {', '.join(known)}")
    chosen = sorted(set(args.names), key=known.index) if args.names else known
    everything = chosen == known
    out: Path = args.out
    if args.check:
        if not out.is_dir():
            raise CliError(f"--out {out}: no such directory to check")
    else:
        _writable(out)

    docs: dict[str, str] = {}
    records: list[dict[str, Any]] = []
    derivations: list[Derivation] = []
    failed: list[str] = []
    for name in chosen:
        t0 = time.perf_counter()
        try:
            d = symbolic.derive(name)
        except StepFailed as exc:
            failed.append(name)
            records.append({"name": name, "status": "failed", "ok": False, "error": str(exc),
                            "seconds": time.perf_counter() - t0})
            if not args.json:
                print(f"FAILED {name}: {exc}", flush=True)
            continue
        derivations.append(d)
        docs[f"{name}.md"] = render(d)
        records.append({"name": name, "status": "ok", "ok": True, "steps": len(d.steps),
                        "seconds": time.perf_counter() - t0})
    if everything and not failed:
        docs[INDEX] = render_index(derivations)

    drifted: list[str] = []
    notices: list[str] = []
    if args.check:
        for fname, text in docs.items():
            path = out / fname
            if not path.is_file():
                drifted.append(f"{path} (missing)")
                continue
            old = path.read_text(encoding="utf-8")
            if old == text:
                continue
            rendered = rendered_version(old)
            if rendered is not None and rendered != sp.__version__:
                # another printer: compare what does not depend on it (the structure)
                verdict = ("same structure" if structure(old) == structure(text)
                           else "structure differs")
                msg = (f"{path}: rendered with SymPy {rendered or 'unknown'}, running "
                       f"{sp.__version__}: byte comparison skipped; every step re-verified, "
                       f"{verdict} (steps, methods, verification lines)")
                if verdict == "same structure":
                    notices.append(msg)
                else:
                    drifted.append(msg)
            else:
                drifted.append(f"{path} (differs from a fresh regeneration)")
        if everything:
            expected = {f"{n}.md" for n in known} | {INDEX}
            for path in sorted(out.glob("*.md")):
                if path.name not in expected:
                    drifted.append(f"{path} (no derivation of that name: stale)")
    else:
        for fname, text in docs.items():
            atomic_write_text(out / fname, text)

    if args.json:
        emit_json({"out": str(out), "check": bool(args.check), "documents": records,
                   "drifted": drifted, "failed": failed, "notices": notices,
                   "sympy": sp.__version__})
    else:
        for rec in records:
            if rec["status"] == "ok":
                verb = "checked" if args.check else "wrote"
                print(f"{verb} {out / (rec['name'] + '.md')}: {rec['steps']} steps "
                      f"({rec['seconds']:.2f} s)")
        for item in notices:
            print(f"NOTE {item}")
        for item in drifted:
            print(f"DRIFTED {item}")
        if drifted:
            print("regenerate with `gstheory derive` and commit the result")
    return 1 if (drifted or failed) else 0
