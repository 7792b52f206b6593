r"""Networks of the experiments: plain MLPs and the same MLPs stacked over seeds.

:class:`MLP` is an ordinary ``torch.nn`` network (PyTorch default initialisation), used as
the per-seed reference and to draw each seed's initial weights. :class:`BatchedMLP` holds
``S`` independent copies of one MLP architecture as stacked weight tensors of shape
``(S, fan_in, fan_out)`` and evaluates all of them with batched matrix products
(``torch.baddbmm``): ``S`` seeds (or seeds x variants) train as one model. Copies never
interact: BatchNorm statistics are taken per copy, dropout masks are drawn per copy from
the copy's own generator, and every loss used with it is a sum of per-copy losses.

Paper: the 2-500-1 ReLU network of Fig. 1 and its App. B variants (dropout and BatchNorm
on the hidden pre-activations, five linear layers).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from gstheory import validation as check


def _widths(widths: Sequence[int]) -> tuple[int, ...]:
    widths = tuple(int(check.integer("widths", w, minimum=1)) for w in widths)
    if len(widths) < 2:
        raise check.fail("widths", widths, "needs at least an input and an output width")
    return widths


class MLP(nn.Module):
    r"""Fully connected ReLU network ``widths[0] -> ... -> widths[-1]``.

    Each hidden block is ``Linear -> [BatchNorm1d] -> [Dropout(p)] -> ReLU`` (normalisation
    and dropout act on the pre-activations, as in the authors' App. B variants); the last
    layer is linear. Weights use PyTorch's default initialisation.

    Arguments:
        widths: layer widths, e.g. ``(2, 500, 1)``.
        dropout: dropout probability on hidden pre-activations (0 = none), in [0, 1).
        batchnorm: BatchNorm1d on hidden pre-activations.

    Raises:
        ValueError: bad widths or dropout.
    """

    def __init__(self, widths: Sequence[int], dropout: float = 0.0,
                 batchnorm: bool = False) -> None:
        super().__init__()
        self.widths = _widths(widths)
        self.dropout = float(check.finite_scalar("dropout", dropout))
        if not 0.0 <= self.dropout < 1.0:
            raise check.fail("dropout", dropout, "must lie in [0, 1)")
        self.batchnorm = bool(batchnorm)
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(self.widths[:-1], self.widths[1:])):
            layers.append(nn.Linear(a, b))
            if i < len(self.widths) - 2:
                if self.batchnorm:
                    layers.append(nn.BatchNorm1d(b))
                if self.dropout > 0:
                    layers.append(nn.Dropout(self.dropout))
                layers.append(nn.ReLU())
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of shape ``(n,)`` when the output width is 1, else ``(n, out)``."""
        out = self.net(x)
        return out.squeeze(-1) if self.widths[-1] == 1 else out


def init_mlps(widths: Sequence[int], seeds: Sequence[int], *, dropout: float = 0.0,
              batchnorm: bool = False, dtype: torch.dtype = torch.float32) -> list[MLP]:
    """One :class:`MLP` per seed, each initialised after ``torch.manual_seed(seed)``.

    This is exactly what a per-seed script does, so a :class:`BatchedMLP` built from these
    modules starts from the same weights as the ordinary loop it replaces.
    """
    out = []
    for s in seeds:
        torch.manual_seed(int(check.integer("seed", s, minimum=0)))
        out.append(MLP(widths, dropout=dropout, batchnorm=batchnorm).to(dtype))
    return out


class BatchedMLP(nn.Module):
    r"""``S`` copies of an :class:`MLP` architecture as stacked weight tensors.

    Parameters: ``weights[l]`` of shape ``(S, fan_in, fan_out)``, ``biases[l]`` of shape
    ``(S, 1, fan_out)``; with BatchNorm also ``bn_weight[l]``/``bn_bias[l]`` of shape
    ``(S, 1, width)`` and buffers ``running_mean``/``running_var`` (momentum 0.1, unbiased
    running variance, eps 1e-5: ``nn.BatchNorm1d``'s semantics, per copy).

    Build it with :meth:`from_modules` (exact copies of given networks).
    """

    BN_EPS = 1e-5
    BN_MOMENTUM = 0.1

    def __init__(self, widths: Sequence[int], copies: int, *, dropout: float = 0.0,
                 batchnorm: bool = False, dropout_seeds: Sequence[int] | None = None,
                 dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        self.widths = _widths(widths)
        self.copies = check.integer("copies", copies, minimum=1)
        self.dropout = float(dropout)
        if not 0.0 <= self.dropout < 1.0:
            raise check.fail("dropout", dropout, "must lie in [0, 1)")
        self.batchnorm = bool(batchnorm)
        S = self.copies
        self.weights = nn.ParameterList(
            nn.Parameter(torch.zeros(S, a, b, dtype=dtype))
            for a, b in zip(self.widths[:-1], self.widths[1:]))
        self.biases = nn.ParameterList(
            nn.Parameter(torch.zeros(S, 1, b, dtype=dtype)) for b in self.widths[1:])
        hidden = self.widths[1:-1]
        if self.batchnorm:
            self.bn_weight = nn.ParameterList(
                nn.Parameter(torch.ones(S, 1, w, dtype=dtype)) for w in hidden)
            self.bn_bias = nn.ParameterList(
                nn.Parameter(torch.zeros(S, 1, w, dtype=dtype)) for w in hidden)
            for i, w in enumerate(hidden):
                self.register_buffer(f"running_mean_{i}", torch.zeros(S, 1, w, dtype=dtype))
                self.register_buffer(f"running_var_{i}", torch.ones(S, 1, w, dtype=dtype))
        seeds = list(range(S)) if dropout_seeds is None else list(dropout_seeds)
        if len(seeds) != S:
            raise check.fail("dropout_seeds", seeds, f"must have {S} entries")
        self._generators = [torch.Generator().manual_seed(int(s)) for s in seeds]

    @classmethod
    def from_modules(cls, modules: Sequence[MLP], *,
                     dropout_seeds: Sequence[int] | None = None) -> BatchedMLP:
        """Stack the parameters (and BatchNorm buffers) of same-architecture MLPs."""
        if not modules:
            raise check.fail("modules", modules, "must contain at least one MLP")
        first = modules[0]
        for m in modules:
            if (m.widths, m.dropout, m.batchnorm) != \
                    (first.widths, first.dropout, first.batchnorm):
                raise ValueError("modules: every MLP must share widths, dropout and "
                                 "batchnorm")
        dtype = next(first.parameters()).dtype
        out = cls(first.widths, len(modules), dropout=first.dropout,
                  batchnorm=first.batchnorm, dropout_seeds=dropout_seeds, dtype=dtype)
        with torch.no_grad():
            for k, m in enumerate(modules):
                lin = [x for x in m.net if isinstance(x, nn.Linear)]
                bns = [x for x in m.net if isinstance(x, nn.BatchNorm1d)]
                for l, layer in enumerate(lin):
                    out.weights[l][k].copy_(layer.weight.T)
                    out.biases[l][k, 0].copy_(layer.bias)
                for l, bn in enumerate(bns):
                    out.bn_weight[l][k, 0].copy_(bn.weight)
                    out.bn_bias[l][k, 0].copy_(bn.bias)
                    getattr(out, f"running_mean_{l}")[k, 0].copy_(bn.running_mean)
                    getattr(out, f"running_var_{l}")[k, 0].copy_(bn.running_var)
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Outputs of every copy.

        Arguments:
            x: ``(S, n, d)`` (each copy its own inputs) or ``(n, d)`` (shared inputs).

        Returns:
            ``(S, n)`` logits when the output width is 1, else ``(S, n, out)``.
        """
        S = self.copies
        if x.dim() == 2:
            x = x.unsqueeze(0).expand(S, -1, -1)
        if x.dim() != 3 or x.shape[0] != S or x.shape[2] != self.widths[0]:
            raise ValueError(f"x: expected shape ({S}, n, {self.widths[0]}) or "
                             f"(n, {self.widths[0]}), got {tuple(x.shape)}")
        h = x
        last = len(self.weights) - 1
        for l, (W, b) in enumerate(zip(self.weights, self.biases)):
            h = torch.baddbmm(b, h, W)
            if l == last:
                break
            if self.batchnorm:
                h = self._batchnorm(h, l)
            if self.dropout > 0 and self.training:
                h = h * self._dropout_mask(h)
            h = torch.relu(h)
        return h.squeeze(-1) if self.widths[-1] == 1 else h

    def _batchnorm(self, h: torch.Tensor, l: int) -> torch.Tensor:
        """Per-copy BatchNorm1d: every (copy, unit) pair is one channel of ``F.batch_norm``
        (statistics over the copy's examples; the fused kernel of ``nn.BatchNorm1d``)."""
        S, n, H = h.shape
        rm = getattr(self, f"running_mean_{l}").view(S * H)
        rv = getattr(self, f"running_var_{l}").view(S * H)
        x = h.transpose(0, 1).reshape(n, S * H)
        x = torch.nn.functional.batch_norm(
            x, rm, rv, self.bn_weight[l].reshape(S * H), self.bn_bias[l].reshape(S * H),
            training=self.training, momentum=self.BN_MOMENTUM, eps=self.BN_EPS)
        return x.view(n, S, H).transpose(0, 1)

    def _dropout_mask(self, h: torch.Tensor) -> torch.Tensor:
        """Per-copy dropout multipliers (``bernoulli(keep) / keep``), each copy drawing
        from its own generator so that a copy's masks do not depend on its batch-mates."""
        keep = 1.0 - self.dropout
        # uniform < keep is Bernoulli(keep); 3x faster on a CPU than bernoulli_
        masks = torch.stack([torch.rand(h.shape[1:], generator=g) < keep
                             for g in self._generators])
        return masks.to(dtype=h.dtype, device=h.device).div_(keep)

    def to_modules(self) -> list[MLP]:
        """Unstack into ordinary :class:`MLP` modules (copies of the current weights)."""
        out = []
        with torch.no_grad():
            for k in range(self.copies):
                m = MLP(self.widths, dropout=self.dropout, batchnorm=self.batchnorm)
                m = m.to(self.weights[0].dtype)
                lin = [x for x in m.net if isinstance(x, nn.Linear)]
                bns = [x for x in m.net if isinstance(x, nn.BatchNorm1d)]
                for l, layer in enumerate(lin):
                    layer.weight.copy_(self.weights[l][k].T)
                    layer.bias.copy_(self.biases[l][k, 0])
                for l, bn in enumerate(bns):
                    bn.weight.copy_(self.bn_weight[l][k, 0])
                    bn.bias.copy_(self.bn_bias[l][k, 0])
                    bn.running_mean.copy_(getattr(self, f"running_mean_{l}")[k, 0])
                    bn.running_var.copy_(getattr(self, f"running_var_{l}")[k, 0])
                m.train(self.training)
                out.append(m)
        return out


class LeNet(nn.Module):
    r"""The authors' LeNet-like CNN of Fig. 2 (from Nar & Sastry's code): two 5x5
    convolutions with max-pooling and three linear layers, leaky-ReLU activations.

    With ``width = 2`` (the authors': "LeNet with twice the width") the channels are
    ``3 -> 12 -> 32`` and the linear layers ``800 -> 240 -> 192 -> classes`` on 32x32
    CIFAR images; on 28x28 grey images the first linear layer takes ``512`` inputs.

    Arguments:
        in_channels: 1 (grey) or 3 (colour).
        image_size: side of the square input (28 or 32; >= 16).
        classes: number of outputs (2 for the binary task: two logits and softmax
            cross-entropy, as the authors).
        width: multiplier of LeNet-5's widths (6, 16, 120, 96).

    Raises:
        ValueError: bad sizes.

    Paper: Fig. 2 and Table 1 (Sec. 4.1).
    """

    def __init__(self, in_channels: int = 1, image_size: int = 28, classes: int = 2,
                 width: int = 2) -> None:
        super().__init__()
        in_channels = check.integer("in_channels", in_channels, minimum=1)
        image_size = check.integer("image_size", image_size, minimum=16)
        self.classes = check.integer("classes", classes, minimum=2)
        width = check.integer("width", width, minimum=1)
        c1, c2, f1, f2 = 6 * width, 16 * width, 120 * width, 96 * width
        side = ((image_size - 4) // 2 - 4) // 2
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, c1, 5), nn.LeakyReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 5), nn.LeakyReLU(), nn.MaxPool2d(2), nn.Flatten())
        self.head = nn.Sequential(
            nn.Linear(c2 * side * side, f1), nn.LeakyReLU(), nn.Linear(f1, f2),
            nn.LeakyReLU(), nn.Linear(f2, self.classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(n, classes)`` of images ``(n, in_channels, side, side)``."""
        return self.head(self.features(x))
