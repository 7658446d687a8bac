"""Overview: the national picture at a glance (headline KPIs, pillars, composite index,
deliverables, data freshness)."""

from __future__ import annotations

import json
from collections import Counter

import dash
import pandas as pd
from dash import Input, callback, dcc, html

from dashboard import components as C
from dashboard import context, figures, i18n, queries, shell
from dashboard.i18n import t

dash.register_page(__name__, path="/", name="Overview", title="NAIO AI Adoption Dashboard", order=0)
shell.register_callbacks()  # the frame's callbacks, once for each app (see shell.register_callbacks)

HEADLINE = ("K01", "K04", "K05", "K08", "K09", "K15", "K25", "K27")
SPARK_QUARTERS = 8


def layout(period: str | None = None, lang: str | None = None, **_ignored) -> html.Div:
    lang = i18n.lang_of(lang)
    return C.page(lang, lambda d: _body(d, C.pick_period(period, d), lang))


def _body(d: queries.Dimensions, period: str, lang: str) -> list:
    return [
        C.page_header(t("overview_title", lang), t("overview_lead", lang)),
        C.filters(C.dropdown("period", t("period", lang), C.period_options(d.periods, lang), period)),
        C.section(t("headline_title", lang), C.loading("ov-tiles"), id="headline"),
        html.Div(
            className="grid-2",
            children=[
                C.section(t("pillars_title", lang), C.loading("ov-pillars"), id="pillars"),
                C.section(t("composite_title", lang), C.loading("ov-composite"), id="composite"),
            ],
        ),
        html.Div(
            className="grid-2",
            children=[
                C.section(t("deliverables_title", lang), C.loading("ov-deliverables"), id="deliverables"),
                C.section(t("freshness_title", lang), C.loading("ov-freshness"), id="freshness"),
            ],
        ),
    ]


def _has_values(snapshot: pd.DataFrame) -> bool:
    """Any KPI materialised for the period (a value or a status such as awaiting data)."""
    return bool(len(snapshot)) and bool(snapshot["value"].notna().any() or snapshot["status"].notna().any())


def headline(snapshot: pd.DataFrame) -> pd.DataFrame:
    chosen = snapshot[snapshot["kpi_id"].isin(HEADLINE)]
    return chosen if len(chosen) else snapshot.head(len(HEADLINE))


@callback(dash.Output("ov-tiles", "children"), Input("page-lang", "data"), Input(C.filter_id("period"), "value"))
@C.guarded
@C.per_snapshot
def render_tiles(lang: str, period: str) -> list:
    wh = context.warehouse()
    d = queries.dims(wh)
    quarters = queries.window(d.periods, period, SPARK_QUARTERS) or [period]
    ids = [k for k in d.kpis["kpi_id"] if k in HEADLINE] or list(d.kpis["kpi_id"].head(len(HEADLINE)))
    snap, series = queries.kpi_snapshot_and_series(wh, "national", "MY", period, quarters[0], ids)
    tiles = headline(snap)
    if not _has_values(tiles):
        return C.empty(lang)
    out = [html.P(t("headline_lead", lang, period=i18n.period_label(period, lang)), className="muted")]
    by_kpi = {k: part for k, part in series.groupby("kpi_id", sort=False)} if len(series) else {}
    out.append(
        html.Div(
            [
                C.kpi_tile(row, lang, _spark(by_kpi.get(row["kpi_id"]), row, lang))
                for row in tiles.to_dict("records")
            ],
            className="tiles",
        )
    )
    out.append(C.link(t("all_kpis_link", lang), "/kpis", lang, period=period))
    return out


def _spark(series: pd.DataFrame | None, row: dict, lang: str) -> html.Div | None:
    if series is None:
        return None
    known = [(p, v) for p, v in zip(series["period"].tolist(), series["value"].tolist(), strict=True) if not i18n.is_missing(v)]
    if len(known) < 2:
        return None
    periods, values = [p for p, _ in known], [v for _, v in known]
    words = ", ".join(
        f"{i18n.period_label(p, lang)} {i18n.fmt_number(v, row.get('display_format'), row.get('unit'))}" for p, v in known
    )
    graph = dcc.Graph(
        figure=figures.sparkline_spec(periods, values),
        className="spark",
        config={"staticPlot": True, "displayModeBar": False},
    )
    return C.fast.Div([graph, C.fast.Span(t("sr_trend", lang, values=words), className="sr-only")], className="tile-spark")


