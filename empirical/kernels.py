r"""Compiled CPU kernel: exact gradients of stacked one-hidden-layer ReLU nets on 2-D inputs.

The two-moons experiments (Fig. 1 and App. B; feature dynamics, Fig. 1d) train many
copies of a ``2-H-1`` ReLU network on 2-D points, full batch. Per copy and step the work
is ``O(n H)`` multiply-adds on activations that are never needed again, so a CPU spends
its time streaming ``(n, H)`` intermediates through memory: torch's batched products
(:func:`gstheory.empirical.training.two_layer_grads`) write and re-read them five times.
This kernel keeps them in registers: it recomputes the pre-activation
``x_i1 W_1j + x_i2 W_2j + b_j`` wherever it is needed (three operations for a 2-D input)
and accumulates the two reductions directly:

* forward, blocks of 4 points against every hidden unit:
  ``yhat_i = sum_j relu(pre_ij) w2_j + b2``;
* ``g_i = d obj / d yhat_i = (-y_i sigmoid(-y_i yhat_i) + 2 sd yhat_i) / n`` (mean
  softplus loss plus SD's ``sd * mean(yhat^2)``, Eq. 17);
* backward, blocks of 4 hidden units against every point:
  ``M_rj = sum_i [x_i, 1]_r g_i 1[pre_ij > 0]``, then ``[dW1; db1] = M * w2``,
  ``dw2_j = sum_r [W1; b1]_rj M_rj`` and ``db2 = sum_i g_i`` (the identities of
  :func:`~gstheory.empirical.training.two_layer_grads`).

Copies are split over ``torch.get_num_threads()`` threads (the compiled functions release
the GIL), so one setting governs torch and the kernel; each copy is computed whole by one
thread, so the numbers do not depend on the thread count. They equal autograd's up to
summation order (the tests compare them in float64 to 1e-12): only the associativity of
additions is relaxed (``fastmath`` ``reassoc``/``contract``), so NaN and infinity
propagate as usual.

Why numba and not ``torch.compile``: on the Figure_1 workload (2-500-1, n = 300, one
thread) inductor's fused kernel took 45 us per copy and step, and 6.5 s to compile in a
new process (3.3 s with inductor's cache warm); this kernel takes about 17 us, compiles
once in about 2 s into numba's on-disk cache, and a new process loads it in a fraction of
a second. ``benchmarks/bench_two_moons.py`` measures it against the per-seed loop.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

try:
    import numba
except ImportError:   # optional (the [empirical] extra): supports() is then False and
    numba = None      # training uses the torch closed form (training.two_layer_grads)

#: whether numba is installed; without it :func:`supports` is False.
AVAILABLE = numba is not None

#: relaxed floating-point rules: reassociation (vectorised sums) and fused multiply-add.
_FASTMATH = frozenset({"reassoc", "contract"})

#: every compiled function: no bounds checks (the Python wrappers check the shapes), no
#: exceptions from arithmetic, the GIL released (threads run copies side by side), and
#: the machine code cached on disk.
def _jit(fn):
    """``fn`` compiled by numba with the options above (``fn`` itself without numba)."""
    if numba is None:
        return fn
    return numba.njit(nogil=True, fastmath=set(_FASTMATH), boundscheck=False,
                      error_model="numpy", cache=True)(fn)


@_jit
def _forward(x0, x1, W, b, v, b2, out):
    """``out_i = sum_j relu(x0_i W_0j + x1_i W_1j + b_j) v_j + b2`` (blocks of 4)."""
    n, H = x0.shape[0], b.shape[0]
    zero = b2 * np.float32(0)    # 0 in the data's dtype (float32 stays float32)
    w0, w1 = W[0], W[1]
    i = 0
    while i + 4 <= n:
        a0, a1, a2, a3 = x0[i], x0[i + 1], x0[i + 2], x0[i + 3]
        c0, c1, c2, c3 = x1[i], x1[i + 1], x1[i + 2], x1[i + 3]
        s0 = s1 = s2 = s3 = zero
        for j in range(H):
            bj, u, w, vj = b[j], w0[j], w1[j], v[j]
            s0 += max(bj + a0 * u + c0 * w, zero) * vj
            s1 += max(bj + a1 * u + c1 * w, zero) * vj
            s2 += max(bj + a2 * u + c2 * w, zero) * vj
            s3 += max(bj + a3 * u + c3 * w, zero) * vj
        out[i], out[i + 1], out[i + 2], out[i + 3] = s0 + b2, s1 + b2, s2 + b2, s3 + b2
        i += 4
    while i < n:
        a0, c0 = x0[i], x1[i]
        s0 = zero
        for j in range(H):
            s0 += max(b[j] + a0 * w0[j] + c0 * w1[j], zero) * v[j]
        out[i] = s0 + b2
        i += 1

@_jit
def _backward(x0, x1, g, W, b, M):
    """``M_rj = sum_i [x0_i, x1_i, 1]_r g_i 1[pre_ij > 0]`` (blocks of 4 units)."""
    n, H = x0.shape[0], b.shape[0]
    zero = g[0] * np.float32(0)
    A0 = x0 * g
    A1 = x1 * g
    j = 0
    while j + 4 <= H:
        u0, u1, u2, u3 = W[0, j], W[0, j + 1], W[0, j + 2], W[0, j + 3]
        w0, w1, w2, w3 = W[1, j], W[1, j + 1], W[1, j + 2], W[1, j + 3]
        b0, b1, b2, b3 = b[j], b[j + 1], b[j + 2], b[j + 3]
        p0 = p1 = p2 = p3 = q0 = q1 = q2 = q3 = r0 = r1 = r2 = r3 = zero
        for i in range(n):
            s, t, e0, e1, e2 = x0[i], x1[i], A0[i], A1[i], g[i]
            k0 = b0 + s * u0 + t * w0 > 0
            k1 = b1 + s * u1 + t * w1 > 0
            k2 = b2 + s * u2 + t * w2 > 0
            k3 = b3 + s * u3 + t * w3 > 0
            p0 += e0 if k0 else zero
            q0 += e1 if k0 else zero
            r0 += e2 if k0 else zero
            p1 += e0 if k1 else zero
            q1 += e1 if k1 else zero
            r1 += e2 if k1 else zero
            p2 += e0 if k2 else zero
            q2 += e1 if k2 else zero
            r2 += e2 if k2 else zero
            p3 += e0 if k3 else zero
            q3 += e1 if k3 else zero
            r3 += e2 if k3 else zero
        M[0, j], M[0, j + 1], M[0, j + 2], M[0, j + 3] = p0, p1, p2, p3
        M[1, j], M[1, j + 1], M[1, j + 2], M[1, j + 3] = q0, q1, q2, q3
        M[2, j], M[2, j + 1], M[2, j + 2], M[2, j + 3] = r0, r1, r2, r3
        j += 4
    while j < H:
        u, w, bj = W[0, j], W[1, j], b[j]
        p = q = r = zero
        for i in range(n):
            k = bj + x0[i] * u + x1[i] * w > 0
            p += A0[i] if k else zero
            q += A1[i] if k else zero
            r += g[i] if k else zero
        M[0, j], M[1, j], M[2, j] = p, q, r
        j += 1


@_jit
def _logits(lo, hi, XT, W1, b1, w2, b2, out):
    """Logits of the copies ``lo..hi-1`` into ``out``."""
    for k in range(lo, hi):
        _forward(XT[k, 0], XT[k, 1], W1[k], b1[k], w2[k], b2[k], out[k])


@_jit
def _step(lo, hi, XT, y, W1, b1, w2, b2, sd, out, dW1, db1, dw2, db2):
    """Logits and gradients of the copies ``lo..hi-1`` into the output arrays."""
    _, _, n = XT.shape
    H = b1.shape[1]
    for k in range(lo, hi):
        x0, x1, o = XT[k, 0], XT[k, 1], out[k]
        _forward(x0, x1, W1[k], b1[k], w2[k], b2[k], o)
        g = np.empty(n, o.dtype)
        for i in range(n):
            yi = y[k, i]
            g[i] = (2 * sd[k] * o[i] - yi / (1 + np.exp(yi * o[i]))) / n
        M = np.empty((3, H), o.dtype)
        _backward(x0, x1, g, W1[k], b1[k], M)
        for j in range(H):
            dW1[k, 0, j] = M[0, j] * w2[k, j]
            dW1[k, 1, j] = M[1, j] * w2[k, j]
            db1[k, j] = M[2, j] * w2[k, j]
            dw2[k, j] = W1[k, 0, j] * M[0, j] + W1[k, 1, j] * M[1, j] + b1[k, j] * M[2, j]
        db2[k] = g.sum()


def supports(X: torch.Tensor, widths, *, dropout: float = 0.0) -> bool:
    """Whether the kernels handle this problem: numba is installed, and a CPU
    float32/float64 ``2-H-1`` net on 2-D inputs ``X`` of shape ``(S, n, 2)``, without
    dropout (in training)."""
    return (AVAILABLE and X.device.type == "cpu" and X.dtype in (torch.float32, torch.float64)
            and X.dim() == 3 and X.shape[2] == 2 and len(widths) == 3
            and widths[0] == 2 and widths[-1] == 1 and dropout == 0)


def _inputs(X: torch.Tensor) -> np.ndarray:
    """``X (S, n, 2)`` checked and laid out as ``(S, 2, n)`` (coordinates contiguous)."""
    if not (X.device.type == "cpu" and X.dim() == 3 and X.shape[2] == 2):
        raise ValueError(f"X: expected a CPU tensor of shape (S, n, 2), got "
                         f"{tuple(X.shape)} on {X.device}")
    if X.dtype not in (torch.float32, torch.float64):
        raise ValueError(f"X: dtype must be float32 or float64, got {X.dtype}")
    return X.detach().transpose(1, 2).contiguous().numpy()


def _params(W1, b1, W2, b2, S: int, dtype: torch.dtype) -> list[np.ndarray]:
    """The parameters checked against ``(S, 2, H), (S, 1, H), (S, H, 1), (S, 1, 1)`` and
    given as arrays ``W1 (S, 2, H)``, ``b1 (S, H)``, ``w2 (S, H)``, ``b2 (S,)``."""
    H = W1.shape[-1]
    shapes = {"W1": (W1, (S, 2, H)), "b1": (b1, (S, 1, H)), "W2": (W2, (S, H, 1)),
              "b2": (b2, (S, 1, 1))}
    for name, (p, shape) in shapes.items():
        if tuple(p.shape) != shape or p.dtype != dtype or p.device.type != "cpu":
            raise ValueError(f"{name}: expected a CPU {dtype} tensor of shape {shape}, "
                             f"got {tuple(p.shape)} {p.dtype} on {p.device}")
    W1, b1, W2, b2 = (p.detach().contiguous().numpy() for p in (W1, b1, W2, b2))
    return [W1, b1.reshape(S, H), W2.reshape(S, H), b2.reshape(S)]


_pool: tuple[int, int, ThreadPoolExecutor] | None = None    # (pid, workers, pool)


def _run(kernel, S: int, *args) -> None:
    """``kernel(lo, hi, *args)`` over the copies ``0..S-1``, split over as many threads as
    torch uses (one setting governs both; the kernels release the GIL). Each copy is
    computed whole by one thread, so the numbers do not depend on the thread count."""
    global _pool
    T = max(1, min(torch.get_num_threads(), S))
    if T == 1:
        kernel(0, S, *args)
        return
    if _pool is None or _pool[0] != os.getpid() or _pool[1] < T - 1:
        # a forked child inherits the pool object but not its threads: make a new one
        _pool = (os.getpid(), T - 1, ThreadPoolExecutor(
            max_workers=T - 1, thread_name_prefix="gstheory-kernel"))
    pool = _pool[2]
    cuts = [S * t // T for t in range(T + 1)]
    futures = [pool.submit(kernel, cuts[t], cuts[t + 1], *args) for t in range(1, T)]
    kernel(cuts[0], cuts[1], *args)         # the first share in this thread
    for f in futures:
        f.result()


def logits(X: torch.Tensor, W1: torch.Tensor, b1: torch.Tensor, W2: torch.Tensor,
           b2: torch.Tensor) -> torch.Tensor:
    """Eval-mode logits ``(S, n)`` of stacked ``2-H-1`` ReLU nets on inputs ``X (S, n, 2)``:
    ``relu(X W1 + b1) W2 + b2``, the activations never stored.

    Raises:
        ValueError: unsupported device, dtype or shapes.
    """
    XT = _inputs(X)
    S, _, n = XT.shape
    arrays = _params(W1, b1, W2, b2, S, X.dtype)
    out = torch.empty(S, n, dtype=X.dtype)
    _run(_logits, S, XT, *arrays, out.numpy())
    return out


class TwoLayerKernel:
    r"""Logits and exact gradients of ``S`` stacked ``2-H-1`` ReLU nets, one call per step.

    Objective of copy ``k``: ``mean_i softplus(-y_i yhat_i) + sd_k mean_i yhat_i^2``
    (the data term of Eq. 5, averaged, plus SD's Eq. 17 penalty), for
    ``yhat = relu(X W1 + b1) w2 + b2``.

    Arguments:
        X: inputs ``(S, n, 2)`` (CPU, float32 or float64); y: labels ``(S, n)`` in {-1, +1};
        sd: SD coefficients ``(S,)``.

    The returned gradients are views of buffers that the next call overwrites: consume
    them (an optimiser step) before calling again. The logits are a fresh tensor.

    Raises:
        ValueError: unsupported device, dtype or shapes (see :func:`supports`).
    """

    def __init__(self, X: torch.Tensor, y: torch.Tensor, sd: torch.Tensor) -> None:
        self.XT = _inputs(X)
        S, n = X.shape[:2]
        if y.shape != (S, n) or sd.shape != (S,):
            raise ValueError(f"y, sd: expected shapes ({S}, {n}) and ({S},), got "
                             f"{tuple(y.shape)} and {tuple(sd.shape)}")
        self.y = y.detach().to(X.dtype).contiguous().numpy()
        self.sd = sd.detach().to(X.dtype).contiguous().numpy()
        self.S, self.n, self.dtype = S, n, X.dtype
        self._buffers: tuple[torch.Tensor, ...] | None = None

    def __call__(self, W1: torch.Tensor, b1: torch.Tensor, W2: torch.Tensor,
                 b2: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        """``(logits (S, n), (dW1, db1, dW2, db2))``, the gradients in the parameters' own
        shapes ``(S, 2, H)``, ``(S, 1, H)``, ``(S, H, 1)``, ``(S, 1, 1)``."""
        S, H = self.S, W1.shape[-1]
        arrays = _params(W1, b1, W2, b2, S, self.dtype)
        if self._buffers is None or self._buffers[1].shape[2] != H:
            self._buffers = tuple(torch.empty(shape, dtype=self.dtype) for shape in
                                  [(S, self.n), (S, 2, H), (S, 1, H), (S, H, 1), (S, 1, 1)])
        out, dW1, db1, dW2, db2 = self._buffers
        _run(_step, S, self.XT, self.y, *arrays, self.sd, out.numpy(), dW1.numpy(),
              db1.numpy().reshape(S, H), dW2.numpy().reshape(S, H), db2.numpy().reshape(S))
        return out.clone(), (dW1, db1, dW2, db2)
