"""Hyper-parameter tables for the documentation, derived from the declarations in
:mod:`gstheory.empirical.hparams` (docs/experiments.md carries them between markers).

It sits above :mod:`gstheory.empirical.harness` (it lists the registered experiments), which
itself sits above :mod:`gstheory.empirical.hparams`.
"""

from __future__ import annotations

from typing import Any

from gstheory.empirical import harness
from gstheory.empirical.harness import preset_names
from gstheory.empirical.hparams import rows


def markdown_table(experiment: Any) -> str:
    """The markdown table of an experiment's hyper-parameters (docs/experiments.md).

    Arguments:
        experiment: a registered :class:`gstheory.empirical.harness.Experiment`.

    Returns:
        the table as markdown text (a header row, then one row per field).
    """
    order = preset_names(experiment)
    cols = ["name", "type", "allowed", *order]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows(experiment.presets, order):
        lines.append("| " + " | ".join(f"`{r[c]}`" if c in order or c == "name" else r[c]
                                       for c in cols) + " |")
    return "\n".join(lines) + "\n"


def markdown_all() -> str:
    """Every registered experiment's table under a ``### name`` heading."""
    parts = []
    for name in harness.names():
        exp = harness.get(name)
        parts.append(f"### `{name}` ({exp.paper_ref})\n\n{markdown_table(exp)}")
    return "\n".join(parts)


#: markers between which docs/experiments.md carries the generated tables.
BEGIN, END = "<!-- hparams:begin -->\n", "<!-- hparams:end -->"


def update_docs(path: str) -> bool:
    """Replace the tables between :data:`BEGIN` and :data:`END` in ``path`` by
    :func:`markdown_all`; return whether the file changed.

    Raises:
        ValueError: the file lacks the markers.
    """
    from pathlib import Path

    from gstheory.io import atomic_write_text

    p = Path(path)
    text = p.read_text()
    if BEGIN not in text or END not in text:
        raise ValueError(f"{p}: lacks the markers {BEGIN.strip()} ... {END}")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    new = head + BEGIN + markdown_all() + END + tail
    if new != text:
        atomic_write_text(p, new)
    return new != text


__all__ = ["BEGIN", "END", "markdown_all", "markdown_table", "update_docs"]


if __name__ == "__main__":  # pragma: no cover (regenerates the docs' tables)
    import sys
    changed = update_docs(sys.argv[1] if len(sys.argv) > 1 else "docs/experiments.md")
    print("updated" if changed else "up to date")
