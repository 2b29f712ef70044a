"""The README's Python example runs as written, and its two set-up commands stay as documented."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.pyplot as plt

README = Path(__file__).resolve().parent.parent / "README.md"


def test_python_example_runs(tmp_path, monkeypatch):
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "README has no python example"
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)  # our own README, not user input
    assert (tmp_path / "gouda.html").exists()
    assert list(namespace["plan"].members.index[:2]) == ["NL-gouda", "PL-krakow"]
    plt.close("all")


def test_two_setup_commands():
    text = README.read_text(encoding="utf-8")
    assert "pip install -e . && twinning-graph summary" in text
    assert re.search(r'^pip install -e "\.\[test\]" && python -m pytest -q$', text, flags=re.M)
