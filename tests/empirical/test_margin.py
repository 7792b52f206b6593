"""margin: the quick preset's predictions hold; bad data directories fail cleanly."""

from __future__ import annotations

import numpy as np
import pytest

from empirical import harness

from ._bad_data import write_idx_dir


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("mr")
    return harness.run_experiment("margin", "quick", out_dir=out, progress=False)


def test_quick_predictions_confirmed(quick):
    failed = [p.line() for p in quick.predictions if not p.confirmed]
    assert not failed, failed


def test_margins_consistent_with_robust_accuracy(quick):
    b = quick.metrics["tasks"]["binary"]
    for m in ("ERM", "SD"):
        cdf = np.asarray(b[m]["cdf"])
        assert np.all(np.diff(cdf) >= 0) and cdf[-1] <= 1
        # a point PGD flips at radius eps has margin <= eps, so accuracy under PGD at eps
        # is at most the fraction of margins above eps, up to the attack's
        # non-monotonicity in eps (the bisection and the fixed-eps attack take different
        # step sizes); allowed: 5 points in 100
        for eps, acc in b[m]["robust_acc"].items():
            unflipped = 1 - b[m]["flipped_by"][eps]
            assert acc <= unflipped + 0.05


def test_bad_data_dir_writes_nothing(tmp_path):
    out = tmp_path / "results"
    with pytest.raises(ValueError, match="14x14"):
        harness.run_experiment("margin", "smoke", out_dir=out, progress=False,
                               overrides={"data_dir": str(write_idx_dir(tmp_path / "d",
                                                                        rows=14))})
    assert not out.exists()
    with pytest.raises(ValueError, match="classes"):
        harness.get_config("margin", "quick", {"classes": "3,3"})
