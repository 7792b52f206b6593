r"""Fixed points of the dual dynamics (re-exported from :mod:`gstheory.solvers`).

The solvers live in :mod:`gstheory.solvers`, one module per job; this module keeps the
historical import path ``gstheory.fixed_points`` working.

Example:
    >>> import gstheory.solvers
    >>> solve_fixed_point is gstheory.solvers.solve_fixed_point
    True

Paper: Eq. 9-14 (Sec. 3.2-3.3), Eq. 18 (Sec. 3.4), Lemma 1, Theorem 1.
"""

from .solvers import *  # noqa: F403
from .solvers import __all__  # noqa: F401
