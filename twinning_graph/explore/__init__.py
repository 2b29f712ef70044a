"""Interactive maps: :func:`explore` in Jupyter and as one offline HTML file.

The page is drawn by a small canvas renderer written for this package
(``static/map-*.js``, no third-party code): the towns, the links and the shipped Natural Earth
borders, with tooltips, a partner list on click and filters by country and kind. It stays
responsive with a 100,000-town / 300,000-link network; ``docs/interactive-map.md`` says why
this approach was chosen and what it measures.

``twinning_graph/__init__.py`` imports :func:`explore` eagerly (this subpackage needs no
matplotlib): the function shares its name with the subpackage, and only an import there
keeps ``tg.explore`` the function whichever module is imported first. Import the class as
``from twinning_graph.explore import ExploreMap``.
"""

from twinning_graph.explore._explore import explore
from twinning_graph.explore._page import ExploreMap

__all__ = ["ExploreMap", "explore"]
