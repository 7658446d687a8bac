"""Every warehouse read the pages make, with bound parameters only.

Pages read materialised values (``kpi_value``, ``composite_index``, ``completeness`` ...)
and never recompute a KPI. Each function reads through one cursor of the gateway's shared
connection and returns plain DataFrames, dicts or lists, which the caller may change.

What every visitor reads and a snapshot never changes is read once per snapshot id (a
publish, a new snapshot, refreshes it): the dimension lookups (agencies, ministries,
sectors, states, periods, KPI definitions), the values of every KPI at the national and
sector levels (a few thousand rows each, read by most pages; ``kpi_value`` holds millions
of agency rows, so each of these questions would otherwise scan it), the sectors'
composite index, the milestones, the sector benchmark and the freshness of sources. The
agency, ministry and state levels are read from the warehouse on each call.

The run log (banner, data status, freshness) comes live from the system of record; it is
read again only when a cheap fingerprint of it (``runs_version``) changes.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache, wraps
from pathlib import Path
from typing import Any

import pandas as pd

from dashboard.i18n import name_of
from etl import periods as P
from etl import register
from etl.kpi import staging
from etl.warehouse import Warehouse, WarehouseMissing

_meta_lock = threading.Lock()
_meta_cache: dict[str, tuple[tuple, dict]] = {}

QUARTER = "quarter"
VALUE_COLUMNS = (
    "kpi_id, period, level, entity_code, value, numerator, denominator, target, trajectory, status, reported, expected"
)


def _frames(wh: Warehouse, *statements: tuple[str, list]) -> list[pd.DataFrame]:
    """Run several read statements on one connection."""
    with wh.connect() as con:
        return [con.execute(sql, params).df() for sql, params in statements]


def meta(wh: Warehouse) -> dict[str, str]:
    """The snapshot's ``meta`` table, re-read only when the warehouse file is swapped."""
    try:
        st = os.stat(wh.path)
    except FileNotFoundError:
        raise WarehouseMissing(f"no warehouse at {wh.path}: run `python app.py publish`") from None
    key = (st.st_ino, st.st_mtime_ns, st.st_size)
    with _meta_lock:
        hit = _meta_cache.get(str(wh.path))
        if hit and hit[0] == key:
            return hit[1]
    value = wh.meta()
    with _meta_lock:
        _meta_cache[str(wh.path)] = (key, value)
    return value


@dataclass(frozen=True)
class Dimensions:
    """Read-only lookups of one snapshot (never mutate the frames)."""

    snapshot_id: str
    current_period: str
    periods: tuple[str, ...]
    agencies: pd.DataFrame
    ministries: pd.DataFrame
    sectors: pd.DataFrame
    states: pd.DataFrame
    kpis: pd.DataFrame
    deliverables: pd.DataFrame
    state_kpis: tuple[str, ...]

    _memo: dict = field(default_factory=dict, compare=False, repr=False)  # lookups built on first use

    def kpi(self, kpi_id: str) -> dict | None:
        row = self._records("kpis").get(kpi_id)
        return dict(row) if row is not None else None

    def agency(self, code: str) -> dict | None:
        row = self._records("agencies").get(code)
        return dict(row) if row is not None else None

    def rows(self, table: str) -> list[dict]:
        """The records of a dimension (as ``names`` takes), in the snapshot's order: built once
        per snapshot, as pandas takes about 1.5 ms to turn the 27 KPIs into records. Never
        mutate them."""
        key = ("rows", table)
        if key not in self._memo:
            self._memo[key] = list(self._records(table).values())
        return self._memo[key]

    def distinct(self, table: str, column: str) -> list:
        """The sorted distinct values of a column of a dimension, nulls left out."""
        key = ("distinct", table, column)
        if key not in self._memo:
            self._memo[key] = sorted(set(getattr(self, table)[column].dropna()))
        return self._memo[key]

    def names(self, table: str, lang: str) -> dict[str, str]:
        """Code (as text) -> name in ``lang`` of a dimension: ``agencies``, ``ministries``,
        ``sectors``, ``states``, ``kpis`` or ``deliverables``. Never mutate the dict."""
        key = ("names", table, lang)
        if key not in self._memo:
            self._memo[key] = {str(c): name_of(r, lang) for c, r in self._records(table).items()}
        return self._memo[key]

    def _records(self, table: str) -> dict:
        key = ("records", table)
        if key not in self._memo:
            frame, code = getattr(self, table), _CODES[table]
            self._memo[key] = {r[code]: r for r in frame.to_dict("records")}
        return self._memo[key]


