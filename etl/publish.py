"""Publish: build a new warehouse from the system of record, then swap it in atomically.

The new DuckDB file is built under ``snapshots/`` with a temporary name (from nothing, or on
a copy of the warehouse serving: ``_build``), filled, checked, closed and fsynced, renamed
to ``<snapshot_id>.duckdb``, and only then linked into place as ``warehouse.duckdb`` with
``os.replace``. A crash at any point leaves the previous
warehouse serving; leftovers of a crashed build are removed by the next publish. Published
snapshots are kept (the PDF pack refers to them) and pruned beyond ``KEEP_SNAPSHOTS``.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from etl import periods
from etl.kpi import load_definitions, materialise
from etl.problems import Problem
from etl.settings import Settings
from etl.store import Store
from etl.warehouse_ddl import INPUT_TABLES, WAREHOUSE_FORMAT, create_input_tables

KEEP_SNAPSHOTS = 8
HISTORY_FRAME_ROWS = 100_000  # return rows copied per frame
PINNED_FILE = "pinned.json"  # snapshot ids that must be kept (referenced by packs)


APP = Path(__file__).resolve().parent.parent / "app.py"


class PublishFailed(RuntimeError):
    """A publish run in a process of its own ended without publishing."""


class PublishRefused(RuntimeError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"KPI definitions have {len(problems)} problem(s); nothing was published")


@dataclass
class PublishResult:
    snapshot_id: str
    content_hash: str
    path: Path
    counts: dict
    seconds: float


def publish(store: Store, settings: Settings, *, trigger: str = "manual",
            progress: Callable[[str], None] | None = None, crash_at: str | None = None) -> PublishResult:
    """Build and swap in a new warehouse; leaves one ETL run row.

    ``crash_at`` names a step at which to stop the process abruptly (fault tests only).
    """
    say = progress or (lambda _msg: None)
    definitions, problems = load_definitions(settings.kpi_dir)
    if [p for p in problems if p.level == "error"]:
        store.audit("publish", "publish", outcome="refused", detail=f"{len(problems)} KPI definition problem(s)")
        raise PublishRefused(problems)
    with _publish_lock(settings.data_dir):
        # Holding the lock, no other publish is alive: a 'running' row is a killed one.
        store.close_interrupted_runs("publish")
        run_id = store.start_run("publish", trigger)
        started = time.perf_counter()
        try:
            result = _build_and_swap(store, settings, definitions, say, crash_at)
        except Exception as exc:
            store.finish_run(run_id, "failed", {}, f"{type(exc).__name__}: {exc}")
            raise
        result.seconds = time.perf_counter() - started
        store.finish_run(run_id, "ok", {**result.counts, "snapshot_id": result.snapshot_id})
    return result


def publish_in_child(settings: Settings, *, trigger: str, progress: Callable[[str], None] | None = None) -> str:
    """Publish in a process of its own (``app.py publish``) and return the new snapshot id.

    What a publish reads and builds (at national scale, the 1.2 million return rows read out
    of the system of record and the KPI layer built beside them: about 1.2 GB at its peak) is
    given back to the system when that process ends, instead of staying in the heap of the
    long-lived process that asked for it (the web server, the scheduler). The publish lock,
    the run row and the atomic swap are the child's, as for any publish; a failure raises
    ``PublishFailed`` with the end of the child's error output.
    """
    say = progress or (lambda _msg: None)
    env = {**os.environ, **settings.as_env()}
    proc = subprocess.Popen([sys.executable, str(APP), "publish", "--trigger", trigger], cwd=APP.parent, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    tail: list[str] = []
    assert proc.stderr is not None and proc.stdout is not None
    for line in proc.stderr:  # progress lines while it builds
        line = line.rstrip()
        say(line)
        tail = (tail + [line])[-12:]
    out = proc.stdout.read()
    code = proc.wait()
    words = out.split()
    if code != 0 or len(words) < 3 or words[:2] != ["published", "snapshot"]:
        raise PublishFailed(f"publish ended with exit code {code}: " + (" | ".join(tail) or out.strip() or "no output"))
    return words[2]


def publish_at_start(store: Store, settings: Settings, progress: Callable[[str], None]) -> bool:
    """Before serving: publish when the warehouse is missing or stale (``is_current``).

    Returns whether there is a warehouse to serve. A publish that fails (a broken KPI
    definition, say) leaves the last published warehouse serving, and says so; with none,
    there is nothing to serve."""
    if is_current(store, settings):
        return True
    try:
        publish_in_child(settings, trigger="startup", progress=progress)
    except PublishFailed as exc:
        if not settings.warehouse_path.exists():
            progress(f"nothing to serve: the first publish failed: {exc}")
            return False
        progress(f"the last published warehouse is served; a new publish failed: {exc}")
    return True


@contextmanager
def _publish_lock(data_dir: Path):
    """One publish at a time across processes (an exclusive lock on ``publish.lock``)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / "publish.lock", "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _crash_point(name: str, crash_at: str | None) -> None:
    if crash_at == name:
        os._exit(137)


