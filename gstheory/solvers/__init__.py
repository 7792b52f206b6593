r"""Fixed points of the dual dynamics, one module per job.

* :mod:`~gstheory.solvers.results` -- result types and the :class:`Status` enum;
* :mod:`~gstheory.solvers.lambert` -- :math:`W(e^L)` and its log (``wrightomega``);
* :mod:`~gstheory.solvers.system` -- validated batched inputs and responses (Eq. 11);
* :mod:`~gstheory.solvers.newton` -- the one damped-Newton engine, over number contexts;
* :mod:`~gstheory.solvers.solve` -- the float64 solvers (one instance, a batch);
* :mod:`~gstheory.solvers.closed_forms` -- Eq. 12, Eq. 13, SD, Lemma 1 (Eq. 14);
* :mod:`~gstheory.solvers.mp` -- the same engine in mpmath at any precision.

Paper: Eq. 9-14 (Sec. 3.2-3.3), Eq. 18 (Sec. 3.4), Lemma 1, Theorem 1.
"""

from .closed_forms import (
    closed_form_equal_strengths,
    closed_form_permutation,
    closed_form_sd,
    lemma1,
    sd_alpha,
    uncoupled_alpha,
)
from .lambert import lambertw_exp, log_lambertw_exp
from .mp import check_dps, mp_responses, mp_solve, mp_system, solve_fixed_point_mp
from .newton import DEFAULT_TOL, MAX_STEP, NewtonResult, initial_guess, newton
from .results import (
    STATUSES,
    ConvergenceError,
    FixedPoint,
    FixedPointMP,
    FixedPoints,
    Status,
)
from .solve import responses, solve_fixed_point, solve_fixed_points
from .system import batch_system, responses_batch

__all__ = [
    "DEFAULT_TOL", "MAX_STEP", "STATUSES", "ConvergenceError", "FixedPoint",
    "FixedPointMP", "FixedPoints", "NewtonResult", "Status", "batch_system", "check_dps",
    "closed_form_equal_strengths", "closed_form_permutation", "closed_form_sd",
    "initial_guess", "lambertw_exp", "lemma1", "log_lambertw_exp", "mp_responses",
    "mp_solve", "mp_system", "newton", "responses", "responses_batch", "sd_alpha",
    "solve_fixed_point", "solve_fixed_point_mp", "solve_fixed_points", "uncoupled_alpha",
]
