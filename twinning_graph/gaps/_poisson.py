"""A Poisson log-linear model fitted by IRLS, and count intervals."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from twinning_graph._errors import ValidationError
from twinning_graph._validate import warn

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PoissonFit:
    """Result of :func:`fit_poisson`."""

    coef: np.ndarray
    mu: np.ndarray
    cov: np.ndarray  #: unscaled covariance ``(X' W X)^-1``
    deviance: float
    null_deviance: float
    pearson_chi2: float
    df_resid: int
    iterations: int
    converged: bool

    @property
    def dispersion(self) -> float:
        """Pearson dispersion ``χ² / (n - p)``: 1 for Poisson data, > 1 when overdispersed."""
        return self.pearson_chi2 / self.df_resid if self.df_resid > 0 else float("nan")


def _deviance(y: np.ndarray, mu: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(y > 0, y * np.log(y / mu), 0.0)
    return float(2.0 * np.sum(term - (y - mu)))


def fit_poisson(
    X: np.ndarray, y: np.ndarray, *, tol: float = 1e-10, max_iter: int = 100
) -> PoissonFit:
    """Fit a Poisson GLM with log link by iteratively reweighted least squares.

    Parameters
    ----------
    X
        Design matrix ``(n, p)``; include a column of ones for an intercept.
    y
        Non-negative counts ``(n,)``.
    tol
        Convergence when the relative change of the deviance,
        ``|D - D_old| / (|D| + 0.1)``, falls below ``tol`` (R's ``glm`` criterion).
    max_iter
        Give up after this many iterations (a :class:`~twinning_graph.DataWarning` says so).

    Returns
    -------
    PoissonFit
        Coefficients, fitted means, the unscaled covariance, deviance, null deviance,
        Pearson χ², residual degrees of freedom, iterations and convergence flag.

    Examples
    --------
    >>> import numpy as np
    >>> from twinning_graph.gaps import fit_poisson
    >>> fit = fit_poisson(np.ones((4, 1)), np.array([1.0, 2.0, 3.0, 6.0]))
    >>> round(float(np.exp(fit.coef[0])), 6)  # intercept only: the mean
    3.0
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0]:
        raise ValidationError(f"X must be (n, p) and y (n,), got {X.shape} and {y.shape}")
    if (y < 0).any() or not np.isfinite(y).all() or not np.isfinite(X).all():
        raise ValidationError("y must be finite non-negative counts and X finite")
    n, p = X.shape
    mu = y + 0.1  # R's starting values
    eta = np.log(mu)
    dev_old = math.inf
    converged = False
    iterations = 0
    coef = np.zeros(p)
    for step in range(1, max_iter + 1):
        iterations = step
        z = eta + (y - mu) / mu
        sw = np.sqrt(mu)
        coef, *_ = np.linalg.lstsq(X * sw[:, None], z * sw, rcond=None)
        eta = np.clip(X @ coef, -700.0, 700.0)
        mu = np.exp(eta)
        dev = _deviance(y, mu)
        if abs(dev - dev_old) / (abs(dev) + 0.1) < tol:
            converged = True
            break
        dev_old = dev
    if not converged:
        warn(
            f"Poisson IRLS did not converge in {max_iter} iterations "
            f"(deviance {dev:.6g}); estimates may be unreliable"
        )
    cov = np.linalg.pinv(X.T @ (X * mu[:, None]))
    null_mu = np.full(n, y.mean())
    return PoissonFit(
        coef=coef,
        mu=mu,
        cov=cov,
        deviance=dev,
        null_deviance=_deviance(y, null_mu),
        pearson_chi2=float(np.sum((y - mu) ** 2 / mu)),
        df_resid=n - p,
        iterations=iterations,
        converged=converged,
    )


def cdf(y: np.ndarray, mean: np.ndarray, dispersion: float) -> np.ndarray:
    """P(X <= y) for a Poisson (dispersion <= 1) or a negative binomial with variance
    ``dispersion * mean`` (NB1: size ``mean / (dispersion - 1)``, p ``1 / dispersion``).

    The special functions behind ``scipy.stats.poisson.cdf`` / ``nbinom.cdf`` called
    directly (``Q(k + 1, mean)`` and ``I_p(size, k + 1)``): the same values without the
    per-call overhead of ``scipy.stats``, which the bisection of
    :func:`count_mean_interval` pays 160 times.
    """
    from scipy import special

    k = np.floor(np.asarray(y, dtype=float))
    ok = k >= 0
    kk = np.where(ok, k, 0.0)
    if dispersion <= 1:
        out = special.gammaincc(kk + 1.0, mean)
    else:
        out = special.betainc(mean / (dispersion - 1.0), kk + 1.0, 1.0 / dispersion)
    return np.where(ok, out, 0.0)


def count_mean_interval(
    observed: Any, *, dispersion: float = 1.0, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Confidence interval of the mean of a count, by inverting the two one-sided tests.

    With ``dispersion <= 1`` this is the exact Poisson (Garwood) interval; above, the
    count is taken as negative binomial with variance ``dispersion × mean`` (the
    quasi-Poisson variance), so the interval agrees with ``p_value_quasi`` of
    :func:`country_pair_gaps`: the upper bound lies below ``m`` exactly when
    ``P(X <= observed | m) < (1 - level) / 2``. Solved by bisection on the log of the
    mean, vectorised over all counts.

    Examples
    --------
    >>> from twinning_graph.gaps import count_mean_interval
    >>> lo, hi = count_mean_interval([0, 10])
    >>> [round(float(v), 3) for v in (*lo, *hi)]
    [0.0, 4.795, 3.689, 18.39]
    """
    y = np.atleast_1d(np.asarray(observed, dtype=float))
    alpha = (1.0 - level) / 2.0
    lo_b = np.full(y.shape, -30.0)
    hi_b = np.log(y + 10.0) + np.log(max(dispersion, 1.0)) + 8.0
    bounds = []
    for target_low in (False, True):
        a, b = lo_b.copy(), hi_b.copy()
        for _ in range(80):  # fixed number of vectorised bisection steps: 2^-80 of the range
            m = (a + b) / 2.0
            if target_low:  # lower bound: P(X >= y | mean) = alpha, increasing in the mean
                f = 1.0 - cdf(y - 1.0, np.exp(m), dispersion) - alpha
            else:  # upper bound: P(X <= y | mean) = alpha, decreasing in the mean
                f = alpha - cdf(y, np.exp(m), dispersion)
            up = f > 0
            b = np.where(up, m, b)
            a = np.where(up, a, m)
        bounds.append(np.exp((a + b) / 2.0))
    high, low = bounds
    low = np.where(y > 0, low, 0.0)
    return low, high
