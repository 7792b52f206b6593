"""The registry: every claim of the paper, declared once, with the checks that bear on it.

Paper: Sec. 3 and 4.

A :class:`Claim` declares its id, reference, statement, assumptions and checks; its
status, domain and counterexample are computed from the checks' evidence. A check also
says what status it is *expected* to have: ``gstheory verify`` fails when a check's
computed status differs (a regression), not when the paper is wrong.

Example:
    >>> c = Claim("x", "Eq. 0", "s", "a", [])
    >>> c.status
    'not-checked'
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import validation as check
from ..io import to_jsonable
from . import checks as C
from .derivations import REPO_ROOT
from .evidence import Bound, Evidence, aggregate

LEVELS = ("derivation", "numeric", "property-tests", "validity-scan", "experiment")


@dataclass(frozen=True)
class Check:
    """One check of a claim at one level; its status is computed from its evidence.

    Attributes:
        level: one of :data:`LEVELS`; name: short identifier; evidence: what it found;
        expected: the status it should have (``None``: no expectation); seconds: time.

    Paper: none (infrastructure).
    """

    level: str
    name: str
    evidence: Evidence
    expected: str | None = None
    seconds: float = 0.0

    @property
    def status(self) -> str:
        """Computed from the evidence (:attr:`Evidence.status`)."""
        return self.evidence.status

    @property
    def detail(self) -> str:
        """One line of evidence in words."""
        return self.evidence.detail

    @property
    def regression(self) -> bool:
        """True when the status differs from what is expected."""
        return self.expected is not None and self.status != self.expected

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"level": self.level, "name": self.name, "status": self.status,
                "detail": self.detail, "evidence": _plain(self.evidence.to_dict()),
                "expected": self.expected, "regression": self.regression,
                "seconds": self.seconds}


@dataclass(frozen=True)
class Claim:
    """A claim of the paper with its checks; status, domain, counterexample computed.

    Paper: none (infrastructure).
    """

    id: str
    paper_ref: str
    statement: str
    assumptions: str
    checks: list[Check]
    latex: str | None = None

    def _counted(self) -> list[Check]:
        return [c for c in self.checks if c.level != "property-tests"]

    @property
    def status(self) -> str:
        """:func:`aggregate` of the checks' statuses."""
        counted = self._counted()
        return aggregate([c.status for c in counted],
                         any(c.evidence.holds for c in counted))

    @property
    def domain(self) -> str | None:
        """Where it holds, rendered from the checks' holding regions (``None`` unless the
        status is ``holds-on-domain``)."""
        if self.status != "holds-on-domain":
            return None
        parts = [f"{c.name}: " + "; ".join(r.render() for r in c.evidence.holds)
                 for c in self._counted() if c.evidence.holds]
        return " | ".join(parts) or None

    @property
    def counterexample(self) -> dict[str, Any] | None:
        """The first verified point of a failing region (certified before scanned)."""
        regions = [(c.name, r) for c in self._counted() for r in c.evidence.fails]
        regions.sort(key=lambda nr: nr[1].how != "certified")
        for name, r in regions:
            if r.point is not None:
                return {"check": name, "how": r.how, "region": r.to_dict()["bounds"],
                        **({"of": r.label} if r.label else {}), **r.point}
        return None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"id": self.id, "paper_ref": self.paper_ref, "statement": self.statement,
                "latex": self.latex, "assumptions": self.assumptions, "status": self.status,
                "domain": self.domain, "counterexample": _plain(self.counterexample),
                "checks": [c.to_dict() for c in self.checks]}


def _plain(obj: Any) -> Any:
    return to_jsonable(obj, allow_nonfinite=True)


def _timed(level: str, name: str, fn: Callable[[], Evidence], expected: str | None) -> Check:
    t0 = time.perf_counter()
    try:
        ev = fn()
    except Exception as exc:
        ev = Evidence(f"check raised {type(exc).__name__}: {exc}")
    return Check(level, name, ev, expected, time.perf_counter() - t0)


def derivation_check(name: str, records: dict[str, Any] | None) -> Check:
    """The derivation ``name``: confirmed only when SymPy checked every step (freshly or
    from the cache keyed on the sources) and the committed document matches the fresh
    rendering byte for byte.

    Paper: none (infrastructure).
    """
    if records is None:
        return Check("derivation", name,
                     Evidence("not run here: no derivation records were given"), None)
    rec = records.get(name)
    if rec is None:
        return Check("derivation", name,
                     Evidence(f"no derivation {name!r} in gstheory.symbolic",
                              (Bound("derivation missing", 1.0, 0.0),)), "confirmed")
    how = "run now" if rec["source"] == "fresh" else f"reused cache {rec['key'][:12]}"
    steps = f"{rec['steps']} steps checked by SymPy" if rec["ok"] else \
        f"a step failed: {rec.get('error')}"
    doc = f"proofs/generated/{name}.md {rec['document']}" + \
        (" the fresh rendering" if rec["document"] != "missing" else "")
    return Check("derivation", name, Evidence(
        f"{steps} ({how}); {doc}",
        (Bound("failed steps", 0.0 if rec["ok"] else 1.0, 0.0),
         Bound("document not matching", 0.0 if rec["document"] == "matches" else 1.0, 0.0)),
        stats={k: rec.get(k) for k in ("steps", "source", "document", "seconds")}),
        "confirmed")


