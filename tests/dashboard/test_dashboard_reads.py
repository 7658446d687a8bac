"""Reads kept per snapshot give what the warehouse gives; light components and figure dicts
send exactly what Dash's components and plotly's figures send."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from dash import dcc, html
from dash._utils import to_json

from dashboard import components as C
from dashboard import figures, queries
from etl.warehouse import Warehouse


@pytest.fixture(scope="module")
def wh(contract_settings) -> Warehouse:
    return Warehouse(contract_settings.warehouse_path)


def _sql(wh: Warehouse, sql: str, params: list) -> pd.DataFrame:
    return wh.frame(sql, params)


def _same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Equal frames, a missing value being missing whichever way a column holds it."""

    def plain(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.reset_index(drop=True).astype(object)
        return frame.where(frame.notna(), None)

    pd.testing.assert_frame_equal(plain(got), plain(want), check_dtype=False)


@pytest.mark.parametrize("period", ["2026Q3", "2026Q1", "2020Q1"])
def test_national_snapshot_equals_the_warehouse(wh, period):
    sql, params = queries._snapshot_sql("national", "MY", period)
    _same(queries.kpi_snapshot(wh, "national", "MY", period), _sql(wh, sql, params))


def test_national_series_equal_the_warehouse(wh):
    cols = queries.VALUE_COLUMNS
    want = _sql(
        wh,
        f"SELECT {cols} FROM kpi_value WHERE level = 'national' AND entity_code = 'MY' AND period_type = 'quarter' "
        "AND period BETWEEN ? AND ? AND list_contains(?, kpi_id) ORDER BY kpi_id, period",
        ["2026Q1", "2026Q3", ["K01", "K27"]],
    )
    _, series = queries.kpi_snapshot_and_series(wh, "national", "MY", "2026Q3", "2026Q1", ["K01", "K27"])
    _same(series, want)
    _same(queries.kpi_series(wh, "national", "MY", "2026Q1", "2026Q3", ["K01", "K27"]), want)
    trend, _proj = queries.kpi_trend(wh, "K01", "national", "MY", "2026Q1", "2026Q3")
    _same(trend, want[want["kpi_id"] == "K01"])


def test_sector_matrix_and_series_equal_the_warehouse(wh):
    cols = queries.VALUE_COLUMNS
    want = _sql(
        wh,
        f"SELECT {cols} FROM kpi_value WHERE level = 'sector' AND period = ? AND period_type = 'quarter' "
        "ORDER BY entity_code, kpi_id",
        ["2026Q3"],
    )
    _same(queries.level_matrix(wh, "sector", "2026Q3"), want)
    series = queries.kpi_series_for(wh, "K05", [("sector", "C"), ("national", "MY")], "2025Q4", "2026Q3")
    assert [tuple(x) for x in series[["entity_code", "period"]].values][:2] == [("C", "2025Q4"), ("C", "2026Q1")]
    for (level, entity), part in series.groupby(["level", "entity_code"], sort=False):
        single = _sql(
            wh,
            f"SELECT {cols} FROM kpi_value WHERE kpi_id = 'K05' AND level = ? AND entity_code = ? "
            "AND period_type = 'quarter' AND period BETWEEN '2025Q4' AND '2026Q3' ORDER BY period",
            [level, entity],
        )
        _same(part, single)


def test_national_lineage_equals_the_warehouse(wh):
    row = queries.kpi_value_row(wh, "K01", "national", "MY", "2026Q3")
    ids = sorted(int(s) for s in row["submission_ids"].split(","))
    frame = queries.value_lineage(wh, "K01", "national", "MY", "2026Q3")
    assert sorted(frame["submission_id"]) == ids
    assert list(frame.columns) == list(queries.lineage(wh, ids).columns)


def test_callers_may_change_what_they_get(wh):
    first = queries.kpi_snapshot(wh, "national", "MY", "2026Q3")
    first["value"] = -1.0
    first["extra"] = 1
    again = queries.kpi_snapshot(wh, "national", "MY", "2026Q3")
    assert "extra" not in again and (again["value"] != -1.0).all()
    stones = queries.milestones(wh)
    stones["status"] = "changed"
    assert "changed" not in set(queries.milestones(wh)["status"])


def test_dimension_lookups(wh):
    d = queries.dims(wh)
    first = d.agencies.iloc[0]
    assert d.agency(first["agency_code"])["name_en"] == first["name_en"]
    assert d.agency("NOPE") is None and d.kpi("NOPE") is None
    assert d.names("agencies", "ms")[first["agency_code"]] == (first["name_ms"] or first["name_en"])
    assert list(d.names("kpis", "en")) == list(d.kpis["kpi_id"])
    row = d.kpi("K01")
    row["name_en"] = "changed"
    assert d.kpi("K01")["name_en"] != "changed"


# ---- light components -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "tag,args,props",
    [
        ("Td", ("12",), {"className": "num"}),
        ("Th", ("Head",), {"scope": "col"}),
        ("Span", (["✔", "x"],), {"className": "status", "aria-hidden": "true"}),
        ("Article", (), {"className": "tile", "data-kpi": "K01", "aria-label": "K01 x", "children": ["a"]}),
        ("Br", (), {}),
        ("Li", (None,), {}),
    ],
)
def test_light_components_send_what_dash_sends(tag, args, props):
    light, full = getattr(C.fast, tag)(*args, **props), getattr(html, tag)(*args, **props)
    assert isinstance(light, getattr(html, tag))
    assert json.loads(to_json(light)) == json.loads(to_json(full))


