"""Run (or reuse) the symbolic derivations and compare them with the committed documents.

A record per derivation: whether every SymPy step checked, the step count, and the
SHA-256 of its freshly rendered document. Records are cached under a key that hashes the
sources of :mod:`gstheory.symbolic` and of the renderer with the SymPy version, so a
change to any of them forces a fresh run. The committed document
``proofs/generated/<name>.md`` is then compared byte for byte (by hash) with the fresh
rendering: a drifted, missing or altered document is never confirmed.

The renderer belongs to the layer above (``proofs``): the command layer passes it in
(``render=``), so this module never imports upwards.

Example:
    >>> from gstheory.proofs.render import render  # what the command layer passes
    >>> len(cache_key(render))
    64
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..io import atomic_write_text

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
SYMBOLIC_DIR = Path(__file__).resolve().parent.parent / "symbolic"

#: a renderer: Derivation -> the markdown text of its document
Renderer = Callable[[Any], str]


def _source(render: Renderer) -> Path:
    path = inspect.getsourcefile(render)
    if path is None:
        raise ValueError("render: must be a Python function defined in a source file")
    return Path(path)


def documents_dir(render: Renderer) -> Path:
    """The committed documents beside the renderer's module: ``<its folder>/generated``.

    Paper: none (infrastructure).
    """
    return _source(render).parent / "generated"


def default_cache_dir() -> Path:
    """``$GSTHEORY_CACHE`` or ``~/.cache/gstheory``.

    Paper: none (infrastructure).
    """
    return Path(os.environ.get("GSTHEORY_CACHE", Path.home() / ".cache" / "gstheory"))


def cache_key(render: Renderer) -> str:
    """SHA-256 of the symbolic sources, the renderer's source and the SymPy version.

    Paper: none (infrastructure).
    """
    import sympy

    h = hashlib.sha256(f"sympy {sympy.__version__}\n".encode())
    for path in [*sorted(SYMBOLIC_DIR.glob("*.py")), _source(render)]:
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _fresh(render: Renderer) -> dict[str, dict[str, Any]]:
    from .. import symbolic
    from ..symbolic.derivation import StepFailed

    out: dict[str, dict[str, Any]] = {}
    for name in symbolic.names():
        t0 = time.perf_counter()
        try:
            d = symbolic.derive(name)
        except StepFailed as exc:
            out[name] = {"ok": False, "steps": None, "doc_sha256": None,
                         "error": " ".join(str(exc).split())[:300],
                         "seconds": time.perf_counter() - t0}
            continue
        text = render(d)
        out[name] = {"ok": True, "steps": len(d.steps),
                     "doc_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                     "error": None, "seconds": time.perf_counter() - t0}
    return out


def run_derivations(render: Renderer, *, proofs_dir: str | Path | None = None,
                    cache_dir: str | Path | None = None,
                    use_cache: bool = True) -> dict[str, dict[str, Any]]:
    """Records of every derivation of :mod:`gstheory.symbolic`, with their documents.

    Arguments:
        render: the document renderer (``gstheory.proofs.render.render``), passed in by the
            command layer; proofs_dir: folder of the committed documents (default
            :func:`documents_dir` of the renderer).
        cache_dir: where records are cached (default :func:`default_cache_dir`);
            use_cache: ``False`` always runs SymPy afresh (and refreshes the cache).

    Returns:
        name -> record with ``ok``, ``steps``, ``source`` (``fresh`` or ``cache``),
        ``key``, ``document`` (``matches``, ``differs`` or ``missing``) and ``path``.

    Raises:
        OSError: never for an unwritable cache (the cache is then skipped).

    Paper: none (infrastructure).
    """
    docs = Path(proofs_dir) if proofs_dir is not None else documents_dir(render)
    cdir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    key = cache_key(render)
    path = cdir / f"derivations-{key[:20]}.json"
    records: dict[str, dict[str, Any]] | None = None
    source = "cache"
    if use_cache and path.is_file():
        try:
            cached = json.loads(path.read_text())
            if cached.get("key") == key:
                records = cached["records"]
        except (OSError, ValueError, KeyError):
            records = None
    if records is None:
        records = _fresh(render)
        source = "fresh"
        try:
            cdir.mkdir(parents=True, exist_ok=True)
            atomic_write_text(path, json.dumps({"key": key, "records": records}, indent=1))
        except OSError:
            pass
    out = {}
    for name, rec in records.items():
        doc = docs / f"{name}.md"
        if not doc.is_file():
            state = "missing"
        else:
            sha = hashlib.sha256(doc.read_bytes()).hexdigest()
            state = "matches" if sha == rec.get("doc_sha256") else "differs"
        out[name] = {**rec, "source": source, "key": key, "document": state,
                     "path": str(doc)}
    return out