def tests_check(*paths: str) -> Check:
    """Property tests that bear on a claim (referenced; pytest runs them).

    Paper: none (infrastructure).
    """
    present = [p for p in paths if (REPO_ROOT / p).exists()]
    return Check("property-tests", ", ".join(paths), Evidence(
        ("referenced, not run here: `python3 -m pytest " + " ".join(present) + "`")
        if present else "test modules not present", stats={"present": present}), None)


def registry(*, results_dir: str | Path | None = "results", preset: str = "quick",
             derivations: dict[str, Any] | None = None, scan_grid: int = 24,
             certify: bool = True, certify_seconds: float = 20.0,
             sign_maps: dict[str, Any] | None = None) -> list[Claim]:
    """Every claim with its checks (the fast ones run now).

    Arguments:
        results_dir: where experiments' ``result.json`` files live (``None``: skip).
        preset: which preset's results to read.
        derivations: records of :func:`~gstheory.claims.derivations.run_derivations`
            (the command layer runs it with the renderer of ``proofs``; ``None``: no
            derivation records, so the symbolic checks show as not run).
        scan_grid: points per axis of the Theorem 2 scans (>= 4).
        certify: run the interval certificates of Theorem 2; certify_seconds: their
            time budget each.
        sign_maps: ``dynamics -> SignMap`` of ridge Theorem 2 scans already computed (the
            report's validity maps): the sign-map checks then describe those same maps.

    Returns:
        list of :class:`Claim` in the paper's order.

    Raises:
        ValueError: bad arguments.

    Paper: Sec. 3 and 4.
    """
    grid = check.integer("scan_grid", scan_grid, minimum=4, maximum=400)
    check.choice("preset", preset, ("quick", "paper", "smoke"))
    secs = check.positive("certify_seconds", certify_seconds)
    recs = derivations
    D = lambda name: derivation_check(name, recs)
    t2 = [n for n in (recs or {}) if n.startswith("theorem-2")] or ["theorem-2"]
    T = lambda *a: _timed(*a)
    claims = [
        Claim("eq-6-8", "Eq. 6, 7, 8 (Sec. 3.2)",
              "The softplus is bounded below by H(alpha) - alpha*m with equality at "
              "alpha = sigmoid(-m); min and max swap, leaving the dual problem Eq. 8.",
              "linear model yhat = Phi0 theta; ridge lambda > 0",
              [D("variational-bound"), D("dual-objective"),
               T("numeric", "variational bound", C.variational_bound, "confirmed"),
               T("numeric", "strong duality", C.strong_duality, "confirmed"),
               tests_check("tests/test_dual.py", "tests/test_primal.py")],
              latex='\\log(1+e^{-m}) \\ge H(\\alpha) - \\alpha m'),
        Claim("eq-9", "Eq. 9 (Sec. 3.2)",
              "Gradient ascent on Eq. 8 gives the autonomous dual dynamics Eq. 9; its fixed "
              "point is the dual optimum.", "Definition 1 (Y Phi0 Phi0^T Y = U S^2 U^T)",
              [D("dual-dynamics"),
               T("numeric", "Eq. 9 field at the fixed point", C.fixed_point_field("exact"),
                 "confirmed"),
               tests_check("tests/test_dual.py", "tests/test_fixed_points.py")],
              latex=('\\dot\\alpha = \\eta\\left(\\log\\frac{1-\\alpha}{\\alpha} - '
                     '\\frac{1}{\\lambda}U S^2 U^T\\alpha\\right)')),
        Claim("eq-10", "Eq. 10 (Sec. 3.2)",
              "When lambda << s_k^2, a first-order Taylor step of log(1 - alpha) gives "
              "Eq. 10, whose fixed point approximates Eq. 9's.", "lambda << s_k^2",
              [D("dual-dynamics"),
               T("numeric", "Eq. 10 field at the fixed point", C.fixed_point_field("taylor"),
                 "confirmed"),
               T("validity-scan", "Taylor error vs lambda/s^2", C.taylor_scan,
                 "holds-on-domain"),
               tests_check("tests/test_dual.py", "tests/test_validity.py")],
              latex=('\\dot\\alpha = \\eta\\left(-\\log\\alpha - \\alpha - '
                     '\\frac{1}{\\lambda}U S^2 U^T\\alpha\\right)')),
        Claim("theorem-1", "Theorem 1, Eq. 11 (Sec. 3.2)",
              "Every fixed point of Eq. 10 is attractive in (0,1)^n, and there "
              "z* = (1/lambda) S^2 U^T alpha*.", "ridge, lambda > 0",
              [D("dual-dynamics"),
               T("numeric", "Jacobian eigenvalues", C.theorem1, "confirmed"),
               T("numeric", "z* dual = z primal", C.strong_duality, "confirmed"),
               tests_check("tests/test_dual.py", "tests/test_dynamics.py")],
              latex='z^* = \\frac{1}{\\lambda} S^2 U^T \\alpha^*'),
        Claim("eq-12", "Eq. 12 (Sec. 3.3)",
              "With equal strengths S^2 = s^2 I, Eq. 10's fixed point is "
              "alpha_i = lambda W(s^2/lambda + 1)/(s^2 + lambda).",
              "S^2 = s^2 I, any orthogonal U",
              [D("lambert-w-fixed-points"),
               T("numeric", "closed form vs Newton", C.closed_form("eq12"), "confirmed"),
               tests_check("tests/test_fixed_points.py")],
              latex='\\alpha_i^* = \\frac{\\lambda\\, W(s^2/\\lambda + 1)}{s^2 + \\lambda}'),
        Claim("eq-13", "Eq. 13 (Sec. 3.3)",
              "With U a permutation, alpha_i = lambda W(s_i^2/lambda + 1)/(s_i^2 + lambda) "
              "and z_j = s_j^2 W(s_j^2/lambda + 1)/(s_j^2 + lambda).", "U a permutation matrix",
              [D("lambert-w-fixed-points"),
               T("numeric", "closed form vs Newton", C.closed_form("eq13"), "confirmed"),
               tests_check("tests/test_fixed_points.py")],
              latex='z_j^* = \\frac{s_j^2\\, W(s_j^2/\\lambda + 1)}{s_j^2 + \\lambda}'),
        Claim("lemma-1", "Lemma 1, Eq. 14 (Sec. 3.3)",
              "For a perturbed identity U with small delta, one Newton step from the "
              "uncoupled fixed point approximates Eq. 10's fixed point.", "delta small",
              [D("lemma-1"),
               T("validity-scan", "Lemma 1 error vs delta", C.lemma1_scan, "holds-on-domain"),
               tests_check("tests/test_fixed_points.py", "tests/test_validity.py")]),
        Claim("theorem-2", "Theorem 2, Eq. 16 (Sec. 3.3)",
              "With Eq. 15 coupling and s1^2 > s2^2, d z2*/d s1^2 < 0: feature 1 starves "
              "feature 2.",
              "two features, Eq. 15 coupling (delta > 0 small, implicitly), ridge, "
              "s1^2 > s2^2",
              [*[D(n) for n in t2],
               T("numeric", "scaling invariance", C.scaling, "confirmed"),
               T("validity-scan", "sign map, exact (Eq. 9)",
                 C.theorem2_scan("exact", grid, (sign_maps or {}).get("exact")),
                 "holds-on-domain"),
               T("validity-scan", "sign map, Taylor (Eq. 10)",
                 C.theorem2_scan("taylor", grid, (sign_maps or {}).get("taylor")),
                 "holds-on-domain"),
               *([T("validity-scan", "interval certificates",
                    lambda: C.theorem2_certificate(secs), "holds-on-domain")]
                 if certify else []),
               tests_check("tests/test_sensitivity.py", "tests/test_validity.py",
                           "tests/test_certificates.py")],
              latex='\\frac{\\partial z_2^*}{\\partial s_1^2} < 0'),
        Claim("theorem-2-magnitude", "Theorem 2, Definition 2 (convention-free)",
              "With Eq. 15 coupling, 0 < delta < 1, s1^2 > s2^2: d|z2*|/d s1^2 < 0 wherever "
              "z2* != 0 (the SVD sign convention cancels).",
              "two features, ridge, s1^2 > s2^2",
              [D("theorem-2-all-orders"),
               *([T("validity-scan", "magnitude certificate",
                    lambda: C.theorem2_magnitude_certificate(secs), "holds-on-domain")]
                 if certify else []),
               tests_check("tests/test_certificates.py")],
              latex='\\frac{\\partial |z_2^*|}{\\partial s_1^2} < 0'),
        Claim("theorem-2-n", "Theorem 2 remark (Sec. 3.3)",
              "The argument extends pairwise to higher dimensions: stronger features "
              "starve weaker ones.", "n features, coupled U",
              [D("n-feature-starvation"),
               T("validity-scan", "random n-feature spectra (convention-free)",
                 C.n_feature_scan, "refuted"),
               tests_check("tests/test_validity.py")]),
        Claim("eq-18", "Eq. 17, 18 (Sec. 3.4)",
              "Spectral decoupling makes the dual dynamics decouple: no feature starves "
              "another (d z_j*/d s_i^2 = 0).", "SD penalty (lambda/2)||yhat||^2",
              [D("spectral-decoupling"),
               T("validity-scan", "SD starvation matrix", C.sd_scan, "confirmed"),
               tests_check("tests/test_sensitivity.py", "tests/test_penalties.py")],
              latex='\\frac{\\partial z_j^*}{\\partial s_i^2} = 0'),
        Claim("sd-gamma", "Sec. 4.4 (CelebA variant)",
              "The penalty (lambda/2)||yhat - gamma||^2 with lambda and gamma per class "
              "also decouples the dynamics.", "per-class (per-example) lambda and gamma",
              [D("spectral-decoupling"),
               T("numeric", "per-class lambda, gamma", C.sd_gamma, "confirmed"),
               tests_check("tests/test_fixed_points.py", "tests/test_penalties.py")]),
        Claim("multi-class", "Sec. 3.3 (\"extends to multi-class settings\")",
              "With K classes, a stronger feature starves a weaker one: d||z_2*||/d s_1^2 < 0 "
              "for s_1 > s_2 (softmax cross-entropy, linearised model, weight decay).",
              "two coupled features, K classes, centred logits (convention-free "
              "magnitudes)",
              [D("multiclass"),
               T("validity-scan", "multi-class starvation over K, delta, lambda",
                 C.multiclass_scan, "holds-on-domain"),
               tests_check("tests/multiclass")]),
    ]
    if results_dir is not None:
        claims.extend(experiment_claims(results_dir, preset))
    return claims


