r"""Real torch networks as the theory sees them: NTK parametrisation, NTRF, NTK Gram.

Paper: Eq. 1-4 (Sec. 3.1), Definition 1.

* :class:`NTKMLP` -- the NTK-parametrised MLP of Eq. 1: weights :math:`W^{(l)}` i.i.d.
  :math:`N(0, 1)`, every layer's input scaled by :math:`\sqrt{\gamma / d_l}` (``gamma``
  chosen per nonlinearity so that the norm of :math:`h^{(l)}` is kept at
  initialisation), ReLU / tanh / erf, scalar output.
* :func:`ntrf` -- the neural tangent random feature matrix
  :math:`\Phi_0 = \partial \hat y / \partial\theta` (Eq. 2), behind a memory guard.
* :func:`ntk_gram` -- the Gram :math:`K = \Phi_0\Phi_0^T` *without* :math:`\Phi_0` for
  MLPs (``route="layerwise"``): one batched forward plus one backward to the layer
  outputs, then per linear layer
  :math:`K \mathrel{+}= c_w^2 (H H^T) \odot (G G^T) + c_b^2\, G G^T` with ``H`` the
  layer's inputs and ``G`` the gradients of :math:`\hat y_i` w.r.t. its outputs. Memory
  :math:`O(n^2 + n \sum_l d_l)`, never :math:`n \times m`. Any other module goes through
  ``route="general"`` (torch.func: the Jacobian of the batch output, in row blocks that fit
  the memory guard). The layer-wise route is refused, with a message, for modules called
  more than once, shared parameters, batch-coupling layers (BatchNorm, or any module whose
  outputs change with the batch), dropout in training mode and parametrised layers other
  than ``nn.Linear`` / :class:`NTKLinear`.
* :func:`network_spectrum` -- ``U, s^2`` from the eigendecomposition of
  :math:`Y K Y = U S^2 U^T` (via :func:`gstheory.spectrum.from_gram`);
  :func:`feature_directions` gives columns of ``V`` on demand
  (:math:`V_{\cdot j} = \Phi_0^T Y U_{\cdot j} / s_j`, one backward pass each);
  :func:`responses` gives :math:`z = U^T Y (\hat y - \hat y_0)` (Eq. 4).

Parameters :math:`\theta` are a model's parameters with ``requires_grad`` in
``named_parameters()`` order (:func:`parameter_vector`). Results are float64 numpy arrays.

Example:
    >>> import torch
    >>> net = NTKMLP(2, [64], "relu", seed=0)
    >>> X = torch.randn(5, 2, dtype=torch.float64)
    >>> K = ntk_gram(net, X)
    >>> bool(np.allclose(K, ntrf(net, X) @ ntrf(net, X).T))
    True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from . import validation as check
from .spectrum import Spectrum, from_gram

#: Default memory guard (bytes) for any dense object this module builds (``Phi0`` blocks,
#: the Gram, the stored layer activations).
DEFAULT_MAX_BYTES = 2**30

ACTIVATIONS = ("relu", "tanh", "erf")
ROUTES = ("auto", "layerwise", "general")


# --------------------------------------------------------------------------- Eq. 1
def _gaussian_second_moment(fn: Any, order: int = 200) -> float:
    r""":math:`E[\xi(f)^2]` for :math:`f \sim N(0,1)` by Gauss-Hermite quadrature."""
    t, w = np.polynomial.hermite_e.hermegauss(order)
    return float(np.sum(w * fn(t) ** 2) / np.sqrt(2.0 * np.pi))


def activation_gain(activation: str) -> float:
    r"""The ``gamma`` of Eq. 1: :math:`1 / E[\xi(f)^2]`, :math:`f \sim N(0, 1)`.

    With this gain, :math:`h^{(l)} = \sqrt{\gamma/d_l}\,\xi(f^{(l)})` keeps
    :math:`\|h^{(l)}\|^2 \approx \|h^{(l-1)}\|^2` at initialisation (pre-activations
    :math:`N(0, 1)`). ReLU: :math:`\gamma = 2`; erf:
    :math:`1 / (\tfrac{2}{\pi}\arcsin\tfrac{2}{3})`; tanh: by quadrature.

    Raises:
        ValueError: unknown ``activation``.

    Paper: Eq. 1 (Sec. 3.1).
    """
    activation = check.choice("activation", activation, ACTIVATIONS)
    if activation == "relu":
        return 2.0
    if activation == "erf":
        return 1.0 / ((2.0 / np.pi) * np.arcsin(2.0 / 3.0))
    return 1.0 / _gaussian_second_moment(np.tanh)


class Erf(nn.Module):
    """Elementwise error function, :math:`\\xi(f) = \\operatorname{erf}(f)`.

    Paper: the nonlinearity :math:`\\xi` of Eq. 1 (Sec. 3.1).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.erf(x)


