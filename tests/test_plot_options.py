"""Plot options that would be ignored are errors, not silent no-ops."""

from __future__ import annotations

import pytest

import twinning_graph as tg


def test_plot_options_that_would_be_ignored_are_errors(line):
    import pandas as pd

    from twinning_graph.plot import plot_country_matrix, plot_map

    comm = pd.Series(0, index=line.towns.index)
    with pytest.raises(tg.ValidationError, match="only with color_by='community'"):
        plot_map(line, communities=comm)
    with pytest.raises(tg.ValidationError, match="only with color_by='reach'"):
        plot_map(line, values=comm)
    with pytest.raises(tg.ValidationError, match="draws a gap table .* got TwinningData"):
        plot_country_matrix(line)
