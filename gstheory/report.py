r"""Render the report: claims table, validity maps, experiments' figures and verdicts.

Paper: all of Sec. 3 and Sec. 4 (this module only renders; the checks live in
:mod:`gstheory.claims`, the scans in :mod:`gstheory.validity`).

Writes ``report.md`` (figures linked as files) and ``report.html`` (self-contained: every
figure embedded as a base64 PNG), atomically.

Example:
    >>> from gstheory.report import sign_colours
    >>> len(sign_colours())
    3
"""

from __future__ import annotations

import base64
import html
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import validation as check
from .claims import STATUS_WORDS, Claim
from .io import atomic_write_bytes, atomic_write_text, save_figure

INV_SQRT2 = 1.0 / np.sqrt(2.0)


def sign_colours() -> list[str]:
    """Colours of the sign maps: reversed (> 0), zero, holds (< 0).

    Paper: none (infrastructure).
    """
    return ["#d7301f", "#f7f7f7", "#2166ac"]


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def write_atomic(path: Path, data: str | bytes) -> Path:
    """Write ``data`` (text or bytes) to ``path`` atomically (:mod:`gstheory.io`).

    Paper: none (infrastructure).
    """
    if isinstance(data, str):
        return atomic_write_text(path, data)
    return atomic_write_bytes(path, data)


def _savefig(fig: Any, path: Path) -> Path:
    try:
        return save_figure(fig, path, dpi=110, bbox_inches="tight")
    finally:
        _plt().close(fig)