def _activation_module(activation: str) -> nn.Module:
    return {"relu": nn.ReLU, "tanh": nn.Tanh, "erf": Erf}[activation]()


class NTKLinear(nn.Module):
    r"""A linear layer in NTK parametrisation: :math:`f = c_w W h + c_b b`.

    ``weight`` (``(out, in)``) and ``bias`` are the trainable parameters, initialised
    i.i.d. :math:`N(0, 1)`; the fixed multipliers ``weight_scale`` :math:`c_w` and
    ``bias_scale`` :math:`c_b` carry the :math:`\sqrt{\gamma/d_l}` of Eq. 1. The layer-wise
    Gram route knows this layer (and plain ``nn.Linear``, for which
    :math:`c_w = c_b = 1`).

    Paper: Eq. 1.
    """

    def __init__(self, in_features: int, out_features: int, *, weight_scale: float = 1.0,
                 bias: bool = False, bias_scale: float = 1.0,
                 generator: torch.Generator | None = None,
                 dtype: torch.dtype = torch.float64) -> None:
        super().__init__()
        in_features = check.integer("in_features", in_features, minimum=1)
        out_features = check.integer("out_features", out_features, minimum=1)
        self.weight_scale = check.positive("weight_scale", weight_scale)
        self.bias_scale = check.positive("bias_scale", bias_scale)
        self.in_features, self.out_features = in_features, out_features
        self.weight = nn.Parameter(torch.randn(out_features, in_features,
                                               generator=generator, dtype=dtype))
        self.bias = (nn.Parameter(torch.randn(out_features, generator=generator, dtype=dtype))
                     if bias else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.nn.functional.linear(x, self.weight) * self.weight_scale
        if self.bias is not None:
            out = out + self.bias_scale * self.bias
        return out

    def extra_repr(self) -> str:
        return (f"in={self.in_features}, out={self.out_features}, "
                f"weight_scale={self.weight_scale:.4g}, bias={self.bias is not None}, "
                f"bias_scale={self.bias_scale:.4g}")


class NTKMLP(nn.Module):
    r"""The NTK-parametrised MLP of Eq. 1 with a scalar output.

    :math:`f^{(1)} = W^{(1)} x / \sqrt{d_0}`; for :math:`l \ge 1`,
    :math:`h^{(l)} = \sqrt{\gamma / d_l}\,\xi(f^{(l)})` and
    :math:`f^{(l+1)} = W^{(l+1)} h^{(l)}`; the output :math:`\hat y = f^{(L+1)}` has one
    unit. The factor :math:`\sqrt{\gamma/d_l}` is stored as the next
    :class:`NTKLinear`'s ``weight_scale`` (the same function and the same gradients).
    All weights are i.i.d. :math:`N(0, 1)`; optional biases enter as
    :math:`\beta b` with :math:`b \sim N(0, 1)` (Eq. 1 has none; default off).

    Arguments:
        in_features: input dimension :math:`d_0`.
        widths: hidden widths :math:`d_1 .. d_L` (``[]`` gives a linear model).
        activation: ``"relu"``, ``"tanh"`` or ``"erf"``.
        bias: add biases to every layer.
        bias_scale: :math:`\beta`.
        gamma: override the gain (default :func:`activation_gain`).
        seed: seed of the initialisation (``None``: torch's global generator).
        dtype: parameter dtype (default float64).

    Raises:
        ValueError: non-positive sizes, unknown activation, non-positive gains.

    Paper: Eq. 1 (Sec. 3.1).
    """

    def __init__(self, in_features: int, widths: Sequence[int], activation: str = "relu", *,
                 bias: bool = False, bias_scale: float = 0.1, gamma: float | None = None,
                 seed: int | None = None, dtype: torch.dtype = torch.float64) -> None:
        super().__init__()
        in_features = check.integer("in_features", in_features, minimum=1)
        widths = [check.integer("widths", w, minimum=1) for w in widths]
        self.activation = check.choice("activation", activation, ACTIVATIONS)
        self.gamma = (activation_gain(activation) if gamma is None
                      else check.positive("gamma", gamma))
        gen = None
        if seed is not None:
            gen = torch.Generator().manual_seed(check.integer("seed", seed, minimum=0))
        dims = [in_features, *widths, 1]
        layers: list[nn.Module] = []
        for i in range(len(dims) - 1):
            scale = math.sqrt((1.0 if i == 0 else self.gamma) / dims[i])
            if i > 0:
                layers.append(_activation_module(self.activation))
            layers.append(NTKLinear(dims[i], dims[i + 1], weight_scale=scale, bias=bias,
                                    bias_scale=bias_scale, generator=gen, dtype=dtype))
        self.layers = nn.Sequential(*layers)
        self.in_features, self.widths = in_features, widths

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x).squeeze(-1)