@callback(dash.Output("ov-pillars", "children"), Input("page-lang", "data"), Input(C.filter_id("period"), "value"))
@C.guarded
@C.per_snapshot
def render_pillars(lang: str, period: str) -> list:
    snap = queries.kpi_snapshot(context.warehouse(), "national", "MY", period)
    if not _has_values(snap):
        return C.empty(lang)
    by_pillar: dict[str, list[dict]] = {}
    for r in snap.to_dict("records"):
        if not i18n.is_missing(r["pillar"]):
            by_pillar.setdefault(r["pillar"], []).append(r)
    cards = []
    for pillar, part in by_pillar.items():
        counts = Counter("awaiting_data" if i18n.is_missing(r["status"]) else r["status"] for r in part)
        summary = [C.fast.Li([C.status_badge(s, lang), f" × {n}"]) for s, n in counts.most_common()]
        kpis = [
            C.fast.Li(
                [
                    C.link(f"{r['kpi_id']} {i18n.name_of(r, lang)}", f"/kpi/{r['kpi_id']}", lang, period=period),
                    " ",
                    C.status_badge(r["status"], lang),
                ]
            )
            for r in part
        ]
        cards.append(
            C.fast.Div(
                [
                    html.H3(i18n.pillar_word(pillar, lang)),
                    C.fast.Ul(summary, className="status-counts"),
                    C.fast.Details(
                        [C.fast.Summary(t("pillar_kpis", lang, n=len(part))), C.fast.Ul(kpis, className="kpi-list")]
                    ),
                ],
                className="pillar",
            )
        )
    return [html.Div(cards, className="pillars")]


@callback(dash.Output("ov-composite", "children"), Input("page-lang", "data"), Input(C.filter_id("period"), "value"))
@C.guarded
@C.per_snapshot
def render_composite(lang: str, period: str) -> list:
    wh = context.warehouse()
    d = queries.dims(wh)
    frame = queries.composite(wh, "sector", period).dropna(subset=["index_value"])
    if not len(frame):
        return C.empty(lang)
    names = {code: f"{code} {name}" for code, name in d.names("sectors", lang).items()}
    frame = frame.sort_values("index_value", ascending=False)
    frame["name"] = frame["entity_code"].map(names).fillna(frame["entity_code"])
    frame["pillars"] = frame["components_json"].map(lambda j: _pillar_text(j, lang))
    fig = figures.grouped_bars_spec(
        frame["name"],
        {t("index", lang): frame["index_value"]},
        horizontal=True,
        title=t("composite_chart", lang, period=i18n.period_label(period, lang)),
        x_title=t("index_axis", lang),
        y_title=t("sector", lang),
    )
    table = C.data_table(
        frame,
        {
            "name": t("sector", lang),
            "index_value": t("index", lang),
            "rank": t("rank", lang),
            "pillars": t("pillar_scores", lang),
        },
        lang,
    )
    return [
        html.P(t("composite_lead", lang), className="muted"),
        C.figure_block("ov-composite-graph", fig, t("composite_caption", lang), table, lang),
        C.link(t("ranking_link", lang), "/agencies", lang, period=period),
    ]


def _pillar_text(components_json: str | None, lang: str) -> str:
    try:
        pillars = json.loads(components_json or "{}").get("pillars") or {}
    except (ValueError, AttributeError):
        return ""
    return "; ".join(f"{i18n.pillar_word(k, lang)} {v:.0f}" for k, v in pillars.items() if v is not None)


@callback(dash.Output("ov-deliverables", "children"), Input("page-lang", "data"), Input(C.filter_id("period"), "value"))
@C.guarded
@C.per_snapshot
def render_deliverables(lang: str, period: str) -> list:
    frame = queries.milestones(context.warehouse())
    if not len(frame):
        return C.empty(lang)
    rows = []
    for code, part in frame.groupby("deliverable_code", sort=True):
        first = part.iloc[0].to_dict()
        done = int((part["status"] == "done").sum())
        overdue = int((part["status"] == "overdue").sum())
        note = t("deliverable_progress", lang, done=done, total=len(part))
        rows.append(
            C.fast.Li(
                [
                    C.fast.Strong(code),
                    " ",
                    C.link(i18n.name_of(first, lang, "deliverable"), "/deliverables", lang),
                    C.fast.Br(),
                    C.fast.Span(note, className="muted"),
                    C.fast.Span([" · ", C.milestone_badge("overdue", lang), " ", t("overdue_n", lang, n=overdue)])
                    if overdue
                    else None,
                ]
            )
        )
    return [html.Ul(rows, className="deliverable-list")]


@callback(dash.Output("ov-freshness", "children"), Input("page-lang", "data"), Input(C.filter_id("period"), "value"))
@C.guarded
@C.per_run_log
def render_freshness(lang: str, period: str) -> list:
    wh = context.warehouse()
    m = queries.meta(wh)
    runs = queries.runs(context.store(), wh)
    facts = C.definition_list(
        [
            (t("published_at", lang), i18n.local_time(m.get("published_at"))),
            (t("snapshot_id", lang), html.Code(m.get("snapshot_id", "–"))),
            (t("current_period", lang), i18n.period_label(m.get("current_period"), lang)),
        ]
    )
    latest = runs.sort_values(["started_at", "run_id"]).groupby("job").tail(1) if len(runs) else runs
    items = [
        C.fast.Li(
            [
                C.fast.Strong(i18n.job_word(r["job"], lang)),
                " ",
                C.run_badge(r["status"], lang),
                " ",
                C.fast.Span(i18n.local_time(r["started_at"]), className="muted"),
            ]
        )
        for r in latest.to_dict("records")
    ]
    return [
        facts,
        html.H3(t("last_runs", lang)),
        html.Ul(items, className="run-list") if items else C.empty(lang, t("no_runs", lang)),
        C.link(t("data_link", lang), "/data", lang),
    ]