def test_light_link_sends_what_dash_sends():
    assert json.loads(to_json(C.fast.Link("K01", href="/kpi/K01", className="tile-name"))) == json.loads(
        to_json(dcc.Link("K01", href="/kpi/K01", className="tile-name"))
    )


def test_data_table_cells_by_type():
    frame = pd.DataFrame(
        {
            "n": [1.5, np.nan],
            "i": pd.array([3, None], dtype="Int32"),
            "s": pd.array(["2026-01-01", None], dtype="string"),
            "t": pd.to_datetime(["2026-01-01 10:00", None]),
            "c": [C.fast.Span("badge"), "text"],
        }
    )
    table = C.data_table(frame, {"n": "N", "i": "I", "s": "S", "t": "T", "c": "C", "gone": "G"}, "en")
    body = table.children[-1].children
    first = [(td.children, getattr(td, "className", None)) for td in body[0].children]
    second = [(td.children, getattr(td, "className", None)) for td in body[1].children]
    # a timestamp is an instant in UTC, shown in Malaysian time (UTC+8)
    assert first[:4] == [("1.5", "num"), ("3", "num"), ("2026-01-01", "num"), ("2026-01-01 18:00 MYT", "num")]
    assert isinstance(first[4][0], html.Span) and first[5] == ("–", None)
    assert [text for text, _ in second] == ["–", "–", "–", "–", "text", "–"]
    assert [th.scope for th in table.children[0].children.children] == ["col"] * 6
    cut = C.data_table(frame, {"n": "N"}, "en", max_rows=1)
    assert isinstance(cut.children[0], html.Caption) and len(cut.children[-1].children) == 1


