"""Report rendering (gstheory.report)."""

from __future__ import annotations

import base64
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
