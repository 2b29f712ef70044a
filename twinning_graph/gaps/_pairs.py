"""Under-linked country pairs: the gravity model of town links between two countries."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from twinning_graph._errors import ValidationError
from twinning_graph._geo import haversine_km
from twinning_graph._validate import check_int, warn
from twinning_graph.gaps._poisson import cdf, count_mean_interval, fit_poisson
from twinning_graph.graph import accepts_graph
from twinning_graph.network import TwinningData

logger = logging.getLogger(__name__)

#: Models of :func:`country_pair_gaps` and the terms of their linear predictor.
MODELS: dict[str, tuple[str, ...]] = {
    "gravity": ("intercept", "log_mass", "log_distance"),
    "mass": ("intercept", "log_mass"),
    "uniform": ("intercept",),
}


#: Country masses of :func:`country_pair_gaps`.
MASSES = ("towns", "population")


#: Centroids closer than this (km) are treated as this far apart (keeps log distance finite).
MIN_DISTANCE_KM = 1.0


def country_codes(countries: str | Iterable[str]) -> list[str]:
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
    when ``φ`` ≫ 1: the rows are ordered, and significance is judged, by
    ``p_value_quasi`` and the ratio interval, which allow for it (quasi-Poisson variance
    ``φ μ``). :func:`clear_gaps` keeps the pairs whose interval excludes 1.

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
        One row per pair, most under-linked first (lowest ``p_value_quasi``, then lowest
        ``ratio``; the most over-linked pairs come last), columns:

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
            The same under a negative binomial with mean ``μ`` and variance ``φ μ``
            (equal to ``p_value`` when ``φ ≤ 1``); the column to judge a gap by.
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
        codes = country_codes(countries)
    towns, edges = data.towns, data.edges
    n_towns = towns["country"].value_counts().reindex(codes, fill_value=0)
    few = n_towns[n_towns < min_towns]
    if len(few):
        absent, thin = few[few == 0], few[few > 0]
        said = []
        if len(absent):
            said.append(f"{len(absent)} without any town in the data ({', '.join(absent.index)})")
        if len(thin):
            said.append(
                f"{len(thin)} with fewer than {min_towns} towns "
                f"({', '.join(f'{c}: {n}' for c, n in thin.items())})"
            )
        warn(f"countries left out of the pair model: {'; '.join(said)}")
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
    p_quasi = cdf(observed, mu, scale)
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
    out = out.sort_values(["p_value_quasi", "ratio", "country_a", "country_b"], kind="stable")
    out = out.reset_index(drop=True)
    out.attrs["model"] = info
    return out


#: Sides of :func:`clear_gaps`.
SIDES = ("under", "over", "both")


def clear_gaps(gaps: pd.DataFrame, *, side: str = "both") -> pd.DataFrame:
    """The pairs of :func:`country_pair_gaps` linked differently from the model beyond
    chance: the 95% interval of the ratio (quasi-Poisson) lies entirely below 1
    (``"under"``-linked: ``ratio_high < 1``) or entirely above 1 (``"over"``-linked:
    ``ratio_low > 1``).

    Parameters
    ----------
    gaps
        From :func:`country_pair_gaps`.
    side
        ``"under"``, ``"over"`` or ``"both"`` (default).

    Returns
    -------
    pandas.DataFrame
        The rows kept, with a column ``linked`` (``"under"`` or ``"over"``) after
        ``country_b``: under-linked pairs first, the clearest (lowest ``p_value_quasi``)
        first; then over-linked pairs, the clearest (highest ``p_value_quasi``, then
        highest ``ratio``) first. Empty when no pair is clearly off the model.

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph import gaps
    >>> g = gaps.clear_gaps(gaps.country_pair_gaps(tg.load()), side="under")
    >>> bool((g["ratio_high"] < 1).all()), set(g["linked"]) <= {"under"}
    (True, True)
    """
    if side not in SIDES:
        raise ValidationError(f"unknown side {side!r}; allowed: {', '.join(SIDES)}")
    need = {"country_a", "country_b", "ratio", "ratio_low", "ratio_high", "p_value_quasi"}
    if not isinstance(gaps, pd.DataFrame) or not need <= set(gaps.columns):
        raise ValidationError("gaps must be the DataFrame returned by country_pair_gaps()")
    under = gaps[gaps["ratio_high"] < 1].sort_values(["p_value_quasi", "ratio"], kind="stable")
    over = gaps[gaps["ratio_low"] > 1].sort_values(
        ["p_value_quasi", "ratio"], ascending=False, kind="stable"
    )
    parts = {"under": [under], "over": [over], "both": [under, over]}[side]
    out = pd.concat(parts) if len(parts) > 1 else parts[0].copy()
    linked = np.where(out["ratio_high"] < 1, "under", "over")
    out.insert(out.columns.get_loc("country_b") + 1, "linked", linked)
    out = out.reset_index(drop=True)
    out.attrs = dict(gaps.attrs)
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