def _build_and_swap(store: Store, settings: Settings, definitions, say, crash_at) -> PublishResult:
    snap_dir = settings.snapshots_dir
    snap_dir.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(snap_dir, settings.data_dir)
    today = settings.today_date()
    snapshot_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    tmp = snap_dir / f".{snapshot_id}.duckdb.building"
    # Read before the data it stands for: a file accepted while this builds changes it again.
    source = source_fingerprint(store, settings, today)
    build = {"tmp": tmp, "store": store, "settings": settings, "definitions": definitions, "today": today,
             "source": source, "snapshot_id": snapshot_id, "say": say, "crash_at": crash_at}
    amend = Previous.usable(settings.warehouse_path)
    try:
        counts, content_hash = _build(**build, amend=amend)
    except duckdb.Error as exc:
        if not amend:
            raise
        # A damaged file: it is replaced by a warehouse built from the system of record alone.
        say(f"the warehouse serving could not be read ({type(exc).__name__}: {exc}); "
            "building the new one from the system of record alone")
        _remove_leftovers(snap_dir, settings.data_dir)
        counts, content_hash = _build(**build, amend=False)
    _fsync(tmp)
    _crash_point("before-rename", crash_at)
    final = snap_dir / f"{snapshot_id}.duckdb"
    os.replace(tmp, final)
    _crash_point("before-swap", crash_at)
    link = settings.data_dir / f".warehouse-{snapshot_id}.swap"
    os.link(final, link)
    os.replace(link, settings.warehouse_path)
    _fsync_dir(settings.data_dir)
    _crash_point("after-swap", crash_at)
    _prune(snap_dir, final)
    say(f"published snapshot {snapshot_id}")
    return PublishResult(snapshot_id, content_hash, settings.warehouse_path, counts, 0.0)


def _build(*, tmp: Path, store: Store, settings: Settings, definitions, today: date, source: str,
           snapshot_id: str, say, crash_at, amend: bool) -> tuple[dict, str]:
    """Build the new warehouse in ``tmp``: from nothing, or (``amend``) on a copy of the
    warehouse serving, built by this release, in which the rows of the files it holds whole
    and the KPI values no new file can have changed are kept (``Previous``) and the rest is
    replaced. Returns the counts and the content hash."""
    if amend:
        shutil.copyfile(settings.warehouse_path, tmp)
    con = duckdb.connect(str(tmp))
    try:
        # The file is written once, by the CHECKPOINT below: it only becomes visible after
        # the rename, so checkpoints while it is being built would only write it again.
        con.execute("SET checkpoint_threshold = '1TB'")
        # Left to itself DuckDB takes up to 80 % of the machine's memory: the KPI layer's joins
        # over 2.2 million values took a national-scale publish to about 1.9 GB. Bounded, it
        # works on disk beyond the limit (in ``<file>.tmp`` beside the file being built).
        con.execute(f"SET memory_limit = '{int(settings.publish_memory_mb)}MB'")
        if amend:
            for name in INPUT_TABLES:
                if name not in KEPT_INPUTS:
                    con.execute(f"DELETE FROM {name}")
        else:
            create_input_tables(con)
        _crash_point("after-create", crash_at)
        previous = Previous.attach(con, settings) if amend else Previous(None)
        try:
            counts = _fill_inputs(con, store, settings, today, say, previous)
            _crash_point("after-inputs", crash_at)
            say("computing KPI values")
            since = previous.kpi_values_kept_before(con, source)
            try:
                counts.update(materialise(con, definitions, today, carry_before=since))
            except duckdb.Error as exc:
                if not since:
                    raise
                say(f"KPI values could not be carried over from the warehouse serving "
                    f"({type(exc).__name__}: {exc}); computing them all")
                counts.update(materialise(con, definitions, today))
        finally:
            previous.detach(con)
        _crash_point("after-kpis", crash_at)
        content_hash = _content_hash(con)
        _write_meta(con, snapshot_id, content_hash, today, source)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return counts, content_hash