# --------------------------------------------------------------------------- helpers
def trainable_parameters(model: nn.Module) -> list[tuple[str, nn.Parameter]]:
    r"""``(name, parameter)`` for every parameter with ``requires_grad``: :math:`\theta`.

    Paper: the parameters :math:`\theta` of Eq. 1-3 (Sec. 3.1).
    """
    if not isinstance(model, nn.Module):
        raise check.fail("model", model, "must be a torch.nn.Module")
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if not params:
        raise check.fail("model", type(model).__name__,
                         "has no trainable parameters (requires_grad=True)")
    return params


def parameter_count(model: nn.Module) -> int:
    r"""``m``, the number of trainable parameters (the width of :math:`\Phi_0`).

    Paper: ``m``, the number of parameters (Sec. 3.1; the width of Eq. 2).
    """
    return int(sum(p.numel() for _, p in trainable_parameters(model)))


def parameter_vector(model: nn.Module) -> np.ndarray:
    r""":math:`\theta` as one float64 vector (``named_parameters()`` order).

    Paper: the parameters :math:`\theta` of Eq. 1-3 (Sec. 3.1).
    """
    return np.concatenate([p.detach().cpu().double().reshape(-1).numpy()
                           for _, p in trainable_parameters(model)])


def _param_dtype(model: nn.Module) -> torch.dtype:
    return trainable_parameters(model)[0][1].dtype


def _param_device(model: nn.Module) -> torch.device:
    return trainable_parameters(model)[0][1].device


def as_inputs(model: nn.Module, X: Any) -> torch.Tensor:
    """``X`` as a tensor of the model's dtype and device; at least one example, finite.

    Raises:
        ValueError: not numeric, empty, or containing NaN/inf.

    Paper: none (infrastructure).
    """
    dtype, device = _param_dtype(model), _param_device(model)
    if isinstance(X, torch.Tensor):
        Xt = X.detach().to(dtype=dtype, device=device)
    else:
        Xt = torch.as_tensor(check.finite_array("X", X), dtype=dtype, device=device)
    if Xt.ndim < 1 or Xt.shape[0] < 1:
        raise check.fail("X", tuple(Xt.shape), "must have a leading batch axis with at "
                                               "least one example")
    if not bool(torch.isfinite(Xt).all()):
        raise check.fail("X", f"tensor(shape={tuple(Xt.shape)})",
                         "must be finite (no NaN or inf)")
    return Xt


def _outputs(yhat: torch.Tensor, n: int) -> torch.Tensor:
    """Check a scalar output per example; return shape ``(n,)``."""
    if yhat.shape not in ((n,), (n, 1)):
        raise check.fail("model output", tuple(yhat.shape),
                         f"must be one scalar per example, shape ({n},) or ({n}, 1)")
    return yhat.reshape(n)


def call_model(model: nn.Module, X: torch.Tensor) -> torch.Tensor:
    """``model(X)``, with torch's shape errors turned into a ValueError naming ``X``.

    Raises:
        ValueError: the model cannot be applied to ``X`` (e.g. wrong number of features).

    Paper: none (infrastructure).
    """
    try:
        return model(X)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"X=tensor(shape={tuple(X.shape)}): the model cannot be applied to "
                         f"it ({first}); check X's shape against the model's input") from exc


