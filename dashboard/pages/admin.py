"""Administration: all agencies' submissions, completeness of returns, user accounts.

Admins only: the layout shows "access denied" to anyone else, and every callback checks
the role again on the server before it reads or changes anything.
"""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, callback, ctx, dcc, html

from dashboard import auth, context, i18n
from dashboard import components as C
from dashboard import submissions_ui as ui
from etl import periods
from etl.accounts import ROLES, AccountError, add_user, is_admin, list_users, set_active, set_role
from etl.warehouse import WarehouseMissing

dash.register_page(__name__, path="/admin", name="Admin", title="Administration - NAIO", order=90)

MATRIX_PERIODS = 4
L = {
    "title": ("Administration", "Pentadbiran"),
    "missing": ("Missing returns for {period} ({n} of {m} agencies)", "Penyata belum diterima bagi {period} ({n} daripada {m} agensi)"),
    "none_missing": ("Every agency has sent its return.", "Semua agensi telah menghantar penyata."),
    "matrix": ("Completeness of returns (received / expected)", "Kelengkapan penyata (diterima / dijangka)"),
    "recent": ("Latest submissions, all agencies", "Penyerahan terkini, semua agensi"),
    "all_history": ("All submissions by agency", "Semua penyerahan mengikut agensi"),
    "users": ("User accounts", "Akaun pengguna"), "user": ("User name", "Nama pengguna"),
    "role": ("Role", "Peranan"), "password": ("Password (new accounts)", "Kata laluan (akaun baharu)"),
    "add": ("Add user", "Tambah pengguna"), "set_role": ("Change role", "Tukar peranan"),
    "disable": ("Disable", "Nyahaktif"), "enable": ("Enable", "Aktifkan"), "active": ("Active", "Aktif"),
    "done": ("Done: {what}.", "Selesai: {what}."),
    "legend": ("✔ complete on time · ◷ complete, late · ◐ partial · ✖ missing",
               "✔ lengkap tepat masa · ◷ lengkap, lewat · ◐ separa · ✖ tiada"),
}


def _t(key: str, lang: str, **values) -> str:
    en, ms = L[key]
    return (ms if lang == "ms" else en).format(**values)


def layout(lang: str | None = None, **_kwargs):
    lang = i18n.lang_of(lang)
    if auth.page_user(is_admin, "open /admin") is None:
        return ui.access_denied(lang)
    current = ui.current_period(context.settings())
    frame = completeness(periods.span(periods.shift(current, 1 - MATRIX_PERIODS), current))
    return html.Div(className="page page-admin", children=[
        C.page_header(_t("title", lang)),
        dcc.Store(id="admin-lang", data=lang),
        _missing_section(frame, current, lang),
        C.section(_t("matrix", lang), html.P(_t("legend", lang)), matrix_table(frame), id="completeness"),
        C.section(_t("recent", lang), ui.submissions_table(context.store().submissions(limit=50).drop(
            columns=["problems_json"], errors="ignore").to_dict("records"), lang, "admin-submissions"),
            html.A(_t("all_history", lang), href=C.href("/submissions", lang)), id="recent"),
        _users_section(lang),
    ])


# ---- completeness -------------------------------------------------------------------------------

def completeness(wanted: list[str]) -> pd.DataFrame:
    """agency_code, period, expected, received, on_time, late, missing_indicators for the periods.

    From the published warehouse when it has the table, otherwise from the system of record.
    """
    try:
        wh = context.warehouse()
        if wh.exists() and "completeness" in wh.tables():
            marks = ", ".join("?" for _ in wanted)
            return wh.frame(f"SELECT agency_code, period, expected, received, on_time, late, missing_indicators "
                            f"FROM completeness WHERE period IN ({marks})", wanted)
    except WarehouseMissing:
        pass
    return _completeness_from_store(wanted)


def _completeness_from_store(wanted: list[str]) -> pd.DataFrame:
    """One expected return per agency and quarter; late when first accepted after the deadline."""
    store = context.store()
    pairs, subs = store.frame("submission_pairs"), store.frame("submissions")
    accepted = subs[(subs["kind"] == "return") & (subs["status"] == "accepted")][["submission_id", "received_at"]]
    got = pairs.merge(accepted, on="submission_id").groupby(["agency_code", "period"])["received_at"].min()
    rows = []
    for agency in sorted(a for a, submits in store.agencies().items() if submits):
        for period in wanted:
            first = got.get((agency, period))
            late = first is not None and pd.Timestamp(first).date() > periods.deadline(period)
            rows.append({"agency_code": agency, "period": period, "expected": 1, "received": int(first is not None),
                         "on_time": int(first is not None and not late), "late": int(late), "missing_indicators": ""})
    return pd.DataFrame(rows, columns=["agency_code", "period", "expected", "received", "on_time", "late",
                                       "missing_indicators"])


def _mark(row) -> str:
    if not row.received:
        return "✖"
    if row.received < row.expected:
        return "◐"
    return "◷" if row.late else "✔"


