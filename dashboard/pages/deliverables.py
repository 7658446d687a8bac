"""Deliverables D1-D7: milestones planned against actual on a timeline, status, evidence, and
K27 (NAIO milestone completion)."""

from __future__ import annotations

from datetime import date

import dash
import pandas as pd
from dash import Input, Output, callback, html

from dashboard import components as C
from dashboard import context, figures, i18n, queries
from dashboard.i18n import t

dash.register_page(__name__, path="/deliverables", name="Deliverables", title="Deliverables · NAIO", order=3)

K27 = "K27"


def layout(period: str | None = None, lang: str | None = None, **_ignored) -> html.Div:
    lang = i18n.lang_of(lang)
    return C.page(lang, lambda d: _body(d, period, lang))


def _body(d: queries.Dimensions, period, lang: str) -> list:
    period = C.pick_period(period, d)
    return [
        C.page_header(t("deliverables_title", lang), t("deliverables_lead", lang)),
        C.filters(C.dropdown("period", t("period", lang), C.period_options(d.periods, lang), period)),
        html.Div(
            className="grid-2",
            children=[
                C.section(t("k27_title", lang), C.loading("dl-k27"), id="dl-k27-h"),
                C.section(t("deliverable_status_title", lang), C.loading("dl-cards"), id="dl-cards-h"),
            ],
        ),
        C.section(t("timeline_title", lang), C.loading("dl-timeline"), id="dl-timeline-h"),
        C.section(t("milestones_title", lang), C.loading("dl-milestones"), id="dl-milestones-h"),
    ]


def _today() -> date:
    """The day the snapshot was published for (its meta), else the product's today."""
    text = queries.meta(context.warehouse()).get("today")
    try:
        return date.fromisoformat(text) if text else context.settings().today_date()
    except ValueError:
        return context.settings().today_date()


@callback(Output("dl-k27", "children"), Input("page-lang", "data"), Input(C.filter_id("period"), "value"))
@C.guarded
@C.per_snapshot
def render_k27(lang: str, period: str) -> list:
    wh = context.warehouse()
    d = queries.dims(wh)
    first = d.periods[0] if d.periods else period
    snap, series = queries.kpi_snapshot_and_series(wh, "national", "MY", period, first, [K27])
    row = snap[snap["kpi_id"] == K27]
    if not len(row):
        return C.empty(lang)
    out = [html.Div(C.kpi_tile(row.iloc[0].to_dict(), lang), className="tiles tiles-one")]
    if series["value"].notna().sum() > 1:
        fig = figures.trend_spec(
            series,
            title=t("k27_trend", lang),
            x_title=t("quarter", lang),
            y_title="%",
            names={"MY": t("national", lang)},
            target_label=t("trajectory", lang),
            period_label=C.period_fn(lang),
        )
        table = C.data_table(
            series.assign(period=series["period"].map(C.period_fn(lang))),
            {"period": t("quarter", lang), "value": t("value", lang), "trajectory": t("trajectory", lang)},
            lang,
        )
        out.append(C.figure_block("dl-k27-graph", fig, t("k27_caption", lang), table, lang, height=280))
    return out


@callback(Output("dl-cards", "children"), Input("page-lang", "data"))
@C.guarded
@C.per_snapshot
def render_cards(lang: str) -> list:
    wh = context.warehouse()
    d = queries.dims(wh)
    frame = queries.milestones(wh)
    if not len(d.deliverables):
        return C.empty(lang)
    items = []
    for r in d.rows("deliverables"):
        part = frame[frame["deliverable_code"] == r["deliverable_code"]]
        done, overdue = int((part["status"] == "done").sum()), int((part["status"] == "overdue").sum())
        items.append(
            C.fast.Li(
                [
                    C.fast.Strong(r["deliverable_code"]),
                    " ",
                    i18n.name_of(r, lang),
                    C.fast.Br(),
                    C.fast.Span(t("deliverable_progress", lang, done=done, total=len(part)), className="muted"),
                    C.fast.Span([" · ", C.milestone_badge("overdue", lang), f" {overdue}"]) if overdue else None,
                    C.fast.Details(
                        [
                            C.fast.Summary(t("description", lang)),
                            C.fast.P(i18n.text_of(r, lang, "description") or "–"),
                            C.fast.P(
                                [C.fast.Strong(t("evidence", lang) + ": "), i18n.text_of(r, lang, "evidence") or "–"],
                                className="muted",
                            ),
                        ]
                    ),
                ]
            )
        )
    return [html.Ul(items, className="deliverable-list")]


def _labelled(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    frame = frame.copy()
    frame["title"] = [
        i18n.name_of({"title_en": en, "title_ms": ms}, lang, "title")
        for en, ms in zip(frame["title_en"].tolist(), frame["title_ms"].tolist(), strict=True)
    ]
    frame["label"] = frame["milestone_id"] + " " + frame["title"]
    if lang == "ms" and "evidence_ms" in frame:
        frame["evidence"] = frame["evidence_ms"].where(frame["evidence_ms"].fillna("").str.strip() != "",
                                                       frame["evidence"])
    for col in ("planned_date", "actual_date"):
        frame[col] = pd.to_datetime(frame[col], errors="coerce")
    return frame


@callback(Output("dl-timeline", "children"), Input("page-lang", "data"))
@C.guarded
@C.per_snapshot
def render_timeline(lang: str) -> list:
    frame = queries.milestones(context.warehouse())
    if not len(frame):
        return C.empty(lang)
    frame = _labelled(frame, lang)
    words = {s: i18n.milestone_word(s, lang) for s in i18n.MILESTONE_STATUS}
    fig = figures.milestone_timeline_spec(
        frame,
        title=t("timeline_chart", lang),
        planned=t("planned_date", lang),
        actual=t("actual", lang),
        today=_today(),
        today_label=t("today", lang),
        status_words=words,
        months=i18n.months(lang),
    )
    return [C.figure_block("dl-timeline-graph", fig, t("timeline_caption", lang), _table(frame, lang), lang)]


def _table(frame: pd.DataFrame, lang: str) -> html.Table:
    frame = frame.copy()
    frame["status_badge"] = [C.milestone_badge(s, lang) for s in frame["status"]]
    for col in ("planned_date", "actual_date"):
        frame[col] = frame[col].dt.strftime("%Y-%m-%d")
    return C.data_table(
        frame,
        {
            "milestone_id": t("milestone", lang),
            "title": t("title", lang),
            "planned_date": t("planned", lang),
            "actual_date": t("actual", lang),
            "status_badge": t("status", lang),
            "evidence": t("evidence", lang),
        },
        lang,
    )


@callback(Output("dl-milestones", "children"), Input("page-lang", "data"))
@C.guarded
@C.per_snapshot
def render_milestones(lang: str) -> list:
    frame = queries.milestones(context.warehouse())
    if not len(frame):
        return C.empty(lang)
    return [html.Div(_table(_labelled(frame, lang), lang), className="table-wrap", tabIndex="0")]
