"""Today's twin-town links from the Wikidata Query Service: an opt-in, online refresh.

:func:`fetch_wikidata` asks the Wikidata Query Service (WDQS) for the "twinned administrative
body" (P190) statements of the municipalities of some countries -- one query per country, rate
limited, retried, cached -- and turns the answer into a :class:`~twinning_graph.TwinningData`
with the same rules as the bundled data (non-municipal entities out, one town per Wikidata
item, ISO countries, ids of the bundled towns reused). Nothing here touches the network unless
``fetch_wikidata`` is called with ``online=True``; answers saved in ``cache`` are replayed
without it. :func:`parse_response` reads a saved answer (SPARQL JSON or the service's CSV).

Data: Wikidata, CC0 1.0 -- credit "Wikidata contributors".
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from twinning_graph._errors import ValidationError
from twinning_graph._text import fold
from twinning_graph._validate import warn

__all__ = ["fetch_wikidata", "parse_response", "clean_response", "build_query"]

logger = logging.getLogger(__name__)

#: The public SPARQL endpoint of the Wikidata Query Service.
ENDPOINT = "https://query.wikidata.org/sparql"
#: Credit line required when showing the data.
WIKIDATA_CREDIT = "Wikidata contributors, CC0 1.0"

# Wikidata items of the countries that can be refreshed (ISO 3166-1 alpha-2 -> Q-id).
COUNTRY_QIDS = {
    "AD": "Q228", "AL": "Q222", "AT": "Q40", "BA": "Q225", "BE": "Q31", "BG": "Q219",
    "CH": "Q39", "CY": "Q229", "CZ": "Q213", "DE": "Q183", "DK": "Q35", "EE": "Q191",
    "ES": "Q29", "FI": "Q33", "FR": "Q142", "GB": "Q145", "GE": "Q230", "GR": "Q41",
    "HR": "Q224", "HU": "Q28", "IE": "Q27", "IS": "Q189", "IT": "Q38", "LI": "Q347",
    "LT": "Q37", "LU": "Q32", "LV": "Q211", "MC": "Q235", "MD": "Q217", "ME": "Q236",
    "MK": "Q221", "MT": "Q233", "NL": "Q55", "NO": "Q20", "PL": "Q36", "PT": "Q45",
    "RO": "Q218", "RS": "Q403", "SE": "Q34", "SI": "Q215", "SK": "Q214", "SM": "Q238",
    "TR": "Q43", "UA": "Q212", "VA": "Q237", "XK": "Q1246",
}  # fmt: skip

#: Types (P31) of items that are not municipalities: countries, states, regions,
#: provinces, counties, districts (Wikidata classes, checked by hand).
NON_MUNICIPAL_TYPES = frozenset(
    {
        "Q6256",  # country
        "Q3624078",  # sovereign state
        "Q10864048",  # first-level administrative country subdivision
        "Q13220204",  # second-level administrative country subdivision
        "Q34876",  # province
        "Q82794",  # geographic region
        "Q28575",  # county
        "Q107390",  # federated state
        "Q150093",  # voivodeship of Poland
        "Q247073",  # powiat
        "Q85482",  # Landkreis
    }
)

# Words that make a label an administrative unit above the municipality; the same rule as
# scripts/clean_towns.py (ADMIN_WORDS) applies to the bundled data.
ADMIN_WORDS = re.compile(
    r"\b(?:county|province|provincia|region|oblast|voivodeship|prefecture|governorate|"
    r"department|canton|kreis|landkreis|powiat|state|krai|okrug|raion|rayon)\b"
)
ADMIN_WORD_EXCEPTIONS = re.compile(r"\bcounty borough\b|\bregional council\b")

QUERY_TEMPLATE = """\
SELECT ?town ?townLabel ?townNative ?iso ?townCoord ?townPop ?townGeonames ?townType
       ?partner ?partnerLabel ?partnerIso ?partnerCoord ?partnerPop ?partnerGeonames
       ?partnerType ?start ?end WHERE {{
  ?town wdt:P17 wd:{country}; p:P190 ?st.
  ?st ps:P190 ?partner.
  OPTIONAL {{ ?st pq:P580 ?start. }}
  OPTIONAL {{ ?st pq:P582 ?end. }}
  wd:{country} wdt:P297 ?iso.
  OPTIONAL {{ ?town wdt:P1705 ?townNative. }}
  OPTIONAL {{ ?town wdt:P625 ?townCoord. }}
  OPTIONAL {{ ?town wdt:P1082 ?townPop. }}
  OPTIONAL {{ ?town wdt:P1566 ?townGeonames. }}
  OPTIONAL {{ ?town wdt:P31 ?townType. }}
  OPTIONAL {{ ?partner wdt:P17/wdt:P297 ?partnerIso. }}
  OPTIONAL {{ ?partner wdt:P625 ?partnerCoord. }}
  OPTIONAL {{ ?partner wdt:P1082 ?partnerPop. }}
  OPTIONAL {{ ?partner wdt:P1566 ?partnerGeonames. }}
  OPTIONAL {{ ?partner wdt:P31 ?partnerType. }}
  SERVICE wikibase:label {{ bd:serviceParam wikibase:language "en,[AUTO_LANGUAGE]". }}
}}
"""

# Canonical columns of a parsed response, and the names the 2021 recorded result uses.
COLUMNS = (
    "town", "townLabel", "townNative", "iso", "townCoord", "townPop", "townGeonames",
    "townType", "partner", "partnerLabel", "partnerIso", "partnerCoord", "partnerPop",
    "partnerGeonames", "partnerType", "start", "end",
)  # fmt: skip
_RECORDED_2021 = {
    "city": "town",
    "cityLabel": "townLabel",
    "city_population": "townPop",
    "city_coordinate_location": "townCoord",
    "sister": "partner",
    "sisterLabel": "partnerLabel",
    "sister_population": "partnerPop",
    "sister_coordinate_location": "partnerCoord",
}
_POINT = re.compile(r"Point\(\s*([-+\d.eE]+)\s+([-+\d.eE]+)\s*\)")

Transport = Callable[[str, dict[str, str]], str]
"""``transport(url, headers) -> response text``; raises on HTTP errors."""


def build_query(country: str) -> str:
    """The SPARQL query for the P190 links of the items of one country.

    Parameters
    ----------
    country : str
        ISO 3166-1 alpha-2 code of a country in :data:`COUNTRY_QIDS`.

    Examples
    --------
    >>> from twinning_graph.wikidata import build_query
    >>> "?town wdt:P17 wd:Q37" in build_query("LT")
    True
    """
    if country not in COUNTRY_QIDS:
        raise ValidationError(
            f"country {country!r} cannot be refreshed; allowed: {sorted(COUNTRY_QIDS)}"
        )
    return QUERY_TEMPLATE.format(country=COUNTRY_QIDS[country])


# ---------------------------------------------------------------------------------- parsing


def parse_response(text: str) -> pd.DataFrame:
    """Rows of a WDQS answer: SPARQL JSON results or the service's CSV.

    Columns are those of :data:`COLUMNS` (missing ones empty); entity URIs are reduced to
    Q-ids. The CSV of the recorded November 2021 result (``city``, ``sister``, ...) is read
    too.

    Examples
    --------
    >>> from twinning_graph.wikidata import parse_response
    >>> page = ('{"head": {"vars": ["town", "townLabel", "partner"]}, "results": '
    ...         '{"bindings": [{"town": {"type": "uri", "value": '
    ...         '"http://www.wikidata.org/entity/Q216"}, "townLabel": {"type": "literal", '
    ...         '"value": "Vilnius"}, "partner": {"type": "uri", "value": '
    ...         '"http://www.wikidata.org/entity/Q1781"}}]}}')
    >>> parse_response(page)[["town", "townLabel", "partner"]].values.tolist()
    [['Q216', 'Vilnius', 'Q1781']]
    """
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
            bindings = data["results"]["bindings"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ValidationError(
                f"not a SPARQL JSON result: {exc}; expected {{'head', 'results': "
                "{'bindings': [...]}}"
            ) from exc
        frame = pd.DataFrame([{k: v.get("value", "") for k, v in b.items()} for b in bindings])
    else:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        frame = frame.rename(columns=_RECORDED_2021)
    if len(frame) and "town" not in frame.columns:
        raise ValidationError(
            f"a WDQS answer needs a 'town' column (or 'city'); columns: {list(frame.columns)}"
        )
    frame = frame.reindex(columns=list(COLUMNS), fill_value="").fillna("").astype(str)
    for col in ("town", "partner", "townType", "partnerType"):
        frame[col] = frame[col].str.rsplit("/", n=1).str[-1]
    return frame


# ---------------------------------------------------------------------------------- cleaning


def _side(rows: pd.DataFrame, prefix: str) -> pd.DataFrame:
    xy = rows[f"{prefix}Coord"].str.extract(_POINT).astype("float64")
    iso = rows["iso" if prefix == "town" else "partnerIso"]
    return pd.DataFrame(
        {
            "qid": rows[prefix].to_numpy(),
            "label": rows[f"{prefix}Label"].to_numpy(),
            "native": rows["townNative"].to_numpy() if prefix == "town" else "",
            "iso": iso.to_numpy(),
            "lon": xy[0].to_numpy(),
            "lat": xy[1].to_numpy(),
            "population": pd.to_numeric(rows[f"{prefix}Pop"], errors="coerce").to_numpy(),
            "geonames_id": pd.to_numeric(rows[f"{prefix}Geonames"], errors="coerce").to_numpy(),
            "type": rows[f"{prefix}Type"].to_numpy(),
        }
    )


def _country_from_gazetteer(items: pd.DataFrame) -> pd.Series:
    """Country of the nearest gazetteer place within 25 km (for answers without P17)."""
    from scipy.spatial import cKDTree

    from twinning_graph._gazetteer import load_gazetteer
    from twinning_graph._geo import chord_of_km, unit_xyz

    gaz = load_gazetteer()

    xyz = unit_xyz

    ok = items["lat"].notna().to_numpy()
    out = pd.Series("", index=items.index, dtype=object)
    if ok.any():
        tree = cKDTree(xyz(gaz["lat"].to_numpy(), gaz["lon"].to_numpy()))
        pts = xyz(items.loc[ok, "lat"].to_numpy(), items.loc[ok, "lon"].to_numpy())
        dist, idx = tree.query(pts, distance_upper_bound=chord_of_km(25.0))
        hit = np.isfinite(dist)
        found = np.full(len(pts), "", dtype=object)
        found[hit] = gaz["country"].to_numpy()[idx[hit]]
        out[ok] = found
    return out


def _slug(text: str) -> str:
    """ASCII slug of a name ("Kraków" -> "krakow"); empty for names in other scripts."""
    ascii_key = fold(pd.Series([text])).iloc[0].encode("ascii", "ignore").decode("ascii")
    return "-".join(re.findall(r"[a-z0-9]+", ascii_key))


def clean_response(
    rows: pd.DataFrame, *, base: Any = None, source: str = "wikidata-live"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Towns and partnerships from parsed WDQS rows, cleaned like the bundled data.

    Rules (each counted in one warning): an item without an English label (only its
    Q-id) is dropped; a non-municipal item -- its type (P31) is a country, state, region,
    province or county, or its label holds such a word (county, province, region, oblast,
    voivodeship, department, canton, kreis, powiat, ...) -- is dropped with its links; an
    item's country is its P17 ISO code, else that of the town of ``base`` with its Q-id, else
    the country of the nearest gazetteer place within 25 km, else the item is dropped; one town per Q-id (first label, largest population);
    ``town_id`` is the bundled town's id when ``base`` has the Q-id (``wikidata_id``), else
    ``{CC}-{slug}`` (a coordinate suffix on a clash), and a town of ``base`` keeps its name
    and local name; links are unordered pairs with the
    earliest start year (P580) as ``since`` and the latest end year (P582) as ``until``.

    Parameters
    ----------
    rows : DataFrame
        From :func:`parse_response`.
    base : TwinningData, optional
        Data whose ids are reused for the same Q-ids (e.g. ``tg.load()``).
    source : str, default "wikidata-live"
        Value of the partnerships' ``source`` column.

    Returns
    -------
    towns, partnerships : DataFrame
        Tables for :func:`twinning_graph.load`.
    """
    items = pd.concat([_side(rows, "town"), _side(rows, "partner")], ignore_index=True)
    items = items[items["qid"].str.fullmatch(r"Q\d+")]
    counts: dict[str, int] = {}
    # one row per item: first label / coordinates / non-empty values, largest population
    by_type = items["type"].isin(NON_MUNICIPAL_TYPES).groupby(items["qid"]).any()
    items = items.assign(
        native=items["native"].replace("", np.nan), iso=items["iso"].replace("", np.nan)
    ).sort_values(["qid", "lat"], na_position="last")
    towns = items.groupby("qid").agg(
        label=("label", "first"),
        native=("native", "first"),
        iso=("iso", "first"),
        lat=("lat", "first"),
        lon=("lon", "first"),
        population=("population", "max"),
        geonames_id=("geonames_id", "max"),
    )
    towns["native"] = towns["native"].fillna("")
    towns["iso"] = towns["iso"].fillna("")
    unnamed = towns["label"].str.fullmatch(r"Q\d+") | (towns["label"] == "")
    counts["items without an English label (only a Q-id)"] = int(unnamed.sum())
    key = fold(towns["label"])
    by_type = by_type.reindex(towns.index, fill_value=False)
    by_word = key.str.contains(ADMIN_WORDS) & ~key.str.contains(ADMIN_WORD_EXCEPTIONS)
    known_ids: set[str] = set()
    if base is not None and "wikidata_id" in base.towns.columns:
        known_ids = set(base.towns["wikidata_id"].dropna().astype(str))
    # a town of base is already clean ("Canton" is the Italian label of Guangzhou)
    non_municipal = (by_type | by_word) & ~unnamed & ~towns.index.isin(known_ids)
    counts["non-municipal items (type or name: country, region, province, county, ...)"] = int(
        non_municipal.sum()
    )
    no_point = towns["lat"].isna() & ~unnamed & ~non_municipal
    counts["items without coordinates"] = int(no_point.sum())
    towns = towns[~(unnamed | non_municipal | no_point)]
    from twinning_graph.countries import normalise_country

    iso = normalise_country(towns["iso"].replace("", np.nan), errors="coerce")
    if base is not None and "wikidata_id" in base.towns.columns:
        same = base.towns.reset_index().drop_duplicates("wikidata_id").set_index("wikidata_id")
        iso = iso.where(iso.notna(), towns.index.to_series().map(same["country"]))
    near = _country_from_gazetteer(towns)
    towns["country"] = iso.where(iso.notna(), near.replace("", np.nan))
    counts["items without a country (no P17, no gazetteer place within 25 km)"] = int(
        towns["country"].isna().sum()
    )
    towns = towns[towns["country"].notna()]

    # ids: the bundled town's id for a known Q-id, else {CC}-{slug}
    known: dict[str, str] = {}
    if base is not None and "wikidata_id" in base.towns.columns:
        w = base.towns["wikidata_id"].astype("string")
        w = w[w.notna() & (w != "")]
        known = dict(zip(w.to_numpy(), w.index, strict=True))
    slug = towns["label"].map(_slug)
    slug = slug.where(slug != "", "q" + towns.index.str[1:])
    ids = towns["country"] + "-" + slug
    clash = ids.duplicated(keep=False)
    suffix = (
        towns["lat"].abs().round(2).astype(str)
        + np.where(towns["lat"] < 0, "s", "n")
        + towns["lon"].abs().round(2).astype(str)
        + np.where(towns["lon"] < 0, "w", "e")
    )
    ids = ids.where(~clash, ids + "-" + suffix)
    ids = ids.where(~ids.duplicated(keep="first"), ids + "-" + towns.index.str.lower())
    reuse = towns.index.map(lambda q: known.get(q, ""))
    ids = pd.Series(np.where(reuse != "", reuse, ids), index=towns.index)
    if known:  # a town of base keeps its name and local name (labels vary by language)
        same = pd.Series(list(known.values()), index=list(known.keys()))
        base_id = towns.index.to_series().map(same)
        has = base_id.notna().to_numpy()
        bt = base.towns
        towns.loc[has, "label"] = bt["name"].reindex(base_id[has]).to_numpy()
        if "name_local" in bt.columns:
            local = bt["name_local"].reindex(base_id[has]).fillna("").astype(str).to_numpy()
            towns.loc[has, "native"] = np.where(local != "", local, towns.loc[has, "native"])
    towns_out = pd.DataFrame(
        {
            "town_id": ids.to_numpy(),
            "name": towns["label"].to_numpy(),
            "country": towns["country"].to_numpy(),
            "lat": towns["lat"].round(5).to_numpy(),
            "lon": towns["lon"].round(5).to_numpy(),
            "population": pd.array(towns["population"].round(), dtype="Int64"),
            "geonames_id": pd.array(towns["geonames_id"], dtype="Int64"),
            "wikidata_id": towns.index.to_numpy(),
            "name_local": towns["native"].to_numpy(),
        }
    )

    q2id = pd.Series(ids.to_numpy(), index=towns.index)
    links = pd.DataFrame(
        {
            "a": rows["town"].map(q2id),
            "b": rows["partner"].map(q2id),
            "start": pd.to_numeric(rows["start"].str[:4], errors="coerce"),
            "end": pd.to_numeric(rows["end"].str[:4], errors="coerce"),
        }
    )
    lost = links["a"].isna() | links["b"].isna()
    counts["statements with an end dropped above"] = int(lost.sum())
    links = links[~lost & (links["a"] != links["b"])]
    links = links.assign(
        town_a=np.minimum(links["a"], links["b"]), town_b=np.maximum(links["a"], links["b"])
    )
    pairs = links.groupby(["town_a", "town_b"], as_index=False).agg(
        since=("start", "min"), until=("end", "max"), statements=("a", "size")
    )
    pairs.insert(2, "kind", "twinning")
    pairs["since"] = pairs["since"].astype("Int64")
    pairs["until"] = pairs["until"].astype("Int64")
    pairs["source"] = source
    dropped = {k: v for k, v in counts.items() if v}
    if dropped:
        warn(
            "Wikidata answer cleaned: "
            + "; ".join(f"{k}: {v:,}" for k, v in dropped.items())
            + f"; kept {len(towns_out):,} towns and {len(pairs):,} links"
        )
    return towns_out.sort_values("town_id").reset_index(drop=True), pairs


