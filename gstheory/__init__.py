"""gstheory: Gradient Starvation (Pezeshki et al., NeurIPS 2021) as executable science.

The numeric core (no torch at import): spectra (Definition 1), penalties (Eq. 5, Eq. 17),
the dynamics as types (Eq. 9, Eq. 10), the dual objective (Eq. 8), fixed points
(Eq. 11-14, Eq. 18), starvation matrices (Definition 2) signed and in magnitude,
trajectories and the primal problem. Subpackages and modules imported on demand:
``gstheory.symbolic`` (SymPy derivations), ``gstheory.ntk`` and ``gstheory.linearised``
(torch networks), ``gstheory.validity``, ``gstheory.certificates`` and
``gstheory.claims``. ``proofs`` renders the derivations and ``empirical`` runs the
training experiments; both build on this package.
"""

from .dual import (
    dual_objective,
    vector_field,
    vector_field_jacobian,
)
from .dynamics import EXACT, TAYLOR, Dynamics, as_dynamics
from .penalties import (
    Ridge,
    SpectralDecoupling,
    make_penalty,
)
from .primal import (
    minimise_primal,
    primal_objective,
)
from .sensitivity import (
    starvation_magnitude,
    starvation_magnitude_mp,
    starvation_magnitudes,
    starvation_matrices,
    starvation_matrix,
    starvation_matrix_mp,
)
from .solvers import (
    FixedPoint,
    FixedPoints,
    Status,
    closed_form_equal_strengths,
    closed_form_permutation,
    closed_form_sd,
    lemma1,
    responses,
    solve_fixed_point,
    solve_fixed_point_mp,
    solve_fixed_points,
)
from .spectrum import (
    Spectrum,
    coupling_matrix,
    equal_strengths,
    from_features,
    from_gram,
    permutation,
    perturbed_identity,
)
from .trajectories import (
    dual_gradient_ascent,
    integrate_dual,
    primal_gradient_descent,
)

__version__ = "0.1.0"

__all__ = [
    "EXACT",
    "TAYLOR",
    "Dynamics",
    "FixedPoint",
    "FixedPoints",
    "Ridge",
    "SpectralDecoupling",
    "Spectrum",
    "Status",
    "as_dynamics",
    "closed_form_equal_strengths",
    "closed_form_permutation",
    "closed_form_sd",
    "coupling_matrix",
    "dual_gradient_ascent",
    "dual_objective",
    "equal_strengths",
    "from_features",
    "from_gram",
    "integrate_dual",
    "lemma1",
    "make_penalty",
    "minimise_primal",
    "permutation",
    "perturbed_identity",
    "primal_gradient_descent",
    "primal_objective",
    "responses",
    "solve_fixed_point",
    "solve_fixed_point_mp",
    "solve_fixed_points",
    "starvation_magnitude",
    "starvation_magnitude_mp",
    "starvation_magnitudes",
    "starvation_matrices",
    "starvation_matrix",
    "starvation_matrix_mp",
    "vector_field",
    "vector_field_jacobian",
]
