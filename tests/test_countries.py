"""Tests for twinning_graph.countries with hand-checked facts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from twinning_graph._errors import UnknownCountryError, ValidationError
from twinning_graph.countries import (
    EU27,
    country_from_name,
    country_name,
    country_table,
    eligibility_table,
    eligible_countries,
    eu_members,
    is_valid_country,
    normalise_country,
)


def test_table_covers_iso_and_kosovo():
    table = country_table()
    assert len(table) == 250  # 249 ISO 3166-1 codes + XK
    assert table.index.is_unique
    assert table.loc["XK", "alpha3"] == "XKX"
    assert table.loc["DE", "alpha3"] == "DEU"
    assert table.loc["GB", "name"] == "United Kingdom"


def test_table_is_a_copy():
    table = country_table()
    table.loc["FR", "name"] = "changed"
    assert country_table().loc["FR", "name"] == "France"


def test_eu27_and_groups():
    table = country_table()
    assert len(EU27) == 27
    assert {"HR", "BG", "RO", "CY", "MT"} <= EU27
    assert "GB" not in EU27
    assert set(table.index[table["efta"]]) == {"IS", "LI", "NO", "CH"}
    assert set(table.index[table["eea"]]) == EU27 | {"IS", "LI", "NO"}
    assert set(table.index[table["candidate"]]) == {
        "AL",
        "BA",
        "GE",
        "MD",
        "ME",
        "MK",
        "RS",
        "TR",
        "UA",
    }
    europe = set(table.index[table["europe"]])
    assert len(europe) == 46
    assert {"XK", "VA", "GB", "CH"} <= europe
    assert not {"RU", "BY"} & europe


@pytest.mark.parametrize(
    ("code", "year"),
    [
        ("BE", 1958),
        ("DK", 1973),
        ("GR", 1981),
        ("ES", 1986),
        ("PT", 1986),
        ("AT", 1995),
        ("PL", 2004),
        ("BG", 2007),
        ("HR", 2013),
    ],
)
def test_accession_years(code, year):
    assert country_table().loc[code, "eu_accession"] == year


def test_eu_members_by_year():
    assert len(eu_members(1958)) == 6
    assert len(eu_members(1995)) == 15
    assert len(eu_members(2004)) == 25
    assert len(eu_members(2013)) == 28
    assert "GB" in eu_members(2019)
    assert "GB" not in eu_members(2021)
    assert "HR" not in eu_members(2012)
    assert eu_members(2026) == EU27 == eu_members()


def test_eu_members_rejects_bad_year():
    with pytest.raises(ValidationError, match="integer year"):
        eu_members("2020")


def test_normalise_scalar_aliases_and_alpha3():
    assert normalise_country("EL") == "GR"
    assert normalise_country(" uk ") == "GB"
    assert normalise_country("deu") == "DE"
    assert normalise_country("xk") == "XK"


def test_normalise_series_keeps_index_and_missing():
    s = pd.Series(["el", "FR", None, "GBR"], index=list("abcd"), name="country")
    out = normalise_country(s)
    assert list(out.index) == list("abcd")
    assert out.name == "country"
    assert out["a"] == "GR" and out["d"] == "GB"
    assert pd.isna(out["c"])


def test_normalise_list_returns_array():
    out = normalise_country(["EL", "PL"])
    assert isinstance(out, np.ndarray)
    assert out.tolist() == ["GR", "PL"]


def test_normalise_unknown_lists_all_with_suggestions():
    with pytest.raises(UnknownCountryError, match=r"'QQ'.*'ZZZ'") as info:
        normalise_country(pd.Series(["DE", "QQ", "ZZZ"]))
    assert isinstance(info.value, KeyError)


def test_normalise_coerce():
    out = normalise_country(pd.Series(["DE", "QQ"]), errors="coerce")
    assert out.iloc[0] == "DE" and pd.isna(out.iloc[1])
    with pytest.raises(ValidationError, match="errors must be"):
        normalise_country("DE", errors="ignore")


def test_is_valid_country():
    s = pd.Series(["DE", "el", "ZZ", None, "deu"], index=list("vwxyz"))
    out = is_valid_country(s)
    assert out.tolist() == [True, True, False, False, True]
    assert list(out.index) == list("vwxyz")
    assert is_valid_country("XK") is True


def test_country_name():
    assert country_name("EL") == "Greece"
    assert country_name(pd.Series(["DE", "UK"])).tolist() == ["Germany", "United Kingdom"]
    with pytest.raises(UnknownCountryError):
        country_name("QQ")


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("Germany", "DE"),
        ("germany", "DE"),
        ("Deutschland", "DE"),
        ("Czech Republic", "CZ"),
        ("Czechia", "CZ"),
        ("The Netherlands", "NL"),
        ("Holland", "NL"),
        ("United Kingdom", "GB"),
        ("England", "GB"),
        ("UK", "GB"),
        ("Turkey", "TR"),
        ("Türkiye", "TR"),
        ("North Macedonia", "MK"),
        ("Macedonia", "MK"),
        ("Moldova", "MD"),
        ("Republic of Moldova", "MD"),
        ("Kosovo", "XK"),
        ("Bosnia and Herzegovina", "BA"),
        ("Bosnia & Herzegovina", "BA"),
        ("Russia", "RU"),
        ("Vatican", "VA"),
        ("Osterreich", "AT"),
        ("Ελλάδα", "GR"),
        ("Greece", "GR"),
    ],
)
def test_country_from_name(label, code):
    assert country_from_name(label) == code


def test_country_from_name_series_and_unknown():
    out = country_from_name(pd.Series(["France", "italy", "France"], index=[10, 11, 12]))
    assert out.tolist() == ["FR", "IT", "FR"]
    assert list(out.index) == [10, 11, 12]
    with pytest.raises(UnknownCountryError, match="Germany"):
        country_from_name("Germanny")


def test_eligibility_table_has_sources_and_statuses():
    table = eligibility_table()
    assert table["source"].str.len().gt(0).all()
    assert set(table["status"]) == {"confirmed", "unconfirmed", "contradicted"}
    assert set(table["programme"]) == {"CERV", "EFC"}
    assert "confirmed" not in table.columns  # one status column, no parallel bool


def test_associated_countries_need_entry_into_force_not_signature():
    table = eligibility_table().set_index(["programme", "year", "country"])
    # Kosovo signed in December 2023; no source gives entry into force -> unconfirmed
    xk24 = table.loc[("CERV", 2024, "XK")]
    assert xk24["signed"] == "2023-12" and xk24["in_force"] == ""
    assert xk24["status"] == "unconfirmed"
    # signed after the 2023 grants -> the aggregator's 2023 listing is contradicted
    assert table.loc[("CERV", 2023, "XK"), "status"] == "contradicted"
    assert table.loc[("CERV", 2023, "RS"), "status"] == "contradicted"
    assert table.loc[("CERV", 2023, "ME"), "status"] == "unconfirmed"
    assert "strand" in table.loc[("CERV", 2025, "MD"), "note"]


def test_eligible_countries_cerv():
    cerv21 = eligible_countries(2021)
    assert EU27 <= cerv21
    assert "GL" in cerv21  # overseas country/territory (unconfirmed for 2021)
    assert "GL" not in eligible_countries(2021, include_unconfirmed=False)
    assert "GL" in eligible_countries(2024, include_unconfirmed=False)  # call text says so
    assert "RE" in eligible_countries(2021, include_unconfirmed=False)  # outermost region
    assert not {"UA", "XK", "GB", "NO", "CH"} & cerv21
    assert "XK" not in eligible_countries(2024, include_unconfirmed=False)
    assert "UA" in eligible_countries(2024)
    assert "UA" not in eligible_countries(2024, include_unconfirmed=False)
    assert "XK" not in eligible_countries(2023)  # contradicted: never counted


def test_eligible_countries_efc():
    efc19 = eligible_countries(2019, programme="EFC")
    assert {"GB", "AL", "BA", "ME", "MK", "RS", "XK"} <= efc19
    assert not {"AL", "XK"} & eligible_countries(2019, programme="EFC", include_unconfirmed=False)
    assert {"AL", "BA", "ME", "MK", "RS", "XK", "GB"} <= eligible_countries(
        2020, programme="EFC", include_unconfirmed=False
    )
    assert "HR" in efc19
    efc20 = eligible_countries(2020, programme="efc")
    assert "GB" in efc20  # withdrawal agreement
    assert "GB" not in eu_members(2020)


def test_eligible_countries_bad_input():
    with pytest.raises(ValidationError, match="from 2021 to 2027"):
        eligible_countries(2019)
    with pytest.raises(ValidationError, match="unknown programme"):
        eligible_countries(2022, programme="Erasmus")
