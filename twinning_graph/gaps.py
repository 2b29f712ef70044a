"""Gaps in the twinning network: under-linked country pairs, low-reach countries, towns
without foreign partners and large places without any partner.

The centre piece is :func:`country_pair_gaps`, a gravity model of the number of town links
between two countries. What it assumes and where it is weak is spelled out in its
docstring; read it before quoting a "gap".
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from twinning_graph._errors import ValidationError
from twinning_graph._geo import EARTH_RADIUS_KM, haversine_km
from twinning_graph._validate import check_int, warn
from twinning_graph.graph import accepts_graph
from twinning_graph.network import TwinningData
from twinning_graph.reach import country_link_counts

__all__ = [
    "country_pair_gaps",
    "country_matrix",
    "low_reach_countries",
    "domestic_only_towns",
    "unpartnered_places",
    "fit_poisson",
    "count_mean_interval",
    "PoissonFit",
    "MODELS",
    "MASSES",
]

logger = logging.getLogger(__name__)

#: Models of :func:`country_pair_gaps` and the terms of their linear predictor.
MODELS: dict[str, tuple[str, ...]] = {
    "gravity": ("intercept", "log_mass", "log_distance"),
    "mass": ("intercept", "log_mass"),
    "uniform": ("intercept",),
}
#: Country masses of :func:`country_pair_gaps`.
MASSES = ("towns", "population")
#: Inhabitants per km² giving a partnered town's urban radius in :func:`unpartnered_places`.
URBAN_DENSITY = 3000.0
#: Centroids closer than this (km) are treated as this far apart (keeps log distance finite).
MIN_DISTANCE_KM = 1.0


# --------------------------------------------------------------------------- Poisson GLM


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


# --------------------------------------------------------------------------- helpers


def _country_codes(countries: str | Iterable[str]) -> list[str]:
    from twinning_graph.countries import normalise_country

    codes = [countries] if isinstance(countries, str) else list(countries)
    out = normalise_country(codes)  # raises UnknownCountryError naming every bad code
    return sorted(dict.fromkeys(str(c) for c in out))


def _country_population(codes: Sequence[str]) -> pd.Series:
    """Population per country: countries.csv ``population`` if present, else the sum over
    the gazetteer's places of ≥ 1,000 inhabitants."""
    from twinning_graph.countries import country_table

    table = country_table()
    if "population" in table.columns:
        pop = pd.to_numeric(table["population"], errors="coerce")
        return pop.reindex(codes).astype(float)
    from twinning_graph._gazetteer import load_gazetteer

    gaz = load_gazetteer()
    gaz = gaz[gaz["country"].isin(list(codes))]
    return gaz.groupby("country")["population"].sum().reindex(codes).astype(float)


def _centroids(towns: pd.DataFrame) -> pd.DataFrame:
    """Per country: component-wise median of the towns' lat and lon (robust to overseas
    towns such as Réunion's in FR)."""
    return towns.groupby("country")[["lat", "lon"]].median()


def _country_link_counts(towns: pd.DataFrame, edges: pd.DataFrame) -> pd.DataFrame:
    ca = edges["town_a"].map(towns["country"]).to_numpy(dtype=object)
    cb = edges["town_b"].map(towns["country"]).to_numpy(dtype=object)
    swap = ca > cb
    return pd.DataFrame({"country_a": np.where(swap, cb, ca), "country_b": np.where(swap, ca, cb)})


def _cdf(y: np.ndarray, mean: np.ndarray, dispersion: float) -> np.ndarray:
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
                f = 1.0 - _cdf(y - 1.0, np.exp(m), dispersion) - alpha
            else:  # upper bound: P(X <= y | mean) = alpha, decreasing in the mean
                f = alpha - _cdf(y, np.exp(m), dispersion)
            up = f > 0
            b = np.where(up, m, b)
            a = np.where(up, a, m)
        bounds.append(np.exp((a + b) / 2.0))
    high, low = bounds
    low = np.where(y > 0, low, 0.0)
    return low, high


# --------------------------------------------------------------------------- pair gaps


