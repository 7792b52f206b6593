"""Report rendering (gstheory.report)."""

from __future__ import annotations

import base64
import html
import re

import numpy as np
import pytest

from gstheory import validity as V
from gstheory.claims import STATUS_WORDS, Check, Claim, Evidence, Region
from gstheory.report import ReportData, sign_map_figure, write_report


def test_report_renders_with_embedded_figures(tmp_path):
    m = V.scan_theorem2(np.linspace(-0.9, 0.9, 9), np.logspace(-1, 2, 6), [0.01, 1.0])
    fig = sign_map_figure([m], tmp_path / "figures" / "map.png")
    png = fig.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    region = Region({"delta": (0.1, 0.6)}, "scanned", 12)
    claim = Claim("theorem-2", "Theorem 2", "d z2*/d s1^2 < 0", "s1 > s2",
                  [Check("validity-scan", "map", Evidence("numbers", holds=(region,)))])
    data = ReportData("T", "quick", [claim], {"map": m.summary()}, [("the map", fig)],
                      [{"name": "exp", "preset": "quick", "paper_ref": "Fig. 1",
                        "predictions": [{"name": "p", "statement": "s", "confirmed": True,
                                         "evidence": {"x": 1.0}}],
                        "figures": [str(fig)], "seconds": 1.0}])
    md, ht = write_report(data, tmp_path)
    text = md.read_text()
    assert "[`theorem-2`](#claim-theorem-2)" in text and STATUS_WORDS[claim.status] in text
    assert "**Contents:**" in text and '<a id="claim-theorem-2"></a>' in text
    assert region.render() in text  # the computed domain is shown
    assert "figures/map.png" in text and "CONFIRMED" in text
    page = ht.read_text()
    # self-contained: figures embedded, no external image reference
    imgs = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(imgs) == 2
    assert base64.b64decode(imgs[0]) == png
    assert "src=\"figures" not in page


def test_write_report_rejects_bad_data(tmp_path):
    with pytest.raises(ValueError, match="data"):
        write_report({"x": 1}, tmp_path)


def test_numbers_rounded_spread_and_math():
    from gstheory.report import math_html, round_sig, spread

    assert round_sig({"per_seed": [0.5254999995231628, 1e-20]}) == \
        {"per_seed": [0.5255, 1e-20]}
    text = spread([0.5, 0.6, 0.7])
    assert text.startswith("0.6 +- 0.1") and "n = 3" in text
    assert spread([0.5]) is None and spread("x") is None
    m = math_html(r"\frac{\partial z_2^*}{\partial s_1^2} < 0")
    assert m.startswith(("<math", "<code>"))


def test_own_threshold_prediction_shows_paper_verdict(tmp_path):
    claim = Claim("x", "Eq. 0", "s", "a", [])
    pred = {"name": "cost", "statement": "cost <= 15 points", "confirmed": True,
            "evidence": {"cost": 0.0912345678, "per_seed": [0.08, 0.1]},
            "threshold_source": "ours",
            "paper_check": {"statement": "paper: about 3 points", "value": 0.0912345678,
                            "confirmed": False}}
    data = ReportData("T", "quick", [claim], experiments=[
        {"name": "minority-groups", "preset": "quick", "paper_ref": "Table 3",
         "predictions": [pred], "figures": [], "seconds": 1.0, "seeds": [0, 1],
         "config": {"lr": 0.00123456789}}])
    md, _ = write_report(data, tmp_path)
    text = md.read_text()
    assert "threshold set from our own runs" in text
    assert "paper: about 3 points: not reproduced (0.09123)" in text
    assert "per_seed = 0.09 +- 0.014 (n = 2)" in text
    assert "Seeds: 0, 1." in text and '"lr": 0.001235' in text


# --------------------------------------------------------------------------- paper vs ours
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _record(values, paper_value, *, scale=1.0, seeds=None, paper_std=None, name="exp"):
    """A synthetic experiment record shaped like a result.json: one declared paper number
    whose per-seed metric lives at metrics.rows.A.x_per_seed."""
    return {"name": name, "preset": "quick", "paper_ref": "Table 9", "seconds": 1.0,
            "seeds": list(range(len(values))) if seeds is None else seeds,
            "predictions": [], "figures": [],
            "metrics": {"rows": {"A": {"x_per_seed": list(values)}}},
            "paper_numbers": [{"label": "A's x", "value": paper_value, "std": paper_std,
                               "units": "u", "where": "Table 9",
                               "metric": "metrics.rows.A.x_per_seed", "scale": scale,
                               "setting": "somewhere"},
                              {"label": "B's x", "value": paper_value + 1.0, "std": None,
                               "units": "u", "where": "Table 9",
                               "metric": "metrics.rows.B.x_per_seed", "scale": 1.0,
                               "setting": "somewhere"}]}


