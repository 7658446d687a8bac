"""National AI Adoption KPI Dashboard: the one front door.

``python app.py`` serves the dashboard (loading the demo data first into an empty data
folder); subcommands cover every job a person or a cron job does. Settings come from
``NAIO_*`` environment variables (see ``python app.py settings``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from etl.settings import SETTINGS, Settings, load_settings

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def open_store(settings: Settings):
    from etl.store import Store

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Store.open(settings.database_url, settings.reference_dir)


# ---- serve ----------------------------------------------------------------------------------
def cmd_serve(settings: Settings, args) -> int:
    """Serve the dashboard (and the scheduler unless NAIO_SCHEDULER=0)."""
    from dashboard.server import limit_malloc_arenas, serve
    from etl.publish import publish_at_start

    # Before anything starts a thread (DuckDB starts its workers when a file is opened):
    # arenas made before the cap are kept for good.
    limit_malloc_arenas()
    store = open_store(settings)
    if not settings.warehouse_path.exists() and not args.no_demo and _is_empty(store):
        say("empty data folder: loading the demo data (about a minute, once)")
        _load_demo(settings, store, argparse.Namespace(agencies=None, quarters=None, seed=7, out=None))
    # No warehouse yet, or one built from other data, reference files, KPI definitions or
    # quarters (an upgrade, a restart after a while): the first page must show what is there.
    if not publish_at_start(store, settings, say):
        return EXIT_REJECTED
    return serve(settings, store, host=args.host, port=args.port, threads=args.threads)


def _is_empty(store) -> bool:
    return store.submissions(limit=1).empty


# ---- ingest ---------------------------------------------------------------------------------
def cmd_ingest(settings: Settings, args) -> int:
    """Check and record return, register or sector files (exit 0 accepted, 1 rejected, 2 usage)."""
    from etl.ingest import Ingestor, ingest_files

    paths = [Path(p) for p in args.files]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        say(f"no such file: {', '.join(map(str, missing))}")
        return EXIT_USAGE
    store = open_store(settings)
    ingestor = Ingestor(store, settings)
    results = ingest_files(ingestor, paths, progress=say if len(paths) > 1 else None, kind=args.kind,
                           check_only=args.check, reason=args.reason, submitted_by=args.user, source="cli")
    for r in results:
        print(_result_line(r))
        for p in r.problems[: args.max_problems]:
            print(f"  {p}")
        if len(r.problems) > args.max_problems:
            print(f"  ... and {len(r.problems) - args.max_problems} more problem(s)")
    if any(r.status == "accepted" for r in results) and args.publish:
        from etl.publish import publish

        publish(store, settings, trigger="ingest", progress=say)
    return EXIT_OK if all(r.ok for r in results) else EXIT_REJECTED


def _result_line(r) -> str:
    text = f"{r.file_name}: {r.status.upper()} ({r.kind}, {r.n_rows} rows"
    if r.submission_id:
        text += f", submission {r.submission_id}"
    if r.duplicate_of:
        text += f", same bytes as submission {r.duplicate_of}: not loaded again"
    if r.superseded:
        text += ", supersedes " + ", ".join(f"{a} {p} (submission {s})" for (a, p), s in sorted(r.superseded.items()))
    return text + f"; {len(r.errors)} error(s), {len(r.warnings)} warning(s))"


# ---- publish, runs --------------------------------------------------------------------------
def cmd_publish(settings: Settings, args) -> int:
    """Build a new warehouse from the system of record and swap it in atomically."""
    from etl.publish import PublishRefused, publish

    store = open_store(settings)
    try:
        result = publish(store, settings, trigger=args.trigger, progress=say, crash_at=args.crash_at)
    except PublishRefused as exc:
        say(str(exc))
        for p in exc.problems:
            say(f"  {p.file}:{p.row}: {p.message}")
        return EXIT_REJECTED
    print(f"published snapshot {result.snapshot_id} ({result.seconds:.1f} s) content {result.content_hash[:16]}")
    return EXIT_OK


def cmd_runs(settings: Settings, args) -> int:
    """Recent ETL and job runs (start, end, status, counts, error)."""
    store = open_store(settings)
    runs = store.runs(limit=args.limit, job=args.job)
    if runs.empty:
        print("no runs yet")
        return EXIT_OK
    for r in runs.itertuples():
        end = r.ended_at.strftime("%Y-%m-%d %H:%M:%S") if r.ended_at is not None and str(r.ended_at) != "NaT" else "-"
        print(f"{r.run_id:>5} {r.job:<16} {r.started_at:%Y-%m-%d %H:%M:%S} -> {end:<19} {r.status:<8} "
              f"{r.counts_json or ''} {r.error or ''}".rstrip())
    return EXIT_OK


# ---- demo -----------------------------------------------------------------------------------
def cmd_demo(settings: Settings, args) -> int:
    """Load deterministic demo returns, register and sector reports (or only write the files with --out)."""
    if args.out:
        from etl.demo import first_period_for, generate

        last = "2026Q3"
        first = first_period_for(last, args.quarters) if args.quarters else "2024Q1"
        manifest = generate(Path(args.out), reference_dir=settings.reference_dir, n_agencies=args.agencies,
                            first_period=first, last_period=last, seed=args.seed, progress=say)
        print(f"wrote {len(manifest.items)} files to {args.out}")
        return EXIT_OK
    store = open_store(settings)
    _load_demo(settings, store, args)
    if args.publish:
        from etl.publish import publish

        publish(store, settings, trigger="demo", progress=say)
    return EXIT_OK


def _load_demo(settings: Settings, store, args) -> None:
    from etl.demo_loader import load_demo

    summary = load_demo(settings, store, n_agencies=args.agencies, n_quarters=args.quarters, seed=args.seed,
                        progress=say)
    print(json.dumps(summary, sort_keys=True))


# ---- commands registered by other rooms -----------------------------------------------------
def cmd_kpis(settings: Settings, args) -> int:
    from etl.kpi.cli import run

    return run(settings, args)


def cmd_settings(settings: Settings, args) -> int:
    """Every setting with its environment variable, default and current value."""
    for s in SETTINGS:
        print(f"{s.env:<22} default {s.default!r:<28} now {getattr(settings, s.name)!s}\n    {s.help}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="app.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("serve", help="serve the dashboard (the default command)")
    _serve_args(p)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("ingest", help="check and record return, register or sector files")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--check", action="store_true", help="validate only; change nothing")
    p.add_argument("--reason", help="why this file replaces an earlier return (resubmission)")
    p.add_argument("--kind", choices=["return", "register", "sector"], help="file kind (default: from the header)")
    p.add_argument("--user", default="cli", help="who is submitting (recorded with the submission)")
    p.add_argument("--publish", action="store_true", help="publish after accepting new data")
    p.add_argument("--max-problems", type=int, default=50, help="problems printed per file (default 50)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("publish", help="rebuild the warehouse and KPI values, swap in atomically")
    p.add_argument("--crash-at", help=argparse.SUPPRESS)
    p.add_argument("--trigger", default="cli", help="what started this publish, as the run log records it")
    p.set_defaults(func=cmd_publish)

    p = sub.add_parser("demo", help="load deterministic demo data (or write the files with --out)")
    p.add_argument("--out", help="only write the demo files into this folder")
    p.add_argument("--agencies", type=int, help="number of agencies (default: every reference agency)")
    p.add_argument("--quarters", type=int, help="number of quarters ending 2026Q3 (default: from 2024Q1)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument("--no-publish", dest="publish", action="store_false", help="do not publish afterwards")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("runs", help="recent ETL and job runs")
    p.add_argument("--limit", type=int, default=20, help="how many (default 20)")
    p.add_argument("--job", help="only this job")
    p.set_defaults(func=cmd_runs)

    from etl.kpi.cli import add_parser as add_kpis

    add_kpis(sub)
    sub.choices["kpis"].set_defaults(func=cmd_kpis)

    p = sub.add_parser("settings", help="list the NAIO_* settings and their values")
    p.set_defaults(func=cmd_settings)

    for register in _extra_commands():
        register(sub)
    return parser


def _serve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8050, help="port (default 8050)")
    p.add_argument("--threads", type=int, help="server threads (default: one per core, 2 to 16)")
    p.add_argument("--no-demo", action="store_true", help="do not load demo data into an empty data folder")


def _extra_commands():
    """Commands whose code lives in other rooms (users, snapshot, scheduler, bench)."""
    found = []
    for module in ("dashboard.accounts_cli", "dashboard.pack_cli", "etl.jobs_cli", "benchmarks.cli"):
        try:
            mod = __import__(module, fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name and module.startswith(exc.name):
                continue
            raise
        found.append(mod.register)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        argv = ["serve", *argv]
    args = parser.parse_args(argv)
    settings = load_settings()
    if "func_settings" in args:
        settings = args.func_settings(settings)
    return args.func(settings, args)


if __name__ == "__main__":
    sys.exit(main())