def network_outputs(model: nn.Module, X: Any) -> np.ndarray:
    r""":math:`\hat y(X)` as a float64 vector (no gradient).

    Raises:
        ValueError: bad ``X`` or a model whose output is not one scalar per example.

    Paper: the network output of Eq. 1 (Sec. 3.1).
    """
    Xt = as_inputs(model, X)
    with torch.no_grad():
        out = _outputs(call_model(model, Xt), Xt.shape[0])
    return out.detach().cpu().double().numpy()


def _guard(what: str, nbytes: int, max_bytes: int, advice: str) -> None:
    if nbytes > max_bytes:
        raise ValueError(f"{what} would need {nbytes / 2**20:.1f} MiB, over the memory "
                         f"guard max_bytes={max_bytes} ({max_bytes / 2**20:.1f} MiB): "
                         f"{advice}")


# --------------------------------------------------------------------------- layer-wise
_FAST_TYPES = (nn.Linear, NTKLinear)
_BATCH_COUPLING = (nn.modules.batchnorm._BatchNorm, nn.SyncBatchNorm)


class LayerwiseRefused(ValueError):
    """The layer-wise Gram shortcut does not apply to this model (message says why).

    Paper: none (infrastructure).
    """


def _refuse(reason: str) -> LayerwiseRefused:
    return LayerwiseRefused(f"the layer-wise NTK route does not apply: {reason}; use "
                            f"route='general' (torch.func, exact for any module)")


