"""A Gaussian process regression model over mixed continuous and categorical features.

The kernel is a Matérn 5/2 kernel with one lengthscale per feature (ARD). Its distance adds the
squared scaled difference of each continuous feature and, for each categorical feature, the
mismatch indicator divided by that feature's squared lengthscale. The mismatch indicator is half
the squared distance of two one-hot vectors, so the kernel stays positive definite.

The hyperparameters (log lengthscales, log signal variance, log noise variance) are the maximum
a posteriori estimate under the priors below, found with L-BFGS-B and analytic gradients.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import linalg, optimize

__all__ = ["GaussianProcess", "default_hyperparameters", "fit_hyperparameters"]

_SQRT5 = math.sqrt(5.0)

# Features lie in [0, 1]. The lengthscale prior is LogNormal(0, 0.5): lengthscales near the
# width of the cube, rarely below a third of it. With the few dozen observations of a sweep, a
# short lengthscale cannot be distinguished from noise. With a looser prior, single features
# collapsed to lengthscales near 0.1, which sent expected improvement to the corners of the space.
_LENGTHSCALE_PRIOR_MEAN = 0.0
_LENGTHSCALE_PRIOR_SCALE = 0.5

# Targets are standardised, so a signal variance near 1 is expected.
_SIGNAL_PRIOR_MEAN = 0.0
_SIGNAL_PRIOR_SCALE = 1.0

# Tuning objectives are often nearly deterministic, such as a score on a fixed cross-validation
# split. The noise prior favours little noise but lets the data decide.
_NOISE_PRIOR_MEAN = math.log(1e-3)
_NOISE_PRIOR_SCALE = 2.0

_LOG_LENGTHSCALE_BOUNDS = (math.log(1e-3), math.log(1e3))
_LOG_SIGNAL_BOUNDS = (math.log(1e-3), math.log(1e2))
_LOG_NOISE_BOUNDS = (math.log(1e-6), math.log(1.0))

_JITTER = 1e-9


_PRIOR_MEANS = (_LENGTHSCALE_PRIOR_MEAN, _SIGNAL_PRIOR_MEAN, _NOISE_PRIOR_MEAN)
_PRIOR_SCALES = (_LENGTHSCALE_PRIOR_SCALE, _SIGNAL_PRIOR_SCALE, _NOISE_PRIOR_SCALE)


def _prior(dimensions: int, values: tuple[float, float, float]) -> np.ndarray:
    lengthscale, signal, noise = values
    return np.concatenate([np.full(dimensions, lengthscale), [signal, noise]])


def default_hyperparameters(dimensions: int) -> np.ndarray:
    """Return the prior mode of the hyperparameters, a starting point of the fit."""
    return _prior(dimensions, _PRIOR_MEANS)


def _squared_differences(a: np.ndarray, b: np.ndarray, categorical: np.ndarray) -> np.ndarray:
    """Return the per-feature squared differences (mismatches), shape (d, len(a), len(b))."""
    differences = np.empty((a.shape[1], a.shape[0], b.shape[0]))
    for feature in range(a.shape[1]):
        if categorical[feature]:
            differences[feature] = a[:, feature, None] != b[None, :, feature]
        else:
            differences[feature] = np.square(a[:, feature, None] - b[None, :, feature])
    return differences


def _matern(r: np.ndarray) -> np.ndarray:
    return (1.0 + _SQRT5 * r + (5.0 / 3.0) * r * r) * np.exp(-_SQRT5 * r)


def _matern_slope(r: np.ndarray) -> np.ndarray:
    """Return -d matern / d(r**2), which is finite at r = 0."""
    return (5.0 / 6.0) * (1.0 + _SQRT5 * r) * np.exp(-_SQRT5 * r)


def _negative_log_posterior(
    theta: np.ndarray, differences: np.ndarray, y: np.ndarray, extra_noise: np.ndarray
) -> tuple[float, np.ndarray]:
    dimensions, n = differences.shape[0], y.shape[0]
    inverse_squared = np.exp(-2.0 * theta[:dimensions])
    signal = math.exp(theta[dimensions])
    noise = math.exp(theta[dimensions + 1])

    flat = differences.reshape(dimensions, -1)
    r = np.sqrt(np.maximum(inverse_squared @ flat, 0.0)).reshape(n, n)
    correlation = _matern(r)
    covariance = signal * correlation
    covariance[np.diag_indices(n)] += noise + extra_noise + _JITTER

    try:
        factor = linalg.cho_factor(covariance, lower=True, check_finite=False)
    except linalg.LinAlgError:
        return 1e25, np.zeros_like(theta)

    alpha = linalg.cho_solve(factor, y, check_finite=False)
    inverse = linalg.cho_solve(factor, np.eye(n), check_finite=False)
    log_determinant = 2.0 * np.sum(np.log(np.diag(factor[0])))
    value = 0.5 * float(y @ alpha) + 0.5 * log_determinant + 0.5 * n * math.log(2.0 * math.pi)

    # dL/dtheta = -1/2 tr((alpha alpha^T - K^-1) dK/dtheta) for the log likelihood L.
    weights = np.outer(alpha, alpha) - inverse
    slope = signal * _matern_slope(r) * weights
    gradient = np.empty_like(theta)
    gradient[:dimensions] = -(flat @ slope.ravel()) * inverse_squared
    gradient[dimensions] = -0.5 * signal * float(np.sum(weights * correlation))
    gradient[dimensions + 1] = -0.5 * noise * float(np.trace(weights))

    # Gaussian priors on the log hyperparameters.
    scales = _prior(dimensions, _PRIOR_SCALES)
    standardised = (theta - _prior(dimensions, _PRIOR_MEANS)) / scales
    value += 0.5 * float(standardised @ standardised)
    gradient += standardised / scales
    return value, gradient


def fit_hyperparameters(
    x: np.ndarray,
    y: np.ndarray,
    categorical: np.ndarray,
    starts: Sequence[np.ndarray],
    *,
    extra_noise: np.ndarray | None = None,
    max_iterations: int = 200,
) -> np.ndarray:
    """Return the hyperparameters of the best fit found from each of ``starts``."""
    dimensions = x.shape[1]
    differences = _squared_differences(x, x, categorical)
    extra = np.zeros(len(y)) if extra_noise is None else extra_noise
    bounds = [_LOG_LENGTHSCALE_BOUNDS] * dimensions + [_LOG_SIGNAL_BOUNDS, _LOG_NOISE_BOUNDS]
    lower = np.array([bound[0] for bound in bounds])
    upper = np.array([bound[1] for bound in bounds])

    best_theta = np.clip(np.asarray(starts[0], dtype=float), lower, upper)
    best_value = math.inf
    for start in starts:
        result = optimize.minimize(
            _negative_log_posterior,
            np.clip(np.asarray(start, dtype=float), lower, upper),
            args=(differences, y, extra),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": max_iterations},
        )
        if np.isfinite(result.fun) and result.fun < best_value:
            best_value = float(result.fun)
            best_theta = np.asarray(result.x, dtype=float)
    return best_theta


class GaussianProcess:
    """The posterior of a zero-mean Gaussian process given observations ``y`` at ``x``.

    ``extra_noise`` adds to the noise variance of single observations. Predictions are of the
    noise-free latent function.
    """

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        categorical: np.ndarray,
        theta: np.ndarray,
        *,
        extra_noise: np.ndarray | None = None,
    ) -> None:
        dimensions = x.shape[1]
        self.x = x
        self.y = y
        self.categorical = categorical
        self.theta = theta
        self._inverse_squared = np.exp(-2.0 * theta[:dimensions])
        self._signal = math.exp(theta[dimensions])
        self._noise = math.exp(theta[dimensions + 1])
        self._extra = np.zeros(len(y)) if extra_noise is None else extra_noise

        covariance = self._covariance(x, x)
        covariance[np.diag_indices(len(y))] += self._noise + self._extra + _JITTER
        jitter = _JITTER
        while True:
            try:
                self._factor = linalg.cho_factor(covariance, lower=True, check_finite=False)
                break
            except linalg.LinAlgError:
                if jitter > 1e-2:
                    raise
                covariance[np.diag_indices(len(y))] += jitter * 100.0
                jitter *= 100.0
        self._alpha = linalg.cho_solve(self._factor, y, check_finite=False)

    @property
    def signal_variance(self) -> float:
        """The prior variance of the latent function."""
        return self._signal

    def with_fantasies(self, x: np.ndarray, y: np.ndarray) -> GaussianProcess:
        """Return the posterior after also observing the latent values ``y`` at ``x``.

        The hyperparameters stay the same. The values are taken as noise-free, so the posterior
        variance at ``x`` drops to nearly zero.
        """
        return GaussianProcess(
            np.vstack([self.x, x]),
            np.concatenate([self.y, y]),
            self.categorical,
            self.theta,
            extra_noise=np.concatenate([self._extra, np.full(len(y), -self._noise)]),
        )

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the posterior mean and variance of the latent function at the rows of ``x``."""
        cross = self._covariance(x, self.x)
        mean = cross @ self._alpha
        solved = linalg.solve_triangular(self._factor[0], cross.T, lower=True, check_finite=False)
        variance = self._signal - np.einsum("ij,ij->j", solved, solved)
        return mean, np.maximum(variance, 1e-12 * self._signal)

    def predict_with_gradient(
        self, point: np.ndarray
    ) -> tuple[float, float, np.ndarray, np.ndarray]:
        """Return mean, variance and their gradients at one point.

        Gradients with respect to categorical features are zero: those features only move in
        whole steps.
        """
        differences = point[None, :] - self.x
        squared = np.where(self.categorical, differences != 0, differences * differences)
        r = np.sqrt(np.maximum(squared @ self._inverse_squared, 0.0))
        cross = self._signal * _matern(r)
        # d cross_j / d point_i = -signal * slope_j * 2 * difference_ji / lengthscale_i**2
        slope = -2.0 * self._signal * _matern_slope(r)
        cross_gradient = (slope[:, None] * differences) * self._inverse_squared[None, :]
        cross_gradient[:, self.categorical] = 0.0

        mean = float(cross @ self._alpha)
        mean_gradient = self._alpha @ cross_gradient
        weights = linalg.cho_solve(self._factor, cross, check_finite=False)
        variance = max(self._signal - float(cross @ weights), 1e-12 * self._signal)
        variance_gradient = -2.0 * (weights @ cross_gradient)
        return mean, variance, mean_gradient, variance_gradient

    def _covariance(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        squared = np.zeros((a.shape[0], b.shape[0]))
        for feature in range(a.shape[1]):
            if self.categorical[feature]:
                term = (a[:, feature, None] != b[None, :, feature]).astype(float)
            else:
                term = np.square(a[:, feature, None] - b[None, :, feature])
            squared += term * self._inverse_squared[feature]
        return self._signal * _matern(np.sqrt(squared))
