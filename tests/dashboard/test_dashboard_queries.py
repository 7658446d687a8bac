"""Warehouse reads of the pages: bound parameters, caching per snapshot, national-scale speed."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from dashboard import queries
from etl.warehouse import Warehouse
from tests.dashboard.contract_warehouse import build
from tests.dashboard.harness import has_error, request_as


@pytest.fixture(scope="module")
def wh(contract_settings) -> Warehouse:
    return Warehouse(contract_settings.warehouse_path)


def test_dimensions_are_cached_per_snapshot(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    build(path, n_agencies=5, n_quarters=2, seed=1)
    first = queries.dims(Warehouse(path))
    assert queries.dims(Warehouse(path)) is first
    swapped = tmp_path / "next.duckdb"
    build(swapped, n_agencies=7, n_quarters=2, seed=2)
    os.replace(swapped, path)  # what publish does
    second = queries.dims(Warehouse(path))
    assert second is not first and second.snapshot_id != first.snapshot_id and len(second.agencies) == 7


def test_dimension_rows_follow_the_snapshot_and_are_built_once(wh):
    d = queries.dims(wh)
    rows = d.rows("kpis")
    assert [r["kpi_id"] for r in rows] == list(d.kpis["kpi_id"])
    assert list(rows[0]) == list(d.kpis.columns) and rows[-1]["name_ms"] == d.kpis["name_ms"].iloc[-1]
    assert d.rows("kpis") is rows
    groups = d.distinct("agencies", "peer_group")
    assert groups == sorted(set(d.agencies["peer_group"].dropna())) and None not in groups
    assert d.distinct("agencies", "peer_group") is groups


def test_snapshot_has_every_definition_with_the_previous_quarter(wh):
    snap = queries.kpi_snapshot(wh, "national", "MY", "2026Q3")
    assert list(snap["kpi_id"]) == sorted(queries.dims(wh).kpis["kpi_id"])
    assert snap["previous"].notna().all()


def test_values_travel_as_parameters(wh):
    hostile = "MY' OR '1'='1"
    assert queries.kpi_snapshot(wh, "national", hostile, "2026Q3")["value"].isna().all()
    assert queries.kpi_series_for(wh, "K01", [("national", hostile)], "2000Q1", "2030Q4").empty
    assert queries.value_lineage(wh, "K01'--", "national", "MY", "2026Q3").empty


def test_series_for_keeps_the_order_of_the_members(wh):
    frame = queries.kpi_series_for(wh, "K01", [("sector", "C"), ("national", "MY")], "2026Q1", "2026Q3")
    assert list(dict.fromkeys(frame["entity_code"])) == ["C", "MY"]
    assert list(frame["period"].head(3)) == ["2026Q1", "2026Q2", "2026Q3"]


def test_lineage_resolves_the_submission_ids_of_a_value(wh):
    row = queries.kpi_value_row(wh, "K01", "national", "MY", "2026Q3")
    frame = queries.value_lineage(wh, "K01", "national", "MY", "2026Q3")
    assert sorted(frame["submission_id"].astype(str)) == sorted(row["submission_ids"].split(","))
    assert {"file_name", "agency_code", "received_at"} <= set(frame.columns)


def test_benchmark_pairs_msic_sections_only(wh):
    frame = queries.sector_vs_benchmark(wh)
    assert set(frame["sector_code"]) <= set(queries.dims(wh).sectors["section"])
    assert frame["eu_value"].notna().any() and frame["my_value"].notna().any()


def test_loud_runs_are_the_latest_failed_or_missed_of_each_job():
    runs = pd.DataFrame(
        [
            {"run_id": 1, "job": "publish", "started_at": pd.Timestamp("2026-11-01"), "status": "failed"},
            {"run_id": 2, "job": "publish", "started_at": pd.Timestamp("2026-11-02"), "status": "ok"},
            {"run_id": 3, "job": "inbox", "started_at": pd.Timestamp("2026-11-02"), "status": "missed"},
            {"run_id": 4, "job": "pack", "started_at": pd.Timestamp("2026-11-03"), "status": "failed"},
        ]
    )
    assert [r["job"] for r in queries.loud_runs(runs)] == ["inbox", "pack"]
    assert queries.loud_runs(runs.iloc[:0]) == []


def test_window_is_bounded_by_the_snapshot():
    assert queries.window(("2026Q1", "2026Q2", "2026Q3"), "2026Q2", 8) == ["2026Q1", "2026Q2"]


@pytest.mark.slow
def test_every_page_callback_renders_at_national_scale(tmp_path_factory):
    """1,000 agencies x 40 quarters: every page callback renders from the materialised values."""
    from tests.conftest import make_settings
    from tests.dashboard.conftest import _app

    settings = make_settings(tmp_path_factory.mktemp("national"))
    settings.data_dir.mkdir(parents=True)
    build(settings.warehouse_path, n_agencies=1000, n_quarters=40)
    app, store = _app(settings)
    from tests.dashboard.test_dashboard_pages import renders

    try:
        with request_as(app, "admin"):
            queries.dims(Warehouse(settings.warehouse_path))  # first read of a snapshot fills the cache
            # Every page renders at national scale; how fast is measured by `python app.py bench`.
            for name, render in renders("en", "2026Q3").items():
                assert not has_error(render()), name
    finally:
        store.dispose()
