"""minority-groups: the quick preset's predictions hold; selection never sees the test."""

from __future__ import annotations

import pytest

from gstheory.empirical import harness
from gstheory.empirical.experiments.minority_groups import ROWS, select

from ._bad_data import write_idx_dir


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("mg")
    return harness.run_experiment("minority-groups", "quick", out_dir=out, progress=False)


def test_quick_predictions_confirmed(quick):
    failed = [p.line() for p in quick.predictions if not p.confirmed]
    assert not failed, failed
    assert set(quick.metrics["rows"]) == set(ROWS)
    train = quick.metrics["groups_train"]
    assert 0 < train[3] / sum(train) < 0.01  # the rarest group is under 1%


def test_selection_uses_validation_only(quick):
    for res in quick.per_seed.values():
        chosen = select(res["variants"])
        for row, v in chosen.items():
            same = [w for w in res["variants"] if w["row"] == row]
            assert v["val"]["worst"] == max(w["val"]["worst"] for w in same)
    # flipping every test score must not change the choice (it never looks at test)
    res = next(iter(quick.per_seed.values()))
    mangled = [{**v, "test": {"worst": -v["test"]["worst"]}} for v in res["variants"]]
    assert ({r: v["label"] for r, v in select(mangled).items()}
            == {r: v["label"] for r, v in select(res["variants"]).items()})


def test_bad_data_dir_writes_nothing(tmp_path):
    out = tmp_path / "results"
    with pytest.raises(ValueError, match="truncated"):
        harness.run_experiment("minority-groups", "smoke", out_dir=out, progress=False,
                               overrides={"data_dir": str(write_idx_dir(tmp_path / "d",
                                                                        truncate=True))})
    assert not out.exists()


def test_every_preset_fits_fashion_mnist():
    # the paper preset uses the largest training set the 6000 pullovers allow at CelebA's
    # proportions (85% pullovers) next to its validation split
    from gstheory.empirical.data.groups import minority_group_splits
    from gstheory.empirical.data.idx import load_dataset
    from gstheory.empirical.experiments.minority_groups import PRESETS

    ds = load_dataset("fashion-mnist")
    for name, c in PRESETS.items():
        train, val, _ = minority_group_splits(ds.x_train, ds.y_train, ds.x_test, ds.y_test,
                                              n_train=c.n_train, n_val=c.n_val, seed=0,
                                              n_test=c.n_test)
        assert len(train) == c.n_train and len(val) == c.n_val, name