def matrix_table(frame: pd.DataFrame) -> html.Div:
    if frame.empty:
        return html.P("-")
    cells = {(r.agency_code, r.period): f"{_mark(r)} {int(r.received)}/{int(r.expected)}"
             for r in frame.itertuples(index=False)}
    cols, agencies = sorted(frame["period"].unique()), sorted(frame["agency_code"].unique())
    head = html.Thead(html.Tr([html.Th("Agency / Agensi", scope="col")] + [html.Th(p, scope="col") for p in cols]))
    body = html.Tbody([html.Tr([html.Th(a, scope="row")] + [html.Td(cells.get((a, p), "")) for p in cols])
                       for a in agencies])
    return html.Div(className="table-wrap", children=html.Table([head, body], id="admin-matrix",
                                                                className="data-table"))


def _missing_section(frame: pd.DataFrame, current: str, lang: str) -> html.Section:
    now = frame[frame["period"] == current]
    missing = now[now["received"] == 0].sort_values("agency_code")
    heading = _t("missing", lang, period=current, n=len(missing), m=len(now))
    if missing.empty:
        return C.section(heading, html.P(_t("none_missing", lang)), id="missing")
    names = _agency_names(lang)
    items = [html.Li([html.Strong(a), f" {names.get(a, '')}"], **{"data-agency": a}) for a in missing["agency_code"]]
    return C.section(heading, html.Ul(items, id="admin-missing", style={"columns": "2 24em"}), id="missing")


def _agency_names(lang: str) -> dict[str, str]:
    frame = context.store().table("agencies")
    column = "name_ms" if lang == "ms" else "name_en"
    return dict(zip(frame["agency_code"], frame[column].fillna(""), strict=True))


# ---- users --------------------------------------------------------------------------------------

def _users_section(lang: str) -> html.Section:
    agencies = sorted(a for a, submits in context.store().agencies().items() if submits)
    return C.section(
        _t("users", lang),
        html.Div(id="admin-users", children=users_table(lang)),
        C.filters(
            ui.labelled(_t("user", lang), dcc.Input(id="admin-user-name", type="text", autoComplete="off"),
                     "admin-user-name"),
            ui.labelled(_t("role", lang), dcc.Dropdown(id="admin-user-role", options=list(ROLES), value="viewer",
                                                    clearable=False, className="filter-control"), "admin-user-role"),
            ui.labelled(ui.tr("agency", lang), dcc.Dropdown(id="admin-user-agency", options=agencies,
                                                         className="filter-control"), "admin-user-agency"),
            ui.labelled(_t("password", lang), dcc.Input(id="admin-user-password", type="password",
                                                     autoComplete="new-password"), "admin-user-password"),
        ),
        html.Div(className="button-row", style=ui.BUTTON_ROW, children=[
            html.Button(_t(k, lang), id=f"admin-{k.replace('_', '-')}-btn", className="btn btn-secondary")
            for k in ("add", "set_role", "disable", "enable")]),
        html.Div(id="admin-user-message", role="status"),
        id="users",
    )


def users_table(lang: str) -> html.Table:
    header = [_t("user", lang), _t("role", lang), ui.tr("agency", lang), _t("active", lang)]
    return html.Table(id="admin-users-table", className="data-table", children=[
        html.Thead(html.Tr([html.Th(h, scope="col") for h in header])),
        html.Tbody([html.Tr([html.Td(u["username"]), html.Td(u["role"]), html.Td(u["agency_code"] or "-"),
                             html.Td("yes / ya" if u["active"] else "no / tidak")])
                    for u in list_users(context.store())])])


@callback(Output("admin-user-message", "children"), Output("admin-users", "children"),
          Output("admin-user-password", "value"),
          Input("admin-add-btn", "n_clicks"), Input("admin-set-role-btn", "n_clicks"),
          Input("admin-disable-btn", "n_clicks"), Input("admin-enable-btn", "n_clicks"),
          State("admin-user-name", "value"), State("admin-user-role", "value"), State("admin-user-agency", "value"),
          State("admin-user-password", "value"), State("admin-lang", "data"), prevent_initial_call=True)
def manage_users(_add, _role, _disable, _enable, name, role, agency, password, lang):
    """Add, re-role, disable or enable an account (admins only; audited)."""
    action = str(ctx.triggered_id or "").removeprefix("admin-").removesuffix("-btn")
    admin = auth.require(is_admin, f"users {action}")
    lang, name, store = i18n.lang_of(lang), (name or "").strip(), context.store()
    steps = {"add": lambda: add_user(store, name, password or "", role, agency),
             "set-role": lambda: set_role(store, name, role, agency),
             "disable": lambda: set_active(store, name, False), "enable": lambda: set_active(store, name, True)}
    if action not in steps:
        raise dash.exceptions.PreventUpdate
    try:
        steps[action]()
    except AccountError as exc:
        store.audit(admin.username, f"users {action}", target=name[:255], outcome="failed", detail=str(exc))
        return html.Div(f"✖ {exc}", className="callout callout-danger", role="alert"), dash.no_update, ""
    what = f"{action} {name}" + (f" ({role}{' ' + agency if role == 'analyst' and agency else ''})"
                                 if action in ("add", "set-role") else "")
    store.audit(admin.username, f"users {action}", target=name[:255], detail=what)
    done = html.Div(f"✔ {_t('done', lang, what=what)}", className="callout callout-success", role="status")
    return done, users_table(lang), ""
