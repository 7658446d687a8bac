"""The one gateway to the system of record (SQLAlchemy 2: SQLite by default, PostgreSQL).

Every read and write of submissions, return rows, the register, sector reports, reference
tables, users, the audit log and ETL runs goes through ``Store``. Each write that must be
all-or-nothing runs in one transaction (``engine.begin()``).
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import fields, is_dataclass
from datetime import UTC, datetime
from operator import attrgetter
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import (
    Boolean,
    DateTime,
    and_,
    bindparam,
    create_engine,
    delete,
    event,
    false,
    func,
    insert,
    inspect,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.sql import Select

from etl import process_owner, register
from etl import schema as t

REFERENCE_FILES = (
    "ministries.csv",
    "agencies.csv",
    "msic2008_sections.csv",
    "my_states.csv",
    "indicators.csv",
    "naio_deliverables.csv",
    "naio_deliverables_ms.csv",
    "milestones.csv",
)


# Read on every request of the dashboard (the signed-in user) or every page view (agency
# lists): built once, so each call only binds its value and runs it.
_USER_BY_NAME = select(t.users).where(t.users.c.username == bindparam("username"))
_AGENCY_SUBMITS = select(t.agencies.c.agency_code, t.agencies.c.submits_returns)
# Read on every page view (the run banner): changes whenever a run starts, ends or is added.
_RUNS_VERSION = select(func.max(t.etl_runs.c.run_id), func.count().filter(t.etl_runs.c.status == "running"),
                       func.count()).select_from(t.etl_runs)
# Changes whenever the agencies do: reference data is reloaded only with a new hash, and
# agencies are otherwise only ever added (``add_agencies``), never dropped.
_AGENCIES_VERSION = select(
    select(t.schema_info.c.value).where(t.schema_info.c.key == "reference_hash").scalar_subquery(),
    select(func.count()).select_from(t.agencies).scalar_subquery(),
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _yes(text: str) -> bool:
    return str(text).strip().lower() in ("yes", "y", "true", "1")


def _num(text: str) -> float | None:
    text = str(text).strip()
    return float(text) if text else None


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _sqlite_pragmas(dbapi_con, _record) -> None:
    cur = dbapi_con.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


class Store:
    """System of record. Create with ``Store(url)`` then ``migrate()`` (or ``Store.open``)."""

    def __init__(self, url: str):
        self.url = url
        kwargs: dict[str, Any] = {}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        self.engine: Engine = create_engine(url, **kwargs)
        self._agencies: tuple[tuple, dict[str, bool]] | None = None  # (version, agencies) last read
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)

    @classmethod
    def open(cls, url: str, reference_dir: Path) -> Store:
        """Connect, create or migrate the tables, and load reference data if it changed."""
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        store = cls(url)
        store.migrate()
        store.sync_reference(reference_dir)
        return store

    def dispose(self) -> None:
        self.engine.dispose()

    # ---- schema and reference data ----------------------------------------------------
    def migrate(self) -> None:
        """Create missing tables, then bring an older schema up to ``SCHEMA_VERSION``.

        ``create_all`` never alters an existing table, so each version step that adds a
        column to one is an ``ALTER TABLE`` here, in the same transaction as the version.
        """
        t.metadata.create_all(self.engine)
        with self.engine.begin() as con:
            for table in t.metadata.sorted_tables:  # indexes added to existing tables
                for index in table.indexes:
                    index.create(con, checkfirst=True)
            current = con.execute(select(t.schema_info.c.value).where(t.schema_info.c.key == "version")).scalar()
            if current is None:
                con.execute(insert(t.schema_info).values(key="version", value=str(t.SCHEMA_VERSION)))
                return
            version = int(current)
            if version > t.SCHEMA_VERSION:
                raise RuntimeError(f"the system of record has schema version {version}, newer than this "
                                   f"release ({t.SCHEMA_VERSION}): upgrade the product before using it")
            if version < 2:
                _add_missing_columns(con, t.etl_runs, ("owner",))
            if version < 3:  # replaced by the period-first ix_return_rows_period, ix_register_period
                con.execute(text("DROP INDEX IF EXISTS ix_return_rows_current"))
                con.execute(text("DROP INDEX IF EXISTS ix_register_current"))
            if version < 4:  # filled by the reference files, which are loaded again after this
                _add_missing_columns(con, t.deliverables, ("description_ms", "evidence_ms"))
                _add_missing_columns(con, t.milestones, ("evidence_ms",))
            if version < t.SCHEMA_VERSION:
                con.execute(update(t.schema_info).where(t.schema_info.c.key == "version").values(
                    value=str(t.SCHEMA_VERSION)))

    def _info(self, key: str) -> str | None:
        with self.engine.connect() as con:
            return con.execute(select(t.schema_info.c.value).where(t.schema_info.c.key == key)).scalar()

    def sync_reference(self, reference_dir: Path) -> bool:
        """Load the versioned reference files when they differ from what was loaded last.

        Returns True when tables were (re)loaded. Agencies are upserted, never dropped, so
        generated agencies and codes used by earlier submissions stay.
        """
        digest = hashlib.sha256()
        for name in REFERENCE_FILES:
            digest.update((Path(reference_dir) / name).read_bytes())
        ref_hash = digest.hexdigest()
        if self._info("reference_hash") == ref_hash:
            return False
        tables = _reference_rows(Path(reference_dir))
        with self.engine.begin() as con:
            for table, rows in tables.items():
                if table is t.agencies:
                    codes = [r["agency_code"] for r in rows]
                    con.execute(delete(t.agencies).where(t.agencies.c.agency_code.in_(codes)))
                else:
                    con.execute(delete(table))
                con.execute(insert(table), rows)
            con.execute(delete(t.schema_info).where(t.schema_info.c.key == "reference_hash"))
            con.execute(insert(t.schema_info).values(key="reference_hash", value=ref_hash))
        return True

    def add_agencies(self, rows: Sequence[dict]) -> int:
        """Add agencies not yet known (for generated national-scale data); returns how many."""
        known = set(self.agencies())
        new = [_agency_row(r, synthetic=True) for r in rows if r["agency_code"] not in known]
        if new:
            with self.engine.begin() as con:
                for chunk in _chunks(new, 5000):
                    con.execute(insert(t.agencies), chunk)
        return len(new)

    def forget_kept(self) -> None:
        """Drop what is kept between reads (the agency list): the next read goes to the database."""
        self._agencies = None

    def agencies(self) -> dict[str, bool]:
        """Agency code -> whether it submits returns (a new dict for each caller).

        Read on every view of the pages that list agencies: the list (a thousand rows at national
        scale) is read again only when its version changed (one row). Each row a driver fetches
        lets go of the interpreter lock and waits to take it back, which under load cost far more
        than the read itself."""
        _columns, rows = self._plain_rows(_AGENCIES_VERSION)
        version = tuple(rows[0])
        kept = self._agencies
        if kept is None or kept[0] != version:
            _columns, rows = self._plain_rows(_AGENCY_SUBMITS)
            kept = self._agencies = (version, {code: bool(submits) for code, submits in rows})
        return dict(kept[1])

    def table(self, name: str) -> pd.DataFrame:
        """A whole table as a DataFrame (reference tables, users without hashes, ...)."""
        table = t.metadata.tables[name]
        cols = [c for c in table.c if c.name != "password_hash"]
        return self._cursor_frame(select(*cols))

    # ---- submissions -------------------------------------------------------------------
    def accepted_by_sha(self, sha256: str, kind: str) -> int | None:
        """The id of an accepted submission with these exact bytes, if any."""
        q = select(t.submissions.c.submission_id).where(
            t.submissions.c.sha256 == sha256, t.submissions.c.kind == kind, t.submissions.c.status == "accepted"
        )
        with self.engine.connect() as con:
            return con.execute(q.order_by(t.submissions.c.submission_id).limit(1)).scalar()

    def accepted_values(self, agency_code: str) -> dict[tuple[str, str, str], dict[str, float | None]]:
        """Current accepted return values of one agency: (indicator, btype, bcode) -> {period: value}."""
        r = t.return_rows.c
        q = select(r.indicator_code, r.breakdown_type, r.breakdown_code, r.period, r.value).where(
            r.period.in_(self._periods_of([agency_code])), r.agency_code == agency_code, r.superseded_by.is_(None)
        )
        out: dict[tuple[str, str, str], dict[str, float | None]] = defaultdict(dict)
        with self.engine.connect() as con:
            for ind, bt, bc, period, value in con.execute(q):
                out[(ind, bt, bc)][period] = value
        return dict(out)

    def accepted_many(self, agency_codes: list[str], first: str, last: str,
                      earlier: Iterable[str] | None = None, indicators: Iterable[str] | None = None
                      ) -> dict[str, dict[tuple[str, str, str], dict[str, float | None]]]:
        """Current accepted values of several agencies from ``first`` to ``last``, plus, for each
        series, the latest value before ``first`` (cumulative checks): of every agency given, or
        only of the agencies in ``earlier`` (an empty ``earlier``: none, and only the quarters
        from ``first`` to ``last`` are read, not the agencies' whole history). ``indicators``:
        only the series of these indicators."""
        r = t.return_rows.c
        only = sorted(set(indicators)) if indicators is not None else None
        agencies = sorted(set(agency_codes))
        with_history = set(agencies) if earlier is None else set(earlier) & set(agencies)
        out: dict[str, dict] = {}
        columns = (r.agency_code, r.indicator_code, r.breakdown_type, r.breakdown_code, r.period, r.value)
        with self.engine.connect() as con:
            for history, chunk_from in ((False, [a for a in agencies if a not in with_history]),
                                        (True, sorted(with_history))):
                for chunk in _chunks(chunk_from, 500):
                    q = select(*columns).where(r.agency_code.in_(chunk), r.superseded_by.is_(None),
                                               r.period <= last)
                    if history:  # the index leads with the period: name the periods these agencies have
                        q = q.where(r.period.in_(self._periods_of(chunk)))
                    else:
                        q = q.where(r.period >= first)
                    if only is not None:
                        q = q.where(r.indicator_code.in_(only))
                    result = con.execute(q)
                    for agency, ind, bt, bc, period, value in result.cursor.fetchall():
                        out.setdefault(agency, {}).setdefault((ind, bt, bc), {})[period] = value
                    result.close()
        for agency in with_history & out.keys():
            for series in out[agency].values():
                earlier_periods = sorted(p for p in series if p < first)
                for p in earlier_periods[:-1]:
                    del series[p]
        return out

    @staticmethod
    def _periods_of(agency_codes: list[str]) -> Select:
        """The periods any submission of these agencies covered (to seek the period-first indexes)."""
        p = t.submission_pairs.c
        return select(p.period).where(p.agency_code.in_(agency_codes)).distinct()

    def current_pairs(self, kind: str, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """Of the (agency, period) pairs given, those with an accepted submission of ``kind``."""
        pairs = set(pairs)
        if not pairs:
            return {}
        s, p = t.submissions.c, t.submission_pairs.c
        agencies = sorted({a for a, _ in pairs})
        q = (
            select(p.agency_code, p.period, func.max(p.submission_id))
            .join(t.submissions, s.submission_id == p.submission_id)
            .where(s.kind == kind, s.status == "accepted", p.period.in_(sorted({per for _, per in pairs})))
            .group_by(p.agency_code, p.period)
        )
        if len(agencies) <= 500:  # else one pass over the periods' pairs, filtered here
            q = q.where(p.agency_code.in_(agencies))
        with self.engine.connect() as con:
            return {(a, per): sid for a, per, sid in con.execute(q) if (a, per) in pairs}

    def register_in_force(self, agency_code: str, period: str) -> tuple[str, list[dict]]:
        """The agency's register in force in ``period``: the quarter of its latest accepted
        register up to it ('' when none) and that register's systems in file order."""
        return self.registers_in_force([(agency_code, period)])[(agency_code, period)]

    def registers_in_force(self, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, list[dict]]]:
        """``register_in_force`` of each (agency, period) given, read in a few statements for
        all of them (a register file of every agency), not two per pair."""
        pairs = sorted(set(pairs))
        s, p, r = t.submissions.c, t.submission_pairs.c, t.register_systems.c
        snapshot: dict[tuple[str, str], str] = {}
        with self.engine.connect() as con:
            for period in sorted({per for _, per in pairs}):
                agencies = sorted({a for a, per in pairs if per == period})
                for chunk in _chunks(agencies, 500):
                    q = (select(p.agency_code, func.max(p.period))
                         .join(t.submissions, s.submission_id == p.submission_id)
                         .where(s.kind == "register", s.status == "accepted", p.agency_code.in_(chunk),
                                p.period <= period)
                         .group_by(p.agency_code))
                    snapshot |= {(a, period): latest for a, latest in con.execute(q)}
            systems: dict[tuple[str, str], list[dict]] = defaultdict(list)
            wanted = sorted({(a, latest) for (a, _), latest in snapshot.items()})
            for chunk in _chunks(wanted, 500):
                q = (select(*(r[c] for c in register.COLUMNS))
                     .where(tuple_(r.agency_code, r.period).in_(chunk), r.superseded_by.is_(None))
                     .order_by(r.agency_code, r.period, r.source_row))
                for row in con.execute(q):
                    systems[(row.agency_code, row.period)].append(dict(row._mapping))
        return {pair: (snapshot.get(pair, ""), systems.get((pair[0], snapshot.get(pair, "")), []))
                for pair in pairs}

    def record_accepted(self, meta: dict, kind: str, rows: Sequence[Any], pairs: set[tuple[str, str]]) -> int:
        """Record an accepted file and its rows in one transaction; supersede earlier rows.

        For returns and register snapshots the earlier rows of each (agency, period) pair are
        kept and marked ``superseded_by`` the new submission. Sector rows are superseded by key.
        """
        with self.engine.begin() as con:
            sid = con.execute(insert(t.submissions).values(**meta, kind=kind, status="accepted")).inserted_primary_key[0]
            if pairs:
                con.execute(insert(t.submission_pairs), [
                    {"submission_id": sid, "agency_code": a, "period": p} for a, p in sorted(pairs)
                ])
            table = {"return": t.return_rows, "register": t.register_systems, "sector": t.sector_rows}[kind]
            if kind == "sector":
                _supersede_sector(con, rows, sid)
            else:
                _supersede_pairs(con, table, pairs, sid)
            names = [f.name for f in fields(rows[0])] if rows and is_dataclass(rows[0]) else []
            plain = len(names) > 1 and con.dialect.name == "sqlite" and set(names) <= set(table.c.keys()) and all(
                c.name in names for c in table.c if c.default is not None)
            if plain:
                # Plain tuples through the driver's executemany, in the same transaction: the
                # rows are already checked and typed, and every column with a default is given.
                columns = ", ".join(["submission_id", *names])
                marks = ", ".join([str(int(sid)), *"?" * len(names)])
                con.exec_driver_sql(f"INSERT INTO {table.name} ({columns}) VALUES ({marks})",
                                    list(map(attrgetter(*names), rows)))
            else:
                for chunk in _chunks(rows, 10000):
                    con.execute(insert(table), [_row_dict(r, sid, names) for r in chunk])
        return sid

    def record_other(self, meta: dict, kind: str, status: str, problems_json: str | None = None) -> int:
        """Record a rejected, duplicate or oversized file (no rows)."""
        with self.engine.begin() as con:
            return con.execute(
                insert(t.submissions).values(**meta, kind=kind, status=status, problems_json=problems_json)
            ).inserted_primary_key[0]

    def submissions(self, agency_code: str | None = None, limit: int | None = None) -> pd.DataFrame:
        s = t.submissions.c
        q = select(t.submissions).order_by(s.submission_id.desc())
        if agency_code:
            in_pairs = select(t.submission_pairs.c.submission_id).where(t.submission_pairs.c.agency_code == agency_code)
            q = q.where(or_(s.agency_code == agency_code, s.submission_id.in_(in_pairs)))
        if limit:
            q = q.limit(limit)
        with self.engine.connect() as con:
            return pd.read_sql(q, con)

    SUBMISSION_LIST_COLUMNS = ("submission_id", "received_at", "file_name", "kind", "agency_code", "periods",
                               "status", "submitted_by", "reason", "n_errors", "n_warnings")

    @staticmethod
    def _of_agency(agency_code: str | None) -> list:
        """Submissions of one agency: the files it sent and the files holding any of its pairs."""
        if not agency_code:
            return []
        s, p = t.submissions.c, t.submission_pairs.c
        in_pairs = select(p.submission_id).where(p.agency_code == agency_code)
        return [or_(s.agency_code == agency_code, s.submission_id.in_(in_pairs))]

    def submissions_version(self) -> int:
        """The highest submission id: submissions are only ever added, never changed, so any
        list of them is the same while this is."""
        with self.engine.connect() as con:
            return int(con.execute(select(func.max(t.submissions.c.submission_id))).scalar() or 0)

    def submission_count(self, agency_code: str | None = None) -> int:
        """How many submissions there are, of one agency (see ``submissions_page``) or of all."""
        with self.engine.connect() as con:
            return int(con.execute(select(func.count()).select_from(t.submissions)
                                   .where(*self._of_agency(agency_code))).scalar() or 0)

    def submissions_page(self, agency_code: str | None = None, *, limit: int, offset: int = 0) -> list[dict]:
        """``limit`` submissions from ``offset``, newest first, of one agency or of all.

        An agency's submissions are the files it sent and the files holding any of its
        (agency, period) pairs. Only the columns a list shows are read, never the problems.
        """
        s = t.submissions.c
        columns = [s[name] for name in self.SUBMISSION_LIST_COLUMNS]
        query = (select(*columns).where(*self._of_agency(agency_code)).order_by(s.submission_id.desc())
                 .limit(limit).offset(offset))
        with self.engine.connect() as con:
            return [dict(zip(self.SUBMISSION_LIST_COLUMNS, r, strict=True)) for r in con.execute(query)]

    def first_accepted_returns(self, periods: Sequence[str]) -> dict[tuple[str, str], datetime]:
        """When each (agency, period) of ``periods`` was first received in an accepted return."""
        s, p = t.submissions.c, t.submission_pairs.c
        first = (select(p.agency_code, p.period, func.min(s.received_at))
                 .join(t.submissions, s.submission_id == p.submission_id)
                 .where(s.kind == "return", s.status == "accepted", p.period.in_(list(periods)))
                 .group_by(p.agency_code, p.period))
        with self.engine.connect() as con:
            return {(agency, period): at for agency, period, at in con.execute(first)}

    def submitting_agencies(self) -> list[tuple[str, str, str]]:
        """(code, English name, Malay name) of every agency that submits returns, by code."""
        a = t.agencies.c
        with self.engine.connect() as con:
            return [tuple(r) for r in con.execute(select(a.agency_code, a.name_en, a.name_ms)
                                                  .where(a.submits_returns.is_(True)).order_by(a.agency_code))]

    def accounts(self) -> list[dict]:
        """Every account's name, role, agency and whether it is active, by name (never the hashes)."""
        u = t.users.c
        with self.engine.connect() as con:
            rows = con.execute(select(u.username, u.role, u.agency_code, u.active).order_by(u.username)).all()
        return [{"username": n, "role": r, "agency_code": a, "active": bool(on)} for n, r, a, on in rows]

    def submission(self, submission_id: int) -> dict | None:
        with self.engine.connect() as con:
            row = con.execute(select(t.submissions).where(t.submissions.c.submission_id == submission_id)).mappings().first()
        return dict(row) if row else None

    def submission_agencies(self, submission_id: int) -> set[str]:
        """Every agency a submission speaks for (its own and those of its pairs)."""
        sub = self.submission(submission_id)
        if sub is None:
            return set()
        with self.engine.connect() as con:
            rows = con.execute(select(t.submission_pairs.c.agency_code).where(
                t.submission_pairs.c.submission_id == submission_id)).scalars().all()
        return set(rows) | ({sub["agency_code"]} if sub["agency_code"] else set())

    # ---- what publish reads ------------------------------------------------------------
    def frame(self, name: str, current_only: bool = False,
              submission_ids: Iterable[int] | None = None) -> pd.DataFrame:
        """A fact or reference table as a DataFrame, through the raw DB-API cursor (fast);
        with ``submission_ids``, only the rows of those submissions."""
        table = t.metadata.tables[name]
        q = select(table)
        if current_only and "superseded_by" in table.c:
            q = q.where(table.c.superseded_by.is_(None))
        if submission_ids is None:
            return self._cursor_frame(q)
        frames = [self._cursor_frame(q.where(table.c.submission_id.in_(chunk)))
                  for chunk in _chunks(sorted(submission_ids), 500)]
        return pd.concat(frames, ignore_index=True) if frames else self._cursor_frame(q.where(false()))

    def _plain_rows(self, query) -> tuple[list[str], list[tuple]]:
        """The column names and the DB-API cursor's plain tuples of a SELECT (no ``Row`` objects)."""
        with self.engine.connect() as con:
            result = con.execute(query)
            columns = list(result.keys())
            rows = result.cursor.fetchall()
            result.close()
        return columns, rows

    def _cursor_frame(self, query) -> pd.DataFrame:
        """Run a SELECT and build its DataFrame from the DB-API cursor's plain tuples.

        Handing SQLAlchemy ``Row`` objects to pandas is several times slower (pandas probes
        each row with ``hasattr``). The driver's values are typed as SQLAlchemy would type
        them: SQLite keeps datetimes as ISO text and booleans as 0/1, PostgreSQL needs nothing.
        """
        columns, rows = self._plain_rows(query)
        return self._typed(pd.DataFrame(rows, columns=columns), query)

    def _cursor_frames(self, query, size: int) -> Iterator[pd.DataFrame]:
        """``_cursor_frame`` in frames of at most ``size`` rows, all of one statement (one
        consistent read): a million rows never stand in memory as Python objects at once."""
        with self.engine.connect() as con:
            result = con.execute(query)
            columns = list(result.keys())
            while rows := result.cursor.fetchmany(size):
                yield self._typed(pd.DataFrame(rows, columns=columns), query)
            result.close()

    def _typed(self, frame: pd.DataFrame, query) -> pd.DataFrame:
        if self.engine.dialect.name != "sqlite" or not len(frame):
            return frame
        for name, column in zip(frame.columns, query.selected_columns, strict=True):
            kind = column.type._type_affinity
            if kind is DateTime:
                frame[name] = pd.to_datetime(frame[name], format="ISO8601")
            elif kind is Boolean:
                values = frame[name]
                frame[name] = values.astype(bool) if values.notna().all() else values.map(
                    lambda v: None if v is None else bool(v)).astype(object)
        return frame

    def accepted_return_frames(self, size: int, with_history: bool = False, received_at: bool = True,
                               submission_ids: Iterable[int] | None = None) -> Iterator[pd.DataFrame]:
        """Return rows with their submission's ``received_at`` (current rows unless
        ``with_history``), in frames of at most ``size`` rows read by one statement (one per
        500 submissions when only the rows of ``submission_ids`` are wanted).

        ``received_at=False`` leaves that column out (and the join it needs): publish takes it
        from the submissions it copies anyway.
        """
        r, s = t.return_rows.c, t.submissions.c
        cols = [r.submission_id, r.agency_code, r.period, r.indicator_code, r.breakdown_type,
                r.breakdown_code, r.value, r.value_status]
        if received_at:
            cols.append(s.received_at)
        if with_history:
            cols.append(r.superseded_by)
        q = select(*cols)
        if received_at:
            q = q.join(t.submissions, s.submission_id == r.submission_id)
        if not with_history:
            q = q.where(r.superseded_by.is_(None))
        if submission_ids is None:
            return self._cursor_frames(q, size)
        return (frame for chunk in _chunks(sorted(submission_ids), 500)
                for frame in self._cursor_frames(q.where(r.submission_id.in_(chunk)), size))

    def row_counts(self, name: str, current_only: bool = False) -> dict[int, tuple[str, int]]:
        """Each submission with rows in the fact table ``name`` (current rows only, if asked):
        the SHA-256 of its file and its number of rows."""
        table = t.metadata.tables[name]
        s = t.submissions.c
        counts = select(table.c.submission_id, func.count().label("n")).group_by(table.c.submission_id)
        if current_only:
            counts = counts.where(table.c.superseded_by.is_(None))
        counts = counts.subquery()
        q = select(counts.c.submission_id, s.sha256, counts.c.n).join(
            t.submissions, s.submission_id == counts.c.submission_id)
        with self.engine.connect() as con:
            return {sid: (sha, n) for sid, sha, n in con.execute(q)}

    def superseded_return_pairs(self, upto: int) -> list[tuple[int, str, str, int]]:
        """(submission, agency, period, superseded by) of every return row replaced by a later
        file, as far as the files up to submission ``upto``: all rows of an (agency, period)
        of a file are replaced together, by the first later file holding that pair."""
        r = t.return_rows.c
        q = (select(r.submission_id, r.agency_code, r.period, r.superseded_by)
             .where(r.superseded_by.is_not(None), r.superseded_by <= upto)
             .group_by(r.submission_id, r.agency_code, r.period, r.superseded_by))
        with self.engine.connect() as con:
            return [tuple(row) for row in con.execute(q)]

    def fingerprint(self) -> str:
        """Changes whenever accepted data or reference data changes (drives 'publish after new data')."""
        with self.engine.connect() as con:
            last = con.execute(select(func.max(t.submissions.c.submission_id)).where(
                t.submissions.c.status == "accepted")).scalar()
        return f"{last or 0}:{self._info('reference_hash') or ''}"

    # ---- users ------------------------------------------------------------------------
    def add_user(self, username: str, password_hash: str, role: str, agency_code: str | None) -> int:
        with self.engine.begin() as con:
            return con.execute(insert(t.users).values(
                username=username, password_hash=password_hash, role=role, agency_code=agency_code,
                active=True, created_at=utcnow())).inserted_primary_key[0]

    def user(self, username: str) -> dict | None:
        with self.engine.connect() as con:
            row = con.execute(_USER_BY_NAME, {"username": username}).mappings().first()
        return dict(row) if row else None

    def update_user(self, username: str, **values) -> bool:
        with self.engine.begin() as con:
            n = con.execute(update(t.users).where(t.users.c.username == username).values(**values)).rowcount
        return n > 0

    # ---- audit and runs ---------------------------------------------------------------
    def audit(self, actor: str, action: str, target: str = "", outcome: str = "ok", detail: str = "") -> None:
        with self.engine.begin() as con:
            con.execute(insert(t.audit_log).values(at=utcnow(), actor=actor or "-", action=action,
                                                   target=target, outcome=outcome, detail=detail))

    def start_run(self, job: str, trigger: str = "manual", started_at: datetime | None = None) -> int:
        with self.engine.begin() as con:
            return con.execute(insert(t.etl_runs).values(
                job=job, started_at=started_at or utcnow(), status="running", trigger=trigger,
                owner=process_owner.token())).inserted_primary_key[0]

    def finish_run(self, run_id: int, status: str, counts: dict | None = None, error: str | None = None) -> None:
        with self.engine.begin() as con:
            con.execute(update(t.etl_runs).where(t.etl_runs.c.run_id == run_id).values(
                ended_at=utcnow(), status=status, counts_json=json.dumps(counts or {}, sort_keys=True),
                error=(error or None) and error[:4000]))

    def record_run(self, job: str, status: str, trigger: str, started_at: datetime,
                   counts: dict | None = None, error: str | None = None) -> int:
        """A finished run in one go (used for missed runs, which never started)."""
        with self.engine.begin() as con:
            return con.execute(insert(t.etl_runs).values(
                job=job, started_at=started_at, ended_at=utcnow(), status=status, trigger=trigger,
                counts_json=json.dumps(counts or {}, sort_keys=True), error=error)).inserted_primary_key[0]

    def runs(self, limit: int = 20, job: str | None = None) -> pd.DataFrame:
        q = select(t.etl_runs).order_by(t.etl_runs.c.run_id.desc()).limit(limit)
        if job:
            q = q.where(t.etl_runs.c.job == job)
        with self.engine.connect() as con:
            return pd.read_sql(q, con)

    def runs_version(self) -> tuple:
        """A cheap fingerprint of the run log: it changes whenever a run starts, ends or is added
        (the highest run id, how many are running, how many there are)."""
        with self.engine.connect() as con:
            return tuple(con.execute(_RUNS_VERSION).one())

    def close_abandoned_runs(self) -> int:
        """Mark as failed the runs left 'running' by a process of this machine that is gone.

        Safe while other runs are live: only a run whose owner process has certainly ended
        (killed, or the machine restarted) is closed. Returns how many were closed.
        """
        running = select(t.etl_runs.c.run_id, t.etl_runs.c.owner).where(t.etl_runs.c.status == "running")
        with self.engine.begin() as con:
            gone = [r.run_id for r in con.execute(running) if process_owner.is_gone(r.owner)]
            if gone:
                con.execute(update(t.etl_runs).where(and_(
                    t.etl_runs.c.run_id.in_(gone), t.etl_runs.c.status == "running")).values(
                    status="failed", ended_at=utcnow(),
                    error="interrupted: the process running it stopped before the run ended"))
        return len(gone)

    def close_interrupted_runs(self, job: str) -> int:
        """Mark runs of ``job`` left 'running' by a killed process as failed."""
        with self.engine.begin() as con:
            return con.execute(update(t.etl_runs).where(and_(
                t.etl_runs.c.job == job, t.etl_runs.c.status == "running")).values(
                status="failed", ended_at=utcnow(), error="interrupted: the process stopped before the run ended")).rowcount


