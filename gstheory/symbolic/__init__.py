"""Symbolic derivations of the paper's Sec. 3 (the only place that builds SymPy expressions).

Each module derives one part of the paper step by step and returns a checked
:class:`~gstheory.symbolic.derivation.Derivation`; :mod:`proofs` renders them. Modules are
imported lazily (SymPy work happens only when a derivation is requested).

Example:
    >>> from gstheory import symbolic
    >>> symbolic.names()[0]
    'variational-bound'
"""

from __future__ import annotations

import importlib

from .. import validation as check
from .derivation import Derivation, Step, StepFailed

#: derivation name -> module (paper order); each module defines ``NAME`` and ``derive()``
DERIVATIONS: dict[str, str] = {
    "variational-bound": "gstheory.symbolic.variational",
    "dual-objective": "gstheory.symbolic.dual_objective",
    "dual-dynamics": "gstheory.symbolic.dynamics",
    "lambert-w-fixed-points": "gstheory.symbolic.lambert",
    "lemma-1": "gstheory.symbolic.lemma1",
    "theorem-2": "gstheory.symbolic.starvation",
    "theorem-2-exact-dynamics": "gstheory.symbolic.starvation_exact",
    "theorem-2-scaling": "gstheory.symbolic.scaling",
    "spectral-decoupling": "gstheory.symbolic.decoupling",
    "n-feature-starvation": "gstheory.symbolic.coupling_n",
    "theorem-2-all-orders": "gstheory.symbolic.theorem2_all_orders",
    "multiclass": "gstheory.symbolic.multiclass",
}


def names() -> list[str]:
    """Names of every derivation, in the paper's order.

    Paper: none (infrastructure).
    """
    return list(DERIVATIONS)


def derive(name: str) -> Derivation:
    """Run one derivation (every step checked) and return it.

    Arguments:
        name: one of :func:`names`.

    Returns:
        The checked :class:`Derivation`.

    Raises:
        ValueError: unknown ``name`` (the message lists the known ones).
        StepFailed: a step's verification failed.

    Paper: Sec. 3 (the derivation that ``name`` names).
    """
    check.choice("name", name, tuple(DERIVATIONS))
    return importlib.import_module(DERIVATIONS[name]).derive()


__all__ = ["DERIVATIONS", "Derivation", "Step", "StepFailed", "derive", "names"]