def _fill_inputs(con, store: Store, settings: Settings, today: date, say, previous: Previous) -> dict:
    counts: dict[str, int] = {}

    def load(name: str, frame: pd.DataFrame) -> None:
        counts[name] = _insert_frame(con, name, frame)

    say("reading the system of record")
    ref = settings.reference_dir
    # The government directory lists ministries in capitals: the warehouse names them in title
    # case, so that pages, the pack and the API give one name.
    ministries = store.frame("ministries")
    for column in ("name_en", "name_ms"):
        ministries[column] = ministries[column].map(proper_name)
    load("dim_ministry", ministries)
    load("dim_agency", store.frame("agencies"))
    load("dim_indicator", store.frame("indicators"))
    load("dim_sector", store.frame("sectors"))
    load("dim_state", store.frame("states"))
    load("dim_deliverable", store.frame("deliverables"))
    load("fact_milestone", _dates(store.frame("milestones"), "planned_date", "actual_date"))
    say("copying accepted returns")
    counts.update(_copy_facts(con, store, previous))
    counts["fact_register"] = con.execute("SELECT count(*) FROM fact_register").fetchall()[0][0]
    load("fact_sector", store.frame("sector_rows", current_only=True))
    load("fact_benchmark", _benchmarks(ref))
    subs = store.frame("submissions")
    load("submissions", subs)
    # Kept rows take their file's received_at too (it is the system of record's to say).
    con.execute("UPDATE fact_return_history AS h SET received_at = s.received_at FROM submissions AS s "
                "WHERE s.submission_id = h.submission_id AND h.received_at IS DISTINCT FROM s.received_at")
    con.execute("INSERT INTO fact_return_history "
                "SELECT f.* EXCLUDE (superseded_by), s.received_at, f.superseded_by "
                "FROM _history AS f JOIN submissions AS s USING (submission_id)")
    con.execute("DROP TABLE _history")
    for name in ("fact_return_history", "fact_return"):
        counts[name] = con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
    counts["submission_pairs"] = _copy_pairs(con, store, previous, subs)
    load("etl_runs", store.runs(limit=500))
    load("dim_period", _periods(con, today))
    return counts