# ---- helpers -------------------------------------------------------------------------------
def _add_missing_columns(con, table, names: Sequence[str]) -> None:
    """``ALTER TABLE .. ADD COLUMN`` for each of ``names`` the table does not have yet."""
    have = {c["name"] for c in inspect(con).get_columns(table.name)}
    for name in names:
        if name not in have:
            column = table.c[name]
            con.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {name} "
                             f"{column.type.compile(dialect=con.dialect)}"))


def _chunks(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _row_dict(row: Any, submission_id: int, names: Sequence[str] = ()) -> dict:
    """The row as a dict of columns; ``names``: the fields of a dataclass row, when known."""
    if names or is_dataclass(row):
        d = {name: getattr(row, name) for name in names or [f.name for f in fields(row)]}
    else:
        d = dict(row)
    d["submission_id"] = submission_id
    return d


def _supersede_pairs(con, table, pairs: set[tuple[str, str]], sid: int) -> None:
    """One UPDATE per period (and per 500 agencies), not one per agency."""
    by_period: dict[str, list[str]] = defaultdict(list)
    for agency, period in pairs:
        by_period[period].append(agency)
    for period, agencies in sorted(by_period.items()):
        for chunk in _chunks(sorted(agencies), 500):
            con.execute(update(table).where(
                table.c.period == period, table.c.agency_code.in_(chunk), table.c.superseded_by.is_(None)
            ).values(superseded_by=sid))


def _supersede_sector(con, rows: Sequence[Any], sid: int) -> None:
    c = t.sector_rows.c
    sectors: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in rows:
        sectors[(r.period, r.indicator_code)].add(r.sector_code)
    for (period, indicator), codes in sorted(sectors.items()):
        for chunk in _chunks(sorted(codes), 500):
            con.execute(update(t.sector_rows).where(
                c.period == period, c.indicator_code == indicator, c.sector_code.in_(chunk),
                c.superseded_by.is_(None)
            ).values(superseded_by=sid))


def _agency_row(r: dict, synthetic: bool = False) -> dict:
    return {
        "agency_code": r["agency_code"], "name_ms": r["name_ms"], "name_en": r["name_en"],
        "ministry_code": r.get("ministry_code") or None, "org_type": r.get("org_type") or None,
        "peer_group": r.get("peer_group") or "other",
        "submits_returns": r["submits_returns"] if isinstance(r["submits_returns"], bool) else _yes(r["submits_returns"]),
        "url": r.get("url") or None, "note": r.get("note") or None, "synthetic": synthetic,
    }


def _reference_rows(ref: Path) -> dict:
    ministries = [{"ministry_code": r["org_code"], "sort_order": int(r["sort_order"]), "name_ms": r["name_ms"],
                   "name_en": r["name_en"], "org_type": r["org_type"], "note": r["note"] or None}
                  for r in _read_csv(ref / "ministries.csv")]
    agencies = [_agency_row(r) for r in _read_csv(ref / "agencies.csv")]
    sectors = [{"section": r["section"], "divisions": r["divisions"], "name_en": r["name_en"], "name_ms": r["name_ms"],
                "note": r["naio_airmap_priority_note"] or None, "in_eurostat_scope": r["in_eurostat_ai_survey_scope"]}
               for r in _read_csv(ref / "msic2008_sections.csv")]
    states = [{"state_code": int(r["state_code"]), "iso_3166_2": r["iso_3166_2"], "geojson_name": r["geojson_name"],
               "name_ms": r["name_ms"], "name_en": r["name_en"], "type": r["type"], "region": r["region"]}
              for r in _read_csv(ref / "my_states.csv")]
    indicators = [{"indicator_code": r["indicator_code"], "name_en": r["name_en"], "name_ms": r["name_ms"],
                   "unit": r["unit"], "kind": r["kind"], "temporal": r["temporal"], "min_value": _num(r["min"]),
                   "max_value": _num(r["max"]), "allow_blank": _yes(r["allow_blank"]), "required": _yes(r["required"])}
                  for r in _read_csv(ref / "indicators.csv")]
    malay = {r["deliverable_code"]: r for r in _read_csv(ref / "naio_deliverables_ms.csv")}
    deliverables = [{"deliverable_code": r["deliverable_code"], "name_en": r["name_en"], "name_ms": r["name_ms_draft"],
                     "description": r["description"], "evidence": r["evidence"], "status": r["status_as_found"],
                     "confidence": r["confidence"],
                     "description_ms": malay.get(r["deliverable_code"], {}).get("description_ms") or None,
                     "evidence_ms": malay.get(r["deliverable_code"], {}).get("evidence_ms") or None}
                    for r in _read_csv(ref / "naio_deliverables.csv")]
    milestones = [{k: (v or None) if k in ("actual_date", "evidence", "evidence_ms") else v for k, v in r.items()}
                  for r in _read_csv(ref / "milestones.csv")]
    return {t.ministries: ministries, t.agencies: agencies, t.sectors: sectors, t.states: states,
            t.indicators: indicators, t.deliverables: deliverables, t.milestones: milestones}