# --------------------------------------------------------------------------- figures
def sign_map_figure(maps: Sequence[Any], out: Path, lam_indices: Sequence[int] | None = None
                    ) -> Path:
    r"""Heat maps of the sign of :math:`\partial z_2^*/\partial s_1^2` over
    (``delta``, ``ratio``), one row per map (penalty x dynamics), one column per chosen
    ``lam``; blue = Theorem 2 holds (< 0), red = reversed (> 0), white = 0.

    Paper: Theorem 2 (Eq. 16).
    """
    plt = _plt()
    from matplotlib.colors import ListedColormap

    cmap = ListedColormap(sign_colours()[::-1])  # -1 blue, 0 white, +1 red
    lam = maps[0].lam
    cols = list(lam_indices) if lam_indices is not None else \
        sorted({0, len(lam) // 2, len(lam) - 1})
    fig, axes = plt.subplots(len(maps), len(cols), figsize=(4.2 * len(cols), 3.4 * len(maps)),
                             squeeze=False, constrained_layout=True)
    for i, m in enumerate(maps):
        for j, k in enumerate(cols):
            ax = axes[i][j]
            ax.pcolormesh(m.delta, m.ratio, m.sign[:, :, k].T, cmap=cmap, vmin=-1, vmax=1,
                          shading="nearest")
            ax.set_yscale("log")
            for x in (0.0, INV_SQRT2, -INV_SQRT2):
                ax.axvline(x, color="k", lw=0.7, ls="--")
            ax.axhline(1.0, color="k", lw=0.7, ls="--")
            ax.set_title(f"{m.penalty}, {m.dynamics}: lambda/s2^2 = {m.lam[k]:.3g}",
                         fontsize=10)
            ax.set_xlabel("coupling delta (Eq. 15)")
            ax.set_ylabel("s1^2 / s2^2")
    from matplotlib.patches import Patch

    fig.legend(handles=[Patch(color=sign_colours()[2], label="d z2*/d s1^2 < 0 (holds)"),
                        Patch(color=sign_colours()[0], label="> 0 (reversed)"),
                        Patch(facecolor=sign_colours()[1], edgecolor="k", label="= 0")],
               loc="outside lower center", ncol=3, fontsize=10)
    fig.suptitle("Theorem 2: sign of d z2*/d s1^2 (dashed: delta = 0, +-1/sqrt2; ratio = 1)",
                 fontsize=11)
    return _savefig(fig, out)


def lam_dependence_figure(m: Any, out: Path, ratio_index: int | None = None) -> Path:
    r"""Sign over (``delta``, ``lambda``) at a fixed ratio: vertical bands mean the sign
    does not depend on :math:`\lambda`.

    Paper: Theorem 2.
    """
    plt = _plt()
    from matplotlib.colors import ListedColormap

    cmap = ListedColormap(sign_colours()[::-1])
    j = int(np.argmin(np.abs(np.log(m.ratio) - np.log(4.0)))) if ratio_index is None \
        else ratio_index
    fig, ax = plt.subplots(figsize=(5.6, 3.8), constrained_layout=True)
    ax.pcolormesh(m.delta, m.lam, m.sign[:, j, :].T, cmap=cmap, vmin=-1, vmax=1,
                  shading="nearest")
    ax.set_yscale("log")
    for x in (0.0, INV_SQRT2, -INV_SQRT2):
        ax.axvline(x, color="k", lw=0.7, ls="--")
    ax.set_xlabel("coupling delta (Eq. 15)")
    ax.set_ylabel("lambda / s2^2")
    ax.set_title(f"{m.penalty}, {m.dynamics}: sign at s1^2/s2^2 = {m.ratio[j]:.3g} "
                 "(blue holds, red reversed)", fontsize=10)
    return _savefig(fig, out)


def error_curves_figure(curves: Sequence[Any], out: Path) -> Path:
    """Log-log error curves (Eq. 10 vs Eq. 9; Lemma 1) with fitted slopes.

    Paper: Eq. 9, Eq. 10 (Sec. 3.2), Lemma 1 (Eq. 14).
    """
    plt = _plt()
    fig, axes = plt.subplots(1, len(curves), figsize=(5.2 * len(curves), 3.8),
                             squeeze=False, constrained_layout=True)
    for ax, c in zip(axes[0], curves):
        ax.loglog(c.x, c.error, "o-", ms=3)
        ax.set_xlabel(c.parameter)
        ax.set_ylabel("relative error")
        ax.set_title(f"{c.name}: slope {c.slope:.2f} on {c.parameter} <= {c.fit_range[1]:g}",
                     fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
    return _savefig(fig, out)


def n_feature_figure(scan: Any, out: Path) -> Path:
    r"""n features, convention-free (:class:`gstheory.validity.MagnitudeScan`): per
    coupling distribution, the fraction of stronger/weaker pairs where the stronger
    feature shrinks the weaker one's :math:`|z^*|`, and the accuracy of the first-order
    pairwise rule, against ``n``.

    Paper: Theorem 2's remark on higher dimensions; beyond the paper: the n-feature form.
    """
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 3.8), constrained_layout=True)
    for a, cp in enumerate(scan.couplings):
        axes[0].plot(scan.n_values, scan.stronger_starves[a], "o-", ms=3, label=cp)
        axes[1].plot(scan.n_values, scan.rule_accuracy[a], "o-", ms=3, label=cp)
    axes[0].set_title("stronger feature shrinks the weaker one's |z*| (= weaker shrinks "
                      "stronger)", fontsize=9)
    axes[0].set_ylabel("fraction of pairs")
    axes[1].set_title("first-order pairwise rule: sign d|z_j|/ds_i^2 = -sign(U_ji U_ii)",
                      fontsize=9)
    axes[1].set_ylabel("fraction of pairs")
    for ax in axes:
        ax.set_xlabel("number of features n")
        ax.set_ylim(0, 1.02)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"n features, delta = {scan.delta:g}, lambda = {scan.lam:g}, "
                 f"{scan.samples} spectra per point", fontsize=10)
    return _savefig(fig, out)


# --------------------------------------------------------------------------- paper vs ours
@dataclass(frozen=True)
class PaperRow:
    """One row of an experiment's paper-vs-ours table: a number the paper reports and our
    per-seed values of the same quantity, both in the paper's units.

    Attributes:
        label: the quantity; where: where the paper prints it; units: the paper's units;
        setting: what the paper measured it on; paper: the paper's value; paper_std: the
        spread it prints (``None``: none); values: ours, one per seed (empty: the run
        did not measure it); metric: the path of ours in ``result.json``.

    Paper: the reported numbers of Table 2, Table 3 and Fig. 3.
    """

    label: str
    where: str
    units: str
    setting: str
    paper: float
    paper_std: float | None
    values: tuple[float, ...]
    metric: str

    @property
    def n(self) -> int:
        """How many seeds measured it."""
        return len(self.values)

    @property
    def mean(self) -> float | None:
        """Mean of ours over seeds (``None``: not measured)."""
        return float(np.mean(self.values)) if self.values else None

    @property
    def std(self) -> float | None:
        """Sample standard deviation (``ddof = 1``) of ours over seeds (``None`` with
        fewer than two seeds)."""
        return float(np.std(self.values, ddof=1)) if len(self.values) >= 2 else None


