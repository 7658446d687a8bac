"""Ministries and agencies: the AI Transformation Index ranked within peer groups, and a KPI
across ministries. Each agency links to its profile."""

from __future__ import annotations

import json

import dash
import dash_ag_grid as dag
from dash import Input, Output, callback, html

from dashboard import components as C
from dashboard import context, figures, i18n, queries
from dashboard.i18n import t

dash.register_page(__name__, path="/agencies", name="Ministries and agencies", title="Agencies · NAIO", order=2)

ALL = "all"


def layout(
    period: str | None = None,
    ministry: str | None = None,
    peer: str | None = None,
    kpi: str | None = None,
    lang: str | None = None,
    **_ignored,
) -> html.Div:
    lang = i18n.lang_of(lang)
    return C.page(lang, lambda d: _body(d, period, ministry, peer, kpi, lang))


def _body(d: queries.Dimensions, period, ministry, peer, kpi, lang: str) -> list:
    period = C.pick(period, d.periods, d.current_period)
    ministry = C.pick(ministry, d.ministries["ministry_code"], ALL)
    groups = sorted(set(d.agencies["peer_group"].dropna()))
    peer = C.pick(peer, groups, ALL)
    kpi = C.pick(kpi, d.kpis["kpi_id"], d.kpis["kpi_id"].iloc[0] if len(d.kpis) else "")
    ministry_opts = [{"label": t("all_ministries", lang), "value": ALL}] + [
        {"label": f"{r['ministry_code']} · {i18n.name_of(r, lang)}", "value": r["ministry_code"]}
        for r in d.ministries.to_dict("records")
    ]
    peer_opts = [{"label": t("all_peer_groups", lang), "value": ALL}] + [
        {"label": i18n.peer_word(g, lang), "value": g} for g in groups
    ]
    return [
        C.page_header(t("agencies_title", lang), t("agencies_lead", lang)),
        C.filters(
            C.dropdown("period", t("period", lang), C.period_options(d.periods, lang), period),
            C.dropdown("ministry", t("ministry", lang), ministry_opts, ministry),
            C.dropdown("peer", t("peer_group", lang), peer_opts, peer),
        ),
        C.section(t("ranking_title", lang), C.loading("ag-ranking"), id="ag-ranking-h"),
        C.section(
            t("ministry_kpi_title", lang),
            C.filters(C.dropdown("kpi", t("kpi", lang), C.kpi_options(d.kpis, lang), kpi)),
            C.loading("ag-ministries"),
            id="ag-ministries-h",
        ),
    ]


def ranking_rows(frame, d: queries.Dimensions, lang: str, period: str) -> list[dict]:
    agencies = d.agencies.set_index("agency_code")
    rows = []
    for r in frame.to_dict("records"):
        code = r["entity_code"]
        a = agencies.loc[code].to_dict() if code in agencies.index else {}
        change = (
            None
            if i18n.is_missing(r.get("previous")) or i18n.is_missing(r["index_value"])
            else round(r["index_value"] - r["previous"], 1)
        )
        rows.append(
            {
                "rank": None if i18n.is_missing(r.get("rank")) else int(r["rank"]),
                "agency": _agency_link(a, code, lang, period),
                "ministry": a.get("ministry_code") or "–",
                "peer": i18n.peer_word(r.get("peer_group"), lang),
                "index": None if i18n.is_missing(r["index_value"]) else round(float(r["index_value"]), 1),
                "change": change,
                "range": _rank_range(r),
                "pillars": _pillars(r.get("components_json"), lang),
            }
        )
    return rows


def _agency_link(agency: dict, code: str, lang: str, period: str) -> str:
    """A Markdown link to the agency's profile (the grid renders it)."""
    return f"[{i18n.name_of(agency, lang) or code} ({code})]({C.href(f'/agency/{code}', lang, period=period)})"


def _rank_range(r: dict) -> str:
    if i18n.is_missing(r.get("rank_min")) or i18n.is_missing(r.get("n_peers")):
        return "–"
    return f"{int(r['rank_min'])}–{int(r['rank_max'])} / {int(r['n_peers'])}"


def _pillars(components_json, lang: str) -> str:
    try:
        pillars = json.loads(components_json or "{}").get("pillars") or {}
    except (ValueError, AttributeError):
        return ""
    return "; ".join(f"{i18n.pillar_word(k, lang)} {v:.0f}" for k, v in pillars.items() if v is not None)


