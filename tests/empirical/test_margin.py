"""margin: the quick preset's predictions hold; bad data directories fail cleanly."""

from __future__ import annotations

import numpy as np
import pytest

from gstheory.empirical import harness

from ._bad_data import write_cifar_dir, write_idx_dir


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("mr")
    return harness.run_experiment("margin", "quick", out_dir=out, progress=False)


#: the quick preset's predictions that held in every measured run (README: 2 seeds x
#: 200 attacked points). The paper's median-margin claim and binary robustness at
#: eps = 0.05 are refuted at this scale; they are reported, not asserted either way.
CONFIRMED_AT_QUICK = ("clean-accuracy-equal", "sd-fewer-flipped-at-0.1",
                      "sd-more-robust-binary-eps-0.1", "sd-more-robust-multiclass-eps-0.1")


def test_quick_predictions(quick):
    names = {p.name for p in quick.predictions}
    assert {"sd-larger-median-margin", "sd-more-robust-binary-eps-0.05",
            "sd-more-robust-multiclass-eps-0.05", *CONFIRMED_AT_QUICK} <= names
    failed = [quick.prediction(n).line() for n in CONFIRMED_AT_QUICK
              if not quick.prediction(n).confirmed]
    assert not failed, failed
    # the experiment marks exactly these as asserted (verify fails on their refutation)
    assert {p.name for p in quick.predictions if p.asserted} == set(CONFIRMED_AT_QUICK)
    for p in quick.predictions:  # every verdict carries the numbers that decided it
        assert p.evidence


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


def test_cifar_directory(tmp_path):
    # a tiny CIFAR-10 directory runs end to end (3-channel 32x32 LeNet, airplane vs horse)
    res = harness.run_experiment(
        "margin", "smoke", out_dir=tmp_path / "ok", progress=False, figures=False,
        overrides={"dataset": "cifar10", "data_dir": str(write_cifar_dir(tmp_path / "c")),
                   "classes": "0,7"})
    assert res.per_seed[0]["binary"]["n_train"] == 5 * 4  # 4 of 20 per batch are 0 or 7
    # a batch of the wrong shape: one clear line, nothing written
    out = tmp_path / "results"
    with pytest.raises(ValueError, match="data_batch_1.*shape \\(20, 3000\\)"):
        harness.run_experiment("margin", "smoke", out_dir=out, progress=False,
                               overrides={"dataset": "cifar10", "classes": "0,7",
                                          "data_dir": str(write_cifar_dir(tmp_path / "b",
                                                                          cols=3000))})
    assert not out.exists()
    with pytest.raises(ValueError, match="data_dir=None: is required with dataset=cifar10"):
        harness.get_config("margin", "smoke", {"dataset": "cifar10"})
