"""Ingest and publish, each against the bare DuckDB operation that moves the same rows.

* ingest + validate + record of one large return file (one quarter of every agency), into
  the system of record as it stood before that file, against DuckDB's ``read_csv`` of the
  same file into a table;
* publish (warehouse, every KPI value, atomic swap) of the whole data set, against a raw
  DuckDB bulk load (``read_csv`` of every generated file into tables of a new file).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from benchmarks.dataset import Dataset, copy_base, say
from benchmarks.stats import Measure, timed

INGEST_GOAL_RATIO = 3.0
PUBLISH_GOAL_RATIO = 2.0
# The dialect is given, not sniffed: a sniff of the first rows can miss the quotes used later.
READ_CSV = "read_csv(?, header = true, delim = ',', quote = '\"', escape = '\"', union_by_name = true)"


def measure_ingest(ds: Dataset, repeat: int) -> Measure:
    from etl.ingest import Ingestor
    from etl.store import Store

    item = ds.probe_item
    path = Path(item.path)
    m = Measure(name="ingest one large return file", unit="s", goal=f"<= {INGEST_GOAL_RATIO:g}x DuckDB read_csv",
                baseline="DuckDB read_csv of the same file into a table", max_ratio=INGEST_GOAL_RATIO)
    for n in range(repeat):
        settings = copy_base(ds, ds.root / "runs" / "ingest")
        store = Store.open(settings.database_url, settings.reference_dir)
        try:
            ingestor = Ingestor(store, settings)
            seconds, result = timed(lambda ing=ingestor: ing.ingest_path(path, **item.options()))
        finally:
            store.dispose()
        if result.status != "accepted":
            m.note = f"the file was {result.status}: {result.errors[:1]}"
        m.runs.append(seconds)
        m.baseline_runs.append(_duckdb_read_csv(ds.root / "runs" / "ingest-baseline.duckdb", [path]))
        say(f"ingest run {n + 1}/{repeat}: {seconds:.2f} s ({result.n_rows} rows, {result.status}); "
            f"read_csv {m.baseline_runs[-1]:.3f} s")
    m.extra = {"file": path.name, "bytes": path.stat().st_size, "rows": result.n_rows,
               "rows_per_second": round(result.n_rows / m.median) if m.median else None}
    shutil.rmtree(ds.root / "runs" / "ingest", ignore_errors=True)
    return m


def _duckdb_read_csv(target: Path, paths: list[Path], table: str = "t") -> float:
    """Seconds for DuckDB to load ``paths`` (one CSV layout) into a new table of a new file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    con = duckdb.connect(str(target))
    con.execute("SET enable_progress_bar = false")
    try:
        files = [str(p) for p in paths]
        seconds, _ = timed(lambda: con.execute(
            f"CREATE TABLE {table} AS SELECT * FROM {READ_CSV}", [files]))
        return seconds
    finally:
        con.close()
        target.unlink(missing_ok=True)


def _bulk_load(target: Path, groups: dict[str, list[Path]]) -> float:
    """Seconds for DuckDB to load each group of files into its own table and checkpoint."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    con = duckdb.connect(str(target))
    con.execute("SET enable_progress_bar = false")

    def load() -> None:
        for kind, paths in groups.items():
            con.execute(f"CREATE TABLE {kind} AS SELECT * FROM {READ_CSV}", [[str(p) for p in paths]])
        con.execute("CHECKPOINT")

    try:
        seconds, _ = timed(load)
        return seconds
    finally:
        con.close()
        target.unlink(missing_ok=True)


def csv_groups(ds: Dataset) -> dict[str, list[Path]]:
    """The generated CSV files by kind (the rows publish copies into the warehouse)."""
    groups: dict[str, list[Path]] = {}
    for item in ds.items:
        if item.path.lower().endswith(".csv"):
            groups.setdefault(f"raw_{item.kind}", []).append(Path(item.path))
    return groups


def measure_publish(ds: Dataset, repeat: int) -> Measure:
    from etl.publish import publish
    from etl.store import Store

    settings = ds.settings
    m = Measure(name="publish (warehouse + all KPI values)", unit="s", goal=f"<= {PUBLISH_GOAL_RATIO:g}x DuckDB bulk load",
                baseline="DuckDB read_csv of every generated file into tables + CHECKPOINT",
                max_ratio=PUBLISH_GOAL_RATIO)
    groups = csv_groups(ds)
    store = Store.open(settings.database_url, settings.reference_dir)
    try:
        for n in range(repeat):
            seconds, result = timed(lambda: publish(store, settings, trigger="bench"))
            m.runs.append(seconds)
            m.baseline_runs.append(_bulk_load(ds.root / "runs" / "bulk-baseline.duckdb", groups))
            say(f"publish run {n + 1}/{repeat}: {seconds:.2f} s; bulk load {m.baseline_runs[-1]:.2f} s")
    finally:
        store.dispose()
    m.extra = {"counts": {k: v for k, v in result.counts.items() if isinstance(v, int)},
               "files": {k: len(v) for k, v in groups.items()}}
    return m