_CODES = {
    "agencies": "agency_code",
    "ministries": "ministry_code",
    "sectors": "section",
    "states": "state_code",
    "kpis": "kpi_id",
    "deliverables": "deliverable_code",
}


def per_snapshot(maxsize: int) -> Callable[[Callable], Callable]:
    """Keep ``fn(wh, *args)``'s result per published snapshot and arguments (at most ``maxsize``).

    For reads and renders that depend on nothing but the warehouse snapshot and their
    arguments: a publish (a new snapshot id) gives new keys. A warehouse without a snapshot
    id, or arguments that cannot be hashed, are not kept; a failure is never kept. Callers
    must not change what they get (or take a copy)."""

    def decorate(fn: Callable) -> Callable:
        @lru_cache(maxsize=maxsize)
        def kept(path: str, _snapshot: str, args: tuple) -> Any:
            return fn(Warehouse(Path(path)), *args)

        @wraps(fn)
        def inner(wh: Warehouse, *args: Any) -> Any:
            snapshot = meta(wh).get("snapshot_id", "") if wh.exists() else ""
            try:
                hash(args)
            except TypeError:
                snapshot = ""
            return kept(str(wh.path), snapshot, args) if snapshot else fn(wh, *args)

        inner.cache_clear = kept.cache_clear  # type: ignore[attr-defined]
        return inner

    return decorate


def _per_snapshot(wh: Warehouse, sql: str, params: tuple = ()) -> pd.DataFrame:
    """A small read that depends on nothing but the snapshot, run once per snapshot; the caller
    gets its own frame."""
    return _snapshot_read(wh, sql, params).copy(deep=False)


@per_snapshot(64)
def _snapshot_read(wh: Warehouse, sql: str, params: tuple) -> pd.DataFrame:
    return wh.frame(sql, list(params))


def dims(wh: Warehouse) -> Dimensions:
    m = meta(wh)
    return _dims(str(wh.path), m.get("snapshot_id", ""), m.get("current_period", ""))


@lru_cache(maxsize=8)
def _dims(path: str, snapshot_id: str, current_period: str) -> Dimensions:
    agencies, ministries, sectors, states, kpis, period_rows, deliverables, state_kpis = _frames(
        Warehouse(Path(path)),
        (
            "SELECT a.*, m.name_en AS ministry_en, m.name_ms AS ministry_ms FROM dim_agency a "
            "LEFT JOIN dim_ministry m USING (ministry_code) ORDER BY a.agency_code",
            [],
        ),
        ("SELECT * FROM dim_ministry ORDER BY sort_order, ministry_code", []),
        ("SELECT * FROM dim_sector ORDER BY section", []),
        ("SELECT * FROM dim_state ORDER BY state_code", []),
        ("SELECT * FROM kpi_definition ORDER BY kpi_id", []),
        ("SELECT period FROM dim_period WHERE period <= ? ORDER BY period", [current_period]),
        ("SELECT * FROM dim_deliverable ORDER BY deliverable_code", []),
        ("SELECT DISTINCT kpi_id FROM kpi_value WHERE level = 'state' AND value IS NOT NULL ORDER BY kpi_id", []),
    )
    quarters = tuple(period_rows["period"]) or ((current_period,) if current_period else ())
    return Dimensions(
        snapshot_id,
        current_period,
        quarters,
        agencies,
        ministries,
        sectors,
        states,
        kpis,
        deliverables,
        tuple(state_kpis["kpi_id"]),
    )


def previous_period(period: str) -> str:
    return P.previous(period)


def window(all_periods: tuple[str, ...], period: str, n: int) -> list[str]:
    """The ``n`` quarters ending at ``period`` that the snapshot holds."""
    kept = [p for p in all_periods if p <= period]
    return kept[-n:]


# ---- KPI values -----------------------------------------------------------------------------
NATIONAL = "national"
VALUE_NAMES = [c.strip() for c in VALUE_COLUMNS.split(",")]
SNAPSHOT_DEFINITION = ["kpi_id", "name_en", "name_ms", "pillar", "unit", "display_format", "direction", "deliverables"]
SNAPSHOT_VALUES = ["value", "status", "reported", "expected", "target", "trajectory"]


SECTOR = "sector"
CACHED_LEVELS = (NATIONAL, SECTOR)  # small levels read by most pages: kept per snapshot


