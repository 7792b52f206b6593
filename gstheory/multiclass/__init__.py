r"""Multi-class gradient starvation: the K-class dual, its fixed point and starvation.

Paper: Sec. 3.3 ("the argument extends to multi-class settings"); Eq. 4-11 and
Definition 2 restated for softmax cross-entropy with K classes. numpy/scipy/mpmath only
(no torch).

* :mod:`.spectrum`: the centred kernel :math:`C_n\Phi = USV^T`, features as groups
  (convention-free magnitudes), the shared-feature model :math:`\hat y_i = W^Tx_i`, the
  coupled two-feature family;
* :mod:`.fixed_points`: the concave dual, batched damped Newton in centred logits
  (log-probability coordinates), an mpmath twin;
* :mod:`.sensitivity`: the starvation matrix by implicit differentiation (+ mpmath);
* :mod:`.primal`: the primal problem (independent Newton), the dual-to-primal map;
* :mod:`.dynamics`: dual gradient ascent integrated by SciPy;
* :mod:`.scan`: the validity scan of the multi-class starvation claim;
* :func:`claim_checks`: evidence for the ``multi-class`` claim at three levels.

Example:
    >>> from gstheory.multiclass import coupled_pair, starvation_matrix
    >>> S = starvation_matrix(coupled_pair([36.0, 4.0], 0.3, K=3), 0.1)
    >>> bool(S[0, 1] < 0)         # feature 1 starves feature 2
    True
"""

from __future__ import annotations

from typing import Any

from .dynamics import DualTrajectory, integrate_dual
from .fixed_points import (
    ConvergenceError,
    MulticlassFixedPoint,
    dual_objective,
    solve_fixed_point,
    solve_fixed_point_mp,
    solve_fixed_points,
)
from .primal import (
    minimise_primal,
    primal_objective,
    shared_jacobians,
    theta_from_alpha,
)
from .sensitivity import Starvation, starvation, starvation_matrix, starvation_mp
from .spectrum import (
    MulticlassSpectrum,
    centred_basis,
    centring,
    class_labels,
    coupled_pair,
    from_features,
    from_shared_features,
)


def claim_checks(**kwargs: Any) -> dict[str, Any]:
    """Evidence for the ``multi-class`` claim.

    See :func:`gstheory.multiclass.claim.claim_checks` (imported lazily: the symbolic
    level needs SymPy).

    Paper: Sec. 3.3 ("the argument ... extends to multi-class settings"), Theorem 2; beyond the
    paper: the K-class form.
    """
    from .claim import claim_checks as _cc
    return _cc(**kwargs)


__all__ = [
    "ConvergenceError", "DualTrajectory", "MulticlassFixedPoint", "MulticlassSpectrum",
    "Starvation", "centred_basis", "centring", "claim_checks", "class_labels",
    "coupled_pair", "dual_objective", "from_features", "from_shared_features",
    "integrate_dual", "minimise_primal", "primal_objective", "shared_jacobians",
    "solve_fixed_point", "solve_fixed_point_mp", "solve_fixed_points", "starvation",
    "starvation_matrix", "starvation_mp", "theta_from_alpha",
]