def lookup(doc: Any, path: str) -> Any:
    """The value at dotted ``path`` (``"metrics.methods.ERM.test_acc_per_seed"``) in a
    nested dict, or ``None`` where a key is missing.

    Paper: none (reads a result file; no equation).
    """
    cur = doc
    for key in path.split("."):
        if not isinstance(cur, dict) or key not in cur:
            return None
        cur = cur[key]
    return cur


def _numbers(values: Any) -> list[float] | None:
    """``values`` as floats when it is a non-empty list of finite real numbers."""
    if not isinstance(values, (list, tuple)) or not values:
        return None
    if not all(isinstance(v, (int, float, np.integer, np.floating))
               and not isinstance(v, bool) and np.isfinite(v) for v in values):
        return None
    return [float(v) for v in values]


def paper_rows(record: dict[str, Any]) -> list[PaperRow]:
    """The paper-vs-ours rows of one experiment's record (the keys of its
    ``result.json``: ``paper_numbers`` declared by the experiment, ``metrics`` holding
    our per-seed lists); ours are scaled into the paper's units. No declared numbers:
    no rows.

    Paper: the reported numbers of Table 2, Table 3 and Fig. 3.
    """
    rows = []
    for d in record.get("paper_numbers") or []:
        ours = _numbers(lookup(record, str(d.get("metric", ""))))
        scale = float(d.get("scale", 1.0))
        std = d.get("std")
        rows.append(PaperRow(
            label=str(d.get("label", "")), where=str(d.get("where", "")),
            units=str(d.get("units", "")), setting=str(d.get("setting", "")),
            paper=float(d["value"]), paper_std=None if std is None else float(std),
            values=tuple(v * scale for v in ours or ()), metric=str(d.get("metric", ""))))
    return rows


def _with_units(text: str, units: str) -> str:
    return f"{text} {units}" if units else text


def _paper_cells(r: PaperRow) -> tuple[str, str, str, str]:
    """(quantity, paper, ours, per-seed values) as shown in the table."""
    paper = f"{r.paper:g}" + (f" \u00b1 {r.paper_std:g}" if r.paper_std is not None else "")
    paper = _with_units(paper, r.units) + f" ({r.where})"
    if r.mean is None:
        ours = f"not measured by this run (`{r.metric}`)"
        seeds = ""
    else:
        ours = f"{r.mean:.4g}" + (f" \u00b1 {r.std:.2g}" if r.std is not None else "")
        ours = _with_units(ours, r.units) + f" (n = {r.n})"
        seeds = ", ".join(f"{v:.4g}" for v in r.values)
    return r.label, paper, ours, seeds


_TABLE_HEAD = ("quantity", "paper", "ours: mean \u00b1 sample std over seeds (n)",
               "ours per seed")


def _table_note(rows: Sequence[PaperRow]) -> str:
    settings = list(dict.fromkeys(r.setting for r in rows if r.setting))
    where = f" The paper's setting: {'; '.join(settings)}." if settings else ""
    return ("Paper vs ours, in the paper's units; ours are this run's per-seed values "
            "(sample std, ddof = 1)." + where)


_Quantity = tuple[str, str, list[float], float | None, float | None]


def _spread_quantities(record: dict[str, Any]) -> list[_Quantity]:
    """(label, units, per-seed values, paper value, paper std) of every quantity with at
    least two seeds: the paper-vs-ours rows, else the predictions' per-seed evidence."""
    out: list[_Quantity] = [(r.label, r.units, list(r.values), r.paper, r.paper_std)
                            for r in paper_rows(record) if r.n >= 2]
    if out:
        return out
    for p in record.get("predictions") or []:
        for k, v in (p.get("evidence") or {}).items():
            vals = _numbers(v)
            if (k == "per_seed" or k.endswith("_per_seed")) and vals and len(vals) >= 2:
                out.append((f"{p.get('name', '')}: {k}", "", vals, None, None))
    return out