@lru_cache(maxsize=8)
def _level_values(path: str, snapshot_id: str, level: str) -> pd.DataFrame:
    """Every quarterly value of a small level, sorted by entity, KPI and period (never mutate).
    The national level keeps its ``submission_ids`` (the lineage of the headline numbers)."""
    extra = ", submission_ids" if level == NATIONAL else ""
    sql = (
        f"SELECT {VALUE_COLUMNS}{extra} FROM kpi_value WHERE level = ? AND period_type = 'quarter' "
        "ORDER BY entity_code, kpi_id, period"
    )
    frame = Warehouse(Path(path)).frame(sql, [level])
    for col in ("kpi_id", "period", "level", "entity_code", "status"):  # one string object per distinct value
        frame[col] = frame[col].astype("category").astype(frame[col].dtype)
    return frame


def _level(wh: Warehouse, level: str) -> pd.DataFrame:
    """The cached values of ``level`` (in ``CACHED_LEVELS``); never mutate, filter instead."""
    return _level_values(str(wh.path), meta(wh).get("snapshot_id", ""), level)


def _national(wh: Warehouse, entity: str) -> pd.DataFrame:
    """The national values of ``entity`` (``MY``), read once per snapshot; a frame the caller may change."""
    frame = _level(wh, NATIONAL)
    return frame[frame["entity_code"] == entity]


def _national_snapshot(wh: Warehouse, entity: str, period: str) -> pd.DataFrame:
    """``kpi_snapshot`` of the national level, built once per snapshot and quarter (pandas costs
    more than the few dozen rows are worth); the caller gets its own frame."""
    return _national_snapshot_of(str(wh.path), meta(wh).get("snapshot_id", ""), entity, period).copy(deep=False)


@lru_cache(maxsize=128)
def _national_snapshot_of(path: str, snapshot_id: str, entity: str, period: str) -> pd.DataFrame:
    wh = Warehouse(Path(path))
    return _snapshot_from(dims(wh), _national(wh, entity), period)


def _national_series(wh: Warehouse, entity: str, first: str, last: str, kpi_ids: list[str] | None) -> pd.DataFrame:
    """Quarterly national values from ``first`` to ``last``, built once per snapshot and question."""
    ids = tuple(kpi_ids) if kpi_ids is not None else None
    return _national_series_of(str(wh.path), meta(wh).get("snapshot_id", ""), entity, first, last, ids).copy(deep=False)


@lru_cache(maxsize=256)
def _national_series_of(
    path: str, snapshot_id: str, entity: str, first: str, last: str, kpi_ids: tuple[str, ...] | None
) -> pd.DataFrame:
    return _series_from(_national(Warehouse(Path(path)), entity), first, last, kpi_ids)


def _snapshot_from(d: Dimensions, values: pd.DataFrame, period: str) -> pd.DataFrame:
    """Every KPI definition with its value in ``period`` and the previous quarter's value."""
    current = values.loc[values["period"] == period, ["kpi_id", *SNAPSHOT_VALUES]]
    previous = values.loc[values["period"] == P.previous(period), ["kpi_id", "value"]]
    out = d.kpis[SNAPSHOT_DEFINITION].merge(current, on="kpi_id", how="left")
    out = out.merge(previous.rename(columns={"value": "previous"}), on="kpi_id", how="left")
    return out.sort_values("kpi_id", kind="stable", ignore_index=True)


def _series_from(values: pd.DataFrame, first: str, last: str, kpi_ids: tuple[str, ...] | None) -> pd.DataFrame:
    keep = (values["period"] >= first) & (values["period"] <= last)
    if kpi_ids is not None:
        keep &= values["kpi_id"].isin(list(kpi_ids))
    return values.loc[keep, VALUE_NAMES].reset_index(drop=True)


def kpi_snapshot(wh: Warehouse, level: str, entity: str, period: str) -> pd.DataFrame:
    """Every KPI at one level/entity/period with the previous quarter's value and the definition."""
    if level == NATIONAL:
        return _national_snapshot(wh, entity, period)
    sql, params = _snapshot_sql(level, entity, period)
    return wh.frame(sql, params)


def _snapshot_sql(level: str, entity: str, period: str) -> tuple[str, list]:
    sql = (
        "SELECT d.kpi_id, d.name_en, d.name_ms, d.pillar, d.unit, d.display_format, d.direction, d.deliverables, "
        "v.value, v.status, v.reported, v.expected, v.target, v.trajectory, p.value AS previous "
        "FROM kpi_definition d "
        "LEFT JOIN kpi_value v ON v.kpi_id = d.kpi_id AND v.level = ? AND v.entity_code = ? AND v.period = ? "
        "AND v.period_type = 'quarter' "
        "LEFT JOIN kpi_value p ON p.kpi_id = d.kpi_id AND p.level = ? AND p.entity_code = ? "
        "AND p.period = ? AND p.period_type = 'quarter' ORDER BY d.kpi_id"
    )
    return sql, [level, entity, period, level, entity, P.previous(period)]


