"""``python app.py scheduler``: the scheduler alone in the foreground, or one job run by hand."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from etl.settings import Settings


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def register(sub: argparse._SubParsersAction) -> None:
    from etl.scheduler import job_specs

    names = [s.name for s in job_specs()]
    p = sub.add_parser("scheduler", help="run the scheduled jobs in the foreground (set NAIO_SCHEDULER=0 on the web server)",
                       description="Run the scheduler alone (only one scheduler may run per data folder), "
                                   "list the schedule, or run one job now.")
    p.add_argument("--list", action="store_true", help="print the jobs and their next run times, then exit")
    p.add_argument("--run", choices=names, metavar="JOB", help=f"run one job now and exit ({', '.join(names)})")
    p.set_defaults(func=cmd_scheduler)


def cmd_scheduler(settings: Settings, args) -> int:
    from etl.scheduler import TZ, build_scheduler, describe, job_specs, run_foreground, run_job
    from etl.store import Store

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store.open(settings.database_url, settings.reference_dir)
    try:
        if args.list:
            for spec, line in zip(job_specs(), describe(build_scheduler(settings, store)), strict=True):
                print(f"{line}\n    {spec.help}")
            return 0
        if args.run:
            spec = next(s for s in job_specs() if s.name == args.run)
            status = run_job(spec.name, spec.func, settings, store, trigger="manual", now=datetime.now(TZ))
            last = store.runs(limit=1, job=spec.name).iloc[0]
            print(json.dumps({"job": spec.name, "status": status, "counts": json.loads(last["counts_json"] or "{}"),
                              "error": last["error"] if isinstance(last["error"], str) else None}))
            return 0 if status in ("ok", "skipped") else 1
        return run_foreground(settings, store, say)
    finally:
        store.dispose()
