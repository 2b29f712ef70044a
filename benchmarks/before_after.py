"""Before/after table of two ``benchmarks/run.py`` result files, per shape and step.

    python benchmarks/before_after.py BEFORE.json AFTER.json [--size 100000]

For every shape present in both files, one row per pipeline step (and the parts of the
report timed alone): wall time, CPU time of the process and the step's own peak resident
memory, before → after. Wall time depends on the load of the machine (given per run); CPU
time much less so.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import EXTRA, PIPELINE  # noqa: E402


def _runs(path: Path, size: int) -> dict[str, dict[str, Any]]:
    results = json.loads(path.read_text())["results"]
    return {r.get("shape", "plain"): r for r in results if r["n_towns"] == size}


def _cell(rec: dict[str, Any] | None, field: str, fmt: str) -> str:
    if not rec:
        return "—"
    if "skipped" in rec:
        return "skipped"
    value = rec.get(field)
    text = "—" if value is None else format(value, fmt)
    return text + (" (MemoryError)" if "MemoryError" in rec.get("error", "") else "")


def table(before: dict[str, Any], after: dict[str, Any]) -> str:
    lines = [
        "| step | wall s before → after | CPU s before → after | peak RSS MB before → after |",
        "|---|---:|---:|---:|",
    ]
    for key, label in PIPELINE + EXTRA:
        b, a = before["steps"].get(key), after["steps"].get(key)
        lines.append(
            f"| {label} | {_cell(b, 'seconds', '.2f')} → {_cell(a, 'seconds', '.2f')} | "
            f"{_cell(b, 'cpu_seconds', '.2f')} → {_cell(a, 'cpu_seconds', '.2f')} | "
            f"{_cell(b, 'peak_rss_mb', ',.0f')} → {_cell(a, 'peak_rss_mb', ',.0f')} |"
        )

    def total(r: dict[str, Any], field: str, fmt: str) -> str:
        v = r.get(field)
        failed = r.get("pipeline_errors") and field != "pipeline_peak_rss_mb"
        return ("—" if v is None else format(v, fmt)) + (
            " (failed steps left out)" if failed else ""
        )

    lines.append(
        f"| **whole pipeline (load → report)** | **{total(before, 'pipeline_s', '.1f')} → "
        f"{total(after, 'pipeline_s', '.1f')}** | **{total(before, 'pipeline_cpu_s', '.1f')} → "
        f"{total(after, 'pipeline_cpu_s', '.1f')}** | **"
        f"{total(before, 'pipeline_peak_rss_mb', ',.0f')} → "
        f"{total(after, 'pipeline_peak_rss_mb', ',.0f')}** |"
    )
    load_b = "/".join(str(x) for x in before.get("loadavg", []))
    load_a = "/".join(str(x) for x in after.get("loadavg", []))
    lines.append(f"| load average at start (1/5/15 min) | {load_b} → {load_a} | | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--size", type=int, default=100_000)
    args = parser.parse_args(argv)
    before, after = _runs(args.before, args.size), _runs(args.after, args.size)
    for shape in after:
        if shape not in before:
            continue
        print(f"#### {shape}, {args.size:,} towns\n")
        print(table(before[shape], after[shape]))
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
