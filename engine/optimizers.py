"""The optimizers, their hyperparameters (experiment-file keys), defaults and descriptions.

The update rules themselves are implemented, fused over all runs, in
``engine.simulation``; this module is the registry the file parser, the command line and the
GUI's run editor read. Formulas: ../shared/docs/lecture-digest.md, "Update rules"; the
differences from PyTorch are in docs/optimizers.md.
"""
from __future__ import annotations

from engine.names import did_you_mean
import math
from dataclasses import dataclass
from typing import Any, Mapping


@dataclass(frozen=True)
class HyperParam:
    """One hyperparameter. ``check`` names the allowed range:

    ``positive`` (> 0), ``nonneg`` (≥ 0), ``unit`` (0 < v < 1), ``unit_closed`` (0 ≤ v < 1),
    ``growth`` (> 1), ``shrink`` (0 < v < 1), ``bool`` or ``choice`` (one of ``choices``).
    """

    name: str
    default: Any
    doc: str
    check: str = "positive"
    choices: tuple[str, ...] = ()

    def validate(self, value: Any) -> Any:
        if self.check == "bool":
            if not isinstance(value, bool):
                raise ValueError(f"must be true or false, got {value!r}")
            return value
        if self.check == "choice":
            if value not in self.choices:
                raise ValueError(f"must be one of {', '.join(self.choices)}, got {value!r}"
                                 f"{did_you_mean(value, self.choices)}")
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"must be a number, got {value!r}")
        v = float(value)
        if not math.isfinite(v):
            raise ValueError(f"must be a finite number, got {value!r}")
        ok, what = {
            "positive": (v > 0, "> 0"),
            "nonneg": (v >= 0, "≥ 0"),
            "unit": (0 < v < 1, "between 0 and 1 (exclusive)"),
            "unit_closed": (0 <= v < 1, "in [0, 1)"),
            "growth": (v > 1, "> 1"),
            "shrink": (0 < v < 1, "between 0 and 1 (exclusive)"),
        }[self.check]
        if not ok:
            raise ValueError(f"must be {what}, got {value!r}")
        return v


