"""Submission history: every submission of the analyst's agency (admins: any or all agencies).

Each row gives status, who, when, reason, the count of problems, and downloads of the
original file and of the error sheet (both routes check the agency again). The list is
paged on the server (``?page=N``, 50 a page, newest first): only one page is read and shown.
"""

from __future__ import annotations

import dash
from dash import Input, Output, State, callback, dcc, html

from dashboard import auth, context, i18n, lists, paging
from dashboard import components as C
from dashboard import submissions_ui as ui
from etl.accounts import User, can_use_returns, is_admin

dash.register_page(__name__, path="/submissions", name="Submissions", title="Submissions · NAIO", order=61)

PATH = "/submissions"
ALL = "__all__"
L = {
    "title": ("Submissions", "Penyerahan"),
    "intro": ("Every file received for {who}, newest first: {n} in all.",
              "Setiap fail yang diterima untuk {who}, terbaru dahulu: {n} kesemuanya."),
    "all": ("all agencies", "semua agensi"),
    "empty": ("No submissions yet.", "Belum ada penyerahan."),
    "submit": ("Submit a return", "Hantar penyata"),
}


def _t(key: str, lang: str, **values) -> str:
    en, ms = L[key]
    return (ms if lang == "ms" else en).format(**values)


def layout(lang: str | None = None, agency: str | None = None, page: str | None = None, **_kwargs):
    lang = i18n.lang_of(lang)
    user = auth.page_user(can_use_returns, "open /submissions")
    if user is None:
        return ui.access_denied(lang)
    wanted = (agency or "").strip().upper() or (None if user.is_admin else user.agency_code)
    if wanted and not user.can_see_submissions_of(wanted):
        auth.page_user(lambda _u: False, f"open /submissions for {wanted}")
        return ui.access_denied(lang)
    return html.Div(className="page page-history", children=[
        C.page_header(_t("title", lang)),
        dcc.Store(id="history-lang", data=lang),
        _filter(user, wanted, lang),
        html.Div(id="history-body", children=history_body(user, wanted, lang, paging.page_number(page))),
        html.P(html.A(_t("submit", lang), href=C.href("/submit", lang), className="btn btn-secondary")),
    ])


def _filter(user: User, wanted: str | None, lang: str):
    if not user.is_admin:
        return dcc.Store(id="history-agency", data=user.agency_code)
    options = {ALL: _t("all", lang), **{c: c for c in sorted(context.store().agencies())}}
    return C.filters(ui.labelled(ui.tr("agency", lang), dcc.Dropdown(
        id="history-agency-filter", options=options, value=wanted or ALL, clearable=False, className="filter-control"),
        "history-agency-filter"))


def history_body(user: User, agency: str | None, lang: str, page: int = 1) -> list:
    """One page of one agency's submissions (``None``: all agencies, admins only); the caller
    has checked that ``user`` may see that agency's."""
    if agency is None and not user.is_admin:
        raise auth.Forbidden("all agencies' submissions")
    return _body(agency, user.is_admin, lang, page)


@C.per_submissions
def _body(agency: str | None, admin: bool, lang: str, page: int) -> list:
    """The page of the list, kept while no file is recorded. Who may see it is checked before,
    on every request."""
    rows, total, page = lists.submissions_page(context.store(), agency, page)
    who = agency or _t("all", lang)
    intro = html.P(_t("intro", lang, who=who, n=f"{total:,}"))
    if not rows:
        return [intro, html.P(_t("empty", lang), className="empty", role="status")]
    keep = {"agency": agency} if agency and admin else {}
    return [intro, ui.submissions_table(rows, lang, whole=True),
            paging.pager(PATH, lang, page, total, pager_id="history-pager", **keep)]


@callback(Output("history-body", "children"), Input("history-agency-filter", "value"), State("history-lang", "data"),
          prevent_initial_call=True)
def filter_agency(agency: str | None, lang: str | None) -> list:
    """Admins only: the submissions of one agency or of all."""
    user = auth.require(is_admin, "filter submissions by agency")
    return history_body(user, None if agency in (None, ALL) else str(agency).upper(), i18n.lang_of(lang))