class Previous:
    """The warehouse serving, attached read-only as ``previous`` while the new one is built
    on a copy of it, when it was built by this release (``WAREHOUSE_FORMAT``) and opens; false
    otherwise. It says what the copy may keep. ``new_files`` collects the submissions whose
    rows it did not hold as they are now, ``kept_files`` those whose rows it did."""

    def __init__(self, meta: dict[str, str] | None):
        self.meta = meta
        self.new_files: set[int] = set()
        self.kept_files: set[int] = set()

    def __bool__(self) -> bool:
        return self.meta is not None

    @staticmethod
    def usable(path: Path) -> bool:
        """Whether the warehouse at ``path`` opens and was built by this release."""
        if not path.exists():
            return False
        try:
            con = duckdb.connect(str(path), read_only=True)
            try:
                return _built_here(dict(con.execute("SELECT key, value FROM meta").fetchall()))
            finally:
                con.close()
        except duckdb.Error:
            return False

    @classmethod
    def attach(cls, con, settings: Settings) -> Previous:
        path = settings.warehouse_path
        if not path.exists():
            return cls(None)
        try:
            con.execute("ATTACH ? AS previous (READ_ONLY)", [str(path)])
        except duckdb.Error:
            return cls(None)
        try:
            meta = dict(con.execute("SELECT key, value FROM previous.meta").fetchall())
        except duckdb.Error:
            meta = {}
        if not _built_here(meta):
            con.execute("DETACH previous")
            return cls(None)
        return cls(meta)

    def detach(self, con) -> None:
        if self.meta is not None:
            con.execute("DETACH previous")
            self.meta = None

    def held_whole(self, con, table: str, held: dict[int, tuple[str, int]]) -> list[int]:
        """The files of ``held`` (submission -> file hash, rows) whose rows ``previous.<table>``
        holds, all of them and no more; the others are new to it."""
        if not self or not held:
            self.new_files |= set(held)
            return []
        con.register("_held", pd.DataFrame([(sid, sha, n) for sid, (sha, n) in held.items()],
                                           columns=["submission_id", "sha256", "n"]))
        try:
            whole = sorted(sid for (sid,) in con.execute(
                "SELECT h.submission_id FROM _held AS h "
                "JOIN previous.submissions AS s ON s.submission_id = h.submission_id AND s.sha256 = h.sha256 "
                f"JOIN (SELECT submission_id, count(*) AS n FROM previous.{table} GROUP BY ALL) AS c "
                "  ON c.submission_id = h.submission_id AND c.n = h.n").fetchall())
        finally:
            con.unregister("_held")
        self.new_files |= set(held) - set(whole)
        self.kept_files |= set(whole)
        return whole

    def kpi_values_kept_before(self, con, source: str) -> str | None:
        """The first quarter whose KPI values must be computed again, when those of the quarters
        before it can be carried over from the warehouse serving; None when all must be.

        A KPI value of a quarter is made of the returns of that quarter and of the earlier
        quarters of its year (year to date), and of the registers in force in that quarter (a
        register stays in force until the agency's next one): of that quarter and earlier ones,
        never later ones. So the values of the quarters before the first quarter of any new
        file are those the warehouse serving holds, provided everything else they are made of
        is the same: the reference data, the KPI definitions, the last complete quarter, the
        release (the source fingerprint, all but its last file), and the agencies, indicators,
        sectors, states and quarters (compared row for row). (Which KPIs can take values
        carried over is the KPI engine's to say: ``materialise``.)
        """
        if not self:
            return None
        try:
            return self._first_quarter_to_compute(con, source)
        except duckdb.Error:  # a damaged file: everything is computed
            return None

    def _first_quarter_to_compute(self, con, source: str) -> str | None:
        theirs = str(self.meta.get("source_fingerprint", "")).split(":", 1)[1:]
        if theirs != source.split(":", 1)[1:]:
            return None

        def rows(table: str) -> list[tuple]:  # how many rows, and a hash of all of them
            return con.execute(f"SELECT count(*), coalesce(sum(hash(t)), 0) FROM {table} AS t").fetchall()

        if any(rows(table) != rows(f"previous.{table}") for table in KPI_DIMENSIONS):
            return None
        con.register("_new", pd.DataFrame({"submission_id": sorted(self.new_files)}, dtype="int64"))
        try:  # new files: those whose rows it did not hold, and any it did not list (a register of no system)
            first = con.execute("SELECT min(period) FROM submission_pairs "
                                "WHERE submission_id IN (SELECT submission_id FROM _new) "
                                "OR submission_id NOT IN (SELECT submission_id FROM previous.submissions)"
                                ).fetchall()[0][0]
        finally:
            con.unregister("_new")
        if first is None:  # nothing new: every quarter's values are carried over
            last = con.execute("SELECT max(period) FROM dim_period").fetchall()[0][0]
            return periods.shift(last, 1) if last else None
        return first


def _built_here(meta: dict[str, str]) -> bool:
    """Whether a warehouse's ``meta`` says this release built it (``WAREHOUSE_FORMAT``)."""
    return str(meta.get("source_fingerprint", "")).endswith(f":w{WAREHOUSE_FORMAT}")


# What KPI values are made of besides the facts (``Previous.kpi_values_kept_before``).
KPI_DIMENSIONS = ("dim_agency", "dim_ministry", "dim_indicator", "dim_sector", "dim_state", "dim_period")

# The input tables a build on a copy of the warehouse serving keeps rows of (the others are
# read again from the system of record).
KEPT_INPUTS = ("fact_return_history", "fact_register", "submission_pairs")