@dataclass(frozen=True)
class OptimizerSpec:
    name: str
    title: str
    summary: str
    hyperparams: tuple[HyperParam, ...]
    has_sigma: bool = False
    #: what the eff_lr columns hold: "lr" (η^t), "adaptive" (η^t/σ^t), "delta" (Rprop's Δ), "" (none)
    eff: str = "lr"
    #: False when η^t has no meaning (Rprop): the lr column is left empty
    has_lr: bool = True

    def defaults(self) -> dict[str, Any]:
        return {h.name: h.default for h in self.hyperparams}

    def param(self, name: str) -> HyperParam:
        for h in self.hyperparams:
            if h.name == name:
                return h
        raise KeyError(name)

    def resolve(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Defaults overlaid with ``given``; raises KeyError/ValueError naming the key."""
        out = self.defaults()
        names = [h.name for h in self.hyperparams]
        for key, value in given.items():
            if key not in names:
                raise KeyError(f"'{key}' is not a hyperparameter of {self.name}"
                               f"{did_you_mean(key, names)}; "
                               f"it takes: {', '.join(names)}")
            try:
                out[key] = self.param(key).validate(value)
            except ValueError as exc:
                raise ValueError(f"'{key}' {exc}") from None
        return out


def _lr(default: float, extra: str = "") -> HyperParam:
    return HyperParam("lr", default, "Learning rate η: how far each update moves along the "
                      "negative gradient. Too large and the run oscillates or diverges; too "
                      "small and it crawls." + extra)


_EPS = HyperParam("eps", 1e-8, "ε added to σ in the denominator η/(σ+ε) to avoid division by "
                  "zero. 0 gives the lecture's pure formula.", "nonneg")
_MOMENTUM = HyperParam("momentum", 0.9, "Momentum λ: the fraction of the previous update kept "
                       "in the next, m ← λm − ηg. A ball rolling downhill: with enough momentum "
                       "it rolls through saddle points and over small hills.", "unit_closed")

OPTIMIZERS: dict[str, OptimizerSpec] = {
    s.name: s
    for s in (
        OptimizerSpec("gd", "Gradient descent",
                      "θ ← θ − η^t g", (_lr(0.01),)),
        OptimizerSpec("momentum", "Momentum",
                      "m ← λm − η^t g;  θ ← θ + m", (_lr(0.01), _MOMENTUM)),
        OptimizerSpec("nesterov", "Nesterov momentum",
                      "m ← λm − η^t ∇L(θ + λm);  θ ← θ + m (gradient at the look-ahead point)",
                      (_lr(0.01), _MOMENTUM)),
        OptimizerSpec("adagrad", "Adagrad (lecture form)",
                      "σᵢ = RMS of all past gradients gᵢ;  θᵢ ← θᵢ − η^t/(σᵢ+ε) gᵢ",
                      (_lr(0.1, " With constant η the first step is exactly ±η per parameter."),
                       _EPS),
                      has_sigma=True, eff="adaptive"),
        OptimizerSpec("rmsprop", "RMSProp (lecture form)",
                      "σᵢ² ← α σᵢ² + (1−α) gᵢ²;  θᵢ ← θᵢ − η^t/(σᵢ+ε) gᵢ",
                      (_lr(0.01),
                       HyperParam("alpha", 0.9, "α: how much of the old σ² is kept each step. "
                                  "A smaller α forgets faster, so σ reacts faster when the slope "
                                  "changes (a faster brake).", "unit"),
                       _EPS,
                       HyperParam("init", "first_gradient", "How σ starts: 'first_gradient' "
                                  "sets σ⁰ = |g⁰| as in the lecture; 'zero' starts from v₀ = 0 "
                                  "as PyTorch does.", "choice", ("first_gradient", "zero"))),
                      has_sigma=True, eff="adaptive"),
        OptimizerSpec("adam", "Adam",
                      "RMSProp + momentum: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², "
                      "θ ← θ − η^t m̂/(√v̂ + ε)",
                      (_lr(1e-3, " The lecture: use PyTorch's defaults."),
                       HyperParam("beta1", 0.9, "β₁: decay of the running mean of gradients "
                                  "(the momentum part).", "unit_closed"),
                       HyperParam("beta2", 0.999, "β₂: decay of the running mean of squared "
                                  "gradients (the σ part).", "unit_closed"),
                       _EPS),
                      has_sigma=True, eff="adaptive"),
        OptimizerSpec("rprop", "Rprop",
                      "sign-based: grow Δ while the derivative keeps its sign, return and shrink "
                      "it when the sign flips",
                      (HyperParam("step_init", 0.01, "Initial step size Δ⁰ of every parameter."),
                       HyperParam("eta_plus", 1.2, "a: Δ grows by this factor while the "
                                  "derivative keeps its sign.", "growth"),
                       HyperParam("eta_minus", 0.5, "b: Δ shrinks by this factor when the "
                                  "derivative changes sign.", "shrink"),
                       HyperParam("step_min", 1e-6, "Floor on Δ.", "nonneg"),
                       HyperParam("step_max", 1.0, "Ceiling on Δ."),
                       HyperParam("backtrack", True, "On a sign change, return to the previous "
                                  "location before taking the smaller step (the slide's rule).",
                                  "bool")),
                      eff="delta", has_lr=False),
        OptimizerSpec("quickprop", "QuickProp",
                      "per-parameter Newton step with a finite-difference second derivative: "
                      "Δθ ← Δθ_prev · g / (g_prev − g)",
                      (_lr(0.01, " Used for the first step and whenever the QuickProp step is "
                               "undefined."),
                       HyperParam("max_growth", 1.75, "Maximum growth factor μ: a step is at "
                                  "most μ times the previous one (Fahlman's cap).", "growth")),
                      eff=""),
        OptimizerSpec("newton", "Newton's method",
                      "θ ← θ − η (H + dI)⁻¹ g",
                      (HyperParam("lr", 1.0, "Step scale η: η = 1 is the exact Newton step (one "
                                  "step to a quadratic's minimum); η should not exceed 2."),
                       HyperParam("damping", 0.0, "Diagonal loading d: uses H + d·I (as in "
                                  "Levenberg–Marquardt) so the step stays a descent step where "
                                  "the Hessian is not positive definite.", "nonneg")),
                      eff=""),
    )
}


def optimizer_spec(name: str) -> OptimizerSpec:
    if name not in OPTIMIZERS:
        raise KeyError(f"unknown optimizer '{name}'{did_you_mean(name, OPTIMIZERS)}; "
                       f"known: {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[name]