def seed_spread_figure(record: dict[str, Any], out: Path) -> tuple[str, Path] | None:
    """Error bars over seeds of one experiment: per quantity, our mean +- 1 sample
    standard deviation (``ddof = 1``) with the seeds as dots, and the paper's value as a
    marker beside it where the experiment declares one; one panel per unit.

    Returns:
        ``(caption, path)``, or ``None`` when the run has fewer than two seeds or no
        quantity with a per-seed value for each of at least two seeds.

    Paper: the reported numbers of Table 2, Table 3 and Fig. 3.
    """
    seeds = record.get("seeds") or []
    if len(seeds) < 2:
        return None
    qs = _spread_quantities(record)
    if not qs:
        return None
    plt = _plt()
    units = list(dict.fromkeys(q[1] for q in qs))
    groups = [[q for q in qs if q[1] == u] for u in units]
    widths = [max(3.2, 0.75 * len(g) + 1.6) for g in groups]
    fig, axes = plt.subplots(1, len(groups), figsize=(sum(widths), 4.4), squeeze=False,
                             constrained_layout=True, width_ratios=widths)
    any_paper = False
    for ax, u, g in zip(axes[0], units, groups):
        for i, (_, _, vals, paper, paper_std) in enumerate(g):
            a = np.asarray(vals)
            off = 0.15 if paper is not None else 0.0
            ax.plot(np.full(a.size, i - off - 0.12), a, ".", color="0.5", ms=5, zorder=1)
            ax.errorbar(i - off, a.mean(), yerr=a.std(ddof=1), fmt="o", color="C0",
                        capsize=4, zorder=2)
            if paper is not None:
                any_paper = True
                ax.errorbar(i + off, paper, yerr=paper_std, fmt="D", color="C3",
                            capsize=3, zorder=2)
        ax.set_xticks(range(len(g)))
        ax.set_xticklabels([q[0] for q in g], rotation=35, ha="right",
                           rotation_mode="anchor", fontsize=8)
        ax.set_xlim(-0.6, len(g) - 0.4)
        ax.set_ylabel(u or "value")
        ax.grid(True, axis="y", alpha=0.3)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color="C0", marker="o", ls="",
                      label="ours: mean \u00b1 1 sample std"),
               Line2D([], [], color="0.5", marker=".", ls="", label="ours: each seed")]
    if any_paper:
        handles.append(Line2D([], [], color="C3", marker="D", ls="",
                              label="paper (\u00b1 its printed std)"))
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=8)
    fig.suptitle(f"{record.get('name', '')}: spread over {len(seeds)} seeds", fontsize=10)
    path = _savefig(fig, out)
    what = (f"the {len(qs)} quantities of the paper-vs-ours table" if any_paper else
            "the per-seed evidence of the predictions: " + ", ".join(q[0] for q in qs))
    caption = (f"{record.get('name', '')} ({record.get('paper_ref', '')}), preset "
               f"{record.get('preset')}: {what}, one panel per unit. Blue: our mean over "
               f"n = {len(seeds)} seeds with error bars of \u00b11 sample standard deviation "
               "(ddof = 1); grey dots: the seeds"
               + ("; red diamond beside it: the paper's value (its bar: the paper's "
                  "printed std, where given)" if any_paper else "") + ".")
    return caption, path


