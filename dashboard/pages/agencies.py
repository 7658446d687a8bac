"""Ministries and agencies: the AI Transformation Index ranked within peer groups, and a KPI
across ministries. Each agency links to its profile."""

from __future__ import annotations

import json

import dash
from dash import Input, Output, callback, html

from dashboard import components as C
from dashboard import context, figures, i18n, lists, paging, queries
from dashboard.i18n import t

dash.register_page(__name__, path="/agencies", name="Ministries and agencies", title="Agencies · NAIO", order=2)


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
    period = C.pick_period(period, d)
    ministry = C.pick(ministry, d.ministries["ministry_code"], C.ALL)
    groups = d.distinct("agencies", "peer_group")
    peer = C.pick(peer, groups, C.ALL)
    kpi = C.pick_kpi(kpi, d)
    ministry_opts = C.ministry_options(d, lang)
    peer_opts = [{"label": t("all_peer_groups", lang), "value": C.ALL}] + [
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
            C.filters(C.dropdown("kpi", t("kpi", lang), C.kpi_options(d, lang), kpi)),
            C.loading("ag-ministries"),
            id="ag-ministries-h",
        ),
    ]


def ranking_rows(rows: list[tuple], lang: str, period: str) -> list[dict]:
    """Plain JSON rows for the grid (no components): the agency cell is a Markdown link, and
    each pillar score is a number of its own (``p_<pillar>``), so it sorts and filters."""
    query = C.href("", lang, period=period)  # the same for every row
    peers: dict = {}
    out = []
    for code, rank, index, change, rank_min, rank_max, n_peers, group, name_en, name_ms, ministry, pillars in rows:
        name = (name_ms if lang == "ms" and name_ms else name_en) or code
        if group not in peers:
            peers[group] = i18n.peer_word(group, lang)
        out.append({
            "rank": None if i18n.is_missing(rank) else int(rank),
            "agency": f"[{name} ({code})](/agency/{code}{query})",
            "ministry": ministry or "–",
            "peer": peers[group],
            "index": None if i18n.is_missing(index) else round(float(index), 1),
            "change": None if i18n.is_missing(change) else round(float(change), 1),
            "range": "–" if i18n.is_missing(rank_min) or i18n.is_missing(n_peers)
            else f"{int(rank_min)}–{int(rank_max)} / {int(n_peers)}",
            **_pillars(pillars),
        })
    return out


def _pillars(pillars_json) -> dict[str, int]:
    """``{"p_TAL": 40, "p_ADO": 12, ...}``: the index's pillar scores, rounded to whole points."""
    try:
        pillars = json.loads(pillars_json or "{}") or {}
    except (ValueError, TypeError):
        return {}
    if not isinstance(pillars, dict):
        return {}
    return {f"p_{key}": round(float(value)) for key, value in pillars.items() if value is not None}


def _column_defs(lang: str, pillars: list[str]) -> list[dict]:
    return [
        {"field": "rank", "headerName": t("rank", lang), "width": 130, "type": "numericColumn"},
        {
            "field": "agency",
            "headerName": t("agency", lang),
            "cellRenderer": "markdown",
            "suppressKeyboardEvent": lists.TAB_INTO_LINKS,
            "flex": 3,
            "minWidth": 280,
            "wrapText": True,
            "autoHeight": True,
        },
        {"field": "ministry", "headerName": t("ministry", lang), "width": 150},
        {"field": "peer", "headerName": t("peer_group", lang), "width": 140},
        {"field": "index", "headerName": t("index_short", lang), "width": 110, "type": "numericColumn"},
        {"field": "change", "headerName": t("change_col", lang), "width": 135, "type": "numericColumn"},
        {"field": "range", "headerName": t("rank_range", lang), "width": 140},
        {
            "headerName": t("pillar_scores", lang),
            "children": [
                {"field": f"p_{key}", "headerName": i18n.pillar_word(key, lang), "width": 150,
                 "type": "numericColumn"}
                for key in pillars
            ],
        },
    ]


def _pillar_keys(rows: list[dict]) -> list[str]:
    """The pillars the rows carry, in the catalogue's order of pillars (unknown ones last)."""
    keys: dict[str, None] = {}
    for row in rows:
        keys.update((k[2:], None) for k in row if k.startswith("p_"))
    order = list(i18n.PILLARS)
    return sorted(keys, key=lambda k: (order.index(k) if k in order else len(order), k))


@callback(
    Output("ag-ranking", "children"),
    Input("page-lang", "data"),
    Input(C.filter_id("period"), "value"),
    Input(C.filter_id("ministry"), "value"),
    Input(C.filter_id("peer"), "value"),
)
@C.guarded
@C.per_snapshot
def render_ranking(lang: str, period: str, ministry: str, peer: str) -> list:
    rows = lists.ranking(context.warehouse(), period, None if ministry == C.ALL else ministry,
                         None if peer == C.ALL else peer)
    if not rows:
        return C.empty(lang)
    table = ranking_rows(rows, lang, period)
    grid = paging.grid("ranking-grid", table, _column_defs(lang, _pillar_keys(table)), lang, page_size=25)
    return [
        html.P(t("ranking_lead", lang, n=len(rows)), className="muted"),
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
@C.per_snapshot
def render_ministries(lang: str, period: str, kpi: str) -> list:
    wh = context.warehouse()
    d = queries.dims(wh)
    definition = d.kpi(kpi)
    frame = queries.kpi_level_values(wh, kpi, "ministry", period) if definition else None
    if frame is None or frame["value"].notna().sum() == 0:
        return C.empty(lang)
    names = d.names("ministries", lang)
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
