"""Geocoding town names: offline against the shipped GeoNames gazetteer, optionally online.

The offline matcher is vectorised: input names are normalised (:func:`normalise_name`) and
merged with the gazetteer's name index on ``(key, country)``. Name matches (primary or
alternate) win over fuzzy matches; places win over smaller places, which win over divisions.
Several places sharing a key in a country are reported as ``ambiguous`` with the candidates
listed, never silently resolved, except by the rules documented in :func:`geocode` (qualifier,
same place, section of a city, population across primary and alternate names).

Gazetteer data: GeoNames (geonames.org), CC BY 4.0.
"""

# Besides the public names, the former module's constants and the private normalisation helpers
# (used by scripts/build_gazetteer.py) stay importable from here. They are bindings, not the
# settings: assigning to ``twinning_graph.geocode.FUZZY_CUTOFF`` changes nothing; set or patch
# the name in the submodule that uses it (``twinning_graph.geocode._offline.FUZZY_CUTOFF``).
from twinning_graph.geocode._geocode import MATCH_KINDS, geocode
from twinning_graph.geocode._geocode import OUTPUT_COLUMNS as OUTPUT_COLUMNS
from twinning_graph.geocode._geocode import RESOLVED_KINDS as RESOLVED_KINDS
from twinning_graph.geocode._normalise import normalise_name
from twinning_graph.geocode._normalise import split_qualifier as split_qualifier
from twinning_graph.geocode._normalise import strip_admin_words as strip_admin_words
from twinning_graph.geocode._offline import FUZZY_CUTOFF as FUZZY_CUTOFF
from twinning_graph.geocode._offline import FUZZY_MIN_LENGTH as FUZZY_MIN_LENGTH
from twinning_graph.geocode._offline import FUZZY_WEIGHT as FUZZY_WEIGHT
from twinning_graph.geocode._offline import MAX_CANDIDATES as MAX_CANDIDATES
from twinning_graph.geocode._offline import POPULATION_MIN as POPULATION_MIN
from twinning_graph.geocode._offline import POPULATION_MIN_ANY_COUNTRY as POPULATION_MIN_ANY_COUNTRY
from twinning_graph.geocode._offline import POPULATION_RATIO as POPULATION_RATIO
from twinning_graph.geocode._offline import SAME_PLACE_KM as SAME_PLACE_KM
from twinning_graph.geocode._towns import to_towns

__all__ = ["geocode", "normalise_name", "to_towns", "MATCH_KINDS"]