# Keeping rows of the warehouse being replaced.
#
# Return and register rows never change once recorded: only their ``superseded_by`` is set,
# when a later file replaces their (agency, quarter). So a publish builds on a copy of the
# warehouse serving (when this release built it) and keeps the rows of each file that copy
# holds whole (the same file, the same number of rows); it removes the others and reads only
# the files accepted since from the system of record, which has the final word on what is
# superseded and when each file was received. At national scale that turns 1.4 million rows
# read through the driver as Python objects (about 4.5 s), or copied into a new file (about a
# second), into a copy of the file and a few small changes; the result is the same, byte for
# byte of content (tests/test_publish.py compares the content hash with a build from
# nothing). Without a warehouse of this release's format that opens, every row is read from
# the system of record into an empty file.

def _copy_facts(con, store: Store, previous: Previous) -> dict[str, int]:
    """Return rows into ``_history`` (the ones not kept) and current register rows into
    ``fact_register``; returns how many rows of each were kept."""
    return {"reused_return_rows": _copy_returns(con, store, previous),
            "reused_register_rows": _copy_register(con, store, previous)}


def _keep_whole_files(con, table: str, reused: list[int]) -> int:
    """Remove from ``table`` (of the copy) the rows of every file but ``reused``; returns how
    many rows are left."""
    con.register("_reused", pd.DataFrame({"submission_id": reused}, dtype="int64"))
    try:
        con.execute(f"DELETE FROM {table} WHERE submission_id NOT IN (SELECT submission_id FROM _reused)")
    finally:
        con.unregister("_reused")
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def _copy_returns(con, store: Store, previous: Previous) -> int:
    """Fill the work table ``_history`` with the accepted return rows, superseded ones too,
    that ``fact_return_history`` does not keep (``received_at`` is added later from the
    submissions, read after the rows, so that every row finds its own). Returns how many rows
    ``fact_return_history`` kept."""
    con.execute("CREATE TEMP TABLE _history AS SELECT * EXCLUDE (received_at) FROM fact_return_history LIMIT 0")
    held = store.row_counts("return_rows")
    reused = previous.held_whole(con, "fact_return_history", held)
    kept = _keep_whole_files(con, "fact_return_history", reused) if previous else 0
    if reused:
        # As far as the last file counted: a file accepted while this runs is the next publish's.
        top = max(held)
        replaced = pd.DataFrame(store.superseded_return_pairs(top),
                                columns=["submission_id", "agency_code", "period", "superseded_by"])
        con.register("_replaced", replaced.astype({"submission_id": "int64", "agency_code": "str", "period": "str",
                                                   "superseded_by": "int64"}))
        try:
            con.execute("UPDATE fact_return_history AS h SET superseded_by = NULL "
                        "WHERE superseded_by IS NOT NULL AND NOT EXISTS (SELECT 1 FROM _replaced AS r "
                        "WHERE r.submission_id = h.submission_id AND r.agency_code = h.agency_code "
                        "AND r.period = h.period)")
            con.execute("UPDATE fact_return_history AS h SET superseded_by = r.superseded_by FROM _replaced AS r "
                        "WHERE r.submission_id = h.submission_id AND r.agency_code = h.agency_code "
                        "AND r.period = h.period AND h.superseded_by IS DISTINCT FROM r.superseded_by")
        finally:
            con.unregister("_replaced")
    # In frames: a million rows as Python objects at once took about 900 MB.
    for frame in store.accepted_return_frames(HISTORY_FRAME_ROWS, with_history=True, received_at=False,
                                              submission_ids=sorted(set(held) - set(reused)) if reused else None):
        con.register("_frame", frame)
        con.execute("INSERT INTO _history BY NAME SELECT * FROM _frame")
        con.unregister("_frame")
    if reused:
        con.execute("UPDATE _history SET superseded_by = NULL WHERE superseded_by > ?", [max(held)])
    return kept


def _copy_register(con, store: Store, previous: Previous) -> int:
    """Fill ``fact_register`` with the current register rows; returns how many it kept. A
    file's current rows only ever lose rows (when a later file replaces an agency's quarter),
    so the same number of current rows means the same rows."""
    held = store.row_counts("register_systems", current_only=True)
    reused = previous.held_whole(con, "fact_register", held)
    kept = _keep_whole_files(con, "fact_register", reused) if previous else 0
    frame = store.frame("register_systems", current_only=True,
                        submission_ids=sorted(set(held) - set(reused)) if reused else None)
    _insert_frame(con, "fact_register", frame)
    return kept


