"""Test configuration: Hypothesis profiles, markers and float64 everywhere.

Profiles (environment variable ``GSTHEORY_PROFILE``):

* ``ci`` (default): fast, derandomised (the same examples on every run), used by CI.
* ``thorough``: 20x the examples, random, and the tests marked ``slow`` run too.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

CI_EXAMPLES = 25
THOROUGH_FACTOR = 20

settings.register_profile(
    "ci", max_examples=CI_EXAMPLES, deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "thorough", max_examples=CI_EXAMPLES * THOROUGH_FACTOR, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow])

PROFILE = os.environ.get("GSTHEORY_PROFILE", "ci")
if PROFILE not in ("ci", "thorough"):
    raise pytest.UsageError(f"GSTHEORY_PROFILE={PROFILE!r}: must be 'ci' or 'thorough'")
settings.load_profile(PROFILE)
THOROUGH = PROFILE == "thorough"


def pytest_collection_modifyitems(config, items):
    """``slow`` tests run only in the thorough profile; ``gpu`` tests only with CUDA."""
    skip_slow = pytest.mark.skip(
        reason="slow: runs in the thorough profile (GSTHEORY_PROFILE=thorough)")
    has_cuda = False
    if any("gpu" in item.keywords for item in items):
        try:
            import torch
            has_cuda = torch.cuda.is_available()
        except ImportError:
            has_cuda = False
    skip_gpu = pytest.mark.skip(reason="gpu: no CUDA device on this machine")
    for item in items:
        if "slow" in item.keywords and not THOROUGH:
            item.add_marker(skip_slow)
        if "gpu" in item.keywords and not has_cuda:
            item.add_marker(skip_gpu)


@pytest.fixture(autouse=True)
def _numpy_errors_raise():
    """Floating-point overflow/invalid operations in numpy raise inside tests."""
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        yield


@pytest.fixture
def thorough() -> bool:
    """True in the thorough profile: tests may scale their sizes with it."""
    return THOROUGH