# ---------------------------------------------------------------------------------- fetching


def _urllib_transport(timeout: float) -> Transport:
    def get(url: str, headers: dict[str, str]) -> str:
        request = urllib.request.Request(url, headers=headers)
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return str(response.read().decode("utf-8"))

    return get


def _progress(items: list[str], enabled: bool) -> Iterable[str]:
    if not enabled:
        return items
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return items
    return tqdm(items, desc="Wikidata", unit="country")


def fetch_wikidata(
    countries: str | Iterable[str] | None = None,
    *,
    online: bool = False,
    user_agent: str | None = None,
    cache: str | os.PathLike[str] | None = None,
    base: Any = None,
    endpoint: str = ENDPOINT,
    min_delay_seconds: float = 1.0,
    retries: int = 3,
    timeout: float = 120.0,
    progress: bool = False,
    transport: Transport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Any:
    """Today's P190 twin-town links of European municipalities, from Wikidata.

    One query per country (see :func:`build_query`), at most one request every
    ``min_delay_seconds``, each retried ``retries`` times with a growing pause on a network
    or server error (HTTP 429 and 5xx). Every answer is saved in ``cache`` (one file per
    country) and replayed from there on the next call, so a rerun sends nothing. The rows are
    cleaned by :func:`clean_response`.

    Parameters
    ----------
    countries : str or iterable of str, optional
        ISO codes of the countries whose municipalities are queried (default: all of
        :data:`COUNTRY_QIDS`).
    online : bool, default False
        Must be True to send any request; without it only ``cache`` is read and a country
        missing from it is an error.
    user_agent : str
        Required with ``online``: the Wikimedia User-Agent policy asks for a contact
        ("my-project/1.0 (me@example.org)").
    cache : path, optional
        Folder of saved answers (``wikidata-<CC>.json``).
    base : TwinningData, optional
        Reuse the ids of this data for the same Wikidata items (default: none).
    endpoint, min_delay_seconds, retries, timeout
        Service URL, pause between requests, retries and seconds before giving up a request.
    progress : bool, default False
        Show a progress bar (tqdm if installed).
    transport, sleep
        For tests and special set-ups: ``transport(url, headers) -> text`` replaces the HTTP
        client, ``sleep(seconds)`` the pause.

    Returns
    -------
    TwinningData
        Towns (with ``wikidata_id``, ``geonames_id``, ``name_local``) and partnerships
        (``source`` "wikidata-live", ``since``/``until`` from the statements' qualifiers).

    Raises
    ------
    ValidationError
        For a bad argument, for ``online=False`` with a country not in ``cache``, and
        listing every country whose request failed after its retries.

    Examples
    --------
    Replaying a saved answer (no network):

    >>> import tempfile, pathlib
    >>> from twinning_graph.wikidata import fetch_wikidata
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "wikidata-LT.json").write_text(
    ...     '{"head": {"vars": []}, "results": {"bindings": [{"town": {"value": '
    ...     '"http://www.wikidata.org/entity/Q216"}, "townLabel": {"value": "Vilnius"}, '
    ...     '"iso": {"value": "LT"}, "townCoord": {"value": "Point(25.28 54.68)"}, '
    ...     '"partner": {"value": "http://www.wikidata.org/entity/Q1781"}, '
    ...     '"partnerLabel": {"value": "Budapest"}, "partnerIso": {"value": "HU"}, '
    ...     '"partnerCoord": {"value": "Point(19.04 47.50)"}}]}}', encoding="utf-8")
    >>> data = fetch_wikidata("LT", cache=folder)
    >>> data.edges[["town_a", "town_b"]].values.tolist()
    [['HU-budapest', 'LT-vilnius']]
    """
    from twinning_graph.network import load

    codes = _check_fetch(countries, online, user_agent, cache, min_delay_seconds, retries)
    folder = Path(cache) if cache is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    get = transport or _urllib_transport(timeout)
    headers = {"User-Agent": user_agent or "", "Accept": "application/sparql-results+json"}
    pages: list[pd.DataFrame] = []
    failed: dict[str, str] = {}
    missing: list[str] = []
    last = -np.inf
    for code in _progress(codes, progress):  # one request per country, rate limited
        path = folder / f"wikidata-{code}.json" if folder is not None else None
        if path is not None and path.exists():
            pages.append(parse_response(path.read_text(encoding="utf-8")))
            continue
        if not online:
            missing.append(code)
            continue
        url = (
            endpoint + "?" + urllib.parse.urlencode({"query": build_query(code), "format": "json"})
        )
        for attempt in range(retries + 1):
            wait = min_delay_seconds - (time.monotonic() - last)
            if wait > 0:
                sleep(wait)
            last = time.monotonic()
            try:
                text = get(url, headers)
                break
            except (urllib.error.URLError, OSError, TimeoutError) as exc:
                status = getattr(exc, "code", None)
                retriable = status is None or status == 429 or status >= 500
                if attempt == retries or not retriable:
                    failed[code] = f"{type(exc).__name__}: {exc}"
                    text = None
                    break
                logger.info("Wikidata %s: %s, retry %d", code, exc, attempt + 1)
                sleep(min_delay_seconds * 2 ** (attempt + 1))
        if text is None:
            continue
        page = parse_response(text)
        if path is not None:
            path.write_text(text, encoding="utf-8")
        pages.append(page)
        logger.info("Wikidata %s: %d statements", code, len(page))
    if missing:
        raise ValidationError(
            f"fetch_wikidata(online=False): no saved answer for {missing} in cache "
            f"{os.fspath(folder) if folder else None!r}; pass online=True (and user_agent) to "
            "query the Wikidata Query Service"
        )
    if failed:
        raise ValidationError(
            "Wikidata requests failed after retries: "
            + "; ".join(f"{c}: {m}" for c, m in failed.items())
            + " (answers of the other countries are saved in cache)"
        )
    rows = pd.concat(pages, ignore_index=True) if pages else parse_response("town\n")
    towns, partnerships = clean_response(rows, base=base)
    return load(towns=towns, partnerships=partnerships)


def _check_fetch(
    countries: Any, online: Any, user_agent: Any, cache: Any, delay: Any, retries: Any
) -> list[str]:
    problems = []
    if countries is None:
        codes = sorted(COUNTRY_QIDS)
    else:
        codes = [countries] if isinstance(countries, str) else [str(c) for c in countries]
        from twinning_graph.countries import normalise_country

        normal = normalise_country(codes, errors="coerce")
        codes = [n if isinstance(n, str) else c for n, c in zip(normal, codes, strict=True)]
        unknown = sorted(set(codes) - set(COUNTRY_QIDS))
        if unknown:
            problems.append(
                f"countries {unknown} cannot be refreshed; allowed: {sorted(COUNTRY_QIDS)}"
            )
    if not isinstance(online, bool):
        problems.append(f"online must be True or False, got {online!r}")
    if online and not (isinstance(user_agent, str) and user_agent.strip()):
        problems.append(
            "online=True needs user_agent, e.g. 'my-project/1.0 (me@example.org)' "
            "(Wikimedia User-Agent policy)"
        )
    if isinstance(delay, bool) or not isinstance(delay, (int, float)) or delay < 0:
        problems.append(f"min_delay_seconds must be a number >= 0, got {delay!r}")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        problems.append(f"retries must be a whole number >= 0, got {retries!r}")
    if problems:
        raise ValidationError("fetch_wikidata(): " + "; ".join(problems))
    return list(dict.fromkeys(codes))
