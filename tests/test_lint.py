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
