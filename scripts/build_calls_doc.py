"""Write ``docs/calls.md`` from the shipped call data (``twinning_graph/data/calls*.csv``).

Run ``python scripts/build_calls_doc.py`` after editing the call data; the test suite
fails while the committed page and the data disagree.
"""

from __future__ import annotations

from pathlib import Path

from twinning_graph.calls import calls_markdown

OUT = Path(__file__).resolve().parents[1] / "docs" / "calls.md"

if __name__ == "__main__":
    OUT.write_text(calls_markdown(), encoding="utf-8")
    print(f"wrote {OUT}")
