r"""The authors' two-moons construction (Fig. 1 and App. B of the paper).

Official code: ``mpezeshki/Gradient_Starvation``, ``Figure_1/moon_fig_1.py``. The
points of ``sklearn.datasets.make_moons`` are moved so that the two classes sit on either
side of the horizontal axis with a gap of ``2 * margin`` (``margin > 0``, linearly
separable) or an overlap (``margin < 0``), and the separating axis becomes horizontal.
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import make_moons

from gstheory import validation as check


def two_moons(n: int = 300, margin: float = 0.1, *, seed: int = 0, noise: float = 0.1,
              rotate_deg: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    r"""Two moons as the authors built them.

    Steps (the official script): ``make_moons(n, noise, random_state=seed)``, labels
    ``s = 2y - 1``; shift by ``(-0.5, -0.3 s)``; centre coordinate 2; set coordinate 2 to
    ``-s |x_2|``; subtract ``s * margin``; swap the columns; optionally rotate by
    ``rotate_deg`` (App. B uses 45 degrees).

    Arguments:
        n: number of points (>= 2).
        margin: half the gap between the classes along the separating axis; the paper's
            settings are ``-0.1`` (overlapping) and ``+0.1`` (separable).
        seed: ``random_state`` of ``make_moons``.
        noise: Gaussian noise of ``make_moons``.
        rotate_deg: rotation applied last (right-multiplication by
            ``[[c, -s], [s, c]]``).

    Returns:
        ``(X, y)``: ``X`` of shape ``(n, 2)`` float64 and ``y`` in ``{-1, +1}`` float64.

    Paper: Fig. 1 (Sec. 1), App. B.
    """
    n = check.integer("n", n, minimum=2)
    margin = check.finite_scalar("margin", margin)
    noise = check.nonnegative("noise", noise)
    rotate_deg = check.finite_scalar("rotate_deg", rotate_deg)
    seed = check.integer("seed", seed, minimum=0)
    X, y01 = make_moons(n, noise=noise, random_state=seed)
    s = 2.0 * y01 - 1.0
    X = X.astype(np.float64)
    X[:, 0] -= 0.5
    X[:, 1] -= 0.3 * s
    X[:, 1] -= X[:, 1].mean()
    X[:, 1] = -s * np.abs(X[:, 1])
    X[:, 1] -= s * margin
    X = X[:, ::-1].copy()
    if rotate_deg:
        t = np.deg2rad(rotate_deg)
        R = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
        X = X @ R
    return X, s
