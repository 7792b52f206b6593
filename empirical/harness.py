r"""The experiment harness: a registry of experiments, presets, predictions and runs.

An experiment is a subclass of :class:`Experiment` registered with :func:`register`. It
declares frozen-dataclass configurations (``presets``: ``quick`` for a CPU in minutes,
``paper`` for the authors' settings, ``smoke`` for a seconds-long check), runs a list of
seeds (vectorised where the architecture allows), summarises the per-seed results into
metrics, checks named, falsifiable :class:`Prediction` s against those metrics, and draws
PNG figures.

:func:`run_experiment` is the one engine. It validates everything *before* any training
(experiment and preset names, overrides, device, writability of the output directory),
writes ``out_dir/<experiment>/<preset>/seed-<k>.json`` atomically as seeds finish (a
resumed run skips the seeds whose file exists with the same configuration), then
``result.json`` with the configuration, seeds, versions, device, timings, metrics,
predictions, figures and the paper's numbers the experiment declares
(:class:`PaperNumber`).

Experiment modules live in ``empirical/experiments/<name_with_underscores>.py`` and are
found with :mod:`pkgutil`; nothing needs to be added to a shared list.

Paper: the experiments of Sec. 1 (Fig. 1), Sec. 4 and App. B of Pezeshki et al. (2021).
"""

from __future__ import annotations

import contextvars
import dataclasses
import hashlib
import importlib
import importlib.util
import json
import pkgutil
import platform
import sys
import time
import types
import typing
from collections.abc import Iterable, Iterator, Mapping, Sequence, Sized
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from gstheory import validation as check
from gstheory.io import to_jsonable

from . import hparams

#: presets every experiment must define.
REQUIRED_PRESETS = ("quick", "paper", "smoke")
#: accepted values of the ``device`` argument.
DEVICES = ("auto", "cpu", "cuda")
#: file name of a run's summary.
RESULT_FILE = "result.json"
#: most seeds one run may ask for (a bound checked before any work).
MAX_SEEDS = 10_000
#: fields left out of the resume fingerprint (how many seeds run does not change a seed).
UNFINGERPRINTED = ("seeds",)

# Whether progress bars are shown (set by run_experiment; read by :func:`progress`).
_PROGRESS: contextvars.ContextVar[bool] = contextvars.ContextVar("gst_progress", default=False)


# --------------------------------------------------------------------------- configs
class Config:
    """Mixin for experiment configurations (use with ``@dataclass(frozen=True)``).

    Subclasses declare the allowed range of every field in ``RANGES`` (see
    :mod:`gstheory.empirical.hparams`) and may override :meth:`validate` for checks that relate
    fields to each other (raise ``ValueError`` through :mod:`gstheory.validation`). Both
    run on construction, so a preset or an override with a value out of range fails
    before any training starts. A field named ``seeds`` (int) gives the default number of
    seeds.
    """

    def __post_init__(self) -> None:
        hparams.check_config(self)
        self.validate()

    def validate(self) -> None:
        """Check the fields; raise ``ValueError`` naming a bad one. Default: nothing."""

    def to_dict(self) -> dict[str, Any]:
        """The configuration as a JSON-able dict."""
        return _plain(dataclasses.asdict(self))


def _plain(obj: Any) -> Any:
    """JSON-able configuration values (a configuration may hold an ``inf`` bound)."""
    return to_jsonable(obj, allow_nonfinite=True)


