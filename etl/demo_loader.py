"""Load the demo data into the stores through the ordinary ingest path.

The generated files go through ``Ingestor.ingest_bytes`` exactly as an agency's files would
(archived, validated, recorded, superseded), with the receipt times of the manifest so that
late returns are late.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from etl.demo import first_period_for, generate
from etl.ingest import Ingestor
from etl.settings import Settings
from etl.store import Store

DEMO_LAST_PERIOD = "2026Q3"
DEMO_FIRST_PERIOD = "2024Q1"


def load_demo(settings: Settings, store: Store, *, n_agencies: int | None = None, n_quarters: int | None = None,
              seed: int = 7, layout: str = "per_return", progress: Callable[[str], None] | None = None) -> dict:
    """Generate the demo files and ingest them in order; returns counts by status."""
    say = progress or (lambda _m: None)
    first = first_period_for(DEMO_LAST_PERIOD, n_quarters) if n_quarters else DEMO_FIRST_PERIOD
    run_id = store.start_run("demo", "manual")
    statuses: Counter = Counter()
    try:
        with tempfile.TemporaryDirectory(prefix="naio-demo-") as tmp:
            manifest = generate(Path(tmp), reference_dir=settings.reference_dir, n_agencies=n_agencies,
                                first_period=first, last_period=DEMO_LAST_PERIOD, seed=seed, layout=layout,
                                progress=say)
            if manifest.synthetic_agencies:
                store.add_agencies(manifest.synthetic_agencies)
            ingestor = Ingestor(store, settings)
            total = len(manifest.items)
            for i, item in enumerate(manifest.items, 1):
                result = ingestor.ingest_path(item.path, kind=item.kind, source="demo", submitted_by=item.submitted_by,
                                              reason=item.reason, received_at=item.received_at)
                statuses[result.status] += 1
                if result.errors:
                    say(f"demo file {item.path.name} was rejected: {result.errors[0]}")
                if i % 100 == 0 or i == total:
                    say(f"demo data: {i}/{total} files ingested")
    except BaseException as exc:
        store.finish_run(run_id, "failed", dict(statuses), f"{type(exc).__name__}: {exc}")
        raise
    store.finish_run(run_id, "ok" if not statuses["rejected"] else "failed", dict(statuses),
                     f"{statuses['rejected']} demo file(s) rejected" if statuses["rejected"] else None)
    _demo_accounts(settings, store)
    return dict(statuses)


def _demo_accounts(settings: Settings, store: Store) -> None:
    if not settings.demo_accounts:
        return
    try:
        from etl.accounts import create_demo_accounts
    except ModuleNotFoundError:
        return
    create_demo_accounts(store)