def kpi_snapshot_and_series(
    wh: Warehouse, level: str, entity: str, period: str, first: str, kpi_ids: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``kpi_snapshot`` and the quarterly series of ``kpi_ids`` from ``first``, on one connection."""
    if level == NATIONAL:
        return _national_snapshot(wh, entity, period), _national_series(wh, entity, first, period, kpi_ids)
    snap_sql, snap_params = _snapshot_sql(level, entity, period)
    series_sql = (
        f"SELECT {VALUE_COLUMNS} FROM kpi_value WHERE level = ? AND entity_code = ? "
        "AND period_type = 'quarter' AND period BETWEEN ? AND ? AND list_contains(?, kpi_id) "
        "ORDER BY kpi_id, period"
    )
    snap, series = _frames(wh, (snap_sql, snap_params), (series_sql, [level, entity, first, period, list(kpi_ids)]))
    return snap, series


def kpi_series_for(wh: Warehouse, kpi_id: str, members: list[tuple[str, str]], first: str, last: str) -> pd.DataFrame:
    """One KPI's quarterly series for several (level, entity) pairs, in the order given."""
    parts = []
    others = [pair for pair in members if pair[0] not in CACHED_LEVELS]
    if others:
        cond = " OR ".join(["(level = ? AND entity_code = ?)"] * len(others))
        params: list = [kpi_id, first, last] + [v for pair in others for v in pair]
        sql = (
            f"SELECT {VALUE_COLUMNS} FROM kpi_value WHERE kpi_id = ? AND period_type = 'quarter' "
            f"AND period BETWEEN ? AND ? AND ({cond}) ORDER BY period"
        )
        parts.append(wh.frame(sql, params))
    for level, entity in members:
        if level == NATIONAL:
            parts.append(_national_series(wh, entity, first, last, [kpi_id]))
        elif level in CACHED_LEVELS:
            values = _level(wh, level)
            keep = (values["kpi_id"] == kpi_id) & (values["entity_code"] == entity)
            parts.append(_series_from(values[keep], first, last, None))
    if not parts:
        return pd.DataFrame(columns=VALUE_NAMES)
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    order = {pair: i for i, pair in enumerate(members)}
    frame["_o"] = [order.get((lv, e), 0) for lv, e in zip(frame["level"], frame["entity_code"], strict=False)]
    return frame.sort_values(["_o", "period"], kind="stable").drop(columns="_o").reset_index(drop=True)


def kpi_trend(
    wh: Warehouse, kpi_id: str, level: str, entity: str, first: str, last: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A KPI's series for one entity and its projection, on one connection."""
    series_sql = (
        f"SELECT {VALUE_COLUMNS} FROM kpi_value WHERE kpi_id = ? AND level = ? AND entity_code = ? "
        "AND period_type = 'quarter' AND period BETWEEN ? AND ? ORDER BY period"
    )
    proj_sql = "SELECT * FROM kpi_projection WHERE kpi_id = ? AND level = ? AND entity_code = ? ORDER BY target_period"
    if level == NATIONAL:
        series = _national_series(wh, entity, first, last, [kpi_id])
        return series, wh.frame(proj_sql, [kpi_id, level, entity])
    series, proj = _frames(wh, (series_sql, [kpi_id, level, entity, first, last]), (proj_sql, [kpi_id, level, entity]))
    return series, proj


def kpi_series(
    wh: Warehouse, level: str, entity: str, first: str, last: str, kpi_ids: list[str] | None = None
) -> pd.DataFrame:
    """Quarterly values of one entity from ``first`` to ``last`` (all KPIs unless ``kpi_ids``)."""
    if level == NATIONAL:
        return _national_series(wh, entity, first, last, kpi_ids or None)
    sql = (
        f"SELECT {VALUE_COLUMNS} FROM kpi_value WHERE level = ? AND entity_code = ? AND period_type = 'quarter' "
        "AND period BETWEEN ? AND ?"
    )
    params: list = [level, entity, first, last]
    if kpi_ids:
        sql += " AND list_contains(?, kpi_id)"
        params.append(list(kpi_ids))
    return wh.frame(sql + " ORDER BY kpi_id, period", params)


def kpi_series_many(wh: Warehouse, kpi_id: str, level: str, entities: list[str], first: str, last: str) -> pd.DataFrame:
    sql = (
        f"SELECT {VALUE_COLUMNS} FROM kpi_value WHERE kpi_id = ? AND level = ? AND period_type = 'quarter' "
        "AND list_contains(?, entity_code) AND period BETWEEN ? AND ? ORDER BY entity_code, period"
    )
    return wh.frame(sql, [kpi_id, level, list(entities), first, last])


def kpi_level_values(wh: Warehouse, kpi_id: str, level: str, period: str) -> pd.DataFrame:
    """One KPI for every entity of a level in one quarter."""
    sql = (
        f"SELECT {VALUE_COLUMNS}, submission_ids FROM kpi_value WHERE kpi_id = ? AND level = ? AND period = ? "
        "AND period_type = 'quarter' AND entity_code <> '' ORDER BY value DESC NULLS LAST, entity_code"
    )
    return wh.frame(sql, [kpi_id, level, period])


def kpi_value_row(wh: Warehouse, kpi_id: str, level: str, entity: str, period: str) -> dict | None:
    if level == NATIONAL:
        values = _national(wh, entity)
        frame = values[(values["kpi_id"] == kpi_id) & (values["period"] == period)]
        return frame.iloc[0].to_dict() if len(frame) else None
    sql = (
        f"SELECT {VALUE_COLUMNS}, submission_ids FROM kpi_value WHERE kpi_id = ? AND level = ? "
        "AND entity_code = ? AND period = ? AND period_type = 'quarter'"
    )
    frame = wh.frame(sql, [kpi_id, level, entity, period])
    return frame.iloc[0].to_dict() if len(frame) else None


def level_matrix(wh: Warehouse, level: str, period: str) -> pd.DataFrame:
    """Every KPI x entity of a level in one quarter (sector heatmap)."""
    if level in CACHED_LEVELS:
        values = _level(wh, level)
        return values.loc[values["period"] == period, VALUE_NAMES].reset_index(drop=True)
    sql = (
        f"SELECT {VALUE_COLUMNS} FROM kpi_value WHERE level = ? AND period = ? AND period_type = 'quarter' "
        "ORDER BY entity_code, kpi_id"
    )
    return wh.frame(sql, [level, period])


def projection(wh: Warehouse, kpi_id: str, level: str, entity: str) -> pd.DataFrame:
    sql = "SELECT * FROM kpi_projection WHERE kpi_id = ? AND level = ? AND entity_code = ? ORDER BY target_period"
    return wh.frame(sql, [kpi_id, level, entity])


def value_lineage(wh: Warehouse, kpi_id: str, level: str, entity: str, period: str) -> pd.DataFrame:
    """The submissions a materialised value was computed from (its ``submission_ids``), every
    one of them: who may see which is decided per user by the caller. Read once per snapshot
    and value; the caller gets its own frame."""
    return _value_lineage(wh, kpi_id, level, entity, period).copy(deep=False)


@per_snapshot(64)
def _value_lineage(wh: Warehouse, kpi_id: str, level: str, entity: str, period: str) -> pd.DataFrame:
    if level == NATIONAL:
        row = kpi_value_row(wh, kpi_id, level, entity, period)
        ids = [int(s) for s in str((row or {}).get("submission_ids") or "").split(",") if s.strip().isdigit()]
        return lineage(wh, sorted(set(ids)))
    sql = (
        "WITH v AS (SELECT unnest(string_split(coalesce(submission_ids, ''), ',')) AS sid FROM kpi_value "
        "WHERE kpi_id = ? AND level = ? AND entity_code = ? AND period = ? AND period_type = 'quarter') "
        "SELECT s.submission_id, s.kind, s.file_name, s.agency_code, s.periods, s.received_at, s.status "
        "FROM submissions s JOIN v ON s.submission_id = TRY_CAST(trim(v.sid) AS INTEGER) "
        "ORDER BY s.received_at DESC, s.submission_id DESC"
    )
    return wh.frame(sql, [kpi_id, level, entity, period])


def lineage(wh: Warehouse, submission_ids: list[int]) -> pd.DataFrame:
    """Submissions behind a value: id, file name, agency, received, status."""
    if not submission_ids:
        return pd.DataFrame(
            columns=["submission_id", "kind", "file_name", "agency_code", "periods", "received_at", "status"]
        )
    sql = (
        "SELECT submission_id, kind, file_name, agency_code, periods, received_at, status FROM submissions "
        "WHERE list_contains(?, submission_id) ORDER BY received_at DESC, submission_id DESC"
    )
    return wh.frame(sql, [list(submission_ids)])


# ---- composite index ------------------------------------------------------------------------
def composite(wh: Warehouse, level: str, period: str) -> pd.DataFrame:
    """Composite index of every entity of a level with the previous quarter's value."""
    sql = (
        "SELECT c.*, p.index_value AS previous FROM composite_index c "
        "LEFT JOIN (SELECT entity_code, index_value FROM composite_index WHERE level = ? AND period = ?) p "
        "ON p.entity_code = c.entity_code "
        "WHERE c.level = ? AND c.period = ? ORDER BY c.peer_group, c.rank NULLS LAST, c.entity_code"
    )
    params = [level, P.previous(period), level, period]
    if level in CACHED_LEVELS:  # a few dozen rows, read on every overview
        return _per_snapshot(wh, sql, tuple(params))
    return wh.frame(sql, params)


def composite_series(wh: Warehouse, level: str, entity: str, last: str) -> pd.DataFrame:
    sql = (
        "SELECT period, index_value, rank, n_peers, peer_group, components_json FROM composite_index "
        "WHERE level = ? AND entity_code = ? AND period <= ? ORDER BY period"
    )
    return wh.frame(sql, [level, entity, last])


# ---- deliverables ---------------------------------------------------------------------------
def milestones(wh: Warehouse) -> pd.DataFrame:
    sql = (
        "SELECT m.*, d.name_en AS deliverable_en, d.name_ms AS deliverable_ms FROM fact_milestone m "
        "LEFT JOIN dim_deliverable d USING (deliverable_code) ORDER BY m.deliverable_code, m.planned_date"
    )
    return _per_snapshot(wh, sql)


# ---- sectors --------------------------------------------------------------------------------
SECTOR_INDICATOR = "C1_ENT_AI_PCT"
BENCHMARK_SERIES = "EUROSTAT_E_AI_TANY"


def sector_vs_benchmark(wh: Warehouse) -> pd.DataFrame:
    """Latest national C1 share by MSIC section beside the latest EU27 Eurostat value of that section."""
    sql = (
        "WITH my AS (SELECT sector_code, arg_max(value, period) AS my_value, max(period) AS my_period "
        "  FROM fact_sector WHERE indicator_code = ? AND state_code IS NULL GROUP BY sector_code), "
        "eu AS (SELECT sector_code, arg_max(value, year) AS eu_value, max(year) AS eu_year "
        "  FROM fact_benchmark WHERE series = ? AND geo LIKE 'EU27%' AND sector_code <> 'ALL' GROUP BY sector_code) "
        "SELECT coalesce(my.sector_code, eu.sector_code) AS sector_code, my_value, my_period, eu_value, eu_year "
        "FROM my FULL OUTER JOIN eu ON my.sector_code = eu.sector_code "
        "WHERE coalesce(my.sector_code, eu.sector_code) IN (SELECT section FROM dim_sector) ORDER BY 1"
    )
    return _per_snapshot(wh, sql, (SECTOR_INDICATOR, BENCHMARK_SERIES))


def sector_agencies(wh: Warehouse, section: str, period: str) -> pd.DataFrame:
    """Agencies whose returns or AI register touch an MSIC section, with how many rows/systems."""
    sql = (
        "WITH r AS (SELECT agency_code, count(*) AS n_values FROM fact_return WHERE breakdown_type = 'MSIC' "
        "  AND breakdown_code = ? AND period = ? GROUP BY agency_code), "
        "s AS (SELECT agency_code, count(DISTINCT system_id) AS n_systems FROM fact_register "
        "  WHERE msic_section = ? GROUP BY agency_code) "
        "SELECT coalesce(r.agency_code, s.agency_code) AS agency_code, coalesce(n_values, 0) AS n_values, "
        "coalesce(n_systems, 0) AS n_systems FROM r FULL OUTER JOIN s ON r.agency_code = s.agency_code "
        "ORDER BY n_systems DESC, n_values DESC, agency_code"
    )
    return wh.frame(sql, [section, period, section])


# ---- agencies -------------------------------------------------------------------------------
def agency_submissions(wh: Warehouse, agency_code: str, limit: int = 50) -> pd.DataFrame:
    sql = (
        "SELECT submission_id, kind, file_name, periods, received_at, status, n_rows, n_errors, n_warnings "
        "FROM submissions WHERE agency_code = ? ORDER BY received_at DESC, submission_id DESC LIMIT ?"
    )
    return wh.frame(sql, [agency_code, limit])


# ---- the national register of AI systems -----------------------------------------------------
# Each agency's register in force in a quarter: its snapshot of that quarter, else its latest
# earlier one (a register file is the complete list of the agency's systems; an empty one says
# it has none), from the snapshots the KPI layer counts systems by (etl/kpi/staging.py).
_REGISTER_IN_FORCE = f"""
    WITH in_force AS (
        SELECT agency_code, max(period) AS period FROM ({staging.REGISTER_SNAPSHOTS})
        WHERE period <= $period AND ($agency IS NULL OR agency_code = $agency) GROUP BY agency_code
    ),
    systems AS (
        SELECT r.agency_code, a.ministry_code, r.system_id, r.title,
               lower(trim(r.stage)) AS stage, lower(trim(r.risk_tier)) AS risk_tier,
               upper(trim(coalesce(r.msic_section, ''))) AS msic_section, r.impact_assessment,
               r.human_oversight, r.citizen_facing, r.uses_genai, r.sandbox, r.period
        FROM fact_register AS r
        JOIN in_force AS f ON f.agency_code = r.agency_code AND f.period = r.period
        LEFT JOIN dim_agency AS a ON a.agency_code = r.agency_code
    ),
    chosen AS (
        SELECT * FROM systems
        WHERE ($ministry IS NULL OR ministry_code = $ministry) AND ($msic IS NULL OR msic_section = $msic)
          AND ($stage IS NULL OR stage = $stage) AND ($risk IS NULL OR risk_tier = $risk)
    )
"""


def _register_params(period: str, ministry: str | None, msic: str | None, stage: str | None,
                     risk: str | None, agency: str | None = None) -> dict:
    return {"period": period, "ministry": ministry, "msic": msic, "stage": stage, "risk": risk, "agency": agency}


# What ``register_summary`` counts for each stage, in the order the page and the pack show it.
REGISTER_COUNTS = ("systems", "agencies", "high_risk", "impact_assessment", "human_oversight", "uses_genai",
                   "citizen_facing", "sandbox")


def register_summary(wh: Warehouse, period: str, ministry: str | None = None, msic: str | None = None,
                     stage: str | None = None, risk: str | None = None) -> pd.DataFrame:
    """The AI systems in force in ``period`` that match the filters (``None``: any), counted by
    stage: systems, agencies, and of them high-risk (or prohibited), with an impact assessment,
    under human oversight, using GenAI, citizen-facing, in a sandbox. Stages in their order."""
    order = " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(register.STAGES))
    sql = _REGISTER_IN_FORCE + f"""
    SELECT stage, count(*) AS systems, count(DISTINCT agency_code) AS agencies,
           count(*) FILTER (WHERE risk_tier IN ('high', 'prohibited')) AS high_risk,
           count(*) FILTER (WHERE impact_assessment) AS impact_assessment,
           count(*) FILTER (WHERE human_oversight) AS human_oversight,
           count(*) FILTER (WHERE uses_genai) AS uses_genai,
           count(*) FILTER (WHERE citizen_facing) AS citizen_facing,
           count(*) FILTER (WHERE sandbox) AS sandbox
    FROM chosen GROUP BY stage ORDER BY CASE stage {order} ELSE 99 END, stage
    """
    return wh.frame(sql, _register_params(period, ministry, msic, stage, risk))


def register_page(wh: Warehouse, period: str, ministry: str | None = None, msic: str | None = None,
                  stage: str | None = None, risk: str | None = None, *, agency: str | None = None,
                  limit: int | None = 50, offset: int = 0) -> tuple[pd.DataFrame, int]:
    """One page of the AI systems in force in ``period`` that match the filters (``agency``: one
    agency's register in force), by agency and system id (``limit=None``: all of them), and how
    many match in all."""
    sql = _REGISTER_IN_FORCE + """
    SELECT *, count(*) OVER () AS total FROM chosen
    ORDER BY agency_code, system_id LIMIT $limit OFFSET $offset
    """
    params = _register_params(period, ministry, msic, stage, risk, agency)
    frame = wh.frame(sql, {**params, "limit": limit, "offset": offset})
    if len(frame) or offset == 0:
        return frame.drop(columns="total"), int(frame["total"].iat[0]) if len(frame) else 0
    (total,), = wh.rows(_REGISTER_IN_FORCE + "SELECT count(*) FROM chosen", params)  # a page past the end
    return frame.drop(columns="total"), int(total)


# ---- data status ----------------------------------------------------------------------------
def completeness(wh: Warehouse, first: str, last: str, ministry: str | None = None) -> pd.DataFrame:
    sql = (
        "SELECT c.agency_code, a.ministry_code, c.period, c.expected, c.received, c.on_time, c.late "
        "FROM completeness c LEFT JOIN dim_agency a USING (agency_code) WHERE c.period BETWEEN ? AND ?"
    )
    params: list = [first, last]
    if ministry:
        sql += " AND a.ministry_code = ?"
        params.append(ministry)
    return wh.frame(sql + " ORDER BY c.agency_code, c.period", params)


def completeness_summary(
    wh: Warehouse, first: str, last: str, ministry: str | None = None, max_agencies: int = 30
) -> tuple[pd.DataFrame, bool]:
    """Returns received per quarter, summed by agency when the quarters hold at most
    ``max_agencies`` agencies, else by ministry: (frame keyed by ``agency_code`` or
    ``ministry_code`` and ``period``, by agency?). Summed in the warehouse, not in pandas."""
    where, params = "c.period BETWEEN ? AND ?", [first, last]
    if ministry:
        where += " AND a.ministry_code = ?"
        params.append(ministry)
    sums = ", ".join(f"CAST(coalesce(sum(c.{col}), 0) AS BIGINT) AS {col}" for col in ("expected", "received", "on_time", "late"))
    sql = (
        f"WITH c AS (SELECT c.*, a.ministry_code FROM completeness c LEFT JOIN dim_agency a USING (agency_code) "
        f"WHERE {where}), n AS (SELECT count(DISTINCT agency_code) <= ? AS by_agency FROM c) "
        "SELECT CASE WHEN n.by_agency THEN c.agency_code ELSE c.ministry_code END AS key, c.period, "
        f"{sums}, any_value(n.by_agency) AS by_agency FROM c, n GROUP BY key, c.period ORDER BY 1 NULLS LAST, 2"
    )
    frame = wh.frame(sql, [*params, max_agencies])
    by_agency = bool(frame["by_agency"].iloc[0]) if len(frame) else True
    key = "agency_code" if by_agency else "ministry_code"
    return frame.drop(columns="by_agency").rename(columns={"key": key}), by_agency


def source_freshness(wh: Warehouse) -> pd.DataFrame:
    """Per kind and source of files: last received, counts accepted and rejected."""
    sql = (
        "SELECT kind, source, max(received_at) AS last_received, count(*) AS n_files, "
        "count(*) FILTER (WHERE status = 'accepted') AS n_accepted, "
        "count(*) FILTER (WHERE status = 'rejected') AS n_rejected FROM submissions GROUP BY kind, source "
        "ORDER BY last_received DESC"
    )
    return _per_snapshot(wh, sql)


def warehouse_runs(wh: Warehouse, limit: int = 200) -> pd.DataFrame:
    return wh.frame("SELECT * FROM etl_runs ORDER BY run_id DESC LIMIT ?", [limit])


def runs(store, wh: Warehouse, limit: int = 200) -> pd.DataFrame:
    """ETL and job runs, live from the system of record's run log (through its gateway): the
    warehouse's copy stops at its snapshot, so it can never show the publish that failed.
    Read again only when the run log has changed (``runs_version``); the caller gets its own frame."""
    return _runs_of(store, wh, limit, "frame").copy()


def _runs_of(store, wh: Warehouse, limit: int, what: str):
    """The run log's last ``limit`` runs (``frame``, never mutate) or their ``loud`` runs, kept
    until the run log changes."""
    version = runs_version(store)
    if version is not None:
        with _runs_lock:
            hit = _runs_cache.get(store, {}).get(limit)
            if hit is not None and hit[0] == version:
                return hit[1][what]
    frame = _runs_uncached(store, wh, limit)
    entry = {"frame": frame, "loud": loud_runs(frame)}
    if version is not None and runs_version(store) == version:  # nothing changed while reading
        with _runs_lock:
            _runs_cache.setdefault(store, {})[limit] = (version, entry)
    return entry[what]


def _runs_uncached(store, wh: Warehouse, limit: int) -> pd.DataFrame:
    try:
        return store.runs(limit=limit)
    except Exception:
        return warehouse_runs(wh, limit)


LOUD_RUNS = ("failed", "missed")

# Rows of the run log only ever change by a new run (a higher run_id) or by a running run
# ending: (max run_id, number running) changes with every change of what the pages show.
_runs_lock = threading.Lock()
# store -> {limit: (run-log version, {"frame": runs, "loud": loud runs})}; gone with the store
_runs_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def runs_version(store) -> tuple | None:
    """A cheap fingerprint of the run log (one aggregate, no frame); None when unreadable."""
    try:
        return store.runs_version()
    except Exception:
        return None


def loud_runs_now(store, wh: Warehouse, limit: int = 200) -> list[dict]:
    """``loud_runs`` of the live run log. Shown on every page, so it must cost next to nothing:
    the run log is read again only when it has changed."""
    return [dict(r) for r in _runs_of(store, wh, limit, "loud")]


def loud_runs(runs: pd.DataFrame | None) -> list[dict]:
    """The latest run of each job, when it failed or was missed."""
    if runs is None or not len(runs):
        return []
    latest = runs.sort_values(["started_at", "run_id"]).groupby("job", sort=True).tail(1)
    return latest[latest["status"].isin(LOUD_RUNS)].to_dict("records")