def _static_checks(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Refuse unsupported layers, shared parameters, batch coupling, training dropout."""
    owners: dict[int, list[str]] = {}
    fast: list[tuple[str, nn.Module]] = []
    for name, mod in model.named_modules(remove_duplicate=False):
        label = name or type(model).__name__
        if isinstance(mod, _BATCH_COUPLING):
            raise _refuse(f"module '{label}' ({type(mod).__name__}) couples the examples "
                          f"of a batch")
        if isinstance(mod, nn.modules.dropout._DropoutNd) and mod.training and mod.p > 0:
            raise _refuse(f"module '{label}' ({type(mod).__name__}) is random in training "
                          f"mode (call model.eval() for a deterministic NTK)")
        own = [p for p in mod._parameters.values() if p is not None and p.requires_grad]
        for p in own:
            owners.setdefault(id(p), []).append(label)
        if own:
            if type(mod) not in _FAST_TYPES:
                raise _refuse(f"module '{label}' ({type(mod).__name__}) has parameters but "
                              f"only nn.Linear and NTKLinear are supported")
            if all(m is not mod for _, m in fast):
                fast.append((label, mod))
    for labels in owners.values():
        if len(labels) > 1:
            raise _refuse(f"a parameter is shared by modules {sorted(set(labels))}")
    if not fast:
        raise _refuse("the model has no trainable nn.Linear / NTKLinear layer")
    return fast


def _check_batch_independent(model: nn.Module, Xt: torch.Tensor,
                             yhat: torch.Tensor) -> None:
    """Outputs of the first examples must not change when computed without the others."""
    n = Xt.shape[0]
    if n < 3:
        return
    with torch.no_grad():
        alone = _outputs(call_model(model, Xt[:2]), 2)
    full = yhat.detach()[:2]
    eps = torch.finfo(full.dtype).eps
    tol = 1e3 * eps * max(1.0, float(full.abs().max()))
    if float((alone - full).abs().max()) > tol:
        raise _refuse("the outputs of the first examples change when the rest of the batch "
                      "is removed (a batch-coupling layer)")


def _layerwise_gram(model: nn.Module, Xt: torch.Tensor, max_bytes: int) -> torch.Tensor:
    """The Gram by per-layer products; raises :class:`LayerwiseRefused` when it does not
    apply."""
    fast = _static_checks(model)
    n = Xt.shape[0]
    itemsize = Xt.element_size()
    advice = "use a smaller batch (or raise max_bytes)"
    # the Gram plus the two n x n temporaries of one layer's Hadamard product
    act_bytes = 3 * n * n * itemsize
    _guard(f"the layer-wise Gram (n={n})", act_bytes, max_bytes, advice)
    records: dict[int, dict[str, Any]] = {id(m): {"calls": 0} for _, m in fast}

    def hook(mod: nn.Module, args: tuple, out: torch.Tensor) -> None:
        rec = records[id(mod)]
        rec["calls"] += 1
        if rec["calls"] == 1:
            rec.update(inp=args[0], out=out, vin=args[0]._version, vout=out._version)

    handles = [m.register_forward_hook(hook) for _, m in fast]
    try:
        yhat = _outputs(call_model(model, Xt), n)
    finally:
        for h in handles:
            h.remove()
    used = []
    for label, mod in fast:
        rec = records[id(mod)]
        if rec["calls"] > 1:
            raise _refuse(f"module '{label}' is called {rec['calls']} times in one forward "
                          f"pass (weight sharing)")
        if rec["calls"] == 0:
            continue  # unused parameters: zero Jacobian, no contribution
        inp, out = rec["inp"], rec["out"]
        if inp.ndim != 2 or out.ndim != 2 or inp.shape[0] != n:
            raise _refuse(f"module '{label}' sees inputs of shape {tuple(inp.shape)}; the "
                          f"route needs one ({n}, features) matrix per layer")
        if inp._version != rec["vin"] or out._version != rec["vout"]:
            raise _refuse(f"the input or output of module '{label}' is modified in place "
                          f"after the layer")
        act_bytes += n * (inp.shape[1] + out.shape[1]) * itemsize
        used.append((mod, inp.detach(), out))
    _guard(f"the layer-wise Gram (n={n}, with the stored layer inputs and gradients)",
           act_bytes, max_bytes, advice)
    _check_batch_independent(model, Xt, yhat)
    outs = [o for _, _, o in used]
    grads = torch.autograd.grad(yhat.sum(), outs, allow_unused=True)
    K = torch.zeros(n, n, dtype=Xt.dtype, device=Xt.device)
    for (mod, H, _), G in zip(used, grads):
        if G is None:
            continue
        cw = getattr(mod, "weight_scale", 1.0)
        cb = getattr(mod, "bias_scale", 1.0)
        if mod.weight.requires_grad:
            if G.shape[1] == 1:  # (H H^T) o (g g^T) = (g H)(g H)^T: n^2 d_in flops
                A = H * G
                K.addmm_(A, A.T, alpha=cw * cw)
            elif H.shape[1] == 1:
                A = G * H
                K.addmm_(A, A.T, alpha=cw * cw)
            else:
                K.add_((H @ H.T).mul_(G @ G.T), alpha=cw * cw)
        if mod.bias is not None and mod.bias.requires_grad:
            K.addmm_(G, G.T, alpha=cb * cb)
    return K


# --------------------------------------------------------------------------- general
def _without_running_stats(model: nn.Module) -> nn.Module:
    """A copy whose training-mode batch norms stop updating running statistics.

    In training mode a batch norm normalises with the batch's own statistics; updating the
    running averages is a side effect that torch.func transforms refuse (in-place writes to
    captured buffers) and that does not change the outputs. Eval-mode batch norms use
    their running statistics and are left as they are. The caller's model is untouched.
    """
    if not any(isinstance(m, _BATCH_COUPLING) and m.training and m.track_running_stats
               for m in model.modules()):
        return model
    import copy

    clone = copy.deepcopy(model)
    for m in clone.modules():
        if isinstance(m, _BATCH_COUPLING) and m.training:
            m.track_running_stats = False
            m.running_mean = m.running_var = m.num_batches_tracked = None
    return clone


def _batch_vjp(model: nn.Module, Xt: torch.Tensor) -> tuple[Any, Any, list[str]]:
    """One forward of the batch function theta -> yhat(X); its vjp closure."""
    from torch.func import functional_call, vjp

    named = trainable_parameters(model)
    names = [n for n, _ in named]
    frozen = {n: p.detach() for n, p in model.named_parameters() if not p.requires_grad}
    model = _without_running_stats(model)
    buffers = dict(model.named_buffers())
    n = Xt.shape[0]

    def f(*ps: torch.Tensor) -> torch.Tensor:
        params = dict(zip(names, ps))
        params.update(frozen)
        return _outputs(functional_call(model, (params, buffers), (Xt,)), n)

    try:
        yhat, vjp_fn = vjp(f, *[p.detach() for _, p in named])  # type: ignore[misc]
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"X=tensor(shape={tuple(Xt.shape)}): the model cannot be applied to "
                         f"it under torch.func ({first})") from exc
    return yhat, vjp_fn, names


def _rows(vjp_fn: Any, idx: torch.Tensor, n: int, like: torch.Tensor) -> torch.Tensor:
    E = torch.zeros(len(idx), n, dtype=like.dtype, device=like.device)
    E[torch.arange(len(idx)), idx] = 1.0
    parts = torch.func.vmap(vjp_fn)(E)
    return torch.cat([p.reshape(len(idx), -1) for p in parts], dim=1)


def _chunk(n: int, m: int, itemsize: int, max_bytes: int, blocks: int) -> int:
    return max(0, min(n, max_bytes // max(1, blocks * m * itemsize)))


def _general_gram(model: nn.Module, Xt: torch.Tensor, max_bytes: int) -> torch.Tensor:
    n = Xt.shape[0]
    m = parameter_count(model)
    itemsize = Xt.element_size()
    _guard(f"the {n} x {n} Gram", n * n * itemsize, max_bytes,
           "use a smaller batch (or raise max_bytes)")
    c = _chunk(n, m, itemsize, max_bytes - n * n * itemsize, 2)
    if c < 1:
        raise ValueError(f"one row of the Jacobian (m={m} parameters) does not fit the "
                         f"memory guard max_bytes={max_bytes}: raise max_bytes or use a "
                         f"smaller model")
    yhat, vjp_fn, _ = _batch_vjp(model, Xt)
    K = torch.empty(n, n, dtype=Xt.dtype, device=Xt.device)
    starts = list(range(0, n, c))
    for a in starts:
        ia = torch.arange(a, min(n, a + c), device=Xt.device)
        Ja = _rows(vjp_fn, ia, n, yhat)
        for b in starts:
            if b < a:
                continue
            ib = torch.arange(b, min(n, b + c), device=Xt.device)
            Jb = Ja if b == a else _rows(vjp_fn, ib, n, yhat)
            blk = Ja @ Jb.T
            K[a:a + len(ia), b:b + len(ib)] = blk
            K[b:b + len(ib), a:a + len(ia)] = blk.T
    return K


# --------------------------------------------------------------------------- public
def _max_bytes(max_bytes: Any) -> int:
    return check.integer("max_bytes", max_bytes, minimum=1)


def ntk_gram(model: nn.Module, X: Any, *, route: str = "auto",
             max_bytes: int = DEFAULT_MAX_BYTES) -> np.ndarray:
    r"""The empirical NTK Gram :math:`K = \Phi_0 \Phi_0^T` on the batch ``X`` (Eq. 2).

    Arguments:
        model: a torch module mapping ``X`` to one scalar per example (``(n,)`` or
            ``(n, 1)``), e.g. :class:`NTKMLP`.
        X: inputs with a leading batch axis of length ``n``.
        route: ``"layerwise"`` (MLPs: per-layer products of input and output-gradient
            Grams, never :math:`\Phi_0`), ``"general"`` (torch.func Jacobian of the batch
            output in row blocks under ``max_bytes``; any module) or ``"auto"`` (layer-wise
            when it applies, else general).
        max_bytes: memory guard for the Gram, stored activations and Jacobian blocks.

    Returns:
        ``(n, n)`` float64 symmetric positive semi-definite array.

    Raises:
        ValueError: bad ``X``, output not scalar per example, an unknown route, the
            layer-wise route asked for where it does not apply (the message says why and
            suggests ``route='general'``), or an object over the memory guard (the message
            suggests a smaller batch).

    Paper: Eq. 2 (Sec. 3.1); :math:`Y K Y = U S^2 U^T` (Definition 1).
    """
    route = check.choice("route", route, ROUTES)
    max_bytes = _max_bytes(max_bytes)
    Xt = as_inputs(model, X)
    if route in ("auto", "layerwise"):
        try:
            K = _layerwise_gram(model, Xt, max_bytes)
        except LayerwiseRefused:
            if route == "layerwise":
                raise
            K = _general_gram(model, Xt, max_bytes)
    else:
        K = _general_gram(model, Xt, max_bytes)
    G = K.detach().cpu().double().numpy()
    return 0.5 * (G + G.T)


def ntrf(model: nn.Module, X: Any, *, max_bytes: int = DEFAULT_MAX_BYTES) -> np.ndarray:
    r"""The neural tangent random features :math:`\Phi_0 = \partial\hat y/\partial\theta`.

    Arguments:
        model: module with one scalar output per example.
        X: inputs, leading batch axis ``n``.
        max_bytes: memory guard for the ``n x m`` matrix.

    Returns:
        ``(n, m)`` float64 array; column order is :func:`parameter_vector`'s.

    Raises:
        ValueError: bad input, or :math:`n \times m` over ``max_bytes`` (use
            :func:`ntk_gram`, which never builds :math:`\Phi_0`, or a smaller batch).

    Paper: Eq. 2.
    """
    max_bytes = _max_bytes(max_bytes)
    Xt = as_inputs(model, X)
    n, m = Xt.shape[0], parameter_count(model)
    _guard(f"Phi0 (n={n} x m={m})", n * m * Xt.element_size(), max_bytes,
           "use ntk_gram (it never materialises Phi0; route='layerwise' or 'general'), "
           "a smaller batch, or raise max_bytes")
    yhat, vjp_fn, _ = _batch_vjp(model, Xt)
    J = _rows(vjp_fn, torch.arange(n, device=Xt.device), n, yhat)
    return J.detach().cpu().double().numpy()


def network_spectrum(model: nn.Module, X: Any, y: Any, *, route: str = "auto",
                     max_bytes: int = DEFAULT_MAX_BYTES) -> Spectrum:
    r"""The spectrum of :math:`Y\Phi_0` of a network: ``U`` and ``s2`` from
    :math:`Y K Y = U S^2 U^T` (no ``V``; see :func:`feature_directions`).

    Arguments:
        model, X, route, max_bytes: as in :func:`ntk_gram`.
        y: ``(n,)`` labels in ``{-1, +1}``.

    Returns:
        A :class:`gstheory.spectrum.Spectrum`, strengths decreasing.

    Raises:
        ValueError: labels outside ``{-1, +1}`` or of the wrong length, a singular Gram
            (e.g. ``n > m`` or repeated inputs: a zero strength), and everything
            :func:`ntk_gram` raises.

    Paper: Definition 1, Eq. 2.
    """
    Xt = as_inputs(model, X)
    yv = check.labels("y", y, n=Xt.shape[0])
    return from_gram(ntk_gram(model, Xt, route=route, max_bytes=max_bytes), yv)


def feature_directions(model: nn.Module, X: Any, y: Any, spectrum: Spectrum,
                       columns: Sequence[int]) -> np.ndarray:
    r"""Columns of ``V`` (features in parameter space) without :math:`\Phi_0`.

    :math:`V_{\cdot j} = \Phi_0^T Y U_{\cdot j} / s_j` (from :math:`Y\Phi_0 = U S V^T`), one
    vector-Jacobian product per column.

    Arguments:
        model, X, y: the network, inputs and labels the spectrum was computed on.
        spectrum: from :func:`network_spectrum`.
        columns: indices ``j`` in ``[0, n)``.

    Returns:
        ``(m, len(columns))`` float64 array with orthonormal columns.

    Raises:
        ValueError: bad indices, labels, or a spectrum of another size.

    Paper: Definition 1.
    """
    Xt = as_inputs(model, X)
    n = Xt.shape[0]
    yv = check.labels("y", y, n=n)
    if not isinstance(spectrum, Spectrum) or spectrum.n != n:
        raise check.fail("spectrum", getattr(spectrum, "n", spectrum),
                         f"must be a Spectrum of the same {n} examples")
    cols = [check.integer("columns", j, minimum=0, maximum=n - 1) for j in columns]
    if not cols:
        raise check.fail("columns", list(columns), "must name at least one column")
    yhat, vjp_fn, _ = _batch_vjp(model, Xt)
    W = (yv[:, None] * spectrum.U[:, cols]) / spectrum.s[cols][None, :]
    Wt = torch.as_tensor(W.T.copy(), dtype=yhat.dtype, device=yhat.device)
    parts = torch.func.vmap(vjp_fn)(Wt)
    V = torch.cat([p.reshape(len(cols), -1) for p in parts], dim=1)
    return V.detach().cpu().double().numpy().T


def responses(spectrum: Spectrum, y: Any, yhat: Any, yhat0: Any) -> np.ndarray:
    r"""Feature responses :math:`z = U^T Y (\hat y - \hat y_0)` (Eq. 4, centred at init).

    Raises:
        ValueError: shapes that disagree with the spectrum, labels outside
            ``{-1, +1}``, non-finite outputs.

    Paper: Eq. 3-4.
    """
    yh = check.finite_array("yhat", yhat, ndim=1, shape=(spectrum.n,))
    yh0 = check.finite_array("yhat0", yhat0, ndim=1, shape=(spectrum.n,))
    return spectrum.z_from_yhat(y, yh - yh0)
