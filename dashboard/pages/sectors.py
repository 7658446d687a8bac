"""Sectors: MSIC sections x KPIs, a sector's trend, the enterprise AI adoption benchmark against
Eurostat, and the agencies behind a sector (drill-down to their profiles)."""

from __future__ import annotations

import dash
from dash import Input, Output, callback, html, no_update

from dashboard import components as C
from dashboard import context, figures, i18n, queries
from dashboard.i18n import t

dash.register_page(__name__, path="/sectors", name="Sectors", title="Sectors · NAIO", order=1)


def layout(
    period: str | None = None, kpi: str | None = None, entity: str | None = None, lang: str | None = None, **_ignored
) -> html.Div:
    lang = i18n.lang_of(lang)
    return C.page(lang, lambda d: _body(d, period, kpi, entity, lang))


def _body(d: queries.Dimensions, period: str | None, kpi: str | None, entity: str | None, lang: str) -> list:
    period = C.pick_period(period, d)
    kpi = C.pick_kpi(kpi, d)
    sections = list(d.sectors["section"])
    entity = C.pick(entity, sections, sections[0] if sections else "")
    sector_opts = [{"label": f"{code} · {name}", "value": code} for code, name in d.names("sectors", lang).items()]
    return [
        C.page_header(t("sectors_title", lang), t("sectors_lead", lang)),
        C.filters(
            C.dropdown("period", t("period", lang), C.period_options(d.periods, lang), period),
            C.dropdown("entity", t("sector", lang), sector_opts, entity),
            C.dropdown("kpi", t("kpi", lang), C.kpi_options(d, lang), kpi),
        ),
        C.section(t("heatmap_title", lang), C.loading("sec-heatmap"), id="sec-heatmap-h"),
        html.Div(
            className="grid-2",
            children=[
                C.section(t("sector_trend_title", lang), C.loading("sec-trend"), id="sec-trend-h"),
                C.section(t("sector_agencies_title", lang), C.loading("sec-agencies"), id="sec-agencies-h"),
            ],
        ),
        C.section(t("benchmark_title", lang), C.loading("sec-benchmark"), id="sec-benchmark-h"),
    ]


def _sector_names(d: queries.Dimensions, lang: str) -> dict[str, str]:
    return {code: f"{code} {name}" for code, name in d.names("sectors", lang).items()}


@callback(Output("sec-heatmap", "children"), Input("page-lang", "data"), Input(C.filter_id("period"), "value"))
@C.guarded
@C.per_snapshot
def render_heatmap(lang: str, period: str) -> list:
    wh = context.warehouse()
    d = queries.dims(wh)
    frame = queries.level_matrix(wh, "sector", period)
    if not len(frame) or frame["value"].notna().sum() == 0:
        return C.empty(lang)
    defs = {k: d.kpi(k) for k in d.names("kpis", lang)}
    reported = frame["value"].notna().groupby(frame["kpi_id"]).transform("any")
    frame = frame[frame["kpi_id"].isin(list(defs)) & reported].copy()
    frame["score"] = figures.attainment(
        frame["value"], frame["target"], frame["kpi_id"].map({k: r["direction"] for k, r in defs.items()})
    )
    frame["text"] = [
        i18n.fmt_number(v, defs[k]["display_format"], defs[k]["unit"])
        for k, v in zip(frame["kpi_id"].tolist(), frame["value"].tolist(), strict=True)
    ]
    names = {k: C.short(v) for k, v in _sector_names(d, lang).items()}
    frame["sector"] = frame["entity_code"].map(names).fillna(frame["entity_code"])
    z = frame.pivot(index="sector", columns="kpi_id", values="score")
    text = frame.pivot(index="sector", columns="kpi_id", values="text").reindex_like(z).fillna("–")
    fig = figures.heatmap_spec(
        z,
        text,
        title=t("heatmap_chart", lang, period=i18n.period_label(period, lang)),
        x_title=t("kpi", lang),
        y_title=t("sector", lang),
        colorbar=t("attainment", lang),
        hover="%{y}<br>%{x}: %{text}",
    )
    grid = text.reset_index()
    table = C.data_table(grid, {"sector": t("sector", lang), **{k: k for k in text.columns}}, lang)
    return [C.figure_block("sec-heatmap-graph", fig, t("heatmap_caption", lang), table, lang)]


@callback(
    Output(C.filter_id("entity"), "value"),
    Output(C.filter_id("kpi"), "value"),
    Input("sec-heatmap-graph", "clickData"),
    prevent_initial_call=True,
)
def pick_cell(click: dict | None) -> tuple:
    """Clicking a heatmap cell selects that sector and KPI for the panels below."""
    try:
        point = click["points"][0]
        return str(point["y"]).split(" ", 1)[0], str(point["x"])
    except (TypeError, KeyError, IndexError):
        return no_update, no_update