@accepts_graph
def country_pair_gaps(
    data: TwinningData,
    *,
    model: str = "gravity",
    mass: str = "towns",
    include_zero: bool = True,
    countries: Iterable[str] | None = None,
    min_towns: int = 5,
) -> pd.DataFrame:
    """Country pairs with fewer town links than a gravity model expects.

    For every pair of distinct countries among ``countries`` (default: the 27 EU Member
    States, 351 pairs) the observed number of town links ``y`` (linked town pairs, not
    partnership records; domestic links are not pairs and are left out) is compared with
    the count ``μ`` expected from a Poisson log-linear model fitted to all pairs::

        log μ_ab = β0 + β_mass (log M_a + log M_b) + β_dist log d_ab      (model="gravity")

    ``M`` is the country's *mass* (``mass="towns"``: its number of towns in the data;
    ``mass="population"``: a ``population`` column of the country table when there is
    one, else the summed population of its gazetteer places of ≥ 1,000 inhabitants, an
    urban-population proxy), ``d`` the great-circle distance between the countries'
    centroids (component-wise median of the coordinates of the country's towns in the
    data; 1 km at least). Pairs are unordered, so the two masses share one coefficient:
    separate ones would depend on the alphabetical order of the codes. ``model="mass"``
    drops the distance term; ``model="uniform"`` keeps only the intercept (every pair
    expects the mean count).

    The model is fitted by maximum likelihood (IRLS, :func:`fit_poisson`). With an
    intercept its fitted total equals the observed total, so ratios compare each pair
    with a fair share of the links among the countries considered.

    **Assumptions.** Pair counts are independent Poisson variables, log-linear in the
    masses and the distance, with no country-specific propensity to twin, and every link
    equally likely to be recorded. The last fails for countries whose towns were not
    collected as origins (in the bundled Wikidata 2017 data: Greece, Luxembourg and
    Malta, whose towns appear only as partners of towns elsewhere): their links to
    collected countries are there, but links between two such countries are missing
    altogether (GR-LU, GR-MT and LU-MT have 0 links and look under-linked), and with
    ``mass="towns"`` their mass counts only towns that some collected town named as a
    partner. Read such pairs as a coverage gap of the data, not of the network; the
    same holds for any country whose towns' partnerships are sparsely recorded (a
    country under-linked with most others is a hint). Cultural and linguistic proximity,
    shared borders and history are not in the model, so neighbours with a common
    language come out "over-linked" and distant pairs with no such ties "under-linked".

    **Weaknesses.** Link counts are overdispersed (variance far above the mean). The
    Pearson dispersion ``φ = χ² / (n - p)`` is reported in ``df.attrs["model"]``; the
    ``p_value`` column is the plain Poisson tail, which ignores it and is far too small
    when ``φ`` ≫ 1 — rank with it, but judge significance with ``p_value_quasi`` and the
    ratio interval, which allow for it (quasi-Poisson variance ``φ μ``).

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a town graph.
    model
        ``"gravity"`` (default), ``"mass"`` or ``"uniform"``.
    mass
        ``"towns"`` (default) or ``"population"``.
    include_zero
        Keep the pairs without any link in the result (they are always in the fit).
    countries
        ISO alpha-2 codes of the countries whose pairs are modelled (default: EU-27).
    min_towns
        Countries with fewer towns in the data are left out with a warning (their
        centroid and mass are not meaningful).

    Returns
    -------
    pandas.DataFrame
        One row per pair, most under-linked first (lowest ``p_value``, then lowest
        ``ratio``), columns:

        ``country_a``, ``country_b``
            The pair (``country_a < country_b``).
        ``observed``
            Town links between the two countries.
        ``expected``
            Fitted count ``μ``.
        ``ratio``, ``ratio_low``, ``ratio_high``
            ``observed / expected`` and its 95% confidence interval: the interval of
            the pair's mean count (:func:`count_mean_interval`) divided by
            ``expected``, which is taken as known (the standardised-incidence-ratio
            interval). The count is negative binomial with variance ``φ μ`` when
            ``φ > 1`` (quasi-Poisson correction), Poisson (exact Garwood interval)
            otherwise. ``ratio_high < 1`` marks a pair under-linked beyond chance,
            consistently with ``p_value_quasi < 0.025``.
        ``p_value``
            Poisson lower tail ``P(X ≤ observed | expected)``: small = under-linked.
        ``p_value_quasi``
            The same under a negative binomial with mean ``μ`` and variance ``φ μ``.
        ``distance_km``
            Between the centroids.
        ``mass_a``, ``mass_b``
            The masses used.

        ``df.attrs["model"]`` holds model, mass, terms, coefficients, std_errors (Poisson)
        and std_errors_quasi (× √φ), deviance, null_deviance, pearson_chi2, dispersion,
        df_resid, n_pairs, countries, observed_total, expected_total, iterations and
        converged.

    Raises
    ------
    UnknownCountryError
        For a code that is not a country.
    ValidationError
        For an unknown ``model`` or ``mass``, or too few countries left to fit.

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph import gaps
    >>> g = gaps.country_pair_gaps(tg.load())
    >>> len(g), g.attrs["model"]["converged"]
    (351, True)
    >>> bool(abs(g["expected"].sum() - g["observed"].sum()) < 1e-6)
    True
    """
    if model not in MODELS:
        raise ValidationError(f"unknown model {model!r}; allowed: {', '.join(MODELS)}")
    if mass not in MASSES:
        raise ValidationError(f"unknown mass {mass!r}; allowed: {', '.join(MASSES)}")
    min_towns = check_int(min_towns, "min_towns", minimum=1)
    if countries is None:
        from twinning_graph.countries import EU27

        codes = sorted(EU27)
    else:
        codes = _country_codes(countries)
    towns, edges = data.towns, data.edges
    n_towns = towns["country"].value_counts().reindex(codes, fill_value=0)
    few = n_towns[n_towns < min_towns]
    if len(few):
        warn(
            f"{len(few)} countr{'y' if len(few) == 1 else 'ies'} with fewer than {min_towns} "
            f"towns in the data left out of the pair model: "
            f"{', '.join(f'{c} ({n})' for c, n in few.items())}"
        )
        codes = [c for c in codes if c not in few.index]
    if mass == "towns":
        m = n_towns.reindex(codes).astype(float)
    else:
        m = _country_population(codes)
        bad = m[~(m > 0)]
        if len(bad):
            warn(
                f"{len(bad)} countr{'y' if len(bad) == 1 else 'ies'} without a known "
                f"population left out of the pair model: {', '.join(bad.index)}"
            )
            codes = [c for c in codes if c not in bad.index]
            m = m.reindex(codes)
    terms = MODELS[model]
    n_pairs = len(codes) * (len(codes) - 1) // 2
    if n_pairs <= len(terms):
        raise ValidationError(
            f"need more than {len(terms)} country pairs to fit model={model!r}; got "
            f"{n_pairs} from countries {codes}"
        )

    ia, ib = np.triu_indices(len(codes), k=1)
    ca, cb = np.asarray(codes, dtype=object)[ia], np.asarray(codes, dtype=object)[ib]
    pairs = _country_link_counts(towns, edges)
    counts = pairs.value_counts()
    observed = counts.reindex(pd.MultiIndex.from_arrays([ca, cb]), fill_value=0).to_numpy(
        dtype=float
    )
    cent = _centroids(towns).reindex(codes)
    dist = np.maximum(
        haversine_km(
            cent["lat"].to_numpy()[ia],
            cent["lon"].to_numpy()[ia],
            cent["lat"].to_numpy()[ib],
            cent["lon"].to_numpy()[ib],
        ),
        MIN_DISTANCE_KM,
    )
    mass_arr = m.to_numpy(dtype=float)
    columns = {
        "intercept": np.ones(n_pairs),
        "log_mass": np.log(mass_arr[ia]) + np.log(mass_arr[ib]),
        "log_distance": np.log(dist),
    }
    X = np.column_stack([columns[t] for t in terms])
    fit = fit_poisson(X, observed)
    mu = fit.mu
    phi = fit.dispersion
    scale = max(1.0, phi) if math.isfinite(phi) else 1.0
    mean_low, mean_high = count_mean_interval(observed, dispersion=scale)
    low, high = mean_low / mu, mean_high / mu
    from scipy import stats

    p_pois = stats.poisson.cdf(observed, mu)
    p_quasi = _cdf(observed, mu, scale)
    out = pd.DataFrame(
        {
            "country_a": pd.array(ca, dtype=str),
            "country_b": pd.array(cb, dtype=str),
            "observed": observed.astype("int64"),
            "expected": mu,
            "ratio": observed / mu,
            "ratio_low": low,
            "ratio_high": high,
            "p_value": p_pois,
            "p_value_quasi": p_quasi,
            "distance_km": dist,
            "mass_a": mass_arr[ia],
            "mass_b": mass_arr[ib],
        }
    )
    se = np.sqrt(np.diag(fit.cov))
    info = {
        "model": model,
        "mass": mass,
        "terms": list(terms),
        "coefficients": dict(zip(terms, map(float, fit.coef), strict=True)),
        "std_errors": dict(zip(terms, map(float, se), strict=True)),
        "std_errors_quasi": dict(zip(terms, map(float, se * math.sqrt(scale)), strict=True)),
        "deviance": fit.deviance,
        "null_deviance": fit.null_deviance,
        "pearson_chi2": fit.pearson_chi2,
        "dispersion": phi,
        "df_resid": fit.df_resid,
        "n_pairs": n_pairs,
        "countries": list(codes),
        "observed_total": int(observed.sum()),
        "expected_total": float(mu.sum()),
        "iterations": fit.iterations,
        "converged": fit.converged,
    }
    logger.info("gap model %s/%s: %s, dispersion %.3g", model, mass, info["coefficients"], phi)
    if not include_zero:
        out = out[out["observed"] > 0]
    out = out.sort_values(["p_value", "ratio", "country_a", "country_b"], kind="stable")
    out = out.reset_index(drop=True)
    out.attrs["model"] = info
    return out


