"""``python app.py bench``: generate national-scale data, measure, print and write the report.

Exit status: 0 when every goal was met, 1 when a goal was missed or a measure failed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import sys
import tempfile
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.dataset import SCALES, Dataset, build, reuse, say
from benchmarks.stats import Measure, table

MEASURES = ("ingest", "publish", "dashboard", "pack")


def register(subparsers) -> None:
    p = subparsers.add_parser("bench", help="national-scale benchmark: ingest, publish, dashboard, PDF pack, memory",
                              description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", choices=sorted(SCALES), default="full",
                   help="full: 1,000 agencies x 40 quarters (default); small: 60 x 8, a quick run")
    p.add_argument("--json", metavar="FILE", help="write the report as JSON to FILE")
    p.add_argument("--repeat", type=int, help="runs per measure (default 3)")
    p.add_argument("--workdir", metavar="DIR",
                   help="keep the generated data in DIR and reuse it next time (default: a temporary folder)")
    p.add_argument("--only", default=",".join(MEASURES), help=f"comma-separated subset of {','.join(MEASURES)}")
    p.add_argument("--agencies", type=int, help="override the number of agencies of the scale")
    p.add_argument("--quarters", type=int, help="override the number of quarters of the scale")
    p.add_argument("--clients", type=int, default=20, help="concurrent dashboard clients (default 20)")
    p.add_argument("--seconds", type=float, help="length of one dashboard load run")
    p.add_argument("--seed", type=int, default=7, help="random seed of the demo generator (default 7)")
    p.set_defaults(func=handler)


def handler(settings, args: argparse.Namespace) -> int:
    """Run the bench in its own work folder (the product's data folder is never touched)."""
    scale = SCALES[args.scale]
    only = [m.strip() for m in args.only.split(",") if m.strip()]
    unknown = sorted(set(only) - set(MEASURES))
    if unknown or (args.repeat is not None and args.repeat < 1):
        say(f"unknown measure(s): {', '.join(unknown)}" if unknown else "--repeat must be at least 1")
        return 2
    args.loadavg_start = os.getloadavg()
    keep = bool(args.workdir)
    root = Path(args.workdir).resolve() if keep else Path(tempfile.mkdtemp(prefix="naio-bench-"))
    try:
        ds = _dataset(root, args, scale)
        measures = run_measures(ds, args, scale, only)
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    report = _report(ds, args, measures)
    print(table(measures))
    missed = [m for m in measures if m.met is False]
    print(f"\n{len(missed)} goal(s) missed" + (": " + "; ".join(m.name for m in missed) if missed else ""))
    for m in missed:
        if m.note or m.error:
            print(f"- {m.name}: {m.error or m.note}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
        say(f"report written to {args.json}")
    return 1 if missed else 0


def _dataset(root: Path, args: argparse.Namespace, scale) -> Dataset:
    agencies, quarters = args.agencies or scale.agencies, args.quarters or scale.quarters
    ds = reuse(root, scale, args.seed, agencies, quarters)
    if ds is not None:
        say(f"reusing the data set in {root}")
        return ds
    return build(root, scale, args.seed, agencies, quarters)


def run_measures(ds: Dataset, args: argparse.Namespace, scale, only: list[str]) -> list[Measure]:
    from benchmarks.dashboard_bench import measure_dashboard
    from benchmarks.etl_bench import measure_ingest, measure_publish
    from benchmarks.pack_bench import measure_pack

    repeat = args.repeat or scale.repeat
    seconds = args.seconds or scale.load_seconds
    steps: dict[str, Callable[[], list[Measure]]] = {
        "ingest": lambda: measure_ingest(ds, repeat),
        "publish": lambda: measure_publish(ds, repeat),
        "dashboard": lambda: measure_dashboard(ds, repeat, args.clients, seconds),
        "pack": lambda: [measure_pack(ds, repeat, "en"), measure_pack(ds, 1, "ms")],
    }
    measures: list[Measure] = []
    for name in MEASURES:
        if name in only:
            say(f"measuring {name}")
            measures += _guarded(name, steps[name])
    return measures


def _guarded(name: str, step: Callable[[], list[Measure]]) -> list[Measure]:
    """A measure that fails is reported as failed (and missed), the others still run."""
    try:
        return step()
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        return [Measure(name=name, unit="", goal="runs", error=f"{type(exc).__name__}: {exc}")]


def _report(ds: Dataset, args: argparse.Namespace, measures: list[Measure]) -> dict:
    import duckdb

    from dashboard.server import default_threads

    return {
        "command": "python app.py " + shlex.join(sys.argv[1:] if sys.argv[1:2] == ["bench"] else ["bench"]),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "scale": args.scale, "repeat": args.repeat, "clients": args.clients, "server_threads": default_threads(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "duckdb": duckdb.__version__,
                    "platform": platform.platform(), "loadavg_start": [round(x, 2) for x in args.loadavg_start],
                    "loadavg_end": [round(x, 2) for x in os.getloadavg()]},
        "dataset": {"agencies": ds.agencies, "quarters": ds.quarters, "seed": ds.seed, "files": len(ds.items),
                    "probe_file": Path(ds.probe_item.path).name, **ds.counts},
        "measures": [m.as_dict() for m in measures],
    }
