"""CelebA from its on-disk layout, on a tiny synthetic directory written by the test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gstheory.empirical import harness
from gstheory.empirical.data import celeba
from gstheory.empirical.data.idx import DataNotFoundError

pytest.importorskip("PIL")
NAMES = ["5_o_Clock_Shadow", "Blond_Hair", "Eyeglasses", "Male"]


def write_celeba(root: Path, n: int = 32, size: tuple[int, int] = (178, 218)) -> Path:
    """``n`` small JPEGs with attribute and partition files; every split holds all four
    groups (y = Blond_Hair, a = Male)."""
    from PIL import Image

    rng = np.random.default_rng(0)
    (root / celeba.IMAGES).mkdir(parents=True)
    attr = [str(n), " ".join(NAMES)]
    part = []
    for k in range(n):
        name = f"{k + 1:06d}.jpg"
        g = k % 4
        y, a = divmod(g, 2)
        img = np.full((size[1], size[0], 3), 120, dtype=np.uint8)
        img[:, :, 0] = 200 if y else 40          # blond images are brighter in red
        img[: size[1] // 2, :, 2] = rng.integers(60, 180)   # a per-image detail
        Image.fromarray(img).save(root / celeba.IMAGES / name, quality=70)
        vals = ["1" if (nm == "Blond_Hair" and y) or (nm == "Male" and a) else "-1"
                for nm in NAMES]
        attr.append(f"{name} " + " ".join(vals))
        part.append(f"{name} {0 if k < n // 2 else 1 if k < 3 * n // 4 else 2}")
    (root / celeba.ATTRS).write_text("\n".join(attr) + "\n")
    (root / celeba.PARTITION).write_text("\n".join(part) + "\n")
    return root


def test_index_groups_and_preprocessing(tmp_path):
    root = write_celeba(tmp_path / "celeba")
    index = celeba.read_index(root)
    assert index.group_counts("train") == [4, 4, 4, 4]
    assert index.group_counts("val") == [2, 2, 2, 2] == index.group_counts("test")
    x = celeba.load_image(index.path(0))
    assert x.shape == (3, celeba.SIZE, celeba.SIZE) and x.dtype == np.float32
    # ImageNet normalisation of a dark red channel: (40/255 - 0.485) / 0.229 < -1
    assert float(np.mean(x[0])) == pytest.approx((40 / 255 - 0.485) / 0.229, abs=0.02)


@pytest.mark.parametrize("breakage, needle", [
    ("no-images", celeba.IMAGES), ("no-attrs", celeba.ATTRS),
    ("no-partition", celeba.PARTITION), ("bad-value", f"{celeba.ATTRS}:5"),
    ("short-line", f"{celeba.ATTRS}:4"), ("bad-image", "000003.jpg"),
])
def test_broken_directory_stops_the_run_naming_the_file(tmp_path, capsys, breakage,
                                                        needle):
    import shutil

    from gstheory.cli import main

    root = write_celeba(tmp_path / "celeba", n=16)
    lines = (root / celeba.ATTRS).read_text().splitlines()
    if breakage == "no-images":
        shutil.rmtree(root / celeba.IMAGES)
    elif breakage == "no-attrs":
        (root / celeba.ATTRS).unlink()
    elif breakage == "no-partition":
        (root / celeba.PARTITION).unlink()
    elif breakage == "bad-value":
        lines[4] = lines[4].replace("-1", "0", 1)
        (root / celeba.ATTRS).write_text("\n".join(lines) + "\n")
    elif breakage == "short-line":
        lines[3] = lines[3].rsplit(" ", 1)[0]
        (root / celeba.ATTRS).write_text("\n".join(lines) + "\n")
    else:
        (root / celeba.IMAGES / "000003.jpg").write_bytes(b"\xff\xd8 truncated")
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exc:
        main(["run", "minority-groups", "--preset", "smoke", "--out", str(out),
              "--set", "dataset=celeba", "--set", f"data_dir={root}"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and len(err.strip().splitlines()) == 1 and needle in err
    assert not out.exists()


def test_missing_part_is_data_not_found(tmp_path):
    with pytest.raises(DataNotFoundError, match="missing"):
        celeba.read_index(tmp_path)


def test_celeba_smoke_run_with_resnet50(tmp_path, capsys):
    root = write_celeba(tmp_path / "celeba")
    res = harness.run_experiment(
        "minority-groups", preset="smoke", device="cpu", out_dir=tmp_path / "out",
        overrides={"dataset": "celeba", "data_dir": str(root)}, progress=True,
        figures=False, threads=1)
    assert "training starts from scratch" in capsys.readouterr().err
    rows = res.metrics["rows"]
    assert set(rows) == {"ERM", "SDPerClass", "GroupDRO"}
    assert res.metrics["groups_train"] == [4, 4, 4, 4]
    for r in rows.values():
        assert 0.0 <= r["worst"] <= r["avg"] <= 1.0
    assert {p.name for p in res.predictions} >= {"sd-lifts-worst-group"}


def test_weights_file_is_loaded_and_checked(tmp_path):
    import torch

    from gstheory.empirical.resnet import ResNet50, load_weights, resnet50

    src = ResNet50(1000)                     # ImageNet-shaped classifier: skipped
    torch.save(src.state_dict(), tmp_path / "w.pth")
    net = resnet50(1)
    assert load_weights(net, tmp_path / "w.pth") == ["fc.weight", "fc.bias"]
    assert torch.equal(net.conv1.weight, src.conv1.weight)
    torch.save({"conv1.weight": torch.zeros(1)}, tmp_path / "bad.pth")
    with pytest.raises(ValueError, match="does not fit"):
        load_weights(net, tmp_path / "bad.pth")
