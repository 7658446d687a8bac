"""One agency's profile: its composite index and rank, its KPIs, a KPI's trend against its
ministry and the nation, its submissions and its AI use-case register. Every section is kept per
snapshot, agency, quarter and language; who may see the agency's submissions is checked on
every request, before."""

from __future__ import annotations

import dash
from dash import Input, Output, callback, html

from dashboard import components as C
from dashboard import context, figures, i18n, queries
from dashboard.auth import current_user
from dashboard.i18n import t

dash.register_page(__name__, path_template="/agency/<code>", name="Agency", title="Agency · NAIO")


def layout(
    code: str | None = None, period: str | None = None, kpi: str | None = None, lang: str | None = None, **_ignored
) -> html.Div:
    lang = i18n.lang_of(lang)
    code = str(code or "").strip().upper()
    return C.page(lang, lambda d: _body(d, code, period, kpi, lang), code=code)


def _body(d: queries.Dimensions, code: str, period, kpi, lang: str) -> list:
    agency = d.agency(code)
    if agency is None:
        return [
            C.page_header(t("agency_not_found", lang, code=code)),
            C.link(t("back_agencies", lang), "/agencies", lang),
        ]
    period = C.pick_period(period, d)
    kpi = C.pick_kpi(kpi, d)
    ministry = f"{agency.get('ministry_code') or '–'} · {i18n.name_of(agency, lang, 'ministry')}"
    return [
        C.page_header(
            i18n.name_of(agency, lang),
            None,
            C.definition_list(
                [
                    (t("agency_code", lang), code),
                    (t("ministry", lang), ministry),
                    (t("peer_group", lang), i18n.peer_word(agency.get("peer_group"), lang)),
                ]
            ),
        ),
        C.filters(C.dropdown("period", t("period", lang), C.period_options(d.periods, lang), period)),
        html.Div(
            className="grid-2",
            children=[
                C.section(t("composite_title", lang), C.loading("agy-index"), id="agy-index-h"),
                C.section(
                    t("agency_trend_title", lang),
                    C.filters(C.dropdown("kpi", t("kpi", lang), C.kpi_options(d, lang), kpi)),
                    C.loading("agy-trend"),
                    id="agy-trend-h",
                ),
            ],
        ),
        C.section(t("agency_kpis_title", lang), C.loading("agy-kpis"), id="agy-kpis-h"),
        C.section(t("register_title", lang), C.loading("agy-register"), id="agy-register-h"),
        C.section(t("submissions_title", lang), C.loading("agy-submissions"), id="agy-submissions-h"),
    ]


def _code(key: dict | None) -> str:
    return str((key or {}).get("code") or "")


@callback(
    Output("agy-index", "children"),
    Input("page-lang", "data"),
    Input("page-key", "data"),
    Input(C.filter_id("period"), "value"),
)
@C.guarded
def render_index(lang: str, key: dict, period: str) -> list:
    return _index(lang, _code(key), period)


@C.per_snapshot
def _index(lang: str, code: str, period: str) -> list:
    frame = queries.composite_series(context.warehouse(), "agency", code, period)
    frame = frame.dropna(subset=["index_value"])
    if not len(frame):
        return C.empty(lang)
    last = frame.iloc[-1].to_dict()
    rank = (
        t(
            "rank_of",
            lang,
            rank=int(last["rank"]),
            n=int(last["n_peers"]),
            group=i18n.peer_word(last["peer_group"], lang),
        )
        if not i18n.is_missing(last.get("rank"))
        else ""
    )
    frame = frame.assign(entity_code=code)
    fig = figures.trend_spec(
        frame.rename(columns={"index_value": "value"}),
        title=t("index", lang),
        x_title=t("quarter", lang),
        period_label=C.period_fn(lang),
        y_title=t("index_axis", lang),
        names={code: t("index", lang)},
    )
    table = C.data_table(
        frame.assign(period=frame["period"].map(C.period_fn(lang))),
        {
            "period": t("quarter", lang),
            "index_value": t("index", lang),
            "rank": t("rank", lang),
            "n_peers": t("n_peers", lang),
        },
        lang,
    )
    return [
        html.P([html.Span(f"{last['index_value']:.1f}", className="big-number"), " ", rank]),
        C.figure_block("agy-index-graph", fig, t("agency_index_caption", lang), table, lang, height=260),
    ]


@callback(
    Output("agy-kpis", "children"),
    Input("page-lang", "data"),
    Input("page-key", "data"),
    Input(C.filter_id("period"), "value"),
)
@C.guarded
def render_kpis(lang: str, key: dict, period: str) -> list:
    return _kpis(lang, _code(key), period)