# --------------------------------------------------------------------------- document
@dataclass
class ReportData:
    """Everything the report shows.

    Attributes:
        title: heading; preset: experiments' preset; claims: the registry;
        validity: name -> JSON-ready summary; figures: list of (caption, path) of the
        validity maps; experiments: list of dicts with name, preset, predictions, figures,
        seconds, error, and from the run's ``result.json`` seeds, config, metrics and
        paper_numbers (shown as a paper-vs-ours table, :func:`paper_rows`), and
        spread_figure, ``(caption, path)`` of :func:`seed_spread_figure`;
        derivations: records of ``gstheory derive``; timings: step -> seconds; notes:
        free lines.

    Paper: none (infrastructure).
    """

    title: str
    preset: str
    claims: list[Claim]
    validity: dict[str, Any] = field(default_factory=dict)
    figures: list[tuple[str, Path]] = field(default_factory=list)
    experiments: list[dict[str, Any]] = field(default_factory=list)
    derivations: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _status_badge(status: str) -> str:
    """The words shown for a computed status (:data:`gstheory.claims.STATUS_WORDS`)."""
    return STATUS_WORDS.get(status, status)


def math_html(tex: str) -> str:
    """MathML for a LaTeX formula (``latex2mathml``, no network); the LaTeX in a
    ``<code>`` element when the converter is not installed.

    Paper: none (infrastructure).
    """
    try:
        from latex2mathml.converter import convert
    except ImportError:
        return f"<code>{html.escape(tex)}</code>"
    try:
        return convert(tex)
    except Exception:
        return f"<code>{html.escape(tex)}</code>"


