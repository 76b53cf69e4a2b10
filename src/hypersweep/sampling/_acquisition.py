"""The logarithm of expected improvement, and its maximisation over a mixed feature space.

Expected improvement is computed in log space with an asymptotic form for very negative
standardised improvements, as in Ament et al., "Unexpected Improvements to Expected Improvement
for Bayesian Optimization" (NeurIPS 2023). Far from the incumbent, the plain formula underflows
to zero with a zero gradient, while the log form keeps a slope for the optimizer to follow.
Targets are minimised.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize
from scipy.special import erfcx, log_ndtr

from hypersweep.sampling._encoding import SpaceEncoding
from hypersweep.sampling._gp import GaussianProcess

__all__ = ["log_expected_improvement", "maximize_log_ei"]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_SQRT_HALF_PI = math.sqrt(0.5 * math.pi)


def _log_h(z: np.ndarray) -> np.ndarray:
    """Return log(phi(z) + z * Phi(z)), the log of expected improvement at unit scale."""
    z = np.asarray(z, dtype=float)
    result = np.empty_like(z)
    direct = z > -1.0
    zd = z[direct]
    result[direct] = np.log(np.exp(-0.5 * zd * zd - _LOG_SQRT_2PI) + zd * np.exp(log_ndtr(zd)))

    # For z <= -1, phi(z) + z * Phi(z) = phi(z) * (1 + z * Phi(z) / phi(z)), and the Mills ratio
    # Phi(z) / phi(z) = sqrt(pi / 2) * erfcx(-z / sqrt(2)) does not underflow.
    zt = z[~direct]
    ratio = zt * _SQRT_HALF_PI * erfcx(-zt / math.sqrt(2.0))
    result[~direct] = -0.5 * zt * zt - _LOG_SQRT_2PI + np.log1p(np.maximum(ratio, -1.0 + 1e-300))
    return result


def log_expected_improvement(
    mean: np.ndarray, variance: np.ndarray, incumbent: float
) -> np.ndarray:
    """Return log E[max(incumbent - f, 0)] for f ~ N(mean, variance)."""
    sigma = np.sqrt(variance)
    z = (incumbent - mean) / sigma
    return np.log(sigma) + _log_h(z)


def _log_ei_and_gradient(
    model: GaussianProcess, point: np.ndarray, incumbent: float
) -> tuple[float, np.ndarray]:
    mean, variance, mean_gradient, variance_gradient = model.predict_with_gradient(point)
    sigma = math.sqrt(variance)
    z = (incumbent - mean) / sigma
    log_h = float(_log_h(np.array([z]))[0])
    value = math.log(sigma) + log_h

    # EI = sigma * h(z) with dEI/dmean = -Phi(z) and dEI/dsigma = phi(z).
    ei_scale = math.log(sigma) + log_h
    d_mean = -math.exp(float(log_ndtr(z)) - ei_scale)
    d_sigma = math.exp(-0.5 * z * z - _LOG_SQRT_2PI - ei_scale)
    gradient = d_mean * mean_gradient + d_sigma * variance_gradient / (2.0 * sigma)
    return value, gradient


def maximize_log_ei(
    model: GaussianProcess,
    incumbent: float,
    candidates: np.ndarray,
    encoding: SpaceEncoding,
    *,
    refine: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Rank candidate features by log EI, after refining the best few with L-BFGS-B.

    ``candidates`` are snapped features. The ``refine`` best distinct candidates start a local
    search over their non-categorical features (categorical ones stay fixed), and each result is
    snapped back onto the space. Returns all features, best first, with their log EI values.
    """
    mean, variance = model.predict(candidates)
    values = log_expected_improvement(mean, variance, incumbent)

    order = np.argsort(-values, kind="stable")
    movable = ~encoding.categorical
    refined: list[np.ndarray] = []
    if refine > 0 and movable.any():
        bounds = [(0.0, 1.0)] * int(movable.sum())
        seen: set[bytes] = set()
        for index in order:
            if len(refined) >= refine:
                break
            start = candidates[index]
            key = start.tobytes()
            if key in seen:
                continue
            seen.add(key)
            refined.append(_refine(model, incumbent, start, movable, bounds))

    if refined:
        snapped = encoding.snap(np.array(refined))
        mean, variance = model.predict(snapped)
        candidates = np.vstack([candidates, snapped])
        values = np.concatenate([values, log_expected_improvement(mean, variance, incumbent)])

    order = np.argsort(-values, kind="stable")
    return candidates[order], values[order]


def _refine(
    model: GaussianProcess,
    incumbent: float,
    start: np.ndarray,
    movable: np.ndarray,
    bounds: list[tuple[float, float]],
) -> np.ndarray:
    point = start.copy()

    def negative(free: np.ndarray) -> tuple[float, np.ndarray]:
        point[movable] = free
        value, gradient = _log_ei_and_gradient(model, point, incumbent)
        return -value, -gradient[movable]

    result = optimize.minimize(
        negative,
        start[movable],
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 50},
    )
    refined = start.copy()
    refined[movable] = np.clip(result.x, 0.0, 1.0)
    return refined
