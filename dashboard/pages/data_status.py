"""Data and pipeline status: ETL and job runs (failed or missed ones shown loudly), returns
completeness by agency and quarter, and the freshness of each source."""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, callback, html

from dashboard import components as C
from dashboard import context, figures, i18n, queries
from dashboard.i18n import t

dash.register_page(__name__, path="/data", name="Data status", title="Data status · NAIO", order=6)

MAX_AGENCY_ROWS = 30
COMPLETENESS_QUARTERS = 8


def layout(period: str | None = None, ministry: str | None = None, lang: str | None = None, **_ignored) -> html.Div:
    lang = i18n.lang_of(lang)
    return C.page(lang, lambda d: _body(d, period, ministry, lang))


def _body(d: queries.Dimensions, period, ministry, lang: str) -> list:
    period = C.pick_period(period, d)
    ministry = C.pick(ministry, d.ministries["ministry_code"], C.ALL)
    opts = C.ministry_options(d, lang)
    return [
        C.page_header(t("data_title", lang), t("data_lead", lang)),
        C.section(t("runs_title", lang), C.loading("ds-runs"), id="ds-runs-h"),
        C.section(
            t("completeness_title", lang),
            C.filters(
                C.dropdown("period", t("period", lang), C.period_options(d.periods, lang), period),
                C.dropdown("ministry", t("ministry", lang), opts, ministry),
            ),
            C.loading("ds-completeness"),
            id="ds-completeness-h",
        ),
        C.section(t("freshness_sources", lang), C.loading("ds-sources"), id="ds-sources-h"),
    ]


def _run_rows(runs: pd.DataFrame, lang: str) -> pd.DataFrame:
    runs = runs.copy()
    started = pd.to_datetime(runs["started_at"], errors="coerce")
    ended = pd.to_datetime(runs["ended_at"], errors="coerce")
    runs["seconds"] = (ended - started).dt.total_seconds().round(1)
    runs["badge"] = [C.run_badge(s, lang) for s in runs["status"]]
    runs["counts"] = runs["counts_json"].map(lambda text: i18n.run_counts(text, lang))
    runs["job_name"] = runs["job"].map(lambda job: i18n.job_word(job, lang))
    runs["started"] = [i18n.local_time(v, seconds=True) for v in started]
    runs["trigger"] = runs["trigger"].map(lambda w: i18n.trigger_word(w, lang))
    return runs


def _alert(bad: list[dict], lang: str) -> html.Div | None:
    """Failed or missed latest runs, loudly, at the top of the page."""
    if not bad:
        return None
    items = [
        html.Li(
            [C.run_badge(r["status"], lang), f" {i18n.job_word(r['job'], lang)} · {i18n.local_time(r['started_at'])} · ", r.get("error") or "–"]
        )
        for r in bad
    ]
    return html.Div(
        [html.Strong(t("banner_title", lang)), html.Ul(items)], role="alert", className="callout callout-danger"
    )


@callback(Output("ds-runs", "children"), Input("page-lang", "data"))
@C.guarded
@C.per_run_log
def render_runs(lang: str) -> list:
    runs = queries.runs(context.store(), context.warehouse())
    if not len(runs):
        return C.empty(lang, t("no_runs", lang))
    alert = _alert(queries.loud_runs(runs), lang)
    rows = _run_rows(runs, lang)
    latest = rows.sort_values(["started_at", "run_id"]).groupby("job").tail(1).sort_values("job_name")
    cols = {
        "job_name": t("job", lang),
        "badge": t("status", lang),
        "started": t("started", lang),
        "seconds": t("duration_s", lang),
        "trigger": t("trigger", lang),
        "counts": t("counts", lang),
        "error": t("error", lang),
    }
    return [
        alert,
        html.H3(t("latest_by_job", lang)),
        html.Div(C.data_table(latest, cols, lang), className="table-wrap", tabIndex="0"),
        html.Details(
            [
                html.Summary(t("all_runs", lang, n=len(rows))),
                html.Div(
                    C.data_table(rows.assign(run=rows["run_id"]), {"run": t("run", lang), **cols}, lang, max_rows=200),
                    className="table-wrap",
                    tabIndex="0",
                ),
            ]
        ),
    ]


@callback(
    Output("ds-completeness", "children"),
    Input("page-lang", "data"),
    Input(C.filter_id("period"), "value"),
    Input(C.filter_id("ministry"), "value"),
)
@C.guarded
@C.per_snapshot
def render_completeness(lang: str, period: str, ministry: str) -> list:
    wh = context.warehouse()
    d = queries.dims(wh)
    quarters = queries.window(d.periods, period, COMPLETENESS_QUARTERS)
    grouped, by_agency = queries.completeness_summary(
        wh, quarters[0], period, None if ministry in (None, C.ALL) else ministry, MAX_AGENCY_ROWS
    )
    if not len(grouped):
        return C.empty(lang)
    key = "agency_code" if by_agency else "ministry_code"
    grouped["pct"] = (100 * grouped["received"] / grouped["expected"].where(grouped["expected"] > 0)).round(0)
    grouped["text"] = grouped["received"].astype(int).astype(str) + "/" + grouped["expected"].astype(int).astype(str)
    grouped["period_label"] = grouped["period"].map(C.period_fn(lang))
    z = grouped.pivot(index=key, columns="period", values="pct").sort_index(axis=1)
    text = grouped.pivot(index=key, columns="period", values="text").reindex_like(z).fillna("–")
    z.columns = text.columns = [i18n.period_label(p, lang) for p in z.columns]
    label = t("agency", lang) if by_agency else t("ministry", lang)
    fig = figures.heatmap_spec(
        z,
        text,
        title=t("completeness_chart", lang),
        x_title=t("quarter", lang),
        y_title=label,
        colorbar=t("received_pct", lang),
        hover="%{y} · %{x}: %{text}",
    )
    table = C.data_table(
        grouped,
        {
            key: label,
            "period_label": t("quarter", lang),
            "expected": t("expected", lang),
            "received": t("received_n", lang),
            "on_time": t("on_time", lang),
            "late": t("late", lang),
        },
        lang,
    )
    caption = t("completeness_caption", lang) if by_agency else t("completeness_caption_ministry", lang)
    return [C.figure_block("ds-completeness-graph", fig, caption, table, lang)]


@callback(Output("ds-sources", "children"), Input("page-lang", "data"))
@C.guarded
@C.per_snapshot
def render_sources(lang: str) -> list:
    frame = queries.source_freshness(context.warehouse())
    if not len(frame):
        return C.empty(lang)
    frame = frame.assign(kind=frame["kind"].map(lambda kind: i18n.kind_word(kind, lang)))
    cols = {
        "kind": t("kind", lang),
        "source": t("source", lang),
        "last_received": t("last_received", lang),
        "n_files": t("files", lang),
        "n_accepted": t("accepted", lang),
        "n_rejected": t("rejected", lang),
    }
    return [html.Div(C.data_table(frame, cols, lang), className="table-wrap", tabIndex="0")]
