"""gstheory: Gradient Starvation (Pezeshki et al., NeurIPS 2021) as executable science.

The numeric and symbolic core of the package. ``proofs`` renders the symbolic
derivations and ``empirical`` runs the training experiments; both build on this package.
"""

from .spectrum import (
    Spectrum,
    coupling_matrix,
    equal_strengths,
    from_features,
    from_gram,
    permutation,
    perturbed_identity,
)

__version__ = "0.1.0"

__all__ = [
    "Spectrum",
    "coupling_matrix",
    "equal_strengths",
    "from_features",
    "from_gram",
    "permutation",
    "perturbed_identity",
]