def country_matrix(gaps: pd.DataFrame, value: str = "ratio") -> pd.DataFrame:
    """Square, symmetric country × country matrix of one column of :func:`country_pair_gaps`.

    Parameters
    ----------
    gaps
        From :func:`country_pair_gaps`.
    value
        Numeric column to spread (``ratio``, ``observed``, ``expected``, ``p_value``, ...).

    Returns
    -------
    pandas.DataFrame
        Index and columns: the sorted country codes; the diagonal and pairs missing from
        ``gaps`` are NaN. Ready for ``matplotlib.pyplot.imshow`` or a seaborn heatmap.

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph import gaps
    >>> mat = gaps.country_matrix(gaps.country_pair_gaps(tg.load()))
    >>> mat.shape, bool((mat.fillna(0) == mat.T.fillna(0)).all().all())
    ((27, 27), True)
    """
    if not isinstance(gaps, pd.DataFrame) or not {"country_a", "country_b"} <= set(gaps.columns):
        raise ValidationError("gaps must be the DataFrame returned by country_pair_gaps()")
    numeric = [
        c
        for c in gaps.columns
        if c not in ("country_a", "country_b") and pd.api.types.is_numeric_dtype(gaps[c])
    ]
    if value not in numeric:
        raise ValidationError(f"unknown value {value!r}; allowed: {', '.join(numeric)}")
    both = pd.concat(
        [
            gaps[["country_a", "country_b", value]],
            gaps[["country_b", "country_a", value]].set_axis(
                ["country_a", "country_b", value], axis=1
            ),
        ]
    )
    codes = sorted(set(both["country_a"]))
    mat = both.pivot(index="country_a", columns="country_b", values=value)
    mat = mat.reindex(index=codes, columns=codes).astype(float)
    mat.index.name = "country"
    mat.columns.name = None
    return mat