def round_sig(obj: Any, digits: int = 4) -> Any:
    """``obj`` with every float rounded to ``digits`` significant digits (recursively).

    Paper: none (infrastructure).
    """
    if isinstance(obj, bool) or obj is None:
        return obj
    if isinstance(obj, (float, np.floating)):
        x = float(obj)
        return x if x == 0 or not np.isfinite(x) else float(f"{x:.{digits}g}")
    if isinstance(obj, dict):
        return {k: round_sig(v, digits) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [round_sig(v, digits) for v in obj]
    return obj


def spread(values: Any) -> str | None:
    """``"0.5255 +- 0.012 (n = 4)"`` for a list of at least two numbers (the spread across
    seeds: mean and sample standard deviation), else ``None``.

    Paper: none (infrastructure).
    """
    if not isinstance(values, (list, tuple)) or len(values) < 2:
        return None
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return None
    a = np.asarray(values, dtype=float)
    return f"{a.mean():.4g} +- {a.std(ddof=1):.2g} (n = {a.size})"


def _evidence_text(ev: dict[str, Any]) -> str:
    parts = []
    for k, v in ev.items():
        sp = spread(v)
        parts.append(f"{k} = {sp}" if sp else f"{k} = {_short(round_sig(v))}")
    return ", ".join(parts)


def _anchor(cid: str) -> str:
    return "claim-" + "".join(ch if ch.isalnum() else "-" for ch in cid)


def _proof_link(name: str, base: Path) -> str | None:
    doc = base / "proofs" / f"{name}.md"
    return f"proofs/{name}.md" if doc.is_file() else None


def render_markdown(data: ReportData, base: Path) -> str:
    """The report as Markdown; figure paths relative to ``base``.

    Paper: none (infrastructure).
    """
    L: list[str] = [f"# {data.title}", ""]
    L += [("Pezeshki et al., *Gradient Starvation* (NeurIPS 2021), checked at three levels: "
          "SymPy derivations, numerics (with validity scans and interval certificates), "
          f"and training experiments (preset `{data.preset}`)."), ""]
    toc = ["Claims", *(["Validity maps"] if data.validity else []),
           *(["Figures"] if data.figures else []),
           *(["Experiments"] if data.experiments else []),
           *(["Derivations"] if data.derivations else [])]
    L += ["**Contents:** " + " | ".join(f"[{t}](#{t.lower().replace(' ', '-')})"
                                         for t in toc), ""]
    L += ["## Claims", "", "| claim | paper | statement | status | evidence |",
          "| --- | --- | --- | --- | --- |"]
    for c in data.claims:
        ev = "; ".join(f"{k.level}: {k.status}" for k in c.checks
                       if k.level != "property-tests")
        stmt = c.statement + (f" ${c.latex}$" if c.latex else "")
        L.append(f"| [`{c.id}`](#{_anchor(c.id)}) | {c.paper_ref} | {stmt} | "
                 f"**{_status_badge(c.status)}** | {ev} |")
    L.append("")
    for c in data.claims:
        L += [f'<a id="{_anchor(c.id)}"></a>', "",
              f"### `{c.id}` ({c.paper_ref}): {_status_badge(c.status)}", "",
              f"*Statement.* {c.statement}", ""]
        if c.latex:
            L += [f"$${c.latex}$$", ""]
        L += [f"*Assumptions.* {c.assumptions}", ""]
        proofs = [k for k in c.checks if k.level == "derivation"]
        if proofs:
            L += ["*Proof.* " + "; ".join(
                (f"[{k.name}]({_proof_link(k.name, base)})" if _proof_link(k.name, base)
                 else f"`{k.name}`") + f" ({k.detail})" for k in proofs), ""]
        if c.domain:
            L += [f"*Where it holds (computed).* {c.domain}", ""]
        if c.counterexample:
            L += [f"*Counterexample.* `{json.dumps(round_sig(c.counterexample))}`", ""]
        for k in c.checks:
            if k.level != "derivation":
                L.append(f"- **{k.level}** {k.name}: *{k.status}*. {k.detail}")
        L.append("")
    if data.validity:
        L += ["## Validity maps", ""]
        for name, summ in data.validity.items():
            L += [f"### {name}", "", "```json",
                  json.dumps(round_sig(summ), indent=1, default=float)[:6000], "```", ""]
    if data.figures:
        L += ["## Figures", ""]
        for cap, p in data.figures:
            L += [f"![{cap}]({os.path.relpath(p, base)})", "", f"*{cap}*", ""]
    if data.experiments:
        L += ["## Experiments", ""]
        for e in data.experiments:
            L += [f"### {e['name']} ({e.get('paper_ref', '')}), preset {e.get('preset')}", ""]
            if e.get("error"):
                L += [f"Did not run: `{e['error']}`", ""]
                continue
            L.append(f"Wall time {e.get('seconds', float('nan')):.1f} s.")
            L.append("")
            if e.get("seeds") is not None:
                L += [f"Seeds: {', '.join(str(x) for x in e['seeds'])}.", ""]
            if e.get("config"):
                L += ["Configuration: `" + json.dumps(round_sig(e["config"]), sort_keys=True)
                      + "`", ""]
            for p in e.get("predictions", []):
                verdict = "CONFIRMED" if p["confirmed"] else "REFUTED"
                own = (" (threshold set from our own runs)"
                       if p.get("threshold_source") == "ours" else "")
                L.append(f"- **{verdict}** `{p['name']}`{own}: {p['statement']} "
                         f"({_evidence_text(p.get('evidence', {}))})")
                pc = p.get("paper_check")
                if own and isinstance(pc, dict):
                    L.append(f"  - {pc.get('statement', '')}: "
                             f"{'reproduced' if pc.get('confirmed') else 'not reproduced'}"
                             f" ({_short(round_sig(pc.get('value')))})")
            L.append("")
            rows = paper_rows(e)
            if rows:
                L += [_table_note(rows), "", "| " + " | ".join(_TABLE_HEAD) + " |",
                      "| --- | --- | --- | --- |"]
                L += ["| " + " | ".join(_paper_cells(r)) + " |" for r in rows] + [""]
            sf = e.get("spread_figure")
            if sf:
                cap, path = sf
                L += [f"![{cap}]({os.path.relpath(path, base)})", "", f"*{cap}*", ""]
            for f in e.get("figures", []):
                cap = _figure_caption(e, f)
                L += [f"![{cap}]({os.path.relpath(f, base)})", "", f"*{cap}*", ""]
    if data.derivations:
        L += ["## Derivations", "", "| derivation | status | steps | seconds |",
              "| --- | --- | --- | --- |"]
        for d in data.derivations:
            link = _proof_link(str(d.get("name")), base)
            name = f"[{d.get('name')}]({link})" if link else str(d.get("name"))
            L.append(f"| {name} | {d.get('status')} | {d.get('steps', '')} | "
                     f"{d.get('seconds', 0):.2f} |")
        L.append("")
    if data.timings:
        L += ["## Timings", ""] + [f"- {k}: {v:.1f} s" for k, v in data.timings.items()] + [""]
    if data.notes:
        L += ["## Notes", ""] + [f"- {n}" for n in data.notes] + [""]
    return "\n".join(L)


def _figure_caption(e: dict[str, Any], f: Any) -> str:
    words = Path(f).stem.replace("_", " ").replace("-", " ")
    return f"{e['name']} ({e.get('paper_ref', '')}), preset {e.get('preset')}: {words}"


def _short(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (list, dict)):
        s = json.dumps(v, default=float)
        return s if len(s) < 80 else s[:77] + "..."
    return str(v)


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return (f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"/>'
            f"<figcaption>{html.escape(alt)}</figcaption></figure>")


_CSS = """body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;
color:#222;line-height:1.45}table{border-collapse:collapse;margin:1em 0;font-size:.92em}
td,th{border:1px solid #ccc;padding:.3em .5em;vertical-align:top}th{background:#f0f0f0}
.confirmed{color:#1a7f37;font-weight:600}.refuted{color:#c62828;font-weight:700}
.holds-on-domain{color:#9a6700;font-weight:600}.not-checked{color:#777}
img{max-width:100%;border:1px solid #ddd}figure{margin:1em 0}
figcaption{font-size:.9em;color:#555}pre{background:#f6f8fa;padding:.6em;overflow:auto;
font-size:.8em;max-height:24em}li{margin:.2em 0}"""


def render_html(data: ReportData) -> str:
    """The report as one self-contained HTML page (figures embedded as base64 PNG).

    Paper: none (infrastructure).
    """
    e = html.escape
    H = [(f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{e(data.title)}"
         f"</title><style>{_CSS}</style></head><body>"), f"<h1>{e(data.title)}</h1>",
         ("<p>Pezeshki et al., <i>Gradient Starvation</i> (NeurIPS 2021), checked at three "
         "levels: SymPy derivations, numerics (validity scans, interval certificates) and "
         f"training experiments (preset <code>{e(data.preset)}</code>).</p>"),
         ("<nav><b>Contents:</b> <a href='#claims'>Claims</a> | "
          "<a href='#validity'>Validity maps</a> | <a href='#experiments'>Experiments</a> | "
          "<a href='#derivations'>Derivations</a></nav>"),
         ("<h2 id='claims'>Claims</h2><table><tr><th>claim</th><th>paper</th>"
          "<th>statement</th><th>status</th><th>where it holds (computed) / "
          "counterexample</th></tr>")]
    for c in data.claims:
        extra = e(c.domain or "")
        if c.counterexample:
            extra += "<br><code>" + e(json.dumps(round_sig(c.counterexample))) + "</code>"
        formula = f"<br>{math_html(c.latex)}" if c.latex else ""
        H.append(f"<tr><td><a href='#{_anchor(c.id)}'><code>{e(c.id)}</code></a></td>"
                 f"<td>{e(c.paper_ref)}</td><td>{e(c.statement)}{formula}</td>"
                 f"<td class='{c.status}'>"
                 f"{e(_status_badge(c.status))}</td><td>{extra}</td></tr>")
    H.append("</table>")
    for c in data.claims:
        H.append(f"<h3 id='{_anchor(c.id)}'><code>{e(c.id)}</code> ({e(c.paper_ref)}): "
                 f"<span class='{c.status}'>{e(_status_badge(c.status))}</span></h3>")
        if c.latex:
            H.append(f"<p>{math_html(c.latex)}</p>")
        if c.domain:
            H.append(f"<p><i>Where it holds (computed).</i> {e(c.domain)}</p>")
        H.append("<ul>")
        for k in c.checks:
            H.append(f"<li><b>{e(k.level)}</b> {e(k.name)}: <span class='{k.status}'>"
                     f"{e(k.status)}</span>. {e(k.detail)}</li>")
        H.append("</ul>")
    if data.figures:
        H.append("<h2 id='validity'>Validity maps</h2>")
        for cap, p in data.figures:
            H.append(_img(p, cap))
    if data.validity:
        H.append("<h3>Numbers behind the maps</h3>")
        for name, summ in data.validity.items():
            H.append(f"<details><summary>{e(name)}</summary><pre>"
                     f"{e(json.dumps(round_sig(summ), indent=1, default=float)[:12000])}"
                     "</pre></details>")
    if data.experiments:
        H.append("<h2 id='experiments'>Experiments</h2>")
        for x in data.experiments:
            H.append(f"<h3>{e(x['name'])} ({e(x.get('paper_ref', ''))}), preset "
                     f"{e(str(x.get('preset')))}</h3>")
            if x.get("error"):
                H.append(f"<p class='refuted'>Did not run: {e(x['error'])}</p>")
                continue
            H.append(f"<p>Wall time {x.get('seconds', float('nan')):.1f} s.</p>")
            if x.get("seeds") is not None:
                H.append(f"<p>Seeds: {e(', '.join(str(v) for v in x['seeds']))}.</p>")
            if x.get("config"):
                H.append("<p>Configuration: <code>" + e(json.dumps(round_sig(x["config"]),
                                                                    sort_keys=True))
                         + "</code></p>")
            H.append("<ul>")
            for p in x.get("predictions", []):
                cls = "confirmed" if p["confirmed"] else "refuted"
                ev = _evidence_text(p.get("evidence", {}))
                own = (" (threshold set from our own runs)"
                       if p.get("threshold_source") == "ours" else "")
                pc = p.get("paper_check")
                beside = ""
                if own and isinstance(pc, dict):
                    beside = (f"<br><small>{e(str(pc.get('statement', '')))}: "
                              f"{'reproduced' if pc.get('confirmed') else 'not reproduced'} "
                              f"({e(_short(round_sig(pc.get('value'))))})</small>")
                H.append(f"<li><span class='{cls}'>{'CONFIRMED' if p['confirmed'] else 'REFUTED'}"
                         f"</span> <code>{e(p['name'])}</code>{e(own)}: {e(p['statement'])} "
                         f"<small>({e(ev)})</small>{beside}</li>")
            H.append("</ul>")
            rows = paper_rows(x)
            if rows:
                H.append(f"<p>{e(_table_note(rows))}</p><table><tr>"
                         + "".join(f"<th>{e(h)}</th>" for h in _TABLE_HEAD) + "</tr>")
                for r in rows:
                    H.append("<tr>" + "".join(f"<td>{e(c).replace('`', '')}</td>"
                                              for c in _paper_cells(r)) + "</tr>")
                H.append("</table>")
            sf = x.get("spread_figure")
            if sf and Path(sf[1]).exists():
                H.append(_img(Path(sf[1]), str(sf[0])))
            for f in x.get("figures", []):
                if Path(f).suffix.lower() == ".png" and Path(f).exists():
                    H.append(_img(Path(f), _figure_caption(x, f)))
    if data.derivations:
        H.append("<h2 id='derivations'>Derivations</h2><table><tr><th>derivation</th>"
                 "<th>status</th>"
                 "<th>steps</th><th>seconds</th></tr>")
        for d in data.derivations:
            H.append(f"<tr><td>{e(str(d.get('name')))}</td><td>{e(str(d.get('status')))}</td>"
                     f"<td>{e(str(d.get('steps', '')))}</td>"
                     f"<td>{d.get('seconds', 0):.2f}</td></tr>")
        H.append("</table>")
    if data.timings:
        H.append("<h2>Timings</h2><ul>" + "".join(
            f"<li>{e(k)}: {v:.1f} s</li>" for k, v in data.timings.items()) + "</ul>")
    if data.notes:
        H.append("<h2>Notes</h2><ul>" + "".join(f"<li>{e(n)}</li>" for n in data.notes)
                 + "</ul>")
    H.append("</body></html>")
    return "\n".join(H)


def write_report(data: ReportData, out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``report.md`` and ``report.html`` into ``out_dir`` (atomically).

    Returns:
        ``(markdown_path, html_path)``.

    Raises:
        ValueError: ``data`` is not a :class:`ReportData`.

    Paper: none (infrastructure).
    """
    if not isinstance(data, ReportData):
        raise check.fail("data", data, "must be a gstheory.report.ReportData")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    md = write_atomic(out / "report.md", render_markdown(data, out))
    ht = write_atomic(out / "report.html", render_html(data))
    return md, ht
