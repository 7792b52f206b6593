r"""CelebA from its standard on-disk layout: the Blond_Hair / Male task of Table 3.

A CelebA directory holds three parts:

* ``img_align_celeba/``: the aligned JPEG images (``000001.jpg`` ...);
* ``list_attr_celeba.txt``: the number of images on line 1, the 40 attribute names on
  line 2, then one line per image: its file name and 40 values, each ``1`` or ``-1``;
* ``list_eval_partition.txt``: one line per image: its file name and ``0`` (train),
  ``1`` (validation) or ``2`` (test).

The task (Sagawa et al.'s group_DRO, used by the paper): target ``y = Blond_Hair``,
spurious attribute ``a = Male``, groups ``g = 2 y + a`` (blond males, 0.85% of the
training split, are the rare group). Preprocessing as group_DRO: centre crop 178,
resize to 224, ImageNet normalisation, no augmentation.

Everything is checked before a run writes anything: a missing part, a malformed line
(wrong count, a value other than +-1, an unknown split, a file listed in one text file
and not the other) or an image that cannot be decoded is a ``ValueError``
(:class:`~gstheory.empirical.data.idx.DataNotFoundError` for a missing part) whose one line names
the file (and the line number).

Example::

    >>> index = read_index("/data/celeba")            # doctest: +SKIP
    >>> index.group_counts("train")                   # doctest: +SKIP
    [71629, 66874, 22880, 1387]

Paper: Sec. 4.4, Table 3.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gstheory.empirical.data.idx import DataNotFoundError

TARGET, SPURIOUS = "Blond_Hair", "Male"
IMAGES, ATTRS, PARTITION = "img_align_celeba", "list_attr_celeba.txt", "list_eval_partition.txt"
SPLITS = {"train": 0, "val": 1, "test": 2}
#: group_DRO's preprocessing.
CROP, SIZE = 178, 224
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
N_GROUPS = 4
HOW_TO_GET = ("CelebA's layout is DIR/img_align_celeba/*.jpg, DIR/list_attr_celeba.txt "
              "and DIR/list_eval_partition.txt (from the official CelebA release)")


@dataclass(frozen=True)
class CelebAIndex:
    """The parsed text files: one entry per image, in the attribute file's order.

    Attributes:
        root: the CelebA directory; files: image file names; y: Blond_Hair in {0, 1};
        a: Male in {0, 1}; split: 0 / 1 / 2; sha256: digest of the two text files.
    """

    root: Path
    files: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    a: np.ndarray = field(repr=False)
    split: np.ndarray = field(repr=False)
    sha256: str = ""

    def rows(self, split: str, limit: int | None = None) -> np.ndarray:
        """Indices of a split (``train``/``val``/``test``), the first ``limit`` of them."""
        idx = np.flatnonzero(self.split == SPLITS[split])
        return idx if limit is None else idx[:limit]

    def group_counts(self, split: str, limit: int | None = None) -> list[int]:
        """Images per group ``2 y + a`` in a split."""
        r = self.rows(split, limit)
        return np.bincount(2 * self.y[r] + self.a[r], minlength=N_GROUPS).tolist()

    def path(self, i: int) -> Path:
        """The image file of entry ``i``."""
        return self.root / IMAGES / str(self.files[i])


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="ascii").splitlines()
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not a text file ({exc.reason} at byte {exc.start}); "
                         f"{HOW_TO_GET}") from None
    except OSError as exc:
        raise ValueError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def read_index(data_dir: str | os.PathLike) -> CelebAIndex:
    """Check the three parts and parse the two text files.

    Raises:
        DataNotFoundError: ``data_dir`` or one of its three parts is missing.
        ValueError: a malformed line (the message names the file and line).
    """
    root = Path(data_dir)
    if not root.is_dir():
        raise DataNotFoundError(f"data_dir={str(root)!r}: not a directory; {HOW_TO_GET}")
    for part, want_dir in ((IMAGES, True), (ATTRS, False), (PARTITION, False)):
        p = root / part
        if not (p.is_dir() if want_dir else p.is_file()):
            raise DataNotFoundError(f"{p}: missing; {HOW_TO_GET}")
    attrs = root / ATTRS
    lines = _lines(attrs)
    if len(lines) < 2 or not lines[0].strip().isdigit():
        raise ValueError(f"{attrs}:1: expected the number of images; {HOW_TO_GET}")
    n = int(lines[0])
    names = lines[1].split()
    for want in (TARGET, SPURIOUS):
        if want not in names:
            raise ValueError(f"{attrs}:2: no attribute {want} among {len(names)} names")
    body = [ln for ln in lines[2:] if ln.strip()]
    if len(body) != n:
        raise ValueError(f"{attrs}: line 1 says {n} images, the file lists {len(body)}")
    ti, si = names.index(TARGET), names.index(SPURIOUS)
    files, y, a = [], np.empty(n, np.int64), np.empty(n, np.int64)
    for k, ln in enumerate(body):
        tok = ln.split()
        if len(tok) != len(names) + 1:
            raise ValueError(f"{attrs}:{k + 3}: {len(tok)} fields, expected "
                             f"{len(names) + 1} (a file name and {len(names)} values)")
        vals = tok[1:]
        if any(v not in ("1", "-1") for v in vals):
            bad = next(v for v in vals if v not in ("1", "-1"))
            raise ValueError(f"{attrs}:{k + 3}: value {bad!r}, expected 1 or -1")
        files.append(tok[0])
        y[k], a[k] = vals[ti] == "1", vals[si] == "1"
    part = root / PARTITION
    where: dict[str, int] = {}
    for k, ln in enumerate(_lines(part)):
        if not ln.strip():
            continue
        tok = ln.split()
        if len(tok) != 2 or tok[1] not in ("0", "1", "2"):
            raise ValueError(f"{part}:{k + 1}: expected 'FILE 0|1|2', got {ln.strip()!r}")
        where[tok[0]] = int(tok[1])
    missing = [f for f in files if f not in where]
    if missing:
        raise ValueError(f"{part}: no split for {missing[0]} (listed in {ATTRS}); "
                         f"{len(missing)} image(s) lack one")
    h = hashlib.sha256(attrs.read_bytes())
    h.update(part.read_bytes())
    return CelebAIndex(root, np.asarray(files), y, a,
                       np.asarray([where[f] for f in files], np.int64), h.hexdigest())


def load_image(path: Path, crop: int = CROP, size: int = SIZE) -> np.ndarray:
    """One preprocessed image: centre crop ``crop``, resize to ``size`` (bilinear),
    ImageNet normalisation; float32 ``(3, size, size)``.

    Raises:
        ValueError: the file is missing, not an image, truncated, or smaller than
            ``crop`` (the message names it).
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im.load()
            im = im.convert("RGB")
    except FileNotFoundError:
        raise ValueError(f"{path}: no such image (listed in {ATTRS})") from None
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValueError(f"{path}: unreadable image ({exc})") from None
    w, h = im.size
    if w < crop or h < crop:
        raise ValueError(f"{path}: {w}x{h} pixels, smaller than the {crop}x{crop} crop")
    left, top = round((w - crop) / 2.0), round((h - crop) / 2.0)
    im = im.crop((left, top, left + crop, top + crop))
    if size != crop:
        im = im.resize((size, size), Image.BILINEAR)
    x = np.asarray(im, dtype=np.float32) / 255.0
    x = (x - np.asarray(IMAGENET_MEAN, np.float32)) / np.asarray(IMAGENET_STD, np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1))


def check_images(index: CelebAIndex, rows: np.ndarray, crop: int = CROP) -> None:
    """Decode every image of ``rows`` once (a bad one stops the run before any work).

    Raises:
        ValueError: the first unreadable image, named.
    """
    for i in rows:
        load_image(index.path(int(i)), crop, crop)


__all__ = ["ATTRS", "CROP", "IMAGES", "PARTITION", "SIZE", "SPURIOUS", "TARGET",
           "CelebAIndex", "check_images", "load_image", "read_index"]
