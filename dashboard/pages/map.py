"""Map: a KPI by state, on Malaysia's 16 states."""

from __future__ import annotations

import dash
from dash import Input, Output, callback, html

from dashboard import components as C
from dashboard import context, figures, i18n, queries
from dashboard.i18n import t

dash.register_page(__name__, path="/map", name="Map", title="Map · NAIO", order=4)


def layout(period: str | None = None, kpi: str | None = None, lang: str | None = None, **_ignored) -> html.Div:
    lang = i18n.lang_of(lang)
    return C.page(lang, lambda d: _body(d, period, kpi, lang))


def _body(d: queries.Dimensions, period, kpi, lang: str) -> list:
    period = C.pick_period(period, d)
    choices = [k for k in d.kpis["kpi_id"] if k in d.state_kpis] or list(d.kpis["kpi_id"])
    kpi = C.pick_kpi(kpi, d, choices)
    return [
        C.page_header(t("map_title", lang), t("map_lead", lang)),
        C.filters(
            C.dropdown("period", t("period", lang), C.period_options(d.periods, lang), period),
            C.dropdown("kpi", t("kpi", lang), C.kpi_options(d, lang, only=choices), kpi),
        ),
        C.section(t("map_section", lang), C.loading("map-body"), id="map-h"),
    ]


@callback(
    Output("map-body", "children"),
    Input("page-lang", "data"),
    Input(C.filter_id("period"), "value"),
    Input(C.filter_id("kpi"), "value"),
)
@C.guarded
@C.per_snapshot
def render_map(lang: str, period: str, kpi: str) -> list:
    wh = context.warehouse()
    d = queries.dims(wh)
    definition = d.kpi(kpi)
    frame = queries.kpi_level_values(wh, kpi, "state", period) if definition else None
    if frame is None or frame["value"].notna().sum() == 0:
        return C.empty(lang)
    states = d.states.assign(entity_code=d.states["state_code"].astype(str))
    frame = states.merge(frame, on="entity_code", how="left")
    names = d.names("states", lang)
    frame["state"] = [names.get(c, "") for c in frame["entity_code"]]
    shown = {"display_format": definition["display_format"], "unit": definition["unit"]}
    frame["text"] = [C.value_text({**shown, "value": v}, lang) for v in frame["value"].tolist()]
    frame["status_word"] = frame["status"].map(lambda s: i18n.status_word(s, lang))
    geojson = figures.states_geojson_url(str(context.settings().reference_dir / figures.STATES_GEOJSON))
    unit = i18n.unit_word(definition["unit"], lang) or t("value", lang)
    fig = figures.choropleth(
        geojson,
        frame["state_code"].astype(int),
        frame["value"],
        frame["state"],
        frame["text"],
        title=f"{kpi} {i18n.name_of(definition, lang)}, {i18n.period_label(period, lang)}",
        colorbar=unit,
    )
    frame["coverage"] = [C.coverage(r, e, lang) for r, e in zip(frame["reported"], frame["expected"], strict=False)]
    table = C.data_table(
        frame.sort_values("value", ascending=False, na_position="last"),
        {
            "state": t("state", lang),
            "text": t("value", lang),
            "status_word": t("status", lang),
            "coverage": t("coverage_col", lang),
        },
        lang,
    )
    return [C.figure_block("map-graph", fig, t("map_caption", lang), table, lang)]