def _copy_pairs(con, store: Store, previous: Previous, subs: pd.DataFrame) -> int:
    """Fill ``submission_pairs`` with the pairs of every accepted submission; returns how many
    there are. A file's pairs are recorded once, when it is accepted: the copy keeps those of
    the files whose rows it holds whole (``Previous.kept_files``), and only the others are read."""
    accepted = set(subs.loc[subs["status"] == "accepted", "submission_id"]) if len(subs) else set()
    kept = sorted(previous.kept_files & accepted)
    if previous:
        _keep_whole_files(con, "submission_pairs", kept)
    pairs = store.frame("submission_pairs", submission_ids=sorted(accepted - set(kept)) if previous else None)
    _insert_frame(con, "submission_pairs", pairs[pairs["submission_id"].isin(accepted)])
    return con.execute("SELECT count(*) FROM submission_pairs").fetchall()[0][0]


def _insert_frame(con, name: str, frame: pd.DataFrame) -> int:
    """Append ``frame`` to the input table ``name``, its columns put in the table's order."""
    frame = frame.reindex(columns=[c.split()[0] for c in _columns(INPUT_TABLES[name])])
    con.register("_frame", frame)
    try:
        con.execute(f"INSERT INTO {name} SELECT * FROM _frame")
    finally:
        con.unregister("_frame")
    return len(frame)


def proper_name(name):
    """A name given in capitals (``MINISTRY OF FINANCE``) in title case, small words kept low;
    other text (``Jabatan Perangkaan Malaysia (DOSM)``) unchanged."""
    if not isinstance(name, str) or not name.isupper():
        return name
    small = {"of", "and", "the", "for", "dan", "bagi", "untuk"}
    words = [w.capitalize() if i == 0 or w.lower() not in small else w.lower()
             for i, w in enumerate(name.lower().split(" "))]
    return re.sub(r"'S\b", "'s", " ".join(words))


def _columns(spec: str) -> list[str]:
    return [c.strip() for c in spec.split(",") if c.strip() and not c.strip()[0].isdigit()]


def _dates(frame: pd.DataFrame, *cols: str) -> pd.DataFrame:
    frame = frame.copy()
    for c in cols:
        frame[c] = pd.to_datetime(frame[c], errors="coerce").dt.date
    return frame


def _periods(con, today: date) -> pd.DataFrame:
    first = con.execute("SELECT min(period) FROM fact_return").fetchall()[0][0]
    last = periods.last_complete(today)
    first = first if first and periods.index(first) <= periods.index(last) else last
    rows = []
    for p in periods.span(first, last):
        y, q = periods.split(p)
        rows.append({"period": p, "year": y, "quarter": q, "quarter_start": periods.quarter_start(p),
                     "quarter_end": periods.quarter_end(p), "deadline": periods.deadline(p)})
    return pd.DataFrame(rows)


