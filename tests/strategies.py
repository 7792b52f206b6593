"""Shared Hypothesis strategies for gstheory's tests: re-exported from the public
:mod:`gstheory.testing` (import them from there in new code)."""

from __future__ import annotations

from gstheory.testing import (
    LAM_RANGE,
    N_FEATURES,
    STRENGTH_RANGE,
    couplings,
    deltas,
    examples,
    lams,
    log_uniform,
    networks,
    orthogonal_matrices,
    penalties,
    spectra,
    spectra_s2,
    strengths,
    two_feature_regime,
)

__all__ = ["LAM_RANGE", "N_FEATURES", "STRENGTH_RANGE", "couplings", "deltas", "examples",
           "lams", "log_uniform", "networks", "orthogonal_matrices", "penalties", "spectra",
           "spectra_s2", "strengths", "two_feature_regime"]
