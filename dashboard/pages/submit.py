"""Submit a quarterly return: template, drag-and-drop upload, check, preview, submit.

The layout is shown to analysts (their own agency) and admins; everyone else gets an
"access denied" message. Every callback checks the role again on the server, and the
agency is checked against the rows of the file itself.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import dash
from dash import Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update

from dashboard import auth, context, i18n, theme
from dashboard import components as C
from dashboard import submissions_ui as ui
from etl import periods, register
from etl.accounts import User, can_use_returns
from etl.returns import format_number
from etl.safe_export import error_sheet
from etl.template import KINDS as TEMPLATE_KINDS

log = logging.getLogger(__name__)

dash.register_page(__name__, path="/submit", name="Submit return", title="Submit a return · NAIO", order=60)

L = {
    "title": ("Submit a quarterly return or AI register", "Hantar penyata suku tahunan atau daftar AI"),
    "step1": ("1. Download the template", "1. Muat turun templat"),
    "step2": ("2. Upload the filled file", "2. Muat naik fail yang telah diisi"),
    "period": ("Quarter", "Suku tahun"), "format": ("Format", "Format"),
    "kind": ("Template", "Templat"),
    "kind_return": ("Quarterly return", "Penyata suku tahunan"),
    "kind_register": ("AI use-case register", "Daftar kes penggunaan AI"),
    "register_note": ("The register template lists your agency's AI systems in force in the quarter: update them and "
                      "send the file whole. A system left out of it is no longer in force from that quarter.",
                      "Templat daftar menyenaraikan sistem AI agensi anda yang berkuat kuasa pada suku tahun itu: "
                      "kemas kini dan hantar fail itu sepenuhnya. Sistem yang tiada di dalamnya tidak lagi berkuat "
                      "kuasa mulai suku tahun itu."),
    "download": ("Download template", "Muat turun templat"),
    "drop": ("Drag and drop a CSV or XLSX file here, or click to choose one",
             "Seret dan lepas fail CSV atau XLSX di sini, atau klik untuk memilih"),
    "limit": ("Files up to {mb:g} MB. The whole file is accepted or the whole file is rejected.",
              "Fail sehingga {mb:g} MB. Seluruh fail diterima atau seluruh fail ditolak."),
    "reason": ("Reason for resubmission (required when the file replaces an accepted return or register)",
               "Sebab penyerahan semula (wajib jika fail menggantikan penyata atau daftar yang telah diterima)"),
    "check": ("Check only", "Semak sahaja"), "submit": ("Submit", "Hantar"),
    "history": ("Your agency's submissions", "Penyerahan agensi anda"),
    "sheet": ("Download error sheet (XLSX)", "Muat turun helaian ralat (XLSX)"),
    "nofile": ("Choose a file first.", "Pilih fail dahulu."),
    "broke": ("{file} could not be processed ({why}). Your agency's submissions below show whether it was "
              "recorded; if it is not there, send it again.",
              "{file} tidak dapat diproses ({why}). Penyerahan agensi anda di bawah menunjukkan sama ada fail ini "
              "telah direkodkan; jika tiada, hantar semula."),
    "bad": ("{file}: {e} error(s), {w} warning(s). The file would be rejected; nothing was recorded.",
            "{file}: {e} ralat, {w} amaran. Fail akan ditolak; tiada apa direkodkan."),
    "rejected": ("{file} was rejected (submission {sid}): {e} error(s). Nothing was loaded; fix and send it again.",
                 "{file} ditolak (penyerahan {sid}): {e} ralat. Tiada data dimuatkan; betulkan dan hantar semula."),
    "ok": ("{file}: no errors ({w} warning(s)). It can be submitted.",
           "{file}: tiada ralat ({w} amaran). Fail boleh dihantar."),
    "accepted": ("Accepted as submission {sid}: {n} rows for {pairs}. Publishing the new numbers...",
                 "Diterima sebagai penyerahan {sid}: {n} baris untuk {pairs}. Angka baharu sedang diterbitkan..."),
    "accepted_one": ("Accepted as submission {sid}: 1 row for {pairs}. Publishing the new numbers...",
                     "Diterima sebagai penyerahan {sid}: 1 baris untuk {pairs}. Angka baharu sedang diterbitkan..."),
    "duplicate": ("The same file was already accepted (submission {sid}); nothing new was loaded.",
                  "Fail yang sama telah diterima (penyerahan {sid}); tiada data baharu dimuatkan."),
    "replaces": ("This file replaces the accepted {what} for {pairs}. Give a reason for the resubmission.",
                 "Fail ini menggantikan {what} yang diterima bagi {pairs}. Nyatakan sebab penyerahan semula."),
    "what_return": ("return", "penyata"), "what_register": ("register", "daftar"),
    "need_reason": ("Not submitted: a reason is required because this file replaces {pairs}.",
                    "Tidak dihantar: sebab diperlukan kerana fail ini menggantikan {pairs}."),
    "problems": ("Problems found ({n})", "Masalah ditemui ({n})"),
    "changes": ("What would change ({n} of {m} values)", "Perubahan ({n} daripada {m} nilai)"),
    "changes_register": ("What would change ({n} changes to the register in force)",
                         "Perubahan ({n} perubahan kepada daftar yang berkuat kuasa)"),
    "changes_register_one": ("What would change (1 change to the register in force)",
                             "Perubahan (1 perubahan kepada daftar yang berkuat kuasa)"),
    "change_counts": ("{changed} changed, {removed} removed, {added} new.",
                      "{changed} berubah, {removed} dibuang, {added} baharu."),
    "changes_shown": ("The first {n:,} are shown: changed values first, then removed, then new.",
                      "{n:,} yang pertama dipaparkan: nilai berubah dahulu, kemudian yang dibuang, kemudian yang baharu."),
    "problems_shown": ("The first {n:,} are shown, errors first; the error sheet lists all {m:,}.",
                       "{n:,} yang pertama dipaparkan, ralat dahulu; helaian ralat menyenaraikan kesemua {m:,}."),
    "more_pairs": ("{shown} and {n:,} more", "{shown} dan {n:,} lagi"),
    "live": ("The new numbers are live on the dashboard (published {at}).",
             "Angka baharu kini dipaparkan di papan pemuka (diterbitkan {at})."),
    "pending": ("Publishing the new numbers...", "Angka baharu sedang diterbitkan..."),
    "slow": ("Still publishing after {m} minutes; the data status page shows the run.",
             "Masih diterbitkan selepas {m} minit; halaman status data memaparkan larian ini."),
    "failed": ("Publishing failed: {err}. Your submission is recorded; the data team can publish again.",
               "Penerbitan gagal: {err}. Penyerahan anda telah direkodkan; pasukan data boleh menerbitkan semula."),
}
ICONS = {"ok": "✔", "accepted": "✔", "error": "✖", "refused": "✖", "warning": "▲", "info": "ℹ"}
HIDDEN = {"display": "none"}
POLL_MS, POLLS_BEFORE_GIVING_UP = 2000, 450  # stop asking after 15 minutes
# Rows of the problems table on the page (as for the preview of changes, ``ui.SHOWN_CHANGES``):
# a national file can have tens of thousands; the error sheet has every one.
SHOWN_ROWS = ui.SHOWN_CHANGES
SHOWN_PAIRS = 12  # (agency, quarter) pairs named in a sentence
DROP_STYLE = {"border": f"2px dashed {theme.MUTED}", "borderRadius": "12px", "padding": "32px 16px",
              "textAlign": "center", "cursor": "pointer", "backgroundColor": theme.WASHED, "color": theme.BODY}
CALLOUT = {"ok": "success", "accepted": "success", "error": "danger", "refused": "danger", "warning": "warning",
           "info": "info"}


def _t(key: str, lang: str, **values) -> str:
    en, ms = L[i18n.counted(key, L, values)]
    return (ms if lang == "ms" else en).format(**values)


def layout(lang: str | None = None, **_kwargs):
    lang = i18n.lang_of(lang)
    user = auth.page_user(can_use_returns, "open /submit")
    if user is None:
        return ui.access_denied(lang)
    settings = context.settings()
    return html.Div(className="page page-submit", children=[
        C.page_header(_t("title", lang), None, html.A(_t("history", lang), href=C.href("/submissions", lang))),
        dcc.Store(id="submit-lang", data=lang),
        dcc.Store(id="submit-limit", data=settings.max_upload_bytes),
        dcc.Store(id="submit-submitted"),
        _template_section(user, ui.current_period(settings), lang),
        _upload_section(settings.max_upload_mb, lang),
        dcc.Loading(html.Div(id="submit-result", role="region", **{"aria-live": "polite"})),
        html.Button(_t("sheet", lang), id="submit-errors-btn", className="btn btn-secondary",
                    style={"display": "none", "marginTop": "12px"}),
        dcc.Download(id="submit-errors-download"),
        html.Div(id="submit-live-status", role="status"),
        dcc.Interval(id="submit-live-poll", interval=POLL_MS, disabled=True),
    ])


def _template_section(user: User, current: str, lang: str) -> html.Section:
    options = C.period_options(periods.span(periods.shift(current, -7), current), lang)
    if user.is_admin:
        codes = sorted(a for a, submits in context.store().agencies().items() if submits)
        agency = dcc.Dropdown(id="submit-agency", options=codes, value=codes[0] if codes else None, clearable=False,
                              className="filter-control")
    else:
        agency = dcc.Dropdown(id="submit-agency", options=[user.agency_code], value=user.agency_code,
                              clearable=False, disabled=True, className="filter-control")
    formats = [{"label": "CSV", "value": "csv"}, {"label": "XLSX", "value": "xlsx"}]
    kinds = [{"label": _t(f"kind_{k}", lang), "value": k} for k in TEMPLATE_KINDS]
    return C.section(
        _t("step1", lang),
        C.filters(
            ui.labelled(_t("kind", lang), dcc.Dropdown(id="submit-kind", value="return", options=kinds,
                                                    clearable=False, searchable=False, className="filter-control"),
                        "submit-kind"),
            ui.labelled(ui.tr("agency", lang), agency, "submit-agency"),
            ui.labelled(_t("period", lang), dcc.Dropdown(id="submit-period", options=options, value=current,
                                                      clearable=False, className="filter-control"), "submit-period"),
            ui.labelled(_t("format", lang), dcc.Dropdown(id="submit-format", value="csv", options=formats,
                                                      clearable=False, searchable=False, className="filter-control"),
                     "submit-format"),
        ),
        html.P(_t("register_note", lang), id="submit-register-note", className="muted", style=HIDDEN),
        html.A(_t("download", lang), id="submit-template-link", className="btn btn-primary", href="#"),
        id="template",
    )


def _upload_section(limit_mb: float, lang: str) -> html.Section:
    return C.section(
        _t("step2", lang),
        html.P(_t("limit", lang, mb=limit_mb), id="submit-limit-text"),
        # The label names the file input inside the drop zone; a click on it opens the file
        # chooser natively (once), and the drop zone still opens it from the keyboard.
        html.Label(className="upload-label", children=dcc.Upload(
            id="submit-upload", className="upload-drop", multiple=False, style=DROP_STYLE, disable_click=True,
            style_active={"borderColor": theme.PRIMARY, "backgroundColor": theme.WHITE},
            accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            children=html.Div([html.Span("⇪ ", **{"aria-hidden": "true"}), _t("drop", lang)]))),
        html.P(id="submit-file", className="muted", **{"aria-live": "polite"}),
        html.Label(_t("reason", lang), htmlFor="submit-reason"),
        dcc.Textarea(id="submit-reason", maxLength=1000, style={"width": "100%", "minHeight": "3em"}),
        html.Div(className="button-row", style=ui.BUTTON_ROW, children=[
            html.Button(_t("check", lang), id="submit-check-btn", className="btn btn-secondary"),
            html.Button(_t("submit", lang), id="submit-submit-btn", className="btn btn-primary"),
        ]),
        id="upload",
    )


@callback(Output("submit-template-link", "href"),
          Input("submit-agency", "value"), Input("submit-period", "value"), Input("submit-format", "value"),
          Input("submit-kind", "value"))
def template_href(agency: str | None, period: str | None, fmt: str | None, kind: str | None) -> str:
    user = auth.require(can_use_returns, "template link")
    agency = agency or user.agency_code
    if not user.can_submit_for(agency):
        auth.require(lambda _u: False, f"template link for {agency}")
    query = {"agency": agency, "period": period or "", "format": fmt if fmt in ("csv", "xlsx") else "csv"}
    if kind == "register":
        query["kind"] = "register"
    return "/download/template?" + urlencode(query)


# The note on the register template is shown while that template is chosen.
clientside_callback(
    "function(kind) { return kind === 'register' ? {} : {display: 'none'}; }",
    Output("submit-register-note", "style"), Input("submit-kind", "value"),
)


# The size limit is also checked in the browser, so an oversized file is never sent.
clientside_callback(
    """function(contents, name, limit) {
        if (!contents) { return ["", false, false]; }
        var size = Math.floor((contents.length - contents.indexOf(",") - 1) * 3 / 4);
        var mb = (size / 1048576).toFixed(1);
        if (size > limit) {
            return [name + ": " + mb + " MB, over the " + (limit / 1048576) + " MB limit / melebihi had", true, true];
        }
        return [name + " (" + (size < 1048576 ? Math.ceil(size / 1024) + " KB" : mb + " MB") + ")", false, false];
    }""",
    Output("submit-file", "children"), Output("submit-check-btn", "disabled"), Output("submit-submit-btn", "disabled"),
    Input("submit-upload", "contents"), State("submit-upload", "filename"), State("submit-limit", "data"),
)


@callback(Output("submit-result", "children"), Output("submit-errors-btn", "style"),
          Output("submit-submitted", "data"), Output("submit-live-poll", "disabled"),
          Output("submit-live-poll", "n_intervals"), Input("submit-check-btn", "n_clicks"), Input("submit-submit-btn", "n_clicks"),
          State("submit-upload", "contents"), State("submit-upload", "filename"), State("submit-reason", "value"),
          State("submit-lang", "data"), prevent_initial_call=True)
def upload_action(_check: int | None, _submit: int | None, contents: str | None, filename: str | None,
                  reason: str | None, lang: str | None):
    """Check or submit the uploaded file for the signed-in analyst (or admin)."""
    submitting = ctx.triggered_id == "submit-submit-btn"
    user = auth.require(can_use_returns, "submit return" if submitting else "check return")
    lang = i18n.lang_of(lang)
    if not contents:
        return _callout("info", _t("nofile", lang)), HIDDEN, no_update, no_update, no_update
    name = filename or "upload"
    size = ui.upload_size(contents)
    if size > context.settings().max_upload_bytes:
        outcome = ui.too_big(user, name, size)
    else:
        try:
            data = ui.decode_upload(contents)
            outcome = (ui.submit_upload(user, data, name, reason) if submitting else ui.check_upload(user, data, name))
        except ui.UploadRefused as exc:
            return _callout("refused", str(exc)), HIDDEN, no_update, no_update, no_update
        except Exception as exc:  # the store was unreachable, the checking process was killed ...
            log.exception("%s of %s failed", "submit" if submitting else "check", name)
            return (_callout("error", _t("broke", lang, file=name, why=type(exc).__name__)), HIDDEN, no_update,
                    no_update, no_update)
    shown = {"display": "inline-block" if outcome.problems else "none", "marginTop": "12px"}
    accepted = outcome.submitted and outcome.result.status == "accepted"
    return (outcome_view(outcome, submitting, lang), shown,
            outcome.result.submission_id if accepted else no_update, False if accepted else no_update,
            0 if accepted else no_update)


@callback(Output("submit-errors-download", "data"), Input("submit-errors-btn", "n_clicks"),
          State("submit-upload", "contents"), State("submit-upload", "filename"), prevent_initial_call=True)
def download_error_sheet(_n: int | None, contents: str | None, filename: str | None):
    """The XLSX error sheet of the uploaded file (checked again here, never trusted from the page)."""
    user = auth.require(can_use_returns, "download error sheet")
    name = filename or "upload"
    size = ui.upload_size(contents)
    if not contents:
        raise dash.exceptions.PreventUpdate
    try:
        outcome = (ui.too_big(user, name, size) if size > context.settings().max_upload_bytes
                   else ui.check_upload(user, ui.decode_upload(contents), name))
    except ui.UploadRefused:
        raise auth.Forbidden("file for another agency") from None
    stem = name.rsplit(".", 1)[0][:60] or "upload"
    return dcc.send_bytes(error_sheet(outcome.problems, name), f"errors-{stem}.xlsx")


@callback(Output("submit-live-status", "children"), Output("submit-live-poll", "disabled", allow_duplicate=True),
          Input("submit-live-poll", "n_intervals"), State("submit-submitted", "data"), State("submit-lang", "data"),
          prevent_initial_call=True)
def live_status(n: int | None, submission_id: int | None, lang: str | None):
    """Says when the numbers of an accepted submission are live on the dashboard."""
    user = auth.require(can_use_returns, "publish status")
    if not submission_id:
        return "", True
    sub = context.store().submission(int(submission_id))
    if sub is None or not user.can_see_submission(context.store().submission_agencies(int(submission_id)),
                                                  sub.get("submitted_by")):
        auth.require(lambda _u: False, f"publish status of submission {submission_id}")
    return _live_view(int(submission_id), i18n.lang_of(lang), n or 0)


# ---- views ------------------------------------------------------------------------------------

def _callout(kind: str, text: str) -> html.Div:
    return html.Div(className=f"callout callout-{CALLOUT[kind]}", role="alert" if kind in ("error", "refused") else None,
                    **{"data-status": kind}, children=[html.Span(ICONS.get(kind, ""), **{"aria-hidden": "true"}),
                                                       " ", text])


def _pairs(pairs, lang: str) -> str:
    """The (agency, quarter) pairs of a file, the first few named and the rest counted."""
    named = [f"{a} {i18n.period_label(p, lang)}" for a, p in sorted(pairs)]
    if len(named) <= SHOWN_PAIRS:
        return ", ".join(named) or "-"
    return _t("more_pairs", lang, shown=", ".join(named[:SHOWN_PAIRS]), n=len(named) - SHOWN_PAIRS)


def _summary(outcome: ui.Outcome, submitting: bool, lang: str) -> list[html.Div]:
    r = outcome.result
    n_errors = sum(p.level == "error" for p in outcome.problems)
    values = {"file": r.file_name, "e": n_errors, "w": len(outcome.problems) - n_errors,
              "sid": r.submission_id or r.duplicate_of,
              "n": r.n_rows, "pairs": _pairs(r.superseded or r.pairs, lang),
              "what": _t("what_register" if r.kind == "register" else "what_return", lang)}
    if r.status == "duplicate":
        return [_callout("info", _t("duplicate", lang, **values))]
    if r.errors:
        key = "rejected" if submitting and r.submission_id else "bad"
        return [_callout("error", _t(key, lang, **values))]
    if r.status == "accepted":
        return [_callout("accepted", _t("accepted", lang, **{**values, "pairs": _pairs(r.pairs, lang)}))]
    out = [_callout("ok", _t("ok", lang, **values))]
    if outcome.needs_reason:
        out.append(_callout("warning", _t("need_reason" if submitting else "replaces", lang, **values)))
    return out


def outcome_view(outcome: ui.Outcome, submitting: bool, lang: str) -> html.Div:
    parts = _summary(outcome, submitting, lang)
    if outcome.problems:
        n = len(outcome.problems)
        parts += [html.H2(_t("problems", lang, n=n)), problems_table(outcome.problems[:SHOWN_ROWS], lang)]
        if n > SHOWN_ROWS:
            parts.append(html.P(_t("problems_shown", lang, n=SHOWN_ROWS, m=n), className="muted"))
    counts = outcome.change_counts
    changed = sum(n for kind, n in counts.items() if kind != "same")
    if changed and not outcome.result.errors:
        heading = "changes_register" if outcome.result.kind == "register" else "changes"
        parts += [html.H2(_t(heading, lang, n=changed, m=sum(counts.values()))),
                  html.P(_t("change_counts", lang, **{k: f"{counts.get(k, 0):,}" for k in ui.CHANGE_ORDER})),
                  changes_table(outcome.changes, lang, outcome.result.kind)]
        if changed > len(outcome.changes):
            parts.append(html.P(_t("changes_shown", lang, n=len(outcome.changes)), className="muted"))
    return html.Div(parts, id="submit-outcome", **{"data-status": outcome.result.status,
                                                    "data-action": "submit" if submitting else "check",
                                                    "data-file": outcome.result.file_name,
                                                    "data-submission": str(outcome.result.submission_id or "")})


def _table(table_id: str, header: list[str], rows: list[list]) -> html.Div:
    return html.Div(className="table-wrap", children=html.Table(id=table_id, className="data-table", children=[
        html.Thead(html.Tr([html.Th(h, scope="col") for h in header])),
        html.Tbody([html.Tr([html.Td("" if v is None else v) for v in row]) for row in rows]),
    ]))


def problems_table(problems, lang: str) -> html.Div:
    header = [ui.tr(k, lang) for k in ("row", "column", "value", "problem", "accepted", "level")]
    rows = [[p.row if p.row is not None else "-", p.column, p.value, _problem_cell(p, lang),
             _accepted_cell(p, lang),
             f"{ICONS['error'] if p.level == 'error' else ICONS['warning']} {ui.tr(p.level, lang)}"]
            for p in problems]
    return _table("submit-problems", header, rows)


def _in_page_language(text: str, text_ms: str, lang: str):
    """``text_ms`` on Malay pages; the English text (marked as English for screen readers)
    when a problem has no Malay, such as one stored before problems were given in Malay."""
    if lang != "ms":
        return text
    if text_ms:
        return text_ms
    return html.Span(text, lang="en") if text else ""


def _problem_cell(p, lang: str):
    """The check's sentence, which names the row, column and value; on Malay pages in Malay,
    after the kind of problem in Malay."""
    sentence = _in_page_language(p.message, p.message_ms, lang)
    heading = i18n.problem_heading(p.code, lang)
    if not heading:
        return sentence
    return [html.Strong(heading), html.Br(), sentence]


def _accepted_cell(p, lang: str):
    """What would be accepted, in the page's language."""
    return _in_page_language(p.expected, p.expected_ms, lang)


