"""The reads behind the national-scale lists: the agency ranking, the completeness matrix,
one page of submissions and the user accounts.

Each read filters, orders and (where it can) pivots and pages in the database, fetches plain
tuples (no DataFrame, no SQLAlchemy ``Row`` per cell) and only the columns shown, on one
connection: warehouse reads go through ``etl.warehouse.Warehouse.connect`` and
system-of-record reads use the ``Store``'s engine with the tables of ``etl.schema``.
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd
from sqlalchemy import func, or_, select

from dashboard import paging
from etl import periods
from etl import schema as T
from etl.store import Store
from etl.warehouse import Warehouse, WarehouseMissing

MATRIX_PERIODS = 4

# For a grid column of links: the grid leaves Tab to the browser in that column, so Tab moves
# from the focused cell into its link and on from link to link (Enter then follows it), where
# the grid would otherwise move from cell to cell and never reach the links.
TAB_INTO_LINKS = {"function": "params.event.key === 'Tab' || "
                            "(params.event.key === 'Enter' && params.event.target.tagName === 'A')"}


# ---- the agency ranking (warehouse) -------------------------------------------------------------

RANKING_SQL = (
    "SELECT c.entity_code, c.rank, c.index_value, c.index_value - p.index_value AS change, c.rank_min, c.rank_max, "
    "c.n_peers, c.peer_group, a.name_en, a.name_ms, a.ministry_code, "
    "CAST(json_extract(c.components_json, '$.pillars') AS VARCHAR) AS pillars "
    "FROM composite_index c "
    "LEFT JOIN composite_index p ON p.level = c.level AND p.entity_code = c.entity_code AND p.period = ? "
    "LEFT JOIN dim_agency a ON a.agency_code = c.entity_code "
    "WHERE c.level = 'agency' AND c.period = ? AND (CAST(? AS VARCHAR) IS NULL OR a.ministry_code = ?) "
    "AND (CAST(? AS VARCHAR) IS NULL OR c.peer_group = ?) "
    "ORDER BY c.peer_group, c.rank NULLS LAST, c.entity_code"
)


def ranking(wh: Warehouse, period: str, ministry: str | None, peer: str | None) -> list[tuple]:
    """The agencies' index of one quarter, filtered by ministry and peer group in the warehouse,
    with the change on the previous quarter, the names and the pillar scores (one statement)."""
    ministry, peer = ministry or None, peer or None
    return wh.rows(RANKING_SQL, [periods.previous(period), period, ministry, ministry, peer, peer])


# ---- completeness of returns (warehouse, or the system of record) --------------------------------

class Matrix(NamedTuple):
    """Completeness of returns for the last quarters, one row per agency:
    (agency_code, name_en, name_ms, has a gap, missing for the current quarter, mark of each quarter)."""

    current: str
    periods: list[str]
    rows: list[tuple]

    @property
    def missing(self) -> list[tuple]:
        return [r for r in self.rows if r[4]]

    @property
    def expected_now(self) -> int:
        """Agencies expected to send a return for the current quarter."""
        at = 5 + self.periods.index(self.current) if self.current in self.periods else None
        return sum(1 for r in self.rows if at is not None and r[at])


_MARK_SQL = ("CASE WHEN received <= 0 THEN '✖' WHEN received < expected THEN '◐' WHEN late > 0 THEN '◷' "
             "ELSE '✔' END || ' ' || CAST(received AS BIGINT) || '/' || CAST(expected AS BIGINT)")


def completeness(wh: Warehouse, store: Store, current: str, n: int = MATRIX_PERIODS) -> Matrix:
    """The completeness matrix of the ``n`` quarters up to ``current``, marked and pivoted by
    the warehouse (one connection) when it has the table, otherwise from the system of record."""
    wanted = periods.span(periods.shift(current, 1 - n), current)
    try:
        if wh.exists():
            with wh.connect() as con:
                has = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                                  ["completeness"]).fetchone()[0]
                if has:
                    marks = ", ".join("?" for _ in wanted)
                    cells = ", ".join("max(mark) FILTER (WHERE period = ?)" for _ in wanted)
                    rows = con.execute(
                        f"WITH c AS (SELECT agency_code, period, received, expected, late, {_MARK_SQL} AS mark "
                        f"FROM completeness WHERE period IN ({marks})) "
                        "SELECT c.agency_code, any_value(a.name_en), any_value(a.name_ms), "
                        "bool_or(received <= 0 OR received < expected OR late > 0), "
                        f"bool_or(period = ? AND received <= 0), {cells} "
                        "FROM c LEFT JOIN dim_agency a USING (agency_code) GROUP BY c.agency_code "
                        "ORDER BY c.agency_code", [*wanted, current, *wanted]).fetchall()
                    return Matrix(current, wanted, rows)
    except WarehouseMissing:
        pass
    return _completeness_from_store(store, current, wanted)


def _completeness_from_store(store: Store, current: str, wanted: list[str]) -> Matrix:
    """One expected return per agency and quarter; late when first accepted after the deadline.

    Reads only the first receipt of an accepted return per (agency, period) of the wanted
    quarters, and the agencies that submit returns.
    """
    s, p, a = T.submissions.c, T.submission_pairs.c, T.agencies.c
    first = (select(p.agency_code, p.period, func.min(s.received_at))
             .join(T.submissions, s.submission_id == p.submission_id)
             .where(s.kind == "return", s.status == "accepted", p.period.in_(wanted))
             .group_by(p.agency_code, p.period))
    agencies = select(a.agency_code, a.name_en, a.name_ms).where(a.submits_returns.is_(True)).order_by(a.agency_code)
    with store.engine.connect() as con:
        got = {(agency, period): at for agency, period, at in con.execute(first)}
        named = con.execute(agencies).all()
    rows = []
    for agency, name_en, name_ms in named:
        cells = []
        for period in wanted:
            at = got.get((agency, period))
            late = at is not None and pd.Timestamp(at).date() > periods.deadline(period)
            cells.append(("✖ 0/1" if at is None else "◷ 1/1" if late else "✔ 1/1", at is None or late))
        rows.append((agency, name_en, name_ms, any(gap for _, gap in cells), (agency, current) not in got,
                     *(mark for mark, _ in cells)))
    return Matrix(current, wanted, rows)


# ---- submissions and accounts (system of record) -------------------------------------------------

LIST_COLUMNS = ("submission_id", "received_at", "file_name", "kind", "agency_code", "periods", "status",
                "submitted_by", "reason", "n_errors", "n_warnings")


def _agency_filter(agency_code: str | None) -> list:
    """Submissions of one agency: the file's own agency, or any (agency, period) pair it holds."""
    if not agency_code:
        return []
    s, p = T.submissions.c, T.submission_pairs.c
    in_pairs = select(p.submission_id).where(p.agency_code == agency_code)
    return [or_(s.agency_code == agency_code, s.submission_id.in_(in_pairs))]


