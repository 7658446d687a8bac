"""Everything the minister pack shows, read once from one frozen warehouse snapshot.

The reads go through ``dashboard.queries`` (the pages' queries) on a ``Warehouse`` opened on
``data/snapshots/<id>.duckdb``, so the pack shows exactly the numbers the dashboard shows for
that snapshot and never recomputes a KPI.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard import queries
from etl import periods as P
from etl.warehouse import Warehouse

TREND_QUARTERS = 8
PILLAR_ORDER = ("TAL", "ADO", "GOV", "DAT", "IMP", "ECO", "DEL")


class PackDataError(ValueError):
    """The snapshot cannot make the requested pack (for example: no such quarter)."""


@dataclass(frozen=True)
class PackData:
    meta: dict[str, str]
    period: str
    previous: str
    dims: queries.Dimensions
    national: pd.DataFrame  # every KPI at national level in the period, with the previous value
    series: pd.DataFrame  # national values by quarter (trend window)
    projections: pd.DataFrame  # national projections to each KPI's target dates
    national_index: pd.DataFrame
    sector_matrix: pd.DataFrame
    sector_benchmark: pd.DataFrame
    sector_index: pd.DataFrame
    ministry_index: pd.DataFrame  # the index of the ministries' own organisations (peer group "ministry")
    ministry_matrix: pd.DataFrame
    milestones: pd.DataFrame
    completeness: pd.DataFrame  # agency x quarter over the trend window
    register: pd.DataFrame  # the AI systems in force in the period, counted by stage

    @property
    def window(self) -> list[str]:
        return queries.window(self.dims.periods, self.period, TREND_QUARTERS)

    def pillars(self) -> list[str]:
        present = list(dict.fromkeys(self.dims.kpis["pillar"]))
        return [p for p in PILLAR_ORDER if p in present] + [p for p in present if p not in PILLAR_ORDER]

    def kpis_of(self, pillar: str) -> pd.DataFrame:
        return self.national[self.national["pillar"] == pillar]


def snapshot_periods(wh: Warehouse) -> tuple[str, ...]:
    return queries.dims(wh).periods


def gather(wh: Warehouse, period: str) -> PackData:
    """Read the pack's data for ``period``; raises ``PackDataError`` when the snapshot lacks it."""
    dims = queries.dims(wh)
    if period not in dims.periods:
        held = f"{dims.periods[0]} to {dims.periods[-1]}" if dims.periods else "none"
        raise PackDataError(f"snapshot {dims.snapshot_id} holds no quarter {period} (quarters held: {held})")
    window = queries.window(dims.periods, period, TREND_QUARTERS)
    return PackData(
        meta=wh.meta(), period=period, previous=P.previous(period), dims=dims,
        national=queries.kpi_snapshot(wh, "national", "MY", period),
        series=queries.kpi_series(wh, "national", "MY", window[0], period),
        projections=wh.frame("SELECT * FROM kpi_projection WHERE level = 'national' AND entity_code = 'MY' "
                             "ORDER BY kpi_id, target_period"),
        national_index=queries.composite(wh, "national", period),
        sector_matrix=queries.level_matrix(wh, "sector", period),
        sector_benchmark=queries.sector_vs_benchmark(wh),
        sector_index=queries.composite(wh, "sector", period),
        ministry_index=_peer_group(queries.composite(wh, "agency", period), "ministry"),
        ministry_matrix=queries.level_matrix(wh, "ministry", period),
        milestones=queries.milestones(wh),
        completeness=queries.completeness(wh, window[0], period),
        register=queries.register_summary(wh, period),
    )


def _peer_group(frame: pd.DataFrame, group: str) -> pd.DataFrame:
    return frame[frame["peer_group"] == group].reset_index(drop=True)


def headline_ids(data: PackData) -> list[str]:
    """The first KPI of each pillar, in pillar order: one headline number per pillar."""
    ids = []
    for pillar in data.pillars():
        rows = data.kpis_of(pillar)
        if len(rows):
            ids.append(rows["kpi_id"].iloc[0])
    return ids


def projection_for(data: PackData, kpi_id: str) -> dict | None:
    """The projection to the first target date after the period (else the last one)."""
    rows = data.projections[data.projections["kpi_id"] == kpi_id]
    if not len(rows):
        return None
    later = rows[rows["target_period"] >= data.period]
    return (later if len(later) else rows).iloc[0].to_dict()


def completeness_by(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Expected, received, on-time and late values summed by ``key`` (``period`` or ``ministry_code``)."""
    if not len(frame):
        return pd.DataFrame(columns=[key, "agencies", "expected", "received", "on_time", "late", "missing", "pct"])
    grouped = frame.groupby(key, dropna=False).agg(agencies=("agency_code", "nunique"), expected=("expected", "sum"),
                                                   received=("received", "sum"), on_time=("on_time", "sum"),
                                                   late=("late", "sum")).reset_index()
    grouped["missing"] = (grouped["expected"] - grouped["received"]).clip(lower=0)
    grouped["pct"] = 100 * grouped["received"] / grouped["expected"].where(grouped["expected"] > 0)
    return grouped