def test_paper_table_ours_is_numpy_mean_and_sample_std(tmp_path):
    from gstheory.report import paper_rows

    rng = np.random.default_rng(7)
    values = rng.uniform(0.2, 0.9, size=5)
    scale = float(rng.integers(2, 200))
    paper_value = float(np.round(rng.uniform(10, 90), 2))
    rec = _record(values.tolist(), paper_value, scale=scale, paper_std=0.37)
    row, absent = paper_rows(rec)
    assert row.n == values.size
    assert row.mean == pytest.approx(np.mean(values * scale), rel=1e-12)
    assert row.std == pytest.approx(np.std(values * scale, ddof=1), rel=1e-12)
    assert row.std != pytest.approx(np.std(values * scale), rel=1e-6)  # not ddof = 0
    assert row.paper == paper_value and row.paper_std == 0.37
    assert absent.n == 0 and absent.mean is None and absent.std is None
    md, ht = write_report(ReportData("T", "quick", [], experiments=[rec]), tmp_path)
    text, page = md.read_text(), ht.read_text()
    line = next(ln for ln in text.splitlines() if ln.startswith("| A's x |"))
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[1].startswith(f"{paper_value:g}")        # the declared paper value
    mean, std = np.mean(values * scale), np.std(values * scale, ddof=1)
    assert cells[2].startswith(f"{mean:.4g}") and f"{std:.2g}" in cells[2]
    assert f"n = {values.size}" in cells[2]
    assert [float(v) for v in cells[3].split(",")] == \
        pytest.approx(values * scale, rel=1e-3)
    assert f"{mean:.4g}" in page and f"{paper_value:g}" in page
    # the declared number that this run did not measure is listed, with no "ours"
    b_line = next(ln for ln in text.splitlines() if ln.startswith("| B's x |"))
    assert f"{mean:.4g}" not in b_line and f"{paper_value + 1.0:g}" in b_line


def test_an_experiment_without_paper_numbers_shows_no_table(tmp_path):
    from gstheory.report import _TABLE_HEAD, paper_rows

    rec = _record([0.1, 0.2], 5.0)
    bare = {k: v for k, v in rec.items() if k != "paper_numbers"}
    assert paper_rows(bare) == []
    md, ht = write_report(ReportData("T", "quick", [], experiments=[bare]), tmp_path)
    assert _TABLE_HEAD[2] not in md.read_text()
    assert _TABLE_HEAD[2] not in html.unescape(ht.read_text())
    md2, _ = write_report(ReportData("T", "quick", [], experiments=[rec]), tmp_path / "b")
    assert _TABLE_HEAD[2] in md2.read_text()


def test_single_seed_experiment_gets_no_error_bar_figure(tmp_path):
    from gstheory.report import seed_spread_figure

    out = tmp_path / "one.png"
    assert seed_spread_figure(_record([0.4], 23.7), out) is None
    # two seeds listed but the per-seed values hold one: nothing to spread either
    assert seed_spread_figure(_record([0.4], 23.7, seeds=[0, 1]), out) is None
    assert not out.exists()


def test_error_bar_figure_is_a_png_embedded_in_md_and_html(tmp_path):
    from gstheory.report import seed_spread_figure

    rec = _record([0.30, 0.35, 0.41], 33.0, scale=100.0, paper_std=1.2)
    made = seed_spread_figure(rec, tmp_path / "figures" / "exp-spread.png")
    assert made is not None
    caption, path = made
    png = path.read_bytes()
    assert path.is_file() and png[:8] == PNG_MAGIC
    assert f"n = {len(rec['seeds'])}" in caption
    rec["spread_figure"] = (caption, str(path))
    md, ht = write_report(ReportData("T", "quick", [], experiments=[rec]), tmp_path)
    assert f"]({path.relative_to(tmp_path)})" in md.read_text()
    imgs = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', ht.read_text())
    assert [base64.b64decode(i) for i in imgs] == [png]


def test_error_bars_from_prediction_evidence_without_paper_numbers(tmp_path):
    from gstheory.report import seed_spread_figure

    rec = {"name": "toy", "preset": "quick", "paper_ref": "Fig. 1", "seeds": [0, 1, 2],
           "predictions": [{"name": "p", "statement": "s", "confirmed": True,
                            "evidence": {"x": 1.0, "erm_per_seed": [1.0, 2.0, 4.0]}}]}
    made = seed_spread_figure(rec, tmp_path / "toy.png")
    assert made is not None and made[1].read_bytes()[:8] == PNG_MAGIC
    assert "erm_per_seed" in made[0]
    # evidence without per-seed lists: no figure
    rec["predictions"][0]["evidence"] = {"x": 1.0}
    assert seed_spread_figure(rec, tmp_path / "none.png") is None