@callback(
    Output("sec-trend", "children"),
    Input("page-lang", "data"),
    Input(C.filter_id("period"), "value"),
    Input(C.filter_id("entity"), "value"),
    Input(C.filter_id("kpi"), "value"),
)
@C.guarded
@C.per_snapshot
def render_trend(lang: str, period: str, sector: str, kpi: str) -> list:
    wh = context.warehouse()
    d = queries.dims(wh)
    definition = d.kpi(kpi)
    if not definition or not sector:
        return C.empty(lang)
    first = d.periods[0] if d.periods else period
    frame = queries.kpi_series_for(wh, kpi, [("sector", sector), ("national", "MY")], first, period)
    if frame["value"].notna().sum() == 0:
        return C.empty(lang)
    names = {sector: _sector_names(d, lang).get(sector, sector), "MY": t("national", lang)}
    frame["point"] = C.point_texts(frame, definition, lang)
    unit = i18n.unit_word(definition["unit"], lang)
    fig = figures.trend_spec(
        frame,
        title=f"{kpi} {i18n.name_of(definition, lang)}",
        x_title=t("quarter", lang),
        period_label=C.period_fn(lang),
        y_title=unit or t("value", lang),
        names=names,
        target_label=t("trajectory", lang),
        hover="point",
    )
    frame["who"] = frame["entity_code"].map(names)
    frame["status_word"] = frame["status"].map(lambda s: i18n.status_word(s, lang))
    frame["coverage"] = [C.coverage(r, e, lang) for r, e in zip(frame["reported"], frame["expected"], strict=True)]
    table = C.data_table(
        frame.assign(period=frame["period"].map(C.period_fn(lang))),
        {
            "who": t("entity", lang),
            "period": t("quarter", lang),
            "value": t("value", lang),
            "trajectory": t("trajectory", lang),
            "status_word": t("status", lang),
            "coverage": t("coverage_col", lang),
        },
        lang,
    )
    return [C.figure_block("sec-trend-graph", fig, t("sector_trend_caption", lang), table, lang)]


@callback(
    Output("sec-agencies", "children"),
    Input("page-lang", "data"),
    Input(C.filter_id("period"), "value"),
    Input(C.filter_id("entity"), "value"),
)
@C.guarded
@C.per_snapshot
def render_agencies(lang: str, period: str, sector: str) -> list:
    wh = context.warehouse()
    d = queries.dims(wh)
    frame = queries.sector_agencies(wh, sector or "", period)
    if not len(frame):
        return C.empty(lang)
    names = d.names("agencies", lang)
    frame["agency"] = [
        C.link(f"{names.get(c, c)} ({c})", f"/agency/{c}", lang, period=period) for c in frame["agency_code"]
    ]
    return [
        html.P(t("sector_agencies_lead", lang, sector=_sector_names(d, lang).get(sector, sector)), className="muted"),
        html.Div(
            C.data_table(
                frame,
                {"agency": t("agency", lang), "n_values": t("n_values", lang), "n_systems": t("n_systems", lang)},
                lang,
            ),
            className="table-wrap",
            tabIndex="0",
            id="sector-agency-table",
        ),
    ]


@callback(Output("sec-benchmark", "children"), Input("page-lang", "data"))
@C.guarded
@C.per_snapshot
def render_benchmark(lang: str) -> list:
    wh = context.warehouse()
    d = queries.dims(wh)
    frame = queries.sector_vs_benchmark(wh)
    frame = frame[frame["my_value"].notna() | frame["eu_value"].notna()]
    if not len(frame):
        return C.empty(lang)
    names = {k: C.short(v) for k, v in _sector_names(d, lang).items()}
    frame["sector"] = frame["sector_code"].map(names).fillna(frame["sector_code"])
    fig = figures.grouped_bars_spec(
        frame["sector"],
        {t("malaysia", lang): frame["my_value"], t("eu27", lang): frame["eu_value"]},
        title=t("benchmark_chart", lang),
        x_title=t("share_enterprises", lang),
        y_title=t("sector", lang),
        horizontal=True,
    )
    frame["my_period"] = frame["my_period"].map(lambda p: i18n.period_label(p, lang) if isinstance(p, str) else p)
    table = C.data_table(
        frame,
        {
            "sector": t("sector", lang),
            "my_value": t("malaysia", lang),
            "my_period": t("period", lang),
            "eu_value": t("eu27", lang),
            "eu_year": t("year", lang),
        },
        lang,
    )
    return [C.figure_block("sec-benchmark-graph", fig, t("benchmark_caption", lang), table, lang)]