@C.per_snapshot
def _kpis(lang: str, code: str, period: str) -> list:
    snap = queries.kpi_snapshot(context.warehouse(), "agency", code, period)
    snap = snap[snap["value"].notna() | snap["status"].notna()]
    if not len(snap):
        return C.empty(lang)
    rows = []
    for r in snap.to_dict("records"):
        rows.append(
            C.fast.Tr(
                [
                    C.fast.Td(
                        C.link(
                            f"{r['kpi_id']} {i18n.name_of(r, lang)}",
                            f"/kpi/{r['kpi_id']}",
                            lang,
                            level="agency",
                            entity=code,
                            period=period,
                        )
                    ),
                    C.fast.Td(C.value_text(r, lang), className="num"),
                    C.fast.Td(C.status_badge(r["status"], lang)),
                    C.fast.Td(C.change(r["value"], r["previous"], r["direction"], r["display_format"], r["unit"], lang)),
                    C.fast.Td(C.value_text({**r, "value": r["target"]}, lang), className="num"),
                ]
            )
        )
    head = html.Thead(
        html.Tr([html.Th(t(k, lang), scope="col") for k in ("kpi", "value", "status", "change_col", "target")])
    )
    return [
        html.Div(
            html.Table([head, html.Tbody(rows)], className="data-table", id="agency-kpi-table"),
            className="table-wrap",
            tabIndex="0",
        )
    ]


@callback(
    Output("agy-trend", "children"),
    Input("page-lang", "data"),
    Input("page-key", "data"),
    Input(C.filter_id("period"), "value"),
    Input(C.filter_id("kpi"), "value"),
)
@C.guarded
def render_trend(lang: str, key: dict, period: str, kpi: str) -> list:
    return _trend(lang, _code(key), period, kpi)


@C.per_snapshot
def _trend(lang: str, code: str, period: str, kpi: str) -> list:
    wh = context.warehouse()
    d = queries.dims(wh)
    definition, agency = d.kpi(kpi), d.agency(code) or {}
    if not definition:
        return C.empty(lang)
    first = d.periods[0] if d.periods else period
    frame = queries.kpi_series_for(
        wh, kpi, [("agency", code), ("ministry", agency.get("ministry_code") or ""), ("national", "MY")], first, period
    )
    if frame["value"].notna().sum() == 0:
        return C.empty(lang)
    names = {code: code, agency.get("ministry_code") or "": t("ministry", lang), "MY": t("national", lang)}
    frame["point"] = C.point_texts(frame, definition, lang)
    fig = figures.trend_spec(
        frame,
        title=f"{kpi} {i18n.name_of(definition, lang)}",
        x_title=t("quarter", lang),
        period_label=C.period_fn(lang),
        y_title=i18n.unit_word(definition["unit"], lang) or t("value", lang),
        names=names,
        target_label=t("trajectory", lang),
        hover="point",
    )
    frame["who"] = frame["entity_code"].map(names)
    table = C.data_table(
        frame.assign(period=frame["period"].map(C.period_fn(lang))),
        {
            "who": t("entity", lang),
            "period": t("quarter", lang),
            "value": t("value", lang),
            "trajectory": t("trajectory", lang),
        },
        lang,
    )
    return [C.figure_block("agy-trend-graph", fig, t("agency_trend_caption", lang), table, lang, height=300)]


@callback(
    Output("agy-register", "children"),
    Input("page-lang", "data"),
    Input("page-key", "data"),
    Input(C.filter_id("period"), "value"),
)
@C.guarded
def render_register(lang: str, key: dict, period: str) -> list:
    return _register(lang, _code(key), period)


@C.per_snapshot
def _register(lang: str, code: str, period: str) -> list:
    """The agency's register in force in the quarter (its latest register up to it), as the AI
    systems page and the register KPIs count it, with a link to its ministry's systems there."""
    wh = context.warehouse()
    frame, n = queries.register_page(wh, period, agency=code, limit=None)
    when = i18n.period_label(period, lang)
    if not n:
        return C.empty(lang, t("agency_systems_none", lang, period=when))
    of = i18n.period_label(frame["period"].max(), lang)
    ministry = (queries.dims(wh).agency(code) or {}).get("ministry_code")
    lead = [t("agency_systems_in_force", lang, n=f"{n:,}", period=when, of=of)]
    if ministry:
        lead += [" ", C.link(t("systems_of_ministry", lang, period=when), "/systems", lang,
                             ministry=ministry, period=period)]
    return [html.P(lead, className="muted"), C.register_table(frame, lang)]


@callback(Output("agy-submissions", "children"), Input("page-lang", "data"), Input("page-key", "data"))
@C.guarded
def render_submissions(lang: str, key: dict) -> list:
    code = _code(key)
    if not C.may_see_lineage(current_user(), code):  # checked on every request, before what is kept
        return [C.notice(t("submissions_hidden", lang))]
    return _submissions(lang, code)


@C.per_snapshot
def _submissions(lang: str, code: str) -> list:
    frame = queries.agency_submissions(context.warehouse(), code)
    if not len(frame):
        return C.empty(lang)
    frame["status"] = frame["status"].map(lambda s: i18n.submission_word(s, lang))
    frame["kind"] = frame["kind"].map(lambda k: i18n.kind_word(k, lang))
    frame["periods"] = frame["periods"].map(lambda p: i18n.periods_label(p, lang))
    cols = {
        "submission_id": t("submission_id", lang),
        "kind": t("kind", lang),
        "file_name": t("file_name", lang),
        "periods": t("periods", lang),
        "received_at": t("received", lang),
        "status": t("status", lang),
        "n_rows": t("rows", lang),
        "n_warnings": t("warnings", lang),
    }
    return [html.Div(C.data_table(frame, cols, lang), className="table-wrap", tabIndex="0")]