def submissions_page(store: Store, agency_code: str | None = None, page: int = 1,
                     size: int = paging.PAGE_SIZE) -> tuple[list[dict], int, int]:
    """(rows, total, page): one page of submissions, newest first, of one agency or of all.

    Only the columns the list shows are read (never the stored problems), and only ``size``
    rows; ``page`` is clamped to the pages there are.
    """
    s = T.submissions.c
    where = _agency_filter(agency_code)
    columns = [s[name] for name in LIST_COLUMNS]
    with store.engine.connect() as con:
        total = int(con.execute(select(func.count()).select_from(T.submissions).where(*where)).scalar() or 0)
        page = paging.clamp(page, total, size)
        result = con.execute(select(*columns).where(*where).order_by(s.submission_id.desc())
                             .limit(size).offset(paging.offset(page, size)))
        rows = [dict(zip(LIST_COLUMNS, r, strict=True)) for r in result]
    return rows, total, page


def accounts(store: Store) -> list[dict]:
    """Every account's name, role, agency and whether it is active, sorted by name (a narrow
    read: never the password hashes)."""
    u = T.users.c
    with store.engine.connect() as con:
        rows = con.execute(select(u.username, u.role, u.agency_code, u.active).order_by(u.username)).all()
    return [{"username": n, "role": r, "agency_code": a, "active": bool(on)} for n, r, a, on in rows]
