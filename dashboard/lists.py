"""The reads behind the national-scale lists: the agency ranking, the completeness matrix,
one page of submissions and the user accounts.

Each read filters, orders and (where it can) pivots and pages in the database, fetches plain
tuples (no DataFrame, no SQLAlchemy ``Row`` per cell) and only the columns shown, on one
connection: warehouse reads go through ``etl.warehouse.Warehouse.connect`` and
system-of-record reads through ``etl.store.Store``.
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from dashboard import paging, queries
from etl import periods
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
    matrix = warehouse_completeness(wh, current, n)
    return matrix if matrix is not None else _completeness_from_store(store, current, _quarters(current, n))


def _quarters(current: str, n: int) -> list[str]:
    """The ``n`` quarters up to ``current``."""
    return periods.span(periods.shift(current, 1 - n), current)


def warehouse_completeness(wh: Warehouse, current: str, n: int = MATRIX_PERIODS) -> Matrix | None:
    """The matrix as the warehouse's snapshot has it (``None`` without a warehouse or its table)."""
    wanted = _quarters(current, n)
    try:
        if wh.exists():
            rows = _warehouse_matrix(wh, current, tuple(wanted))
            if rows is not None:
                return Matrix(current, wanted, rows)
    except WarehouseMissing:
        pass
    return None


@queries.per_snapshot(16)
def _warehouse_matrix(wh: Warehouse, current: str, wanted: tuple[str, ...]) -> list[tuple] | None:
    """The matrix rows marked and pivoted by the warehouse, once per snapshot (``None`` when the
    snapshot has no completeness table); the rows are tuples, never changed by the callers."""
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
            return rows
    return None


def _completeness_from_store(store: Store, current: str, wanted: list[str]) -> Matrix:
    """One expected return per agency and quarter; late when first accepted after the deadline.

    Reads only the first receipt of an accepted return per (agency, period) of the wanted
    quarters, and the agencies that submit returns.
    """
    got = store.first_accepted_returns(wanted)
    named = store.submitting_agencies()
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

def submissions_page(store: Store, agency_code: str | None = None, page: int = 1,
                     size: int = paging.PAGE_SIZE) -> tuple[list[dict], int, int]:
    """(rows, total, page): one page of submissions, newest first, of one agency or of all.

    Only the columns the list shows are read (never the stored problems), and only ``size``
    rows; ``page`` is clamped to the pages there are.
    """
    total = store.submission_count(agency_code)
    page = paging.clamp(page, total, size)
    return store.submissions_page(agency_code, limit=size, offset=paging.offset(page, size)), total, page


def accounts(store: Store) -> list[dict]:
    """Every account's name, role, agency and whether it is active, sorted by name."""
    return store.accounts()