# --------------------------------------------------------------------------- reach, towns


def _town_link_frame(towns: pd.DataFrame, edges: pd.DataFrame) -> pd.DataFrame:
    """Both ends of every link: town_id, country, partner's country, foreign flag."""
    ca = edges["town_a"].map(towns["country"]).to_numpy(dtype=object)
    cb = edges["town_b"].map(towns["country"]).to_numpy(dtype=object)
    return pd.DataFrame(
        {
            "town_id": np.concatenate(
                [edges["town_a"].to_numpy(dtype=object), edges["town_b"].to_numpy(dtype=object)]
            ),
            "country": np.concatenate([ca, cb]),
            "partner_country": np.concatenate([cb, ca]),
        }
    ).assign(foreign=lambda f: f["country"] != f["partner_country"])


@accepts_graph
def low_reach_countries(
    data: TwinningData,
    *,
    threshold: float = 0.9,
    countries: Iterable[str] | None = None,
    min_towns: int = 5,
) -> pd.DataFrame:
    """Countries whose towns' links mostly stay at home.

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a town graph.
    threshold
        Countries with ``transnational_share`` (share of their town links that cross a
        border) below this are returned; ``threshold=1.01`` returns every country.
    countries
        Restrict to these codes (default: every country with ≥ ``min_towns`` towns).
    min_towns
        Leave out countries with fewer towns in the data.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``country``, lowest ``transnational_share`` first. The columns of
        :func:`~twinning_graph.country_reach` with the same names and meaning (towns,
        twinned_towns, links, transnational_links, transnational_share,
        countries_reached), then domestic_only_towns (twinned towns whose partners are all
        domestic) and domestic_only_share (of twinned towns).

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph import gaps
    >>> table = gaps.low_reach_countries(tg.load(), threshold=1.01)
    >>> bool(table["transnational_share"].is_monotonic_increasing)
    True
    """
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, (int, float))
        or not math.isfinite(threshold)
    ):
        raise ValidationError(f"threshold must be a number (share 0-1), got {threshold!r}")
    min_towns = check_int(min_towns, "min_towns", minimum=1)
    counts = country_link_counts(data)
    columns = [
        "towns",
        "twinned_towns",
        "links",
        "transnational_links",
        "transnational_share",
        "countries_reached",
    ]
    codes = counts.index if countries is None else pd.Index(_country_codes(countries))
    out = counts[columns].reindex(sorted(codes))
    out.index.name = "country"
    for c in columns:
        if c != "transnational_share":
            out[c] = out[c].fillna(0).astype("int64")
    dom_only = domestic_only_towns(data)["country"].value_counts()
    out["domestic_only_towns"] = dom_only.reindex(out.index, fill_value=0).astype("int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["domestic_only_share"] = (
            out["domestic_only_towns"] / out["twinned_towns"].where(out["twinned_towns"] > 0)
        ).astype(float)
    out = out[(out["towns"] >= min_towns) & (out["transnational_share"] < threshold)]
    return out.sort_values(["transnational_share", "towns"], ascending=[True, False], kind="stable")


