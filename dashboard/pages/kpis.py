"""KPI catalogue: every KPI with its pillar, unit, direction, deliverables and national status."""

from __future__ import annotations

import dash
from dash import Input, Output, callback, html

from dashboard import components as C
from dashboard import context, i18n, queries
from dashboard.i18n import t

dash.register_page(__name__, path="/kpis", name="KPI catalogue", title="KPI catalogue · NAIO", order=5)


def layout(period: str | None = None, pillar: str | None = None, lang: str | None = None, **_ignored) -> html.Div:
    lang = i18n.lang_of(lang)
    return C.page(lang, lambda d: _body(d, period, pillar, lang))


def _body(d: queries.Dimensions, period, pillar, lang: str) -> list:
    period = C.pick_period(period, d)
    pillars = list(dict.fromkeys(d.kpis["pillar"].dropna()))
    pillar = C.pick(pillar, pillars, C.ALL)
    opts = [{"label": t("all_pillars", lang), "value": C.ALL}] + [
        {"label": f"{p} · {i18n.pillar_word(p, lang)}", "value": p} for p in pillars
    ]
    return [
        C.page_header(t("kpis_title", lang), t("kpis_lead", lang)),
        C.filters(
            C.dropdown("period", t("period", lang), C.period_options(d.periods, lang), period),
            C.dropdown("pillar", t("pillar", lang), opts, pillar),
        ),
        C.section(t("catalogue_title", lang), C.loading("kpis-table"), id="kpis-h"),
    ]


@callback(
    Output("kpis-table", "children"),
    Input("page-lang", "data"),
    Input(C.filter_id("period"), "value"),
    Input(C.filter_id("pillar"), "value"),
)
@C.guarded
@C.per_snapshot
def render_catalogue(lang: str, period: str, pillar: str) -> list:
    snap = queries.kpi_snapshot(context.warehouse(), "national", "MY", period)
    if pillar and pillar != C.ALL:
        snap = snap[snap["pillar"] == pillar]
    if not len(snap):
        return C.empty(lang)
    head = html.Thead(
        html.Tr(
            [
                html.Th(t(k, lang), scope="col")
                for k in ("kpi", "pillar", "unit", "direction", "deliverables_col", "value", "status", "coverage_col")
            ]
        )
    )
    rows = [
        C.fast.Tr(
            [
                C.fast.Td([C.link(f"{r['kpi_id']} {i18n.name_of(r, lang)}", f"/kpi/{r['kpi_id']}", lang, period=period)]),
                C.fast.Td(i18n.pillar_word(r["pillar"], lang)),
                C.fast.Td(i18n.unit_word(r["unit"], lang) or "–"),
                C.fast.Td(t("direction_down" if r["direction"] == "down" else "direction_up", lang)),
                C.fast.Td(", ".join(i18n.parse_list(r["deliverables"])) or "–"),
                C.fast.Td(C.value_text(r, lang), className="num"),
                C.fast.Td(C.status_badge(r["status"], lang)),
                C.fast.Td(C.coverage(r["reported"], r["expected"], lang)),
            ]
        )
        for r in snap.to_dict("records")
    ]
    return [
        html.P(t("catalogue_lead", lang, n=len(snap), period=i18n.period_label(period, lang)), className="muted"),
        html.Div(
            html.Table([head, html.Tbody(rows)], className="data-table", id="kpi-catalogue"),
            className="table-wrap table-whole",
            tabIndex="0",
        ),
    ]
