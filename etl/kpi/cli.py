"""The ``kpis`` command: list, check, explain and export KPIs.

``add_parser(subparsers)`` registers the command on the application's argument parser;
``run(settings, args)`` runs it and returns the exit code. ``export`` reads the published
warehouse read-only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from etl import periods
from etl.kpi.compile import explain
from etl.kpi.definitions import LEVELS, load_definitions
from etl.kpi.export import export_rows, to_csv, to_json
from etl.problems import errors
from etl.warehouse import Warehouse, WarehouseMissing


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``kpis`` and its sub-commands on ``subparsers``."""
    parser = subparsers.add_parser("kpis", help="list, check, explain and export the KPIs",
                                   description="Work with the KPI definitions and the published KPI values.")
    sub = parser.add_subparsers(dest="kpis_command", required=True, metavar="{list,check,explain,export}")
    sub.add_parser("list", help="list the KPI definitions")
    check = sub.add_parser("check", help="check KPI definitions; print every problem with file:line")
    check.add_argument("directory", nargs="?", type=Path, help="folder of KPI YAML files (default: NAIO_KPI_DIR)")
    ex = sub.add_parser("explain", help="print the SQL a KPI compiles to")
    ex.add_argument("kpi_id", help="KPI id, e.g. K01")
    out = sub.add_parser("export", help="export KPI values of one period and level from the published warehouse")
    out.add_argument("--period", required=True, help="quarter, e.g. 2025Q3")
    out.add_argument("--level", required=True, choices=LEVELS, help="level of the values")
    out.add_argument("--entity", help="entity code (MY, a ministry, agency, MSIC section or state code)")
    out.add_argument("--format", choices=("csv", "json"), default="csv", help="output format (default csv)")
    out.add_argument("--period-type", choices=("quarter", "ytd"), default="quarter",
                     help="quarter values or year to date (default quarter)")
    out.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")
    return parser


def run(settings, args: argparse.Namespace) -> int:
    """Run ``kpis <sub-command>``; return the exit code."""
    commands = {"list": _list, "check": _check, "explain": _explain, "export": _export}
    return commands[args.kpis_command](settings, args)


def _list(settings, args) -> int:
    definitions, problems = load_definitions(settings.kpi_dir)
    for d in definitions:
        targets = "; ".join(f"{t.value:g} by {t.period}" if t.period else
                            (f"+{t.growth_per_year:g}% a year" if t.kind == "growth" else f"{t.value:g}")
                            for t in d.targets) or "no target"
        print(f"{d.id}  {d.pillar}  {d.rollup:<17}  {d.name_en} ({targets})")
    if errors(problems):
        print(f"{len(errors(problems))} problem(s): run `kpis check`", file=sys.stderr)
        return 1
    return 0


def _check(settings, args) -> int:
    directory = args.directory or settings.kpi_dir
    definitions, problems = load_definitions(directory)
    for p in problems:
        where = f"{p.file}:{p.row}" if p.row is not None else p.file
        print(f"{where}: {p.level}: {p.message}" + (f" (accepted: {p.expected})" if p.expected else ""))
    if errors(problems):
        print(f"{len(errors(problems))} error(s) in {directory}", file=sys.stderr)
        return 1
    print(f"{len(definitions)} KPI definitions in {directory}: all valid")
    return 0


def _explain(settings, args) -> int:
    definitions, _ = load_definitions(settings.kpi_dir)
    wanted = args.kpi_id.strip().upper()
    for d in definitions:
        if d.id == wanted:
            print(explain(d), end="")
            return 0
    print(f"no valid KPI {wanted!r} in {settings.kpi_dir} (see `kpis list` and `kpis check`)", file=sys.stderr)
    return 1


def _export(settings, args) -> int:
    try:
        period = periods.normalise_period(args.period)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    try:
        rows = export_rows(Warehouse(settings.warehouse_path), period, args.level, args.period_type, args.entity)
    except WarehouseMissing as exc:
        print(str(exc), file=sys.stderr)
        return 1
    text = to_csv(rows) if args.format == "csv" else to_json(rows)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"{len(rows)} rows written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
