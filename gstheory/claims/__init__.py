"""The registry of the paper's claims, the checks that bear on each, and their evidence.

Paper: Eq. 6-18, Theorem 1, Theorem 2, Lemma 1 (Sec. 3), and the experiments of Sec. 4.

Modules, one job each: :mod:`.evidence` (evidence types; statuses and domains computed
from them), :mod:`.checks` (the numeric checks, scans and certificates),
:mod:`.derivations` (run or reuse the SymPy derivations, compare committed documents),
:mod:`.registry` (the declared claims).

Example:
    >>> from gstheory.claims import Claim
    >>> Claim("x", "Eq. 0", "statement", "assumptions", []).status
    'not-checked'
"""

from __future__ import annotations

from .derivations import REPO_ROOT, documents_dir, run_derivations
from .evidence import STATUS_WORDS, STATUSES, Bound, Evidence, Region, aggregate
from .registry import (
    EXPERIMENT_REFS,
    LEVELS,
    Check,
    Claim,
    derivation_check,
    experiment_claims,
    registry,
    regressions,
    tests_check,
)

__all__ = ["EXPERIMENT_REFS", "LEVELS", "REPO_ROOT", "STATUSES", "STATUS_WORDS",
           "Bound", "Check", "Claim", "Evidence", "Region", "aggregate", "derivation_check",
           "documents_dir", "experiment_claims", "registry", "regressions", "run_derivations",
           "tests_check"]
