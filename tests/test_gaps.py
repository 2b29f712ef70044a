"""Tests of twinning_graph.gaps: the Poisson gravity model, reach tables and gazetteer gaps."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

import twinning_graph as tg
from twinning_graph import gaps
from twinning_graph._gazetteer import load_gazetteer
from twinning_graph._geo import haversine_km
from twinning_graph.cli import main


@pytest.fixture
def four_countries():
    """Synthetic: 2 towns in each of DE, FR, PL, IT; cross-border links DE-FR x3, DE-PL x1,
    FR-IT x1, none for DE-IT, FR-PL, IT-PL; one domestic DE link; d2 has only it."""
    towns = pd.DataFrame(
        {
            "town_id": ["d1", "d2", "f1", "f2", "p1", "p2", "i1", "i2"],
            "name": ["D1", "D2", "F1", "F2", "P1", "P2", "I1", "I2"],
            "country": ["DE", "DE", "FR", "FR", "PL", "PL", "IT", "IT"],
            "lat": [52.5, 48.1, 48.9, 45.8, 52.2, 50.1, 41.9, 45.5],
            "lon": [13.4, 11.6, 2.4, 4.8, 21.0, 19.9, 12.5, 9.2],
            "population": [
                3_600_000,
                1_500_000,
                2_100_000,
                520_000,
                1_800_000,
                780_000,
                2_800_000,
                1_400_000,
            ],
        }
    )
    links = pd.DataFrame(
        {
            "town_a": ["d1", "d1", "d2", "d1", "f2", "d1"],
            "town_b": ["f1", "f2", "f1", "p1", "i1", "d2"],
        }
    )
    return tg.load(towns=towns, partnerships=links)


FOUR = ["DE", "FR", "IT", "PL"]


# --------------------------------------------------------------------------- the fit


def test_fit_poisson_matches_direct_likelihood_maximisation():
    rng = np.random.default_rng(0)
    n = 200
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.uniform(0, 2, size=n)])
    y = rng.poisson(np.exp(X @ np.array([0.5, 0.8, -0.6]))).astype(float)
    fit = gaps.fit_poisson(X, y)
    assert fit.converged

    def nll(b):
        eta = X @ b
        return float(np.sum(np.exp(eta) - y * eta))

    def grad(b):
        return X.T @ (np.exp(X @ b) - y)

    ref = optimize.minimize(nll, np.zeros(3), jac=grad, method="BFGS", options={"gtol": 1e-10})
    np.testing.assert_allclose(fit.coef, ref.x, atol=1e-6)
    assert fit.mu.sum() == pytest.approx(y.sum())  # score equation of the intercept
    # observed information at the optimum: covariance of the MLE
    np.testing.assert_allclose(fit.cov, np.linalg.inv(X.T @ (X * fit.mu[:, None])), rtol=1e-8)
    assert fit.deviance < fit.null_deviance


def test_fit_poisson_intercept_only_is_the_mean():
    y = np.array([0.0, 0.0, 1.0, 4.0, 10.0])
    fit = gaps.fit_poisson(np.ones((5, 1)), y)
    np.testing.assert_allclose(fit.mu, np.full(5, 3.0))
    assert fit.pearson_chi2 == pytest.approx(np.sum((y - 3) ** 2 / 3))
    assert fit.dispersion == pytest.approx(np.sum((y - 3) ** 2 / 3) / 4)


def test_fit_poisson_rejects_bad_input():
    with pytest.raises(tg.ValidationError, match="non-negative"):
        gaps.fit_poisson(np.ones((2, 1)), np.array([1.0, -1.0]))


# --------------------------------------------------------------------------- pair gaps


def test_uniform_model_by_hand(four_countries):
    g = gaps.country_pair_gaps(four_countries, model="uniform", countries=FOUR, min_towns=1)
    assert len(g) == 6  # 4 countries -> 6 pairs; the DE-DE link is not a pair
    obs = {(a, b): o for a, b, o in zip(g["country_a"], g["country_b"], g["observed"], strict=True)}
    assert obs == {
        ("DE", "FR"): 3,
        ("DE", "PL"): 1,
        ("FR", "IT"): 1,
        ("DE", "IT"): 0,
        ("FR", "PL"): 0,
        ("IT", "PL"): 0,
    }
    np.testing.assert_allclose(g["expected"], 5 / 6)
    np.testing.assert_allclose(g["p_value"], stats.poisson.cdf(g["observed"], 5 / 6))
    # zero pairs first (lowest p), ties by ratio then by codes
    assert g[["country_a", "country_b"]].head(3).to_numpy().tolist() == [
        ["DE", "IT"],
        ["FR", "PL"],
        ["IT", "PL"],
    ]
    m = g.attrs["model"]
    assert m["coefficients"]["intercept"] == pytest.approx(np.log(5 / 6))
    y = np.array([3, 1, 1, 0, 0, 0])
    assert m["pearson_chi2"] == pytest.approx(np.sum((y - 5 / 6) ** 2 / (5 / 6)))
    assert m["dispersion"] == pytest.approx(m["pearson_chi2"] / 5)
    assert m["n_pairs"] == 6 and m["df_resid"] == 5


def test_gravity_fit_matches_scipy_optimize(four_countries):
    g = gaps.country_pair_gaps(four_countries, countries=FOUR, min_towns=1, mass="population")
    m = g.attrs["model"]
    assert m["converged"]
    X = np.column_stack(
        [np.ones(len(g)), np.log(g["mass_a"]) + np.log(g["mass_b"]), np.log(g["distance_km"])]
    )
    y = g["observed"].to_numpy(float)

    def nll(b):
        eta = X @ b
        return float(np.sum(np.exp(eta) - y * eta))

    ref = optimize.minimize(
        nll,
        np.zeros(3),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000},
    )
    coef = [m["coefficients"][k] for k in ("intercept", "log_mass", "log_distance")]
    assert nll(np.array(coef)) <= ref.fun + 1e-8
    np.testing.assert_allclose(coef, ref.x, atol=1e-3)


def test_masses_and_distance(four_countries):
    g = gaps.country_pair_gaps(four_countries, countries=FOUR, min_towns=1).set_index(
        ["country_a", "country_b"]
    )
    assert g.loc[("DE", "FR"), ["mass_a", "mass_b"]].tolist() == [2.0, 2.0]
    # centroid = median of the towns' coordinates
    expected = haversine_km(
        (52.5 + 48.1) / 2, (13.4 + 11.6) / 2, (48.9 + 45.8) / 2, (2.4 + 4.8) / 2
    )
    assert g.loc[("DE", "FR"), "distance_km"] == pytest.approx(float(expected))


def test_bundled_eu_pairs(bundled):
    g = gaps.country_pair_gaps(bundled)
    m = g.attrs["model"]
    assert len(g) == 351 == m["n_pairs"]
    assert m["converged"]
    assert g["expected"].sum() == pytest.approx(g["observed"].sum(), rel=1e-9)
    assert m["expected_total"] == pytest.approx(m["observed_total"])
    assert (g["observed"] == 0).any()  # zero-link pairs are kept
    assert (g["country_a"] < g["country_b"]).all()
    assert set(g["country_a"]) | set(g["country_b"]) == set(tg.countries.EU27)
    assert m["coefficients"]["log_distance"] < 0 < m["coefficients"]["log_mass"]
    assert m["dispersion"] > 1
    assert {"deviance", "pearson_chi2", "std_errors", "std_errors_quasi"} <= set(m)
    # sorted most under-linked first by the quasi-Poisson tail (the plain one ignores the
    # over-dispersion)
    assert g["p_value_quasi"].is_monotonic_increasing
    # interval and quasi p-value agree; the observed ratio lies inside its interval
    assert ((g["ratio_high"] < 1) == (g["p_value_quasi"] < 0.025)).all()
    assert ((g["ratio_low"] <= g["ratio"]) & (g["ratio"] <= g["ratio_high"])).all()
    nz = gaps.country_pair_gaps(bundled, include_zero=False)
    assert (nz["observed"] > 0).all() and len(nz) == int((g["observed"] > 0).sum())


def test_population_mass_on_bundled(bundled):
    g = gaps.country_pair_gaps(bundled, mass="population")
    assert g.attrs["model"]["mass"] == "population"
    assert g["expected"].sum() == pytest.approx(g["observed"].sum(), rel=1e-9)
    de = g.loc[g["country_a"] == "DE", "mass_a"].iloc[0]
    assert 5e7 < de < 2e8


def test_count_mean_interval_is_garwood_without_overdispersion():
    y = np.array([0, 1, 3, 10, 57])
    lo, hi = gaps.count_mean_interval(y)
    np.testing.assert_allclose(lo[1:], stats.chi2.ppf(0.025, 2 * y[1:]) / 2, rtol=1e-9)
    assert lo[0] == 0.0
    np.testing.assert_allclose(hi, stats.chi2.ppf(0.975, 2 * y + 2) / 2, rtol=1e-9)
    wide_lo, wide_hi = gaps.count_mean_interval(y, dispersion=5.0)
    assert (wide_hi > hi).all() and (wide_lo[2:] < lo[2:]).all()


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"model": "radiation"}, tg.ValidationError, "allowed: gravity, mass, uniform"),
        ({"mass": "gdp"}, tg.ValidationError, "allowed: towns, population"),
        ({"countries": ["DE", "XX"]}, tg.UnknownCountryError, "'XX'"),
        ({"min_towns": 0}, tg.ValidationError, "min_towns must be an integer >= 1"),
    ],
)
def test_bad_arguments(four_countries, kwargs, error, match):
    with pytest.raises(error, match=match):
        gaps.country_pair_gaps(four_countries, **kwargs)


def test_too_few_countries_and_warning_for_small_ones(four_countries):
    with pytest.warns(tg.DataWarning, match=r"fewer than 5 towns \(DE: 2"):
        with pytest.raises(tg.ValidationError, match="need more than 3 country pairs"):
            gaps.country_pair_gaps(four_countries, countries=FOUR)


def test_country_alias_accepted(four_countries):
    g = gaps.country_pair_gaps(
        four_countries, countries=["deu", "FR", "IT", "PL"], min_towns=1, model="uniform"
    )
    assert "DE" in set(g["country_a"])


def test_country_matrix(four_countries):
    g = gaps.country_pair_gaps(four_countries, countries=FOUR, min_towns=1, model="uniform")
    mat = gaps.country_matrix(g, value="observed")
    assert mat.index.tolist() == mat.columns.tolist() == FOUR
    assert mat.loc["DE", "FR"] == mat.loc["FR", "DE"] == 3
    assert np.isnan(np.diag(mat.to_numpy())).all()
    with pytest.raises(tg.ValidationError, match="allowed: observed, expected, ratio"):
        gaps.country_matrix(g, value="colour")


# --------------------------------------------------------------------------- reach, towns


def test_domestic_only_towns(four_countries):
    dom = gaps.domestic_only_towns(four_countries)
    assert dom.index.tolist() == []  # d2 has partner f1 abroad too
    data = tg.load(
        towns=four_countries.towns.reset_index(),
        partnerships=pd.DataFrame({"town_a": ["d1", "d1", "f1"], "town_b": ["d2", "p1", "f2"]}),
    )
    dom = gaps.domestic_only_towns(data)
    assert dom.index.tolist() == ["d2", "f1", "f2"]
    assert dom["partners"].tolist() == [1, 1, 1]


def test_low_reach_countries_by_hand(four_countries):
    table = gaps.low_reach_countries(four_countries, threshold=1.01, min_towns=1)
    de = table.loc["DE"]
    # DE: links d1-f1, d1-f2, d2-f1, d1-p1 (foreign) and d1-d2 (domestic, counted once)
    assert (de["towns"], de["twinned_towns"], de["links"], de["transnational_links"]) == (
        2,
        2,
        5,
        4,
    )
    assert de["transnational_share"] == pytest.approx(0.8)
    assert de["countries_reached"] == 2 and de["domestic_only_towns"] == 0
    assert table.index[0] == "DE"  # lowest foreign share first
    assert gaps.low_reach_countries(four_countries, threshold=0.9, min_towns=1).index.tolist() == [
        "DE"
    ]


def test_unpartnered_places(four_countries):
    gaz = load_gazetteer()
    koeln = gaz.loc[2886242]
    munich = gaz.loc[2867714]  # primary name "Munich"
    towns = pd.DataFrame(
        {
            "town_id": ["k", "m", "x"],
            "name": ["Köln", "munich", "Faraway"],
            "country": ["DE", "DE", "FR"],
            "lat": [koeln["lat"], munich["lat"] + 0.01, 43.3],
            "lon": [koeln["lon"], munich["lon"], 5.4],
            "geonames_id": [2886242, None, None],
        }
    )
    data = tg.load(
        towns=towns, partnerships=pd.DataFrame({"town_a": ["k", "m"], "town_b": ["x", "x"]})
    )
    big = gaps.unpartnered_places(data, min_population=1_000_000, countries=["DE"])
    # Köln by its GeoNames id, Munich by name (case-folded) + distance; Berlin and Hamburg remain
    assert sorted(big["name"]) == ["Berlin", "Hamburg"]
    assert big["population"].is_monotonic_decreasing
    assert (big["nearest_partnered"].isin(["k", "m", "x"])).all()
    with pytest.raises(tg.UnknownCountryError):
        gaps.unpartnered_places(data, countries=["QQ"])


def test_unpartnered_places_drops_districts_of_partnered_towns():
    gaz = load_gazetteer()
    hh = gaz[(gaz["name"] == "Hamburg") & (gaz["country"] == "DE")].iloc[0]
    towns = pd.DataFrame(
        {
            "town_id": ["hh", "y"],
            "name": ["Hamburg", "Y"],
            "country": ["DE", "FR"],
            "lat": [hh["lat"], 43.3],
            "lon": [hh["lon"], 5.4],
            "population": [int(hh["population"]), 10],
            "geonames_id": [int(hh.name), None],
        }
    )
    data = tg.load(towns=towns, partnerships=pd.DataFrame({"town_a": ["hh"], "town_b": ["y"]}))
    near = gaps.unpartnered_places(
        data, min_population=200_000, countries=["DE"], include_districts=True
    )
    kept = gaps.unpartnered_places(data, min_population=200_000, countries=["DE"])
    districts = near[near["inside_partnered"]]
    assert len(districts) > 0 and (districts["nearest_partnered"] == "hh").all()
    assert not kept.index.isin(districts.index).any()
    assert len(kept) == len(near) - len(districts)


def test_no_warnings_on_bundled(bundled):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gaps.country_pair_gaps(bundled)


# --------------------------------------------------------------------------- CLI


def test_cli_gaps_json(capsys):
    assert main(["gaps", "--json", "--n", "5"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 5
    assert {"country_a", "country_b", "observed", "expected", "ratio"} <= set(rows[0])


def test_cli_gaps_csv_population(capsys):
    assert main(["gaps", "--csv", "--mass", "population", "--top", "3"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("country_a,country_b,linked,observed,expected,ratio")
    assert len(lines) == 4


def test_clear_gaps_keeps_pairs_whose_interval_excludes_one():
    """Hand-made rows: A and D have their interval below 1, C and E above, B straddles 1."""
    g = pd.DataFrame(
        {
            "country_a": ["A", "B", "C", "D", "E"],
            "country_b": ["Z"] * 5,
            "observed": [1, 5, 8, 2, 6],
            "ratio": [0.5, 1.0, 2.0, 0.4, 1.5],
            "ratio_low": [0.2, 0.5, 1.2, 0.1, 1.1],
            "ratio_high": [0.8, 1.5, 3.0, 0.9, 2.0],
            "p_value_quasi": [0.01, 0.3, 0.99, 0.02, 0.995],
        }
    )
    both = gaps.clear_gaps(g)
    # under first, lowest p_value_quasi first (A 0.01, D 0.02); then over, highest first
    # (E 0.995, C 0.99); B is left out
    assert both["country_a"].tolist() == ["A", "D", "E", "C"]
    assert both["linked"].tolist() == ["under", "under", "over", "over"]
    assert list(both.columns[:3]) == ["country_a", "country_b", "linked"]
    assert gaps.clear_gaps(g, side="under")["country_a"].tolist() == ["A", "D"]
    assert gaps.clear_gaps(g, side="over")["country_a"].tolist() == ["E", "C"]
    assert gaps.clear_gaps(g[g["country_a"] == "B"]).empty
    with pytest.raises(tg.ValidationError, match="unknown side 'left'; allowed: under, over"):
        gaps.clear_gaps(g, side="left")


def test_cli_gaps_lists_only_pairs_off_the_model_by_default(capsys):
    assert main(["gaps", "--json"]) == 0
    rows = pd.DataFrame(json.loads(capsys.readouterr().out))
    under, over = rows[rows["linked"] == "under"], rows[rows["linked"] == "over"]
    assert len(under) + len(over) == len(rows) > 0
    assert (under["ratio_high"] < 1).all() and (over["ratio_low"] > 1).all()
    # under-linked first, clearest (lowest quasi-Poisson tail) first
    assert rows["linked"].tolist() == ["under"] * len(under) + ["over"] * len(over)
    assert under["p_value_quasi"].is_monotonic_increasing
    assert main(["gaps", "--json", "--side", "under"]) == 0
    assert pd.DataFrame(json.loads(capsys.readouterr().out))["linked"].eq("under").all()
    assert main(["gaps", "--json", "--all"]) == 0
    every = pd.DataFrame(json.loads(capsys.readouterr().out))
    assert len(every) == 27 * 26 // 2
    assert every["p_value_quasi"].is_monotonic_increasing


def test_cli_gaps_unknown_country(capsys):
    assert main(["gaps", "--countries", "DE", "XX"]) == 1
    assert "XX" in capsys.readouterr().err


@pytest.mark.parametrize("dispersion", [0.5, 1.0, 1.7, 4.0])
def test_count_cdf_equals_scipy_stats(dispersion):
    # _cdf calls the special functions directly (speed); scipy.stats is the reference
    import numpy as np
    from scipy import stats

    from twinning_graph.gaps._poisson import cdf as _cdf

    rng = np.random.default_rng(0)
    y = rng.integers(-1, 200, 500).astype(float)
    m = np.exp(rng.uniform(-5, 6, 500))
    if dispersion <= 1:
        ref = stats.poisson.cdf(y, m)
    else:
        ref = stats.nbinom.cdf(y, m / (dispersion - 1), 1 / dispersion)
    assert np.allclose(_cdf(y, m, dispersion), ref, rtol=1e-12, atol=1e-15)
