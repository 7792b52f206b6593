r"""Training objectives as a string-keyed registry (DomainBed style): ERM, SD, SD with
per-class lambda/gamma, IRM, V-REx and Group DRO.

Every method turns the logits of one or more environments (or one environment with
group labels) into a scalar loss for one optimiser step::

    method = make_method("SD", coef=2e-5, anneal_step=450)
    loss = method.loss([logits_env1, logits_env2], [y_env1, y_env2], step=t)

Targets are float ``{0, 1}`` for a single logit (binary cross-entropy, which equals the
paper's ``softplus(-y yhat)`` with ``y = 2 t - 1``) or integer classes for ``(n, K)``
logits (softmax cross-entropy). Hyper-parameters are declared once per class with their
defaults; unknown names or out-of-range values raise ``ValueError``.

The SD penalties are computed by :func:`gstheory.penalties.torch_penalty` (the same object
the theory uses): the authors' ``coef * mean(yhat^2)`` is the paper's Eq. 17 with
``lam = 2 coef`` and ``mean`` reduction.

Paper: Eq. 17 (SD), Sec. 4.2 (IRM, V-REx baselines), Sec. 4.4 (per-class SD, Group DRO).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import torch
import torch.nn.functional as F

from gstheory import validation as check
from gstheory.penalties import SpectralDecoupling, torch_penalty


# --------------------------------------------------------------------------- losses
def per_example_nll(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    r"""Per-example negative log-likelihood.

    Arguments:
        logits: ``(n,)`` or ``(n, 1)`` (binary, one logit) or ``(n, K)`` with ``K >= 2``.
        target: binary: float ``{0, 1}`` ``(n,)``; multi-class: integer classes ``(n,)``.

    Returns:
        ``(n,)`` losses: ``softplus(-(2t-1) yhat)`` (Eq. 5) or softmax cross-entropy.

    Raises:
        ValueError: shapes that do not match.
    """
    if logits.ndim == 2 and logits.shape[1] == 1:
        logits = logits[:, 0]
    if logits.ndim == 1:
        t = target.reshape(-1).to(logits.dtype)
        if t.shape != logits.shape:
            raise check.fail("target", tuple(target.shape),
                             f"must have {logits.shape[0]} entries (one per logit)")
        return F.binary_cross_entropy_with_logits(logits, t, reduction="none")
    if logits.ndim != 2:
        raise check.fail("logits", tuple(logits.shape), "must be (n,), (n, 1) or (n, K)")
    t = target.reshape(-1).long()
    if t.shape[0] != logits.shape[0]:
        raise check.fail("target", tuple(target.shape),
                         f"must have {logits.shape[0]} entries (one per row of logits)")
    return F.cross_entropy(logits, t, reduction="none")


#: conventions of the SD term for K logits (see :func:`squared_logits`).
SD_CONVENTIONS = ("sum", "mean")


def squared_logits(logits: torch.Tensor, convention: str = "sum") -> torch.Tensor:
    r"""The SD term for ``(n, K)`` logits in one of two conventions.

    * ``"sum"`` (default, the authors' code): ``mean_i sum_k yhat_ik^2``. This is Eq. 17
      per example: with the loss averaged over examples,
      ``mean_i CE_i + coef * mean_i sum_k yhat_ik^2`` is Eq. 17 (generalised to K
      logits as :math:`\frac\lambda2\|\hat y\|^2`, summed over examples and classes)
      divided by ``n``, with ``lam = 2 coef``.
    * ``"mean"`` (DomainBed's ``SD``): ``mean_{i,k} yhat_ik^2``, the ``"sum"`` value
      divided by ``K``; its coefficient corresponds to Eq. 17's ``lam = 2 coef / K``.

    A single logit (``(n,)`` or ``(n, 1)``) gives ``mean yhat^2`` in both conventions.
    Computed as :func:`~gstheory.penalties.torch_penalty` with ``lam = 2``, ``mean``
    reduction (times ``K`` for ``"sum"``).

    Raises:
        ValueError: unknown ``convention``.

    Paper: Eq. 17.
    """
    conv = check.choice("convention", convention, SD_CONVENTIONS)
    flat = logits.reshape(logits.shape[0], -1)
    k = flat.shape[1] if conv == "sum" else 1
    return k * torch_penalty(SpectralDecoupling(2.0), yhat=flat.reshape(-1), reduction="mean")


def accuracy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Fraction of correct predictions (binary: ``logit > 0`` means class 1)."""
    if logits.ndim == 2 and logits.shape[1] == 1:
        logits = logits[:, 0]
    if logits.ndim == 1:
        return ((logits > 0).float() == target.reshape(-1).float()).float().mean()
    return (logits.argmax(1) == target.reshape(-1).long()).float().mean()


def _mean_nll(logits: Sequence[torch.Tensor], targets: Sequence[torch.Tensor]) -> list:
    return [per_example_nll(lg, t).mean() for lg, t in zip(logits, targets)]


# --------------------------------------------------------------------------- registry
METHODS: dict[str, type[Method]] = {}


def register_method(cls: type[Method]) -> type[Method]:
    """Class decorator adding a method to :data:`METHODS` under ``cls.name``."""
    METHODS[cls.name] = cls
    return cls


def method_names() -> list[str]:
    """Registered method names."""
    return sorted(METHODS)


def make_method(name: str, **hparams: Any) -> Method:
    """Instantiate a registered method with hyper-parameters (others at their default).

    Raises:
        ValueError: unknown method (listing the valid ones), unknown or invalid
            hyper-parameter.
    """
    if name not in METHODS:
        raise check.fail("method", name, "must be one of " + ", ".join(method_names()))
    return METHODS[name](**hparams)


class Method:
    """Base class: a loss over environments. Subclasses set ``name``, ``defaults``,
    ``needs`` (``"none"``, ``"envs"``: at least two environments, ``"groups"``: group
    labels) and implement :meth:`loss`. Stateful methods (Group DRO) keep their state on
    the instance: make one instance per training run."""

    name = ""
    needs = "none"
    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, **hparams: Any) -> None:
        unknown = sorted(set(hparams) - set(self.defaults))
        if unknown:
            raise check.fail(unknown[0], hparams[unknown[0]],
                             f"unknown hyper-parameter of {self.name}; valid: "
                             + ", ".join(sorted(self.defaults)))
        self.hparams = {**self.defaults, **hparams}
        self._validate()

    def _validate(self) -> None:
        for key, val in self.hparams.items():
            if val is None:
                continue
            if key.endswith("_step"):
                check.integer(key, val, minimum=0)
            elif key.startswith("gamma"):
                check.finite_scalar(key, val)
            else:
                check.nonnegative(key, val)

    def _check(self, logits: Sequence[torch.Tensor], targets: Sequence[torch.Tensor],
               groups: Sequence[torch.Tensor] | None) -> None:
        if len(logits) == 0 or len(logits) != len(targets):
            raise check.fail("logits", len(logits), f"need one or more environments with "
                                                    f"one target each ({len(targets)} given)")
        if self.needs == "envs" and len(logits) < 2:
            raise check.fail("logits", len(logits), f"{self.name} needs >= 2 environments")
        if self.needs == "groups" and (groups is None or len(groups) != len(logits)):
            raise check.fail("groups", groups, f"{self.name} needs group labels for every "
                                               "environment")

    def loss(self, logits: Sequence[torch.Tensor], targets: Sequence[torch.Tensor], *,
             step: int = 0, params: Any = None,
             groups: Sequence[torch.Tensor] | None = None) -> torch.Tensor:
        """The scalar loss of one optimiser step.

        Arguments:
            logits: one tensor per environment.
            targets: one target tensor per environment.
            step: the optimiser step (0-based) for annealed schedules.
            params: the model's parameters (methods with a weight penalty).
            groups: integer group labels per environment (Group DRO).
        """
        self._check(logits, targets, groups)
        return self._loss(list(logits), list(targets), int(step), params, groups)

    def _loss(self, logits, targets, step, params, groups) -> torch.Tensor:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{self.name}({', '.join(f'{k}={v}' for k, v in self.hparams.items())})"


def _l2(params: Any, weight: float, ref: torch.Tensor) -> torch.Tensor:
    if not weight:
        return torch.zeros((), dtype=ref.dtype, device=ref.device)
    if params is None:
        raise check.fail("params", params, "needed when l2 > 0")
    return weight * sum(p.pow(2).sum() for p in params)


@register_method
class ERM(Method):
    r"""Empirical risk minimisation: the mean over environments of the mean NLL
    (plus an optional ``l2 * sum ||p||^2``)."""

    name = "ERM"
    defaults: ClassVar[dict[str, Any]] = {"l2": 0.0}

    def _loss(self, logits, targets, step, params, groups):
        nll = torch.stack(_mean_nll(logits, targets)).mean()
        return nll + _l2(params, self.hparams["l2"], nll)


@register_method
class SD(Method):
    r"""Spectral decoupling: NLL + ``coef * mean_i sum_k yhat_ik^2`` (Eq. 17 with
    ``lam = 2 coef``), optionally with the authors' Colored-MNIST annealing.

    ``anneal_step``: from this step on the loss becomes ``coef * (mean yhat^2 + NLL)``
    (``cmnist.py``): the penalty weight equals the NLL weight while the whole gradient
    shrinks by ``~1/coef``; with Adam this acts as a slow, late transient. ``None``: the
    plain penalty for the whole run.

    Paper: Eq. 17, Sec. 4.2 (Table 2).
    """

    name = "SD"
    defaults: ClassVar[dict[str, Any]] = {"coef": 2e-5, "anneal_step": None, "l2": 0.0}

    def _loss(self, logits, targets, step, params, groups):
        nll = torch.stack(_mean_nll(logits, targets)).mean()
        pen = torch.stack([squared_logits(lg) for lg in logits]).mean()
        coef = self.hparams["coef"]
        anneal = self.hparams["anneal_step"]
        if anneal is not None and step >= anneal:
            out = coef * (pen + nll)
        else:
            out = nll + coef * pen
        return out + _l2(params, self.hparams["l2"], nll)


@register_method
class SDPerClass(Method):
    r"""SD with per-class ``lam_c`` and margin targets ``gamma_c`` (Sec. 4.4):
    NLL + sum_c (lam_c / 2) mean_{i: y_i = c} (y_i yhat_i - gamma_c)^2 with ``y = +-1``.

    The authors' CelebA setting ``0.1 mean_{y=1}(yhat - 2.5)^2 + 0.1 mean_{y=0}(yhat -
    0.44)^2`` is ``lam1 = lam0 = 0.2``, ``gamma1 = 2.5``, ``gamma0 = -0.44`` here (for
    ``y = -1`` the logit target 0.44 is the margin target -0.44). Binary tasks only.

    Paper: Sec. 4.4, Table 3.
    """

    name = "SDPerClass"
    defaults: ClassVar[dict[str, Any]] = {"lam0": 0.2, "lam1": 0.2, "gamma0": -0.44, "gamma1": 2.5}

    def _loss(self, logits, targets, step, params, groups):
        nll = torch.stack(_mean_nll(logits, targets)).mean()
        terms = []
        for lg, t in zip(logits, targets):
            out = lg.reshape(-1)
            if out.shape[0] != t.reshape(-1).shape[0]:
                raise check.fail("logits", tuple(lg.shape), "SDPerClass needs one logit "
                                                            "per example (binary task)")
            t = t.reshape(-1)
            for c, sign in ((0, -1.0), (1, 1.0)):
                mask = t == c
                if bool(mask.any()):
                    pen = SpectralDecoupling(self.hparams[f"lam{c}"],
                                             self.hparams[f"gamma{c}"])
                    ys = torch.full((int(mask.sum()),), sign, dtype=out.dtype,
                                    device=out.device)
                    terms.append(torch_penalty(pen, yhat=out[mask], y=ys, reduction="mean"))
        return nll + torch.stack(terms).sum() / len(logits)


def irm_penalty(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    r"""IRMv1: ``(d NLL(s * logits) / ds at s = 1)^2`` (Arjovsky et al., 2019)."""
    scale = torch.ones((), dtype=logits.dtype, device=logits.device, requires_grad=True)
    nll = per_example_nll(logits * scale, target).mean()
    (grad,) = torch.autograd.grad(nll, [scale], create_graph=True)
    return grad.pow(2).sum()


class _Annealed(Method):
    """Shared IRM / V-REx schedule: weight 1 before ``anneal_step``, then
    ``penalty_weight``, with the whole loss divided by the weight when it exceeds 1."""

    needs = "envs"
    defaults: ClassVar[dict[str, Any]] = {"l2": 1.10794568e-3, "penalty_weight": 91257.18613115903,
                "anneal_step": 190}

    def _penalty(self, logits, targets, nlls) -> torch.Tensor:
        raise NotImplementedError

    def _loss(self, logits, targets, step, params, groups):
        nlls = _mean_nll(logits, targets)
        nll = torch.stack(nlls).mean()
        w = self.hparams["penalty_weight"] if step >= self.hparams["anneal_step"] else 1.0
        loss = nll + _l2(params, self.hparams["l2"], nll) + w * self._penalty(
            logits, targets, nlls)
        return loss / w if w > 1.0 else loss


@register_method
class IRM(_Annealed):
    r"""Invariant risk minimisation (IRMv1) with the IRM paper's Colored-MNIST schedule:
    mean NLL + ``l2 * sum ||p||^2`` + ``w * mean_e penalty_e``.

    Paper: Sec. 4.2, Table 2 (baseline, Arjovsky et al. 2019)."""

    name = "IRM"

    def _penalty(self, logits, targets, nlls):
        return torch.stack([irm_penalty(lg, t) for lg, t in zip(logits, targets)]).mean()


@register_method
class VREx(_Annealed):
    r"""Variance risk extrapolation: mean NLL + ``w * Var_e(NLL_e)`` (Krueger et al.,
    2021), on the IRM schedule and hyper-parameters [inferred: the REx paper reuses the
    IRM code's Colored-MNIST settings].

    Paper: Sec. 4.2, Table 2 (baseline)."""

    name = "VREx"

    def _penalty(self, logits, targets, nlls):
        return torch.stack(nlls).var(unbiased=False)


@register_method
class GroupDRO(Method):
    r"""Online Group DRO (Sagawa et al., 2020): weights ``q_g <- q_g exp(eta L_g)``,
    renormalised each step; loss ``sum_g q_g L_g`` over the groups present.

    Uses group labels (an upper reference for methods that do not). ``n_groups`` fixes
    the size of ``q``; ``eta`` is the step size (0.01 in ``group_DRO``).

    Paper: Sec. 4.4, Table 3 (baseline)."""

    name = "GroupDRO"
    needs = "groups"
    defaults: ClassVar[dict[str, Any]] = {"eta": 0.01, "n_groups": 4}

    def __init__(self, **hparams: Any) -> None:
        super().__init__(**hparams)
        check.integer("n_groups", self.hparams["n_groups"], minimum=1)
        self.q = torch.full((int(self.hparams["n_groups"]),), 1.0 / self.hparams["n_groups"])

    def _loss(self, logits, targets, step, params, groups):
        lg = torch.cat([x.reshape(x.shape[0], -1).squeeze(1) if x.ndim > 1 and x.shape[1] == 1
                        else x for x in logits])
        t = torch.cat([x.reshape(-1) for x in targets])
        g = torch.cat([x.reshape(-1) for x in groups]).long()
        n_groups = self.q.shape[0]
        if g.numel() and (int(g.min()) < 0 or int(g.max()) >= n_groups):
            raise check.fail("groups", (int(g.min()), int(g.max())),
                             f"labels must lie in [0, {n_groups})")
        losses = per_example_nll(lg, t)
        counts = torch.bincount(g, minlength=n_groups).to(losses.dtype)
        sums = torch.zeros(n_groups, dtype=losses.dtype, device=losses.device).index_add(
            0, g, losses)
        present = counts > 0
        group_loss = torch.where(present, sums / counts.clamp(min=1), torch.zeros_like(sums))
        q = self.q.to(losses.device, losses.dtype)
        q = q * torch.exp(self.hparams["eta"] * group_loss.detach() * present)
        q = q / q.sum()
        self.q = q.detach()
        return (q * group_loss).sum()
