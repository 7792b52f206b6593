"""The Python examples of the README and of the guides under ``docs/`` run.

Every fenced block whose info string starts with ``python`` is executed; the blocks of one
file run in order in one namespace (a later block may use an earlier one's names), in a
temporary working directory. A block is skipped, with its reason, when its info string
says ``no-run`` (```` ```python no-run ````) or when the line before its fence is an HTML
comment ``<!-- no-test -->`` (optionally ``<!-- no-test: reason -->``). A file whose
examples need an optional package that is not installed is skipped, naming the package.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from gstheory.cli import EXTRAS

REPO = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
NO_TEST = re.compile(r"^\s*<!--\s*no-test\b\s*:?\s*(?P<reason>.*?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced code block: its first code line (1-based), code and why it is skipped."""

    line: int
    code: str
    skip: str | None = None


def python_blocks(text: str) -> list[Block]:
    """The fenced ``python`` blocks of a markdown text, in order (see the module docstring
    for the skip markers)."""
    lines = text.splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, words = m["fence"], m["info"].split()
        start = i + 1
        end = start
        while end < len(lines) and not (lines[end].strip().startswith(fence)
                                        and set(lines[end].strip()) == {fence[0]}):
            end += 1
        if words and words[0] in ("python", "py", "python3"):
            prev = next((lines[k] for k in range(i - 1, -1, -1) if lines[k].strip()), "")
            marker = NO_TEST.match(prev)
            skip = ("marked no-run" if "no-run" in words[1:]
                    else (marker["reason"] or "marked no-test") if marker else None)
            code = "\n".join(ln[len(m["indent"]):] for ln in lines[start:end]) + "\n"
            blocks.append(Block(start + 1, code, skip))
        i = end + 1
    return blocks


def _documents() -> list[Path]:
    # docs/_build and docs/derivations (copies of proofs/generated/) are build outputs
    docs = [p for p in sorted((REPO / "docs").rglob("*.md"))
            if not {"_build", "derivations"} & set(p.relative_to(REPO / "docs").parts)]
    return [p for p in [REPO / "README.md", *docs] if p.is_file()]


DOCUMENTS = _documents()


def test_the_extractor_keeps_order_and_honours_the_markers():
    md = "\n".join(["# t", "```bash", "echo no", "```", "```python", "x = 1", "```",
                    "", "<!-- no-test -->", "", "```python", "raise SystemExit", "```",
                    "~~~~ python no-run", "also skipped", "~~~~", "```python", "y = x + 1",
                    "```", "<!-- no-test: needs a GPU -->", "```python", "cuda()", "```"])
    got = [(b.line, b.code.strip(), b.skip) for b in python_blocks(md)]
    assert got == [(6, "x = 1", None), (12, "raise SystemExit", "marked no-test"),
                   (15, "also skipped", "marked no-run"), (18, "y = x + 1", None),
                   (22, "cuda()", "needs a GPU")]


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(REPO)))
def test_python_blocks_run(path, tmp_path, monkeypatch):
    blocks = python_blocks(path.read_text(encoding="utf-8"))
    runnable = [b for b in blocks if b.skip is None]
    if not runnable:
        pytest.skip(f"{path.name}: no runnable python block ({len(blocks)} skipped)")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": f"docs_{path.stem}"}
    rel = path.relative_to(REPO)
    for block in runnable:
        try:
            exec(compile(block.code, f"{rel}:{block.line}", "exec"), namespace)
        except ModuleNotFoundError as exc:
            if (exc.name or "").partition(".")[0] in EXTRAS:
                pytest.skip(f"{rel}:{block.line} needs {exc.name}, which is not installed")
            raise