# ---- figure dicts ---------------------------------------------------------------------------
def test_figure_dicts_are_valid_plotly_figures():
    series = pd.DataFrame(
        {
            "entity_code": ["C", "C", "MY", "MY"],
            "period": ["2026Q2", "2026Q3", "2026Q2", "2026Q3"],
            "value": [1.0, np.nan, 2.0, 3.0],
            "trajectory": [1.5, 2.5, 1.5, 2.5],
        }
    )
    projection = pd.DataFrame([{"target_period": "2030Q4", "projected_value": 9.0, "target_value": 10.0}])
    z = pd.DataFrame([[10.0, np.nan]], index=["A x"], columns=["K01", "K02"])
    stones = pd.DataFrame(
        {
            "planned_date": pd.to_datetime(["2026-01-01", "2026-06-30"]),
            "actual_date": pd.to_datetime(["2026-02-01", None]),
            "deliverable_code": ["D1", "D2"],
            "status": ["done", "overdue"],
            "label": ["M1 a", "M2 b"],
        }
    )
    specs = [
        figures.sparkline_spec(["2026Q2", "2026Q3"], [1.0, 2.0]),
        figures.trend_spec(
            series,
            title="t",
            x_title="x",
            y_title="y",
            names={"C": "Sector C"},
            target_label="Target",
            projection=projection,
            projection_label="Projection",
            period_label=str,
        ),
        figures.heatmap_spec(z, z.map(str), title="h", x_title="x", y_title="y", colorbar="c", hover="%{z}"),
        figures.grouped_bars_spec(["a", "b"], {"one": [1, 2], "two": [3, np.nan]}, title="b", x_title="x",
                                  y_title="y", horizontal=True),
        figures.milestone_timeline_spec(stones, title="m", planned="Planned", actual="Actual", today=date(2026, 5, 1),
                                        today_label="Today", status_words={"done": "Done", "overdue": "Overdue"}),
    ]
    for spec in specs:
        fig = go.Figure(spec)  # validates every property
        assert fig.layout.template.layout.font.family == figures.template()["layout"]["font"]["family"]
    trend = specs[1]
    assert [t["name"] for t in trend["data"]] == ["Sector C", "MY", "Target", "Projection", "Projection"]
    assert trend["data"][0]["y"] == [1.0, None]
    assert trend["layout"]["xaxis"]["categoryarray"][-1] == "2030Q4"
    assert specs[2]["data"][0]["z"] == [[10.0, None]]
    assert specs[4]["data"][0]["x"] == ["2026-01-01", "2026-06-30"] and specs[4]["data"][2]["x"] == ["2026-06-30"]


def test_figure_block_sets_the_height_of_a_figure_dict():
    spec = figures.sparkline_spec(["2026Q2", "2026Q3"], [1.0, 2.0])
    block = C.figure_block("g", spec, "caption", C.data_table(pd.DataFrame({"a": [1]}), {"a": "A"}, "en"), "en", 280)
    assert block.children[0].figure["layout"]["height"] == 280


def test_bars_never_below_zero_have_no_negative_axis():
    zeros = figures.grouped_bars_spec(["a", "b"], {"k": [0.0, 0.0]}, title="", x_title="", y_title="", horizontal=True)
    mixed = figures.grouped_bars_spec(["a", "b"], {"k": [-2.0, 3.0]}, title="", x_title="", y_title="")
    upright = figures.grouped_bars_spec(["a", "b"], {"k": [1.0, np.nan]}, title="", x_title="", y_title="")
    assert zeros["layout"]["xaxis"]["rangemode"] == "nonnegative"
    assert "rangemode" not in mixed["layout"]["yaxis"]
    assert upright["layout"]["yaxis"]["rangemode"] == "nonnegative"
    go.Figure(zeros)  # a valid figure


def test_bars_of_two_series_show_their_legend_inside_the_figure():
    """The template places legends in the figure's own box (yref container): a legend put
    above the plot there (y = 1, anchored at its bottom) falls outside and is never seen."""
    spec = figures.grouped_bars_spec(["a"], {"Malaysia": [1.0], "EU27": [2.0]}, title="", x_title="", y_title="",
                                     horizontal=True)
    fig = go.Figure(spec)
    assert fig.layout.showlegend is True
    legend = fig.layout.legend
    template = fig.layout.template.layout.legend
    y = legend.y if legend.y is not None else template.y
    anchor = legend.yanchor or template.yanchor
    assert (legend.yref or template.yref) == "container" and not (anchor == "bottom" and y >= 1)
