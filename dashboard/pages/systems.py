"""AI systems: the national register of the public service's AI systems in force in a quarter
(each agency's latest register up to it), counted by stage and listed, filtered by ministry,
MSIC sector, stage and risk tier. The list is paged on the server (``?page=N``, 50 a page)."""

from __future__ import annotations

import dash
from dash import Input, Output, callback, ctx, html
from dash.exceptions import MissingCallbackContextException

from dashboard import components as C
from dashboard import context, i18n, paging, queries
from dashboard.i18n import t
from etl import register

PATH = "/systems"
dash.register_page(__name__, path=PATH, name="AI systems", title="AI systems · NAIO", order=4)

FILTERS = ("period", "ministry", "msic", "stage", "risk")


def layout(period: str | None = None, ministry: str | None = None, msic: str | None = None,
           stage: str | None = None, risk: str | None = None, page: str | None = None, lang: str | None = None,
           **_ignored) -> html.Div:
    lang = i18n.lang_of(lang)
    return C.page(lang, lambda d: _body(d, period, ministry, msic, stage, risk, lang), page=paging.page_number(page))


def _body(d: queries.Dimensions, period, ministry, msic, stage, risk, lang: str) -> list:
    sections = d.names("sectors", lang)
    stages, tiers = register.STAGES, register.RISK_TIERS
    every = {"label": t("all_sectors", lang), "value": C.ALL}
    return [
        C.page_header(t("systems_title", lang), t("systems_lead", lang)),
        C.filters(
            C.dropdown("period", t("period", lang), C.period_options(d.periods, lang), C.pick_period(period, d)),
            C.dropdown("ministry", t("ministry", lang), C.ministry_options(d, lang),
                       C.pick(ministry, d.ministries["ministry_code"], C.ALL)),
            C.dropdown("msic", t("sector", lang),
                       [every] + [{"label": f"{code} · {name}", "value": code} for code, name in sections.items()],
                       C.pick(msic, sections, C.ALL)),
            C.dropdown("stage", t("stage", lang), _choices(stages, "all_stages", lang), C.pick(stage, stages, C.ALL)),
            C.dropdown("risk", t("risk_tier", lang), _choices(tiers, "all_risk_tiers", lang),
                       C.pick(risk, tiers, C.ALL)),
        ),
        C.section(t("systems_by_stage", lang), C.loading("sys-summary"), id="sys-summary-h"),
        C.section(t("systems_list", lang), C.loading("sys-list"), id="sys-list-h"),
    ]


def _choices(codes: tuple[str, ...], every: str, lang: str) -> list[dict]:
    return [{"label": t(every, lang), "value": C.ALL}] + [
        {"label": i18n.register_word(c, lang), "value": c} for c in codes]


def _chosen(value: str | None) -> str | None:
    return None if value in (None, "", C.ALL) else value


_FILTERS = [Input(C.filter_id(k), "value") for k in FILTERS]


@callback(Output("sys-summary", "children"), Input("page-lang", "data"), *_FILTERS)
@C.guarded
@C.per_snapshot
def render_summary(lang: str, period: str, ministry: str, msic: str, stage: str, risk: str) -> list:
    frame = queries.register_summary(context.warehouse(), period, *map(_chosen, (ministry, msic, stage, risk)))
    if not len(frame):
        return C.empty(lang, t("systems_none", lang, period=i18n.period_label(period, lang)))
    systems = int(frame["systems"].sum())
    lead = t("systems_in_force", lang, n=f"{systems:,}", period=i18n.period_label(period, lang))
    frame = frame.assign(stage=frame["stage"].map(lambda s: i18n.register_word(s, lang)))
    cols = {"stage": t("stage", lang), **{c: i18n.register_heading(c, lang) for c in queries.REGISTER_COUNTS}}
    return [html.P(lead, className="muted"),
            html.Div(C.data_table(frame, cols, lang), className="table-wrap", tabIndex="0", id="sys-summary-table")]


@callback(Output("sys-list", "children"), Input("page-lang", "data"), Input("page-key", "data"), *_FILTERS)
@C.guarded
def render_list(lang: str, key: dict | None, period: str, ministry: str, msic: str, stage: str, risk: str) -> list:
    page = 1 if _filter_changed() else (key or {}).get("page", 1)
    return _list(lang, period, ministry, msic, stage, risk, paging.page_number(page))


def _filter_changed() -> bool:
    """Whether a filter changed on the page set this call off (the list starts again from its
    first page), rather than the page's render (the page of the URL)."""
    try:
        return isinstance(ctx.triggered_id, dict)
    except MissingCallbackContextException:  # called directly, outside a request's callback
        return False


@C.per_snapshot
def _list(lang: str, period: str, ministry: str, msic: str, stage: str, risk: str, page: int) -> list:
    chosen = tuple(map(_chosen, (ministry, msic, stage, risk)))
    wh = context.warehouse()
    frame, total = queries.register_page(wh, period, *chosen, limit=paging.PAGE_SIZE,
                                         offset=paging.offset(page))
    if total and not len(frame):  # a page past the end: its last page
        page = paging.clamp(page, total)
        frame, total = queries.register_page(wh, period, *chosen, limit=paging.PAGE_SIZE,
                                             offset=paging.offset(page))
    if not total:
        return C.empty(lang)
    keep = {k: v for k, v in zip(FILTERS, (period, ministry, msic, stage, risk), strict=True) if _chosen(v)}
    return [
        C.register_table(frame, lang, with_agency=True, id="sys-table"),
        paging.pager(PATH, lang, page, total, pager_id="sys-pager", **keep),
        html.P(html.A(t("systems_csv", lang, n=f"{total:,}"), id="sys-csv", download="",
                      href=C.href("/api/v1/systems", lang, **keep, format="csv"))),
    ]