@accepts_graph
def domestic_only_towns(data: TwinningData) -> pd.DataFrame:
    """Towns with at least one partner, all of them in the same country.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``town_id``: name, country, population, partners; most partners first.

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph import gaps
    >>> dom = gaps.domestic_only_towns(tg.load())
    >>> dom.columns.tolist()
    ['name', 'country', 'population', 'partners']
    """
    towns, edges = data.towns, data.edges
    ends = _town_link_frame(towns, edges)
    g = ends.groupby("town_id")
    foreign = g["foreign"].any()
    partners = g.size()
    ids = foreign.index[~foreign.to_numpy()]
    out = towns.loc[ids, ["name", "country", "population"]].assign(
        partners=partners.reindex(ids).astype("int64").to_numpy()
    )
    out = out.reset_index().sort_values(["partners", "town_id"], ascending=[False, True])
    return out.set_index("town_id")


def _unit_vectors(lat: Any, lon: Any) -> np.ndarray:
    la, lo = np.radians(np.asarray(lat, float)), np.radians(np.asarray(lon, float))
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


@accepts_graph
def unpartnered_places(
    data: TwinningData,
    *,
    min_population: int = 10000,
    countries: Iterable[str] | None = None,
    match_km: float = 10.0,
    include_districts: bool = False,
) -> pd.DataFrame:
    """Places of the shipped GeoNames gazetteer that have no partner town in the data.

    A gazetteer place counts as partnered when its ``geonames_id`` is that of a town with
    at least one partner, or — for linked towns whose ``geonames_id`` is unknown — when a
    linked town of the same country with the place's GeoNames primary name (case-folded) lies within
    ``match_km``. Everything else above ``min_population`` is returned.

    GeoNames lists city districts as places of their own (``Hamburg-Nord``, ``Paris 15``).
    A place is taken for a district or suburb of a partnered town, and left out unless
    ``include_districts``, when it lies within that town's *urban radius* — the radius
    of a disc holding the town's population at ``URBAN_DENSITY`` (3,000 inhabitants per
    km²; 13 km for 1.6 million, 3 km for 100,000) — and the town is more populous. This
    is a heuristic: small independent neighbours of big cities are dropped too.

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a town graph.
    min_population
        Smallest population considered.
    countries
        ISO alpha-2 codes (default: every country of the gazetteer).
    match_km
        Distance for the name fallback above.
    include_districts
        Keep the places taken for districts of partnered towns (column
        ``inside_partnered`` says which).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``geonames_id``: name, country, admin1, lat, lon, population,
        nearest_partnered (``town_id`` of the nearest linked town) and
        nearest_partnered_km; most populous first.

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph import gaps
    >>> big = gaps.unpartnered_places(tg.load(), min_population=100_000, countries=["DE"])
    >>> bool((big["population"] >= 100_000).all())
    True
    """
    from twinning_graph._gazetteer import places

    min_population = check_int(min_population, "min_population", minimum=0)
    codes = None if countries is None else _country_codes(countries)
    gaz = places(min_population=min_population, countries=codes)
    towns, edges = data.towns, data.edges
    linked_ids = pd.Index(pd.concat([edges["town_a"], edges["town_b"]]).unique())
    linked = towns.loc[towns.index.intersection(linked_ids)]
    if "geonames_id" in linked.columns:
        gid = pd.to_numeric(linked["geonames_id"], errors="coerce").astype("Int64")
    else:
        gid = pd.Series(pd.NA, index=linked.index, dtype="Int64")
    partnered = gaz.index.isin(gid.dropna().astype("int64"))
    # name fallback for linked towns without a GeoNames id
    no_id = linked[gid.isna().to_numpy()]
    if len(no_id) and len(gaz):
        left = gaz.reset_index()[["geonames_id", "name", "country", "lat", "lon"]]
        left = left.assign(key=left["name"].str.casefold())
        right = pd.DataFrame(
            {
                "key": no_id["name"].astype(str).str.casefold().to_numpy(),
                "country": no_id["country"].to_numpy(),
                "tlat": no_id["lat"].to_numpy(float),
                "tlon": no_id["lon"].to_numpy(float),
            }
        )
        j = left.merge(right, on=["key", "country"])
        close = haversine_km(j["lat"], j["lon"], j["tlat"], j["tlon"]) <= match_km
        partnered |= gaz.index.isin(j.loc[close, "geonames_id"])
    out = gaz.loc[~partnered, ["name", "country", "admin1", "lat", "lon", "population"]].copy()
    out["nearest_partnered"] = pd.Series(None, index=out.index, dtype=object)
    out["nearest_partnered_km"] = np.nan
    out["inside_partnered"] = False
    if len(linked) and len(out):
        from scipy.spatial import cKDTree

        tree = cKDTree(_unit_vectors(linked["lat"], linked["lon"]))
        place_xyz = _unit_vectors(out["lat"], out["lon"])
        chord, idx = tree.query(place_xyz)
        out["nearest_partnered"] = linked.index.to_numpy(dtype=object)[idx].astype(str)
        out["nearest_partnered_km"] = 2 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord / 2, 0, 1))
        # a district or suburb: within the urban radius of a more populous partnered town
        tpop = pd.to_numeric(linked["population"], errors="coerce").fillna(0).to_numpy(float)
        radius = np.sqrt(tpop / (URBAN_DENSITY * np.pi))
        if radius.max() > 0:
            near = cKDTree(place_xyz).sparse_distance_matrix(
                tree, radius.max() / EARTH_RADIUS_KM, output_type="coo_matrix"
            )
            km = near.data * EARTH_RADIUS_KM  # chord ≈ arc at these distances
            inside = (km <= radius[near.col]) & (
                tpop[near.col] > out["population"].to_numpy(float)[near.row]
            )
            out["inside_partnered"] = np.isin(np.arange(len(out)), near.row[inside])
    if not include_districts:
        out = out[~out["inside_partnered"].to_numpy()].drop(columns="inside_partnered")
    return out.sort_values(["population", "name"], ascending=[False, True], kind="stable")
