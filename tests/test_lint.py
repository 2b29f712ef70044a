"""The code base passes the linter configured in pyproject.toml (ruff)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_clean():
    if (
        shutil.which("ruff") is None
        and subprocess.run(
            [sys.executable, "-m", "ruff", "--version"], capture_output=True
        ).returncode
        != 0
    ):
        pytest.skip("ruff is not installed (it comes with the test extra)")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "twinning_graph",
            "tests",
            "scripts",
            "benchmarks",
            "notebooks",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def _have(module: str) -> bool:
    return (
        subprocess.run([sys.executable, "-m", module, "--version"], capture_output=True).returncode
        == 0
    )


def test_ruff_format_clean():
    if not _have("ruff"):
        pytest.skip("ruff is not installed (it comes with the test extra)")
    r = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_clean():
    if not _have("mypy"):
        pytest.skip("mypy is not installed (it comes with the test extra)")
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "twinning_graph"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_no_private_names_imported_across_modules():
    """Modules talk through small internal interfaces: no ``from x import _name``.

    Private *modules* (``from twinning_graph import _style``) are fine inside the package;
    a private *name* of another module is not.
    """
    import ast

    root = ROOT / "twinning_graph"
    modules = {".".join(p.relative_to(ROOT).with_suffix("").parts) for p in root.rglob("*.py")}
    modules |= {".".join(p.relative_to(ROOT).parts) for p in root.rglob("*") if p.is_dir()}
    bad = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "twinning_graph"
            ):
                for alias in node.names:
                    name = alias.name
                    private = name.startswith("_") and not name.startswith("__")
                    if private and f"{node.module}.{name}" not in modules:
                        bad.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.module}.{name}")
    assert not bad, "\n".join(bad)