def _column_defs(lang: str) -> list[dict]:
    return [
        {"field": "rank", "headerName": t("rank", lang), "width": 90, "type": "numericColumn"},
        {
            "field": "agency",
            "headerName": t("agency", lang),
            "cellRenderer": "markdown",
            "flex": 3,
            "minWidth": 280,
            "wrapText": True,
            "autoHeight": True,
        },
        {"field": "ministry", "headerName": t("ministry", lang), "width": 120},
        {"field": "peer", "headerName": t("peer_group", lang), "width": 140},
        {"field": "index", "headerName": t("index_short", lang), "width": 100, "type": "numericColumn"},
        {"field": "change", "headerName": t("change_col", lang), "width": 110, "type": "numericColumn"},
        {"field": "range", "headerName": t("rank_range", lang), "width": 130},
        {
            "field": "pillars",
            "headerName": t("pillar_scores", lang),
            "flex": 2,
            "minWidth": 220,
            "wrapText": True,
            "autoHeight": True,
            "cellStyle": {"lineHeight": "1.4", "paddingTop": "6px", "paddingBottom": "6px"},
        },
    ]


@callback(
    Output("ag-ranking", "children"),
    Input("page-lang", "data"),
    Input(C.filter_id("period"), "value"),
    Input(C.filter_id("ministry"), "value"),
    Input(C.filter_id("peer"), "value"),
)
@C.guarded
def render_ranking(lang: str, period: str, ministry: str, peer: str) -> list:
    wh = context.warehouse()
    d = queries.dims(wh)
    frame = queries.composite(wh, "agency", period)
    if ministry and ministry != ALL:
        codes = set(d.agencies.loc[d.agencies["ministry_code"] == ministry, "agency_code"])
        frame = frame[frame["entity_code"].isin(codes)]
    if peer and peer != ALL:
        frame = frame[frame["peer_group"] == peer]
    if not len(frame):
        return C.empty(lang)
    grid = dag.AgGrid(
        id="ranking-grid",
        rowData=ranking_rows(frame, d, lang, period),
        columnDefs=_column_defs(lang),
        defaultColDef={"sortable": True, "filter": True, "resizable": True},
        dashGridOptions={
            "pagination": True,
            "paginationPageSize": 25,
            "paginationPageSizeSelector": [25, 50, 100],
            "animateRows": False,
            "ensureDomOrder": True,
        },
        className="ag-theme-alpine grid",
        style={"height": "560px"},
    )
    return [
        html.P(t("ranking_lead", lang, n=len(frame)), className="muted"),
        grid,
        html.P(t("ranking_caption", lang), className="caption"),
    ]


@callback(
    Output("ag-ministries", "children"),
    Input("page-lang", "data"),
    Input(C.filter_id("period"), "value"),
    Input(C.filter_id("kpi"), "value"),
)
@C.guarded
def render_ministries(lang: str, period: str, kpi: str) -> list:
    wh = context.warehouse()
    d = queries.dims(wh)
    definition = d.kpi(kpi)
    frame = queries.kpi_level_values(wh, kpi, "ministry", period) if definition else None
    if frame is None or frame["value"].notna().sum() == 0:
        return C.empty(lang)
    names = {r["ministry_code"]: i18n.name_of(r, lang) for r in d.ministries.to_dict("records")}
    frame = frame[frame["entity_code"].fillna("").str.strip() != ""].dropna(subset=["value"]).copy()
    frame["name"] = frame["entity_code"].map(lambda c: f"{c} · {names.get(c, c)}"[:60])
    frame["status_word"] = frame["status"].map(lambda s: i18n.status_word(s, lang))
    frame["coverage"] = [C.coverage(r, e, lang) for r, e in zip(frame["reported"], frame["expected"], strict=False)]
    unit = i18n.unit_word(definition["unit"], lang) or t("value", lang)
    fig = figures.grouped_bars(
        frame["name"],
        {i18n.name_of(definition, lang): frame["value"]},
        horizontal=True,
        title=f"{kpi} {i18n.name_of(definition, lang)}, {i18n.period_label(period, lang)}",
        x_title=unit,
        y_title=t("ministry", lang),
    )
    table = C.data_table(
        frame,
        {
            "name": t("ministry", lang),
            "value": t("value", lang),
            "status_word": t("status", lang),
            "coverage": t("coverage_col", lang),
        },
        lang,
    )
    return [C.figure_block("ag-ministries-graph", fig, t("ministry_kpi_caption", lang), table, lang)]
