"""The method registry: every loss against its formula written out independently."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from gstheory.empirical.methods import (
    METHODS,
    GroupDRO,
    irm_penalty,
    make_method,
    method_names,
    per_example_nll,
    squared_logits,
)

TOL = 1e-5  # float32 arithmetic on O(1) values


@pytest.fixture(scope="module")
def envs():
    g = torch.Generator().manual_seed(0)
    logits = [torch.randn(40, generator=g) * 2, torch.randn(30, generator=g)]
    targets = [(torch.rand(40, generator=g) < 0.5).float(),
               (torch.rand(30, generator=g) < 0.3).float()]
    return logits, targets


def _bce(lg, t):
    # the paper's softplus(-y yhat) with y = 2t - 1 (Eq. 5), written out
    return F.softplus(-(2 * t - 1) * lg).mean()


def test_registry_and_hparams():
    assert set(method_names()) == {"ERM", "SD", "SDPerClass", "IRM", "VREx", "GroupDRO"}
    for name in method_names():  # every registered method builds with its defaults
        assert make_method(name).name == name == METHODS[name].name
    with pytest.raises(ValueError, match="method='DRO'"):
        make_method("DRO")
    with pytest.raises(ValueError, match="unknown hyper-parameter of SD"):
        make_method("SD", lam=1.0)
    with pytest.raises(ValueError, match="coef=-1"):
        make_method("SD", coef=-1.0)
    with pytest.raises(ValueError, match="IRM needs >= 2 environments"):
        make_method("IRM").loss([torch.zeros(3)], [torch.zeros(3)])
    with pytest.raises(ValueError, match="GroupDRO needs group labels"):
        make_method("GroupDRO").loss([torch.zeros(3)], [torch.zeros(3)])


def test_nll_binary_and_multiclass():
    lg = torch.tensor([2.0, -1.0, 0.5])
    t = torch.tensor([1.0, 1.0, 0.0])
    want = F.softplus(-(2 * t - 1) * lg)
    torch.testing.assert_close(per_example_nll(lg, t), want)
    torch.testing.assert_close(per_example_nll(lg[:, None], t), want)
    L = torch.tensor([[1.0, 2.0, 0.0], [0.0, 0.0, 3.0]])
    c = torch.tensor([1, 0])
    want = torch.logsumexp(L, 1) - L[torch.arange(2), c]
    torch.testing.assert_close(per_example_nll(L, c), want)


def test_erm_and_sd(envs):
    logits, targets = envs
    nll = sum(_bce(lg, t) for lg, t in zip(logits, targets)) / 2
    assert abs(float(make_method("ERM").loss(logits, targets)) - float(nll)) < TOL
    pen = sum((lg ** 2).mean() for lg in logits) / 2  # DomainBed's SD term, per env
    sd = make_method("SD", coef=0.3)
    assert abs(float(sd.loss(logits, targets)) - float(nll + 0.3 * pen)) < TOL
    ann = make_method("SD", coef=2e-5, anneal_step=450)
    assert abs(float(ann.loss(logits, targets, step=449)) - float(nll + 2e-5 * pen)) < TOL
    assert abs(float(ann.loss(logits, targets, step=450)) - float(2e-5 * (pen + nll))) < 1e-9
    L = torch.tensor([[1.0, -2.0], [0.5, 0.5]])
    assert abs(float(squared_logits(L)) - (5.0 + 0.5) / 2) < TOL  # mean_i sum_k


def test_sd_per_class_matches_authors_form(envs):
    logits, targets = envs
    lg, t = logits[0], targets[0]
    loss = make_method("SDPerClass").loss([lg], [t])  # defaults: the authors' CelebA values
    authors = (_bce(lg, t) + 0.1 * ((lg[t == 1] - 2.5) ** 2).mean()
               + 0.1 * ((lg[t == 0] - 0.44) ** 2).mean())
    assert abs(float(loss) - float(authors)) < TOL
    other = make_method("SDPerClass", lam0=1.0, lam1=3.0, gamma0=0.2, gamma1=-1.0)
    m = (2 * t - 1) * lg  # margins
    want = (_bce(lg, t) + 0.5 * ((m[t == 0] - 0.2) ** 2).mean()
            + 1.5 * ((m[t == 1] + 1.0) ** 2).mean())
    assert abs(float(other.loss([lg], [t])) - float(want)) < TOL


def test_irm_penalty_closed_form(envs):
    logits, targets = envs
    for lg, t in zip(logits, targets):
        # d/ds mean softplus(-(2t-1) s yhat) at s = 1 = mean((sigmoid(yhat) - t) yhat)
        grad = ((torch.sigmoid(lg) - t) * lg).mean()
        assert abs(float(irm_penalty(lg, t).detach()) - float(grad) ** 2) < TOL
    irm = make_method("IRM", l2=0.0, penalty_weight=100.0, anneal_step=5)
    nll = sum(_bce(lg, t) for lg, t in zip(logits, targets)) / 2
    pen = sum(irm_penalty(lg, t).detach() for lg, t in zip(logits, targets)) / 2
    assert abs(float(irm.loss(logits, targets, step=4).detach()) - float(nll + pen)) < TOL
    got = float(irm.loss(logits, targets, step=5).detach())
    assert abs(got - float((nll + 100 * pen) / 100)) < TOL


def test_vrex_and_l2(envs):
    logits, targets = envs
    nlls = torch.stack([_bce(lg, t) for lg, t in zip(logits, targets)])
    lin = torch.nn.Linear(3, 1)
    params = list(lin.parameters())
    sq = sum(float((p.detach() ** 2).sum()) for p in params)
    v = make_method("VREx", l2=0.01, penalty_weight=10.0, anneal_step=0)
    want = (nlls.mean() + 0.01 * sq + 10.0 * nlls.var(unbiased=False)) / 10.0
    assert abs(float(v.loss(logits, targets, params=params).detach()) - float(want.detach())) < TOL
    # identical environments: no variance, V-REx = ERM + l2 (before the anneal)
    same = make_method("VREx", l2=0.0, anneal_step=10)
    erm = make_method("ERM")
    assert abs(float(same.loss([logits[0]] * 2, [targets[0]] * 2))
               - float(erm.loss([logits[0]], [targets[0]]))) < TOL


def test_group_dro_weights():
    dro = GroupDRO(eta=0.5, n_groups=3)
    lg = torch.tensor([3.0, 3.0, -3.0, 0.0])
    t = torch.tensor([1.0, 1.0, 1.0, 0.0])
    g = torch.tensor([0, 0, 1, 2])
    L = torch.stack([_bce(lg[g == k], t[g == k]) for k in range(3)])
    loss = dro.loss([lg], [t], groups=[g])
    q = torch.exp(0.5 * L) / torch.exp(0.5 * L).sum()  # one exponentiated step from uniform
    torch.testing.assert_close(dro.q, q)
    assert abs(float(loss) - float((q * L).sum())) < TOL
    assert int(dro.q.argmax()) == 1  # the worst group gains weight
    dro.loss([lg], [t], groups=[g])
    q2 = q * torch.exp(0.5 * L)
    torch.testing.assert_close(dro.q, q2 / q2.sum())
    with pytest.raises(ValueError, match="groups"):
        dro.loss([lg], [t], groups=[torch.tensor([0, 1, 2, 3])])


def test_sd_gradient_matches_eq17():
    # d/dyhat_i of coef * mean(yhat^2) = 2 coef yhat_i / n: the decoupled penalty (Eq. 17)
    lg = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
    t = torch.tensor([1.0, 0.0, 1.0])
    make_method("SD", coef=0.7).loss([lg], [t]).backward()
    want = (torch.sigmoid(lg.detach()) - t) / 3 + 2 * 0.7 * lg.detach() / 3
    torch.testing.assert_close(lg.grad, want)
    assert math.isfinite(float(lg.grad.sum()))
