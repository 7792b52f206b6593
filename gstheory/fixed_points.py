r"""Fixed points of the dual dynamics (re-exported from :mod:`gstheory.solvers`).

The solvers live in :mod:`gstheory.solvers`, one module per job; this module keeps the
historical import path ``gstheory.fixed_points`` working.

Example:
    >>> from gstheory.spectrum import perturbed_identity
    >>> from gstheory.penalties import Ridge
    >>> fp = solve_fixed_point(perturbed_identity([36.0, 4.0], 0.5), Ridge(0.01))
    >>> bool(fp.converged and fp.residual < 1e-12)
    True

Paper: Eq. 9-14 (Sec. 3.2-3.3), Eq. 18 (Sec. 3.4), Lemma 1, Theorem 1.
"""

from .solvers import *  # noqa: F403
from .solvers import __all__  # noqa: F401
