"""Administration: all agencies' submissions, completeness of returns, user accounts.

Admins only: the layout shows "access denied" to anyone else, and every callback checks
the role again on the server before it reads or changes anything.
"""

from __future__ import annotations

import logging

import dash
from dash import Input, Output, State, callback, ctx, dcc, html

from dashboard import auth, context, i18n, lists, paging
from dashboard import components as C
from dashboard import submissions_ui as ui
from etl.accounts import ROLES, AccountError, add_user, is_admin, set_active, set_role

log = logging.getLogger("naio.admin")

dash.register_page(__name__, path="/admin", name="Admin", title="Administration · NAIO", order=90)

MATRIX_PERIODS = lists.MATRIX_PERIODS
RECENT = 20  # latest submissions listed; the submissions page pages through all of them
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
    "show": ("Show", "Papar"),
    "show_all": ("All agencies", "Semua agensi"),
    "show_gaps": ("Agencies with a gap", "Agensi yang ada kekurangan"),
    "show_missing": ("No return for {period}", "Tiada penyata bagi {period}"),
    "name": ("Name", "Nama"),
    "agency_hint": ("Agency (analysts only)", "Agensi (penganalisis sahaja)"),
    "missing_listed": ("They are listed in the table below; choose \"All agencies\" there to see every agency.",
                       "Senarainya dalam jadual di bawah; pilih \"Semua agensi\" di situ untuk melihat semua agensi."),
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
    return html.Div(className="page page-admin", children=[
        C.page_header(_t("title", lang)),
        dcc.Store(id="admin-lang", data=lang),
        *_completeness_sections(current, lang),
        _recent_section(lang),
        _users_section(lang),
    ])


@C.per_submissions
def _recent_section(lang: str) -> html.Section:
    """The latest submissions of all agencies, kept while no file is recorded."""
    recent, _total, _page = lists.submissions_page(context.store(), None, 1, RECENT)
    return C.section(_t("recent", lang), ui.submissions_table(recent, lang, "admin-submissions"),
                     html.A(_t("all_history", lang), href=C.href("/submissions", lang)), id="recent")


# ---- completeness -------------------------------------------------------------------------------

def _completeness_sections(current: str, lang: str) -> list:
    """The missing returns and the matrix; a failed read shows the error state in their place
    (logged on the server) and leaves the rest of the page usable."""
    try:
        kept = _snapshot_sections(current, lang)
        if kept is not None:
            return kept
        matrix = completeness(current)
    except Exception:
        log.exception("reading the completeness of returns failed")
        return [C.section(_t("matrix", lang), C.error_callout(lang), id="completeness")]
    return _sections(matrix, lang)


@C.per_snapshot
def _snapshot_sections(current: str, lang: str) -> list | None:
    """The sections of the snapshot's matrix, built once per snapshot (``None`` when the
    snapshot has no matrix: the system of record's, which changes with every file, is not kept)."""
    matrix = lists.warehouse_completeness(context.warehouse(), current, MATRIX_PERIODS)
    return None if matrix is None else _sections(matrix, lang)


def _sections(matrix: lists.Matrix, lang: str) -> list:
    current = matrix.current
    show = "missing" if matrix.missing else "all"  # what needs chasing first
    grid = [_matrix_filter(current, show, lang), matrix_grid(matrix, show, lang)] if matrix.rows else [C.empty(lang)]
    return [_missing_section(matrix, lang),
            C.section(_t("matrix", lang), html.P(_t("legend", lang)), *grid, id="completeness")]


def completeness(current: str) -> lists.Matrix:
    """The completeness of the last ``MATRIX_PERIODS`` quarters up to ``current``."""
    return lists.completeness(context.warehouse(), context.store(), current, MATRIX_PERIODS)


def _name(row: tuple, lang: str) -> str:
    return (row[2] if lang == "ms" and row[2] else row[1]) or ""


SHOW = ("all", "gaps", "missing")


def matrix_rows(matrix: lists.Matrix, lang: str, show: str = "all") -> list[dict]:
    """One plain row per agency (link, name, one mark per quarter), filtered on the server:
    ``gaps`` keeps agencies with a quarter missing, partial or late; ``missing`` those without a
    return for the current quarter."""
    keep = {"all": matrix.rows, "gaps": [r for r in matrix.rows if r[3]], "missing": matrix.missing}[show]
    query = C.href("", lang)  # the same for every row
    return [{"agency": f"[{r[0]}](/agency/{r[0]}{query})", "name": _name(r, lang),
             **dict(zip(matrix.periods, (m or "" for m in r[5:]), strict=True))} for r in keep]


def _matrix_columns(matrix: lists.Matrix, lang: str) -> list[dict]:
    return [
        {"field": "agency", "headerName": ui.tr("agency", lang), "cellRenderer": "markdown", "width": 130,
         "suppressKeyboardEvent": lists.TAB_INTO_LINKS},
        {"field": "name", "headerName": _t("name", lang), "flex": 2, "minWidth": 220},
    ] + [{"field": p, "headerName": i18n.period_label(p, lang), "width": 130} for p in matrix.periods]


def matrix_grid(matrix: lists.Matrix, show: str, lang: str) -> html.Div:
    """The completeness matrix as a grid of plain JSON rows (sortable, filterable, 50 a page)."""
    grid = paging.grid("admin-matrix", matrix_rows(matrix, lang, show), _matrix_columns(matrix, lang), lang)
    return html.Div(id="admin-matrix-wrap", children=grid)


def _matrix_filter(current: str, show: str, lang: str) -> html.Div:
    options = [{"label": _t(f"show_{k}", lang, period=i18n.period_label(current, lang)), "value": k} for k in SHOW]
    return C.filters(ui.labelled(_t("show", lang), dcc.Dropdown(
        id="admin-matrix-show", options=options, value=show, clearable=False, searchable=False,
        className="filter-control"), "admin-matrix-show"))


@callback(Output("admin-matrix", "rowData"), Input("admin-matrix-show", "value"), State("admin-lang", "data"),
          prevent_initial_call=True)
def filter_matrix(show: str | None, lang: str | None) -> list[dict]:
    """Admins only: the matrix rows of every agency, of those with a gap, or of those missing now."""
    auth.require(is_admin, "filter completeness")
    matrix = completeness(ui.current_period(context.settings()))
    return matrix_rows(matrix, i18n.lang_of(lang), show if show in SHOW else "all")


def _missing_section(matrix: lists.Matrix, lang: str) -> html.Section:
    missing = matrix.missing
    heading = _t("missing", lang, period=i18n.period_label(matrix.current, lang), n=len(missing), m=matrix.expected_now)
    return C.section(heading, html.P(_t("missing_listed" if missing else "none_missing", lang)), id="missing")


# ---- users --------------------------------------------------------------------------------------

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
            ui.labelled(ui.tr("agency", lang), dcc.Dropdown(id="admin-user-agency", options=agencies, placeholder=_t("agency_hint", lang),
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
                             html.Td(i18n.t("yes" if u["active"] else "no", lang))])
                    for u in lists.accounts(context.store())])])


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