def experiment_claims(results_dir: str | Path, preset: str = "quick") -> list[Claim]:
    """One claim per experiment whose ``result.json`` exists under ``results_dir``; each
    prediction is an ``experiment`` check whose outcome the run decided. A refuted
    prediction the experiment does not assert is ``not-established``; asserted ones are
    expected confirmed at the ``quick`` preset.

    Paper: the experiments (Fig. 1-3, Table 1-3, Sec. 4), each claim citing its figure or table.
    """
    root = Path(results_dir)
    out: list[Claim] = []
    if not root.is_dir():
        return out
    for path in sorted(root.glob(f"*/{preset}/result.json")):
        try:
            res = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        name = res.get("experiment", path.parent.parent.name)
        checks = []
        for p in res.get("predictions", []):
            asserted = bool(p.get("asserted", True))
            expected = "confirmed" if preset == "quick" and asserted else None
            ev = Evidence(p.get("statement", ""), stats=p.get("evidence", {}),
                          outcome="confirmed" if p.get("confirmed") else "refuted",
                          asserted=asserted)
            ours = p.get("threshold_source") == "ours"
            if ours:
                ev = Evidence(f"[threshold set from our own runs] {ev.detail}", stats=ev.stats,
                              outcome=ev.outcome, asserted=asserted)
            checks.append(Check("experiment", p.get("name", "?"), ev, expected))
            pc = p.get("paper_check")
            if ours and isinstance(pc, dict) and "confirmed" in pc:
                # the paper's own threshold on the same run: reported beside, not asserted
                checks.append(Check("experiment", f"{p.get('name', '?')} (paper threshold)",
                                    Evidence(str(pc.get("statement", "")), stats=pc,
                                             outcome=("confirmed" if pc["confirmed"]
                                                      else "refuted"), asserted=False)))
        out.append(Claim(f"exp:{name}", _experiment_ref(name, res),
                         f"The predictions of the {name} experiment ({preset} preset).",
                         f"config {json.dumps(res.get('config', {}), sort_keys=True)[:200]}",
                         checks))
    return out


def _experiment_ref(name: str, res: dict | None = None) -> str:
    """The paper reference of an experiment, from its result file when recorded there."""
    if res and isinstance(res.get("paper_ref"), str):
        return res["paper_ref"]
    return EXPERIMENT_REFS.get(name, "Sec. 4")


#: Paper references of the experiments (as declared in empirical/experiments/*.py).
EXPERIMENT_REFS = {
    "two-moons": "Fig. 1a-c, App. B", "feature-dynamics": "Fig. 1d",
    "toy-dual": "toy figure (toy_fig_6.py)", "colored-mnist": "Table 2, Fig. 3 (Sec. 4.2)",
    "minority-groups": "Table 3 (Sec. 4.4), CelebA analogue",
    "margin": "Table 1, Fig. 2 (Sec. 4.1), Fashion-MNIST substitute for CIFAR"}


def regressions(claims: list[Claim]) -> list[tuple[str, Check]]:
    """Checks whose status differs from what is expected (what makes verify fail).

    Paper: none (infrastructure).
    """
    return [(c.id, k) for c in claims for k in c.checks if k.regression]
