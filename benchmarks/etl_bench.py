"""Ingest and publish, each against the bare DuckDB operation that moves the same rows.

* ingest + validate + record of one large return file (one quarter of every agency), into
  the system of record as it stood before that file, against DuckDB's ``read_csv`` of the
  same file into a table;
* publish (warehouse, every KPI value, atomic swap) of the whole data set, against a raw
  DuckDB bulk load (``read_csv`` of every generated file into tables of a new file): as it
  runs after a file is accepted (rows of the other files carried over from the warehouse it
  replaces), and from nothing (every row read from the system of record).

Each comes with a floor, reported without a goal: the baseline itself plus what the system of
record alone costs on the same rows with the bare driver (``sqlite3``), whatever the product
does around it. For ingest, reading the file (the ``read_csv`` above) plus the insert and
commit of its rows into ``return_rows`` of the same copy of the system of record; for a publish
from nothing, reading every row it copies out of the system of record, plus the bulk load. A
goal below its floor cannot be met without changing the store.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import duckdb

from benchmarks.dataset import Dataset, copy_base, copy_data, say
from benchmarks.stats import Measure, timed

INGEST_GOAL_RATIO = 3.0
PUBLISH_GOAL_RATIO = 2.0
# The system of record's tables whose rows publish copies into the warehouse.
SOURCE_TABLES = ("return_rows", "register_systems", "sector_rows", "submissions")
# The dialect is given, not sniffed: a sniff of the first rows can miss the quotes used later.
READ_CSV = "read_csv(?, header = true, delim = ',', quote = '\"', escape = '\"', union_by_name = true)"


def measure_ingest(ds: Dataset, repeat: int) -> list[Measure]:
    from etl.ingest import Ingestor
    from etl.store import Store

    item = ds.probe_item
    path = Path(item.path)
    m = Measure(name="ingest one large return file", unit="s", goal=f"<= {INGEST_GOAL_RATIO:g}x DuckDB read_csv",
                baseline="DuckDB read_csv of the same file into a table", max_ratio=INGEST_GOAL_RATIO)
    floor = Measure(name="floor: read_csv + sqlite3 insert and commit of the same rows", unit="s", goal="(no goal)",
                    baseline=m.baseline)
    rows = _return_tuples(path)
    for n in range(repeat):
        settings = copy_base(ds, ds.root / "runs" / "ingest")
        Store.open(settings.database_url, settings.reference_dir).dispose()  # this release's schema, as below
        insert = _sqlite_insert(settings.data_dir / "naio.db", rows)
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
        floor.runs.append(m.baseline_runs[-1] + insert)
        floor.baseline_runs.append(m.baseline_runs[-1])
        say(f"ingest run {n + 1}/{repeat}: {seconds:.2f} s ({result.n_rows} rows, {result.status}); "
            f"read_csv {m.baseline_runs[-1]:.3f} s; sqlite3 insert + commit {insert:.3f} s")
    m.extra = {"file": path.name, "bytes": path.stat().st_size, "rows": result.n_rows,
               "rows_per_second": round(result.n_rows / m.median) if m.median else None,
               "floor_median": floor.median, "ratio_to_floor": _over(m.median, floor.median)}
    floor.extra = {"rows": len(rows), "table": "return_rows", "driver": "sqlite3 executemany, WAL, synchronous=NORMAL"}
    _say_floor(m, floor)
    shutil.rmtree(ds.root / "runs" / "ingest", ignore_errors=True)
    return [m, floor]


def _over(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def _say_floor(m: Measure, floor: Measure) -> None:
    """Note on ``m`` when its goal lies below what the store alone takes."""
    if m.max_ratio is not None and floor.ratio is not None and floor.ratio > m.max_ratio:
        m.add_note(f"the goal ({m.max_ratio:g}x) is below the floor ({floor.name.removeprefix('floor: ')}): "
                   f"{floor.ratio:.1f}x the baseline on these rows; the product takes "
                   f"{m.extra.get('ratio_to_floor')}x the floor")


_RETURN_COLUMNS = ("agency_code", "period", "indicator_code", "breakdown_type", "breakdown_code", "value",
                   "value_status", "notes")
_BLANK = {"value": "NULL", "notes": "NULL", "value_status": "'A'"}


def _return_tuples(path: Path) -> list[tuple]:
    """The rows of a long-layout return file as ``return_rows`` holds them (read by DuckDB, not timed)."""
    con = duckdb.connect()
    try:
        rel = con.sql(f"SELECT * FROM {READ_CSV.replace('?', '$f')}", params={"f": [str(path)]})
        have = set(rel.columns)
        picks = []
        for c in _RETURN_COLUMNS:
            blank = _BLANK.get(c, "''")  # what an absent column or an empty cell becomes
            if c not in have:
                picks.append(blank)
            else:
                picks.append(f"TRY_CAST({c} AS DOUBLE)" if c == "value" else f"COALESCE(CAST({c} AS VARCHAR), {blank})")
        picks = ", ".join(picks)
        return con.sql(f"SELECT row_number() OVER () + 1, {picks} FROM rel").fetchall()
    finally:
        con.close()


def _sqlite_insert(db: Path, rows: list[tuple]) -> float:
    """Seconds for the bare driver to insert ``rows`` into ``return_rows`` of ``db`` and commit."""
    con = sqlite3.connect(str(db), isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        submission = con.execute("SELECT COALESCE(MAX(submission_id), 0) + 1 FROM submissions").fetchone()[0]
        body = [(submission, *r) for r in rows]
        sql = ("INSERT INTO return_rows (submission_id, source_row, " + ", ".join(_RETURN_COLUMNS)
               + ") VALUES (" + ", ".join("?" * (len(_RETURN_COLUMNS) + 2)) + ")")

        def load() -> None:
            con.execute("BEGIN")
            con.executemany(sql, body)
            con.execute("COMMIT")

        seconds, _ = timed(load)
        return seconds
    finally:
        con.close()


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


def measure_publish(ds: Dataset, repeat: int) -> list[Measure]:
    """Publish as it runs after a file is accepted, and publish from nothing.

    Each run works on a copy of the data folder (the system of record and the warehouse
    serving), accepts a revised national quarterly file into it (not timed: one quarter of
    every agency replaced, the largest change one file makes) and times the publish that
    follows, which carries the rows of the other files over from the warehouse it replaces.
    Then it removes the warehouse and times a publish from nothing, which reads every row
    from the system of record (as the first publish, or one after an upgrade, does). The two
    are built from the same system of record: their content hashes must be equal.
    """
    from benchmarks.upload_bench import revised
    from etl.ingest import Ingestor
    from etl.publish import publish
    from etl.store import Store

    baseline = "DuckDB read_csv of every generated file into tables + CHECKPOINT"
    m = Measure(name="publish (warehouse + all KPI values)", unit="s", goal=f"<= {PUBLISH_GOAL_RATIO:g}x DuckDB bulk load",
                baseline=baseline, max_ratio=PUBLISH_GOAL_RATIO)
    scratch = Measure(name="publish from nothing (no warehouse to carry rows over from)", unit="s",
                      goal=m.goal, baseline=baseline, max_ratio=PUBLISH_GOAL_RATIO)
    floor = Measure(name="floor: sqlite3 read of the rows publish copies + bulk load", unit="s",
                    goal="(no goal)", baseline=baseline)
    groups = csv_groups(ds)
    probe = Path(ds.probe_item.path)
    for n in range(repeat):
        settings = copy_data(ds, ds.root / "runs" / "publish" / "data")
        store = Store.open(settings.database_url, settings.reference_dir)
        try:
            accepted = Ingestor(store, settings).ingest_bytes(
                revised(probe), f"revised_{probe.name}", kind="return", source="cli", submitted_by="naio.data",
                reason="revised figures")
            if accepted.status != "accepted":
                raise RuntimeError(f"the revised file was {accepted.status}: {accepted.errors[:1]}")
            seconds, after = timed(lambda st=store, se=settings: publish(st, se, trigger="bench"))
            m.runs.append(seconds)
            settings.warehouse_path.unlink()
            seconds, result = timed(lambda st=store, se=settings: publish(st, se, trigger="bench"))
            scratch.runs.append(seconds)
            if result.content_hash != after.content_hash:  # the same system of record, so the same content
                m.error = (f"the publish after a new file ({after.content_hash[:12]}) and the publish from nothing "
                           f"({result.content_hash[:12]}) differ in content")
        finally:
            store.dispose()
        bulk = _bulk_load(ds.root / "runs" / "bulk-baseline.duckdb", groups)
        m.baseline_runs.append(bulk)
        scratch.baseline_runs.append(bulk)
        read = _sqlite_read(settings.data_dir / "naio.db", SOURCE_TABLES)
        floor.runs.append(read + bulk)
        floor.baseline_runs.append(bulk)
        say(f"publish run {n + 1}/{repeat}: {m.runs[-1]:.2f} s after a new file "
            f"({after.counts['reused_return_rows']:,} return rows carried over, KPI values computed from "
            f"{after.counts['recomputed_from']}), {scratch.runs[-1]:.2f} s from nothing; "
            f"bulk load {bulk:.2f} s; sqlite3 read of the system of record {read:.2f} s")
    shutil.rmtree(ds.root / "runs" / "publish", ignore_errors=True)
    counts = {k: v for k, v in result.counts.items() if isinstance(v, int)}
    m.extra = {"counts": counts, "files": {k: len(v) for k, v in groups.items()},
               "new_file_rows": accepted.n_rows,
               "carried_over": {k: after.counts[k] for k in ("reused_return_rows", "reused_register_rows")},
               "kpi_values_computed_from": after.counts["recomputed_from"]}
    scratch.extra = {"counts": counts, "floor_median": floor.median, "ratio_to_floor": _over(scratch.median, floor.median)}
    floor.extra = {"tables": list(SOURCE_TABLES), "driver": "sqlite3 fetchall of every column"}
    _say_floor(scratch, floor)
    return [m, scratch, floor]


def _sqlite_read(db: Path, tables: tuple[str, ...]) -> float:
    """Seconds for the bare driver to fetch every row of ``tables`` from ``db`` (read-only)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        seconds, _ = timed(lambda: [con.execute(f"SELECT * FROM {name}").fetchall() for name in tables])
        return seconds
    finally:
        con.close()