def config_fingerprint(config: Any, data_digest: str | None = None) -> str:
    """A short stable hash of a configuration and of the data it reads (decides whether a
    seed file is reusable: a changed setting or a swapped data file recomputes the seed).

    The number of seeds (:data:`UNFINGERPRINTED`) is left out: seed 3 of a 4-seed run is
    seed 3 of a 10-seed run.
    """
    doc = {k: v for k, v in _plain(dataclasses.asdict(config)).items()
           if k not in UNFINGERPRINTED}
    if data_digest is not None:
        doc["__data_sha256__"] = data_digest
    text = json.dumps(doc, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class DivergenceError(ValueError):
    """Training diverged (a non-finite loss); the message names the learning rate."""


def diverged(what: str, loss: Any, step: int, lr: Any) -> DivergenceError:
    """The error of a run whose loss became ``loss`` (non-finite) at ``step``."""
    return DivergenceError(f"{what}: training diverged at step {step} (loss {loss}) with "
                           f"learning rate lr={lr}; lower the learning rate")


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _coerce(name: str, kind: Any, current: Any, value: Any) -> Any:
    """Convert ``value`` (possibly a CLI string) to the type of field ``name``."""
    origin = typing.get_origin(kind)
    args = typing.get_args(kind)
    if origin is typing.Union or origin is types.UnionType:
        non_none = [a for a in args if a is not type(None)]
        if isinstance(value, str) and value.lower() in ("none", "null"):
            return None
        if value is None:
            return None
        kind = non_none[0] if non_none else type(current)
        origin, args = typing.get_origin(kind), typing.get_args(kind)
    if kind is bool or (kind is Any and isinstance(current, bool)):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in _TRUE + _FALSE:
            return value.lower() in _TRUE
        raise check.fail(name, value, "must be a boolean (true/false)")
    if kind is int:
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                raise check.fail(name, value, "must be an integer") from None
        return check.integer(name, value)
    if kind is float:
        try:
            return check.finite_scalar(name, float(value) if isinstance(value, str)
                                       else value)
        except ValueError:
            raise check.fail(name, value, "must be a finite real number") from None
    if kind is str:
        if not isinstance(value, str):
            raise check.fail(name, value, "must be a string")
        return value
    if origin is tuple:
        items = value.split(",") if isinstance(value, str) else list(value)
        items = [i.strip() if isinstance(i, str) else i for i in items]
        items = [i for i in items if i != ""]
        elem = args[0] if args else (type(current[0]) if current else str)
        return tuple(_coerce(name, elem, None, i) for i in items)
    return value


def apply_overrides(config: Any, overrides: Mapping[str, Any] | None) -> Any:
    """A copy of ``config`` with ``overrides`` (field -> value) applied and validated.

    Values may be strings (from ``--set key=value``): they are converted to the field's
    type (bool accepts true/false/1/0/yes/no; tuples are comma-separated).

    Raises:
        ValueError: an unknown field (the message lists the valid ones), a value of the
            wrong type, or a value the configuration's ``validate`` refuses.
    """
    if not overrides:
        return config
    fields = {f.name: f for f in dataclasses.fields(config)}
    hints = typing.get_type_hints(type(config))
    changes = {}
    for key, value in overrides.items():
        if key not in fields:
            raise ValueError(f"override {key}={value!r}: unknown setting of "
                             f"{type(config).__name__}; valid settings: "
                             + ", ".join(sorted(fields)))
        changes[key] = _coerce(key, hints.get(key, Any), getattr(config, key), value)
    return dataclasses.replace(config, **changes)


def parse_set(items: Sequence[str] | None) -> dict[str, str]:
    """Parse ``["a=1", "b=x"]`` (the CLI's ``--set``) into a dict; refuse malformed ones."""
    out: dict[str, str] = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--set {item!r}: expected key=value")
        out[key.strip()] = value.strip()
    return out


# --------------------------------------------------------------------------- predictions
@dataclass(frozen=True)
class Prediction:
    """One named, falsifiable prediction of the theory and its verdict on a run.

    Attributes:
        name: short identifier (kebab-case), stable across runs.
        statement: the prediction in words, with its threshold.
        confirmed: the verdict.
        evidence: the numbers that decided it (JSON-able).
        asserted: True when measured runs establish the prediction at the experiment's
            scale, so a refutation is a regression (``gstheory verify`` and the tests fail
            on it); False for a paper claim that our measured runs refute or split on:
            it is still checked and reported with its evidence, but not expected to hold.
        threshold_source: ``paper`` when the threshold is the paper's own, ``ours`` when
            it was set from our own measured runs.
        paper_check: for ``ours``, the paper's own threshold and its verdict on the same
            run: ``{"statement": ..., "threshold": ..., "confirmed": bool}``.
    """

    name: str
    statement: str
    confirmed: bool
    evidence: dict = field(default_factory=dict)
    asserted: bool = True
    threshold_source: str = "paper"
    paper_check: dict | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise check.fail("name", self.name, "must be a non-empty string")
        object.__setattr__(self, "confirmed", bool(self.confirmed))
        object.__setattr__(self, "asserted", bool(self.asserted))
        check.choice("threshold_source", self.threshold_source, ("paper", "ours"))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form: name, statement, confirmed, evidence, asserted (and
        threshold_source, paper_check for a threshold set from our own runs)."""
        out = {"name": self.name, "statement": self.statement,
               "confirmed": self.confirmed, "evidence": _jsonable(self.evidence),
               "asserted": self.asserted}
        if self.threshold_source != "paper":  # keys only when the threshold is our own
            out.update(threshold_source=self.threshold_source,
                       paper_check=_jsonable(self.paper_check))
        return out

    def line(self) -> str:
        """One printable line: verdict, name and evidence."""
        ev = ", ".join(f"{k}={_fmt(v)}" for k, v in self.evidence.items())
        note = "" if self.asserted else " (paper claim not established at this scale)"
        return f"[{'CONFIRMED' if self.confirmed else 'REFUTED'}] {self.name}{note}: {ev}"


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_fmt(x)}" for k, x in v.items()) + "}"
    return str(v)


def _jsonable(obj: Any) -> Any:
    """Plain JSON types (numpy arrays and scalars converted); non-finite floats raise."""
    return to_jsonable(obj)


# --------------------------------------------------------------------------- paper numbers
@dataclass(frozen=True)
class PaperNumber:
    """One number the paper reports for an experiment, and where our runs keep the same
    quantity per seed (declared once, as data, on the :class:`Experiment`).

    The harness writes these into ``result.json`` (key ``paper_numbers``), and the report
    sets each beside our per-seed values, which it reads from the same file.

    Attributes:
        label: the quantity in words (``"ERM test accuracy"``).
        value: the number as the paper prints it, in ``units``.
        metric: dotted path in ``result.json`` to our per-seed list of the quantity
            (``"metrics.methods.ERM.test_acc_per_seed"``).
        units: the paper's units (``"%"``, ``"nats"``).
        where: where the paper prints it (``"Table 2"``).
        scale: factor that turns our values into ``units`` (100 for a fraction shown in
            percent; default 1).
        std: the spread the paper prints beside the value (its standard deviation over
            runs), or ``None`` where it prints none.
        setting: what the paper measured it on (data set, model, runs).

    Paper: the reported numbers of Table 2, Table 3 and Fig. 3.
    """

    label: str
    value: float
    metric: str
    units: str
    where: str
    scale: float = 1.0
    std: float | None = None
    setting: str = ""

    def __post_init__(self) -> None:
        for name in ("label", "metric", "where"):
            v = getattr(self, name)
            if not isinstance(v, str) or not v.strip():
                raise check.fail(name, v, "must be a non-empty string")
        if any(not part for part in self.metric.split(".")):
            raise check.fail("metric", self.metric, "must be a dotted path of keys "
                             "(e.g. metrics.methods.ERM.test_acc_per_seed)")
        for name in ("units", "setting"):
            if not isinstance(getattr(self, name), str):
                raise check.fail(name, getattr(self, name), "must be a string")
        object.__setattr__(self, "value", check.finite_scalar("value", self.value))
        object.__setattr__(self, "scale", check.positive("scale", self.scale))
        if self.std is not None:
            object.__setattr__(self, "std", check.nonnegative("std", self.std))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (what ``result.json`` holds under ``paper_numbers``)."""
        return {"label": self.label, "value": self.value, "std": self.std,
                "units": self.units, "where": self.where, "metric": self.metric,
                "scale": self.scale, "setting": self.setting}


# --------------------------------------------------------------------------- experiments
class Experiment:
    """Base class of an experiment; subclass it and decorate with :func:`register`.

    Class attributes:
        name: registry key (kebab-case, e.g. ``"two-moons"``).
        paper_ref: where the paper shows it (``"Fig. 1a-c, App. B"``).
        description: one line.
        presets: ``{"quick": Config, "paper": Config, "smoke": Config, ...}``.
        seed_chunk: how many seeds :func:`run_experiment` hands to :meth:`run_seeds` at a
            time (default 1; an interrupted run loses at most the chunk in flight, so
            keep it small; ``None``: all at once).
        needs_torch: ``False`` for numpy-only experiments: they run on the CPU, get the
            string ``"cpu"`` as device, and do not pay for importing torch.
        paper_numbers: the numbers the paper reports for this experiment, each with the
            per-seed metric of ours it compares with (:class:`PaperNumber`; default none,
            e.g. for the toy figures). Written into ``result.json``; the report shows
            them as a paper-vs-ours table.
    """

    name: str = ""
    paper_ref: str = ""
    description: str = ""
    presets: ClassVar[dict[str, Any]] = {}
    seed_chunk: int | None = 1
    needs_torch: bool = True
    paper_numbers: ClassVar[tuple[PaperNumber, ...]] = ()

    def data_digest(self, config: Any) -> str | None:
        """sha256 of the data ``config`` reads (part of the resume fingerprint), or
        ``None`` for generated data. Reading the data here also makes a missing or
        broken data set fail before any training."""
        return None

    def default_seeds(self, config: Any) -> int:
        """Number of seeds of a run when none is given (the config's ``seeds`` field)."""
        return int(getattr(config, "seeds", 1))

    def run_seeds(self, config: Any, seeds: list[int], device: Any) -> dict[int, dict]:
        """Train/compute every seed in ``seeds``; return ``{seed: raw JSON-able dict}``."""
        raise NotImplementedError(f"{type(self).__name__} must define run_seeds() "
                                  "(abstract in Experiment)")

    def summarize(self, config: Any, per_seed: dict[int, dict]) -> dict:
        """Metrics (JSON-able) from the raw per-seed results."""
        raise NotImplementedError(f"{type(self).__name__} must define summarize() "
                                  "(abstract in Experiment)")

    def predictions(self, config: Any, metrics: dict) -> list[Prediction]:
        """The experiment's predictions checked against ``metrics``."""
        raise NotImplementedError(f"{type(self).__name__} must define predictions() "
                                  "(abstract in Experiment)")

    def figures(self, config: Any, per_seed: dict[int, dict], metrics: dict,
                out_dir: Path) -> list[Path]:
        """Draw PNG figures into ``out_dir``; return their paths. Default: none."""
        return []


_REGISTRY: dict[str, Experiment] = {}
_DISCOVERED = False


def register(cls: type[Experiment]) -> type[Experiment]:
    """Class decorator: add an experiment to the registry (validating its declaration).

    Raises:
        ValueError: no name, a preset missing or not a dataclass, ``paper_numbers`` not
            a tuple of :class:`PaperNumber` with distinct labels, or the name already
            taken by a different class.
    """
    name = getattr(cls, "name", "")
    if not isinstance(name, str) or not name:
        raise ValueError(f"experiment class {cls.__name__}: must set a non-empty `name`")
    numbers = cls.paper_numbers
    if not isinstance(numbers, tuple) or \
            not all(isinstance(n, PaperNumber) for n in numbers):
        raise ValueError(f"experiment {name!r}: paper_numbers must be a tuple of "
                         "PaperNumber")
    labels = [n.label for n in numbers]
    if len(set(labels)) != len(labels):
        raise ValueError(f"experiment {name!r}: paper_numbers repeat a label")
    missing = [p for p in REQUIRED_PRESETS if p not in cls.presets]
    if missing:
        raise ValueError(f"experiment {name!r}: missing preset(s) {', '.join(missing)} "
                         f"(required: {', '.join(REQUIRED_PRESETS)})")
    for pname, cfg in cls.presets.items():
        if not dataclasses.is_dataclass(cfg) or isinstance(cfg, type):
            raise ValueError(f"experiment {name!r}: preset {pname!r} must be a dataclass "
                             "instance")
        loose = hparams.undeclared(type(cfg))
        if loose:
            raise ValueError(f"experiment {name!r}: field(s) {', '.join(loose)} of "
                             f"{type(cfg).__name__} have no declared range (RANGES)")
    old = _REGISTRY.get(name)
    if old is not None and (type(old).__qualname__, type(old).__module__) != \
            (cls.__qualname__, cls.__module__):
        raise ValueError(f"experiment name {name!r} already registered by "
                         f"{type(old).__module__}.{type(old).__qualname__}")
    _REGISTRY[name] = cls()
    return cls


def discover() -> None:
    """Import every module of :mod:`gstheory.empirical.experiments` (they register themselves)."""
    global _DISCOVERED
    if _DISCOVERED:
        return
    pkg = importlib.import_module("gstheory.empirical.experiments")
    for info in pkgutil.iter_modules(pkg.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{pkg.__name__}.{info.name}")
    _DISCOVERED = True


def names() -> list[str]:
    """Sorted names of every registered experiment."""
    discover()
    return sorted(_REGISTRY)


def get(name: str) -> Experiment:
    """The registered experiment called ``name``.

    Raises:
        ValueError: unknown name; the message lists the valid ones.
    """
    if name not in _REGISTRY and isinstance(name, str):
        # Fast path: the module named after the experiment (saves importing every
        # experiment's dependencies when one is asked for by name).
        module = "gstheory.empirical.experiments." + name.replace("-", "_")
        if name.replace("-", "_").isidentifier() and importlib.util.find_spec(module):
            importlib.import_module(module)
    if name not in _REGISTRY:
        discover()
    if name not in _REGISTRY:
        raise ValueError(f"experiment={name!r}: unknown experiment; valid experiments: "
                         + ", ".join(sorted(_REGISTRY)))
    return _REGISTRY[name]


def preset_names(exp: Experiment) -> list[str]:
    """An experiment's presets: quick, paper, smoke first, then any others."""
    order = {p: i for i, p in enumerate(REQUIRED_PRESETS)}
    return sorted(exp.presets, key=lambda p: (order.get(p, len(order)), p))


def get_config(name: str, preset: str = "quick",
               overrides: Mapping[str, Any] | None = None) -> Any:
    """The configuration of ``name`` under ``preset`` with ``overrides`` applied.

    Raises:
        ValueError: unknown experiment or preset (listing the valid ones), bad override.
    """
    exp = get(name)
    if preset not in exp.presets:
        raise ValueError(f"preset={preset!r}: unknown preset of {name}; valid presets: "
                         + ", ".join(preset_names(exp)))
    return apply_overrides(exp.presets[preset], overrides)


# --------------------------------------------------------------------------- devices, io
def resolve_device(device: str = "auto") -> Any:
    """``"auto"`` -> CUDA if available else CPU; ``"cuda"`` without CUDA is an error.

    Returns:
        a ``torch.device``.

    Raises:
        ValueError: unknown device name, or ``cuda`` requested where there is none.
    """
    check.choice("device", device, DEVICES)
    import torch
    has_cuda = torch.cuda.is_available()
    if device == "cuda" and not has_cuda:
        raise ValueError("device='cuda': no CUDA device is available on this machine "
                         "(torch.cuda.is_available() is False); use --device cpu or auto")
    if device == "auto":
        device = "cuda" if has_cuda else "cpu"
    return torch.device(device)


def resolve_numpy_device(device: str, experiment: str) -> str:
    """Device of a numpy-only experiment: always ``"cpu"``; ``cuda`` is refused.

    Raises:
        ValueError: unknown device name, or ``cuda`` requested.
    """
    check.choice("device", device, DEVICES)
    if device == "cuda":
        raise ValueError(f"device='cuda': experiment {experiment} runs in numpy on the CPU; "
                         "use --device cpu or auto")
    return "cpu"


def device_info(device: Any) -> dict[str, Any]:
    """Type, name and thread count of a torch device (for result.json)."""
    if isinstance(device, str):
        return {"type": device, "name": platform.processor() or platform.machine(),
                "engine": "numpy"}
    import torch
    info = {"type": device.type, "torch_threads": torch.get_num_threads()}
    if device.type == "cuda":
        info["name"] = torch.cuda.get_device_name(device)
    else:
        info["name"] = platform.processor() or platform.machine()
    return info


def versions() -> dict[str, str]:
    """Versions of Python and the libraries that decide the numbers."""
    from importlib import metadata

    import numpy

    import gstheory
    try:
        torch_version = metadata.version("torch")
    except metadata.PackageNotFoundError:  # pragma: no cover
        torch_version = "not installed"
    return {"python": platform.python_version(), "torch": torch_version,
            "numpy": numpy.__version__, "gstheory": getattr(gstheory, "__version__", "?"),
            "platform": platform.platform()}


def ensure_writable(directory: Path) -> Path:
    """Create ``directory`` if needed and prove a file can be written there
    (:func:`gstheory.io.ensure_writable_dir`).

    Raises:
        ValueError: the directory cannot be created or written (one line, naming it).
    """
    from gstheory.io import ensure_writable_dir
    return ensure_writable_dir(directory, "out")


def write_json_atomic(path: Path, obj: Any) -> Path:
    """Write ``obj`` as JSON to ``path`` atomically (:func:`gstheory.io.atomic_write_json`);
    numpy values are converted first."""
    from gstheory.io import atomic_write_json
    return atomic_write_json(path, _jsonable(obj))


def progress(iterable: Iterable | None = None, *, total: int | None = None,
             desc: str = "", leave: bool = False) -> Any:
    """Progress of a long loop: a tqdm bar on a terminal, one plain line per stage in a
    log, nothing when the run hides progress.

    Experiments wrap their long loops in it: ``for step in progress(range(n), desc=...)``.
    In a non-terminal log (stderr not a tty) a stage writes ``[gstheory] DESC: N steps``
    when it starts and ``[gstheory] DESC: done in S s`` when it ends, with no cursor
    codes.
    """
    if iterable is None:
        iterable = range(total or 0)
    if not _PROGRESS.get():
        return iterable
    if sys.stderr.isatty():
        from tqdm.auto import tqdm
        return tqdm(iterable, total=total, desc=desc, leave=leave, file=sys.stderr,
                    dynamic_ncols=True, mininterval=0.5)
    return _stage_lines(iterable, desc, total)


def _stage_lines(iterable: Iterable, desc: str, total: int | None) -> Iterator[Any]:
    n = total if total is not None else (len(iterable) if isinstance(iterable, Sized)
                                         else None)
    say(f"{desc}: {n} steps" if n is not None else f"{desc}: started")
    t0 = time.perf_counter()
    yield from iterable
    say(f"{desc}: done in {time.perf_counter() - t0:.1f} s")


def say(message: str) -> None:
    """One plain progress line on stderr (when the current run shows progress)."""
    if _PROGRESS.get():
        print(f"[gstheory] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- running
@dataclass(frozen=True)
class RunResult:
    """The outcome of :func:`run_experiment` (also written to ``result.json``)."""

    experiment: str
    preset: str
    config: dict
    seeds: list
    device: dict
    versions: dict
    timings: dict
    metrics: dict
    predictions: list
    figures: list
    path: Path
    per_seed: dict = field(default_factory=dict, repr=False)
    paper_numbers: list = field(default_factory=list)

    @property
    def all_confirmed(self) -> bool:
        """Whether every prediction was confirmed."""
        return all(p.confirmed for p in self.predictions)

    def prediction(self, name: str) -> Prediction:
        """The prediction called ``name`` (``KeyError`` if absent)."""
        for p in self.predictions:
            if p.name == name:
                return p
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """What ``result.json`` holds."""
        return {"experiment": self.experiment, "preset": self.preset,
                "config": self.config, "seeds": list(self.seeds), "device": self.device,
                "versions": self.versions, "timings": self.timings,
                "metrics": self.metrics,
                "predictions": [p.to_dict() for p in self.predictions],
                "all_confirmed": self.all_confirmed,
                "figures": [str(f) for f in self.figures],
                "paper_numbers": [_jsonable(n) for n in self.paper_numbers]}


def _seed_list(seeds: int | Sequence[int] | None, default: int) -> list[int]:
    if seeds is None:
        seeds = default
    if isinstance(seeds, (int,)) and not isinstance(seeds, bool):
        n = check.integer("seeds", seeds, minimum=1, maximum=MAX_SEEDS)
        return list(range(n))
    seeds = list(typing.cast(Sequence[int], seeds))
    if len(seeds) > MAX_SEEDS:
        raise check.fail("seeds", len(seeds), f"at most {MAX_SEEDS} seeds per run")
    out = [check.integer("seeds", s, minimum=0, maximum=2**31 - 1) for s in seeds]
    if not out:
        raise check.fail("seeds", seeds, "must name at least one seed")
    if len(set(out)) != len(out):
        raise check.fail("seeds", seeds, "must not repeat a seed")
    return out


def _load_seed(path: Path, fingerprint: str) -> dict | None:
    """A finished seed's raw result if its file exists and matches the configuration."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if data.get("fingerprint") != fingerprint or "result" not in data:
        return None
    return data["result"]


def _chunks(items: list[int], size: int | None) -> Iterator[list[int]]:
    """``items`` in chunks of ``size`` (``None``: all in one; nothing when empty)."""
    size = size or max(1, len(items))
    for i in range(0, len(items), size):
        yield items[i:i + size]


def seed_document(name: str, preset: str, seed: int, fingerprint: str, config: Any,
                  device: Any, result: dict) -> dict[str, Any]:
    """What ``seed-<k>.json`` holds (the same bytes whichever launcher computed it)."""
    return {"experiment": name, "preset": preset, "seed": seed, "fingerprint": fingerprint,
            "config": config.to_dict() if hasattr(config, "to_dict") else
            _plain(dataclasses.asdict(config)),
            "device": str(device), "result": _jsonable(result)}


def seed_path(run_dir: Path, seed: int) -> Path:
    """The file of one finished seed."""
    return Path(run_dir) / f"seed-{seed}.json"


def set_threads(threads: int | None) -> None:
    """Set torch's intra-op thread count (``None``: leave it).

    Raises:
        ValueError: ``threads`` outside ``[1, 1024]``.
    """
    if threads is None:
        return
    threads = check.integer("threads", threads, minimum=1, maximum=1024)
    import torch
    torch.set_num_threads(threads)


def default_threads() -> int:
    """Threads of one run: the cores this process may use (``os.sched_getaffinity``),
    so that one run never oversubscribes them; run several at once with ``--threads``
    summing to the core count."""
    import os
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover (not Linux)
        return max(1, os.cpu_count() or 1)


def run_experiment(name: str, preset: str = "quick", seeds: int | Sequence[int] | None = None,
                   device: str = "auto", out_dir: str | Path = "results",
                   overrides: Mapping[str, Any] | None = None, progress: bool = True,
                   figures: bool = True, resume: bool = True, threads: int | None = None,
                   launcher: Any = None) -> RunResult:
    """Run (or resume) an experiment, check its predictions, write its results.

    Arguments:
        name: registered experiment name (see :func:`names`).
        preset: ``quick`` / ``paper`` / ``smoke`` (or another preset it declares).
        seeds: number of seeds ``N`` (seeds ``0..N-1``, ``N <= MAX_SEEDS``) or an
            explicit list; default the preset's ``seeds``.
        device: ``auto`` / ``cpu`` / ``cuda``.
        out_dir: root of the results; files go to ``out_dir/<name>/<preset>/``.
        overrides: field -> value changes of the preset's configuration.
        progress: show progress (a bar on a terminal, plain lines in a log).
        figures: draw the PNG figures.
        resume: reuse finished seeds' files written with the same configuration and data.
        threads: torch threads of this process (``None``: leave torch's setting).
        launcher: ``None`` computes the seeds in this process; an
            :class:`gstheory.empirical.launch.SubmititLauncher` submits each chunk of seeds as a
            job (the job writes the seed's file; this process collects them).

    Returns:
        the :class:`RunResult` (also written to ``result.json``).

    Raises:
        ValueError: unknown experiment/preset, bad override or seeds, missing device,
            missing or broken data, unwritable output directory, a results folder held
            by another live run: all detected before any training.
        DivergenceError: training diverged (names the learning rate).
    """
    from .rundir import claim

    t_start = time.perf_counter()
    exp = get(name)
    config = get_config(name, preset, overrides)
    seed_list = _seed_list(seeds, exp.default_seeds(config))
    if "seeds" in {f.name for f in dataclasses.fields(config)}:
        # what result.json records is the number of seeds that ran
        config = dataclasses.replace(config, seeds=len(seed_list))
    dev = resolve_device(device) if exp.needs_torch else resolve_numpy_device(device, name)
    if exp.needs_torch:
        set_threads(threads)
    digest = exp.data_digest(config)
    fingerprint = config_fingerprint(config, digest)
    run_dir = ensure_writable(Path(out_dir) / name / preset)

    token = _PROGRESS.set(bool(progress))
    try:
        with claim(run_dir) as removed:
            if removed:
                say(f"{name}: removed {len(removed)} stale temporary file(s) of an "
                    "interrupted run")
            return _run_locked(exp, name, preset, config, seed_list, dev, device,
                               run_dir, fingerprint, digest, figures, resume, launcher,
                               t_start, [str(p.name) for p in removed])
    finally:
        _PROGRESS.reset(token)


def _run_locked(exp: Experiment, name: str, preset: str, config: Any, seed_list: list[int],
                dev: Any, device: str, run_dir: Path, fingerprint: str,
                digest: str | None, figures: bool, resume: bool, launcher: Any,
                t_start: float, removed: list[str]) -> RunResult:
    per_seed: dict[int, dict] = {}
    resumed: list[int] = []
    if resume:
        for s in seed_list:
            raw = _load_seed(seed_path(run_dir, s), fingerprint)
            if raw is not None:
                per_seed[s] = raw
                resumed.append(s)
    todo = [s for s in seed_list if s not in per_seed]
    if resumed:
        say(f"{name}: resuming {len(resumed)} finished seed(s); {len(todo)} to compute")
    t0 = time.perf_counter()
    chunk_times: list[dict] = []
    chunks = list(_chunks(todo, exp.seed_chunk))
    if launcher is not None and chunks:
        chunk_times = launcher.run(exp=exp, name=name, preset=preset, config=config,
                                   chunks=chunks, device=device, run_dir=run_dir,
                                   fingerprint=fingerprint)
        for s in todo:
            raw = _load_seed(seed_path(run_dir, s), fingerprint)
            if raw is None:
                raise RuntimeError(f"experiment {name}: the job of seed {s} wrote no "
                                   f"result to {seed_path(run_dir, s)}")
            per_seed[s] = raw
    else:
        for chunk in chunks:
            tc = time.perf_counter()
            for s, doc in compute_chunk(exp, name, preset, config, chunk, dev,
                                        fingerprint).items():
                write_json_atomic(seed_path(run_dir, s), doc)
                per_seed[s] = doc["result"]
            chunk_times.append({"seeds": list(chunk), "seconds": time.perf_counter() - tc})
    t_train = time.perf_counter() - t0

    ordered = {s: per_seed[s] for s in seed_list}
    t1 = time.perf_counter()
    metrics = _jsonable(exp.summarize(config, ordered))
    t_sum = time.perf_counter() - t1
    preds = list(exp.predictions(config, metrics))
    for p in preds:
        if not isinstance(p, Prediction):
            raise TypeError(f"experiment {name}: predictions() must return Prediction "
                            f"objects, got {type(p).__name__}")
    t2 = time.perf_counter()
    figs: list[Path] = []
    if figures:
        import matplotlib
        matplotlib.use("Agg")
        figs = [Path(f) for f in exp.figures(config, ordered, metrics, run_dir)]
    t_fig = time.perf_counter() - t2

    timings = {"total_s": time.perf_counter() - t_start, "train_s": t_train,
               "summarize_s": t_sum, "figures_s": t_fig, "chunks": chunk_times,
               "computed_seeds": todo, "resumed_seeds": resumed,
               "removed_temporaries": removed,
               "launcher": "inline" if launcher is None else launcher.describe()}
    cfg = config.to_dict() if hasattr(config, "to_dict") else \
        _plain(dataclasses.asdict(config))
    if digest is not None:
        cfg = {**cfg, "data_sha256": digest}
    result = RunResult(
        experiment=name, preset=preset, config=cfg,
        seeds=seed_list, device=device_info(dev), versions=versions(), timings=timings,
        metrics=metrics, predictions=preds, figures=figs, path=run_dir / RESULT_FILE,
        per_seed=ordered, paper_numbers=[n.to_dict() for n in exp.paper_numbers])
    write_json_atomic(result.path, result.to_dict())
    return result


def compute_chunk(exp: Experiment, name: str, preset: str, config: Any, chunk: list[int],
                  dev: Any, fingerprint: str) -> dict[int, dict]:
    """Train one chunk of seeds; return each seed's :func:`seed_document`.

    Raises:
        RuntimeError: ``run_seeds`` left a seed out.
        DivergenceError: a non-finite number in a seed's result (training diverged).
    """
    out = exp.run_seeds(config, list(chunk), dev)
    missing = [s for s in chunk if s not in out]
    if missing:
        raise RuntimeError(f"experiment {name}: run_seeds returned no result for "
                           f"seed(s) {missing}")
    docs = {}
    for s in chunk:
        try:
            docs[s] = seed_document(name, preset, s, fingerprint, config, dev, out[s])
        except ValueError as exc:
            if "non-finite" not in str(exc):
                raise
            lrs = {k: v for k, v in config.to_dict().items()
                   if k == "lr" or k.endswith("_lr")}
            raise DivergenceError(
                f"{name}, seed {s}: training diverged (a non-finite number in its "
                f"result) with learning rate(s) "
                f"{', '.join(f'{k}={v:g}' for k, v in lrs.items()) or '?'}; lower "
                "the learning rate") from None
    return docs


__all__ = [
    "MAX_SEEDS", "Config", "DivergenceError", "Experiment", "PaperNumber", "Prediction",
    "RunResult",
    "apply_overrides", "compute_chunk", "config_fingerprint", "default_threads",
    "discover", "diverged", "ensure_writable", "get", "get_config", "names", "parse_set",
    "preset_names", "progress", "register", "resolve_device", "resolve_numpy_device",
    "run_experiment", "say", "seed_document", "seed_path", "set_threads",
    "write_json_atomic",
]