def _benchmarks(ref: Path) -> pd.DataFrame:
    rows = []
    with open(ref / "eurostat_ai_use_eu27_by_nace_tidy.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            rows.append({"series": "EUROSTAT_E_AI_TANY", "geo": r["geo"], "geo_name": "EU27", "sector_code": r["nace_r2"],
                         "year": int(r["year"]), "value": float(r["value"]), "unit": "% of enterprises",
                         "source": "Source: Eurostat (isoc_eb_ai)"})
    with open(ref / "eurostat_ai_use_by_country_tidy.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            rows.append({"series": "EUROSTAT_E_AI_TANY", "geo": r["geo"], "geo_name": r["country"], "sector_code": "ALL",
                         "year": int(r["year"]), "value": float(r["value"]), "unit": "% of enterprises",
                         "source": "Source: Eurostat (isoc_eb_ai)"})
    with open(ref / "benchmark_indices_malaysia.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["malaysia_rank"] and r["edition"][:4].isdigit():
                rows.append({"series": r["index"], "geo": "MY", "geo_name": "Malaysia", "sector_code": "ALL",
                             "year": int(r["edition"][:4]), "value": float(r["malaysia_rank"]), "unit": "rank",
                             "source": f"{r['publisher']}; {r['source']}"})
    return pd.DataFrame(rows)


def _content_hash(con) -> str:
    """A hash of the published content, independent of when or where it was built.

    Every value is hashed as stored, doubles included: the KPI layer sums and averages
    exactly (``etl.kpi.exact``), so two builds of the same data give the same bits, and any
    change of a value changes the hash. (Rounding would only hide a difference, and a value
    near a rounding boundary would still flip.)
    """
    digest = hashlib.sha256()
    columns = con.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_name NOT IN ('meta', 'etl_runs') ORDER BY table_name, ordinal_position").fetchall()
    by_table: dict[str, list[str]] = {}
    for table, column in columns:
        by_table.setdefault(table, []).append(f'"{column}"')
    for name, exprs in by_table.items():
        n, h = con.execute(
            f"SELECT count(*), coalesce(sum(hash({', '.join(exprs)}) % 1000000007), 0) FROM {name}").fetchall()[0]
        digest.update(f"{name}:{n}:{h};".encode())
    return digest.hexdigest()


def _write_meta(con, snapshot_id: str, content_hash: str, today: date, source: str) -> None:
    rows = {"snapshot_id": snapshot_id, "content_hash": content_hash,
            "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "current_period": periods.last_complete(today), "today": today.isoformat(),
            "source_fingerprint": source}
    con.executemany("INSERT INTO meta VALUES (?, ?)", list(rows.items()))


def source_fingerprint(store: Store, settings: Settings, today: date | None = None) -> str:
    """What a warehouse is built from: the last accepted file and the reference data
    (``Store.fingerprint``), the KPI definitions, the last complete quarter (a quarter that
    ends shows up as awaiting returns, and milestones fall due, without any new file), and how
    this release builds it (``WAREHOUSE_FORMAT``: an upgrade that builds it otherwise publishes)."""
    today = today or settings.today_date()
    digest = hashlib.sha256()
    kpi_dir = Path(settings.kpi_dir)
    for path in sorted(kpi_dir.glob("*.yaml")) + sorted(kpi_dir.glob("*.yml")) if kpi_dir.is_dir() else []:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return (f"{store.fingerprint()}:{digest.hexdigest()[:16]}:{periods.last_complete(today)}"
            f":w{WAREHOUSE_FORMAT}")


def is_current(store: Store, settings: Settings) -> bool:
    """Whether the published warehouse was built from what is there now (``source_fingerprint``).
    A warehouse published before it recorded this cannot say what it holds, so it is
    published again once."""
    from etl.warehouse import Warehouse

    wh = Warehouse(settings.warehouse_path)
    return wh.exists() and wh.meta().get("source_fingerprint") == source_fingerprint(store, settings)


def _fsync(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_leftovers(snap_dir: Path, data_dir: Path) -> None:
    for p in list(snap_dir.glob(".*.building")) + list(snap_dir.glob(".*.building.wal")) + list(data_dir.glob(".warehouse-*.swap")):
        p.unlink(missing_ok=True)
    for spill in snap_dir.glob(".*.building.tmp"):  # what DuckDB worked on disk (memory_limit)
        shutil.rmtree(spill, ignore_errors=True)


def pinned(snap_dir: Path) -> set[str]:
    path = snap_dir / PINNED_FILE
    return set(json.loads(path.read_text())) if path.exists() else set()


def pin(snap_dir: Path, snapshot_id: str) -> None:
    """Keep a snapshot for good (a PDF pack refers to it)."""
    ids = pinned(snap_dir) | {snapshot_id}
    tmp = snap_dir / f".{PINNED_FILE}.tmp"
    tmp.write_text(json.dumps(sorted(ids)))
    os.replace(tmp, snap_dir / PINNED_FILE)


def _prune(snap_dir: Path, current: Path) -> None:
    keep = pinned(snap_dir)
    files = sorted(snap_dir.glob("*.duckdb"))
    for old in files[:-KEEP_SNAPSHOTS]:
        if old != current and old.stem not in keep:
            old.unlink(missing_ok=True)


def snapshot_path(settings: Settings, snapshot_id: str) -> Path:
    return settings.snapshots_dir / f"{snapshot_id}.duckdb"