def changes_table(changes: list[dict], lang: str, kind: str = "return") -> html.Div:
    if kind == "register":  # a system and its field, as written
        header = [ui.tr(k, lang) for k in ("agency", "period", "system", "field", "current", "new", "change")]
        rows = [[c["agency"], i18n.period_label(c["period"], lang), c["system"], c["field"],
                 register.as_written(c["current"]), register.as_written(c["new"]), ui.change_text(c, lang)] for c in changes]
        return _table("submit-changes", header, rows)
    header = [ui.tr(k, lang) for k in ("agency", "period", "indicator", "breakdown", "current", "new", "change")]
    rows = [[c["agency"], i18n.period_label(c["period"], lang), c["indicator"],
             f"{c['breakdown_type']} {c['breakdown_code']}" if c["breakdown_type"] else ui.tr("total", lang),
             _num(c["current"]), _num(c["new"]), ui.change_text(c, lang)] for c in changes]
    return _table("submit-changes", header, rows)


def _num(value) -> str:
    return "" if value is None else format_number(value)


def _live_view(submission_id: int, lang: str, polls: int):
    live, at = ui.is_live(submission_id)
    state = ui.publish_state()
    if live:
        shown, done = _callout("ok", _t("live", lang, at=i18n.local_time(at))), True
    elif not state["running"] and state["error"]:
        shown, done = _callout("error", _t("failed", lang, err=state["error"][:200])), True
    elif polls >= POLLS_BEFORE_GIVING_UP:
        shown, done = _callout("warning", _t("slow", lang, m=POLLS_BEFORE_GIVING_UP * POLL_MS // 60000)), True
    else:
        shown, done = _callout("info", _t("pending", lang)), False
    return html.Div(shown, **{"data-submission": str(submission_id)}), done
