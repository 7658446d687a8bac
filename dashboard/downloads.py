"""Download routes: return templates, original files, error sheets. Deny by default.

Every route runs behind the sign-in guard and checks role and agency itself: an analyst
only for their own agency, an admin for all, a viewer never. A refusal answers 403 and is
written to the audit log. Every file produced here has its text cells neutralised.
"""

from __future__ import annotations

import html
import io
import json

from flask import Flask, Response, abort, request, send_file
from werkzeug.exceptions import HTTPException

from dashboard import auth, context
from dashboard.submissions_ui import current_period
from etl.accounts import User, can_use_returns
from etl.archive import Archive
from etl.problems import Problem
from etl.returns import load_catalogue
from etl.safe_export import error_sheet
from etl.settings import Settings
from etl.store import Store
from etl.template import KINDS as TEMPLATE_KINDS
from etl.template import TemplateError, build_register_template, build_template, check_request, file_name

MIME = {"csv": "text/csv",  # the response adds "; charset=utf-8" to a text type
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def init_app(server: Flask, settings: Settings, store: Store) -> None:
    server.add_url_rule("/download/template", "download_template", template)
    server.add_url_rule("/download/original/<int:submission_id>", "download_original", original)
    server.add_url_rule("/download/errors/<int:submission_id>", "download_errors", errors)
    server.after_request(_no_store_downloads)
    for code in REFUSED:
        server.register_error_handler(code, _refused_page)


# What a person who followed a download link is told, in both languages (the link does not
# say which the page was in), with the way back.
REFUSED = {403: ("You may not download this file.", "Anda tidak dibenarkan memuat turun fail ini."),
           404: ("There is no such file.", "Fail ini tiada.")}


def _refused_page(exc: HTTPException):
    """403 and 404 of a download (or of the PDF pack) as a page of the product; elsewhere
    the answer is left as it is."""
    if not request.path.startswith(("/download/", "/pack")):
        return exc
    en, ms = REFUSED[exc.code]
    body = auth.card_page(en, en, f'<p lang="ms">{html.escape(ms)}</p>\n{auth.BACK_TO_DASHBOARD}')
    return Response(body, status=exc.code, mimetype="text/html")


def _no_store_downloads(response: Response) -> Response:
    """Files of one agency are never kept by shared caches, nor sniffed as another type."""
    if request.path.startswith("/download/"):
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def template() -> Response:
    """GET /download/template?agency=X&period=P&format=csv|xlsx&kind=return|register"""
    try:
        user = auth.require(can_use_returns, "download template", request.path)
    except auth.Forbidden:
        abort(403)
    agency = (request.args.get("agency") or user.agency_code or "").strip().upper()
    if not user.can_submit_for(agency):
        _deny(f"download template for {agency or '-'}")
    settings, store = context.settings(), context.store()
    fmt = (request.args.get("format") or "csv").lower()
    kind = (request.args.get("kind") or "return").lower()
    try:
        if kind not in TEMPLATE_KINDS:
            raise TemplateError(f"unknown kind {kind[:40]!r}; kinds: {', '.join(TEMPLATE_KINDS)}")
        agency, period = check_request(store, agency, request.args.get("period") or current_period(settings),
                                       fmt, current_period(settings))
    except TemplateError as exc:
        return Response(f"{exc}\n", status=400, mimetype="text/plain")
    if kind == "register":
        data = build_register_template(store, agency, period, fmt)
    else:
        data = build_template(store, load_catalogue(settings.reference_dir), agency, period, fmt)
    store.audit(user.username, "download template", target=f"{agency} {period} {fmt}" + (" register" if kind == "register" else ""))
    return _send(data, file_name(agency, period, fmt, kind), fmt)


def _deny(action: str) -> None:
    try:
        auth.require(lambda _u: False, action, request.path)
    except auth.Forbidden:
        abort(403)


def _submission_for(submission_id: int, action: str) -> tuple[User, dict]:
    """The submission if the signed-in user may see it; 403 (audited) or 404 otherwise."""
    try:
        user = auth.require(can_use_returns, action, request.path)
    except auth.Forbidden:
        abort(403)
    store = context.store()
    sub = store.submission(submission_id)
    if sub is None:
        abort(404)
    agencies = store.submission_agencies(submission_id)
    if not user.can_see_submission(agencies, sub.get("submitted_by")):
        _deny(f"{action} of submission {submission_id} ({', '.join(sorted(agencies)) or 'no agency'})")
    return user, sub


def original(submission_id: int) -> Response:
    """GET /download/original/<id>: the file exactly as it was received (from the archive)."""
    user, sub = _submission_for(submission_id, "download original")
    archive = Archive(context.settings().archive_dir)
    if not sub.get("sha256") or not archive.has(sub["sha256"]):
        abort(404)
    context.store().audit(user.username, "download original", target=f"submission {submission_id}")
    data = archive.get(sub["sha256"])
    # The stored bytes are returned unchanged (they are the record); sent as an attachment
    # of a neutral type, so the browser never renders them.
    return send_file(io.BytesIO(data), mimetype="application/octet-stream", as_attachment=True,
                     download_name=sub.get("file_name") or f"submission-{submission_id}")


def errors(submission_id: int) -> Response:
    """GET /download/errors/<id>: the XLSX error sheet of a stored submission's problems."""
    user, sub = _submission_for(submission_id, "download error sheet")
    kept, total = stored_problems(sub)
    context.store().audit(user.username, "download error sheet", target=f"submission {submission_id}")
    name = sub.get("file_name") or f"submission-{submission_id}"
    data = error_sheet(kept, name, total=total)
    return _send(data, f"naio-errors-{submission_id}.xlsx", "xlsx")


def stored_problems(sub: dict) -> tuple[list[Problem], int]:
    """The problems recorded with a submission (the first ones kept) and how many there were."""
    if not sub.get("problems_json"):
        return [], 0
    try:
        body = json.loads(sub["problems_json"])
    except ValueError:
        return [], 0
    fields = set(Problem.__dataclass_fields__)
    kept = [Problem(**{k: v for k, v in p.items() if k in fields}) for p in body.get("kept", [])]
    return kept, int(body.get("total", len(kept)))


def _send(data: bytes, name: str, fmt: str) -> Response:
    return send_file(io.BytesIO(data), mimetype=MIME[fmt], as_attachment=True, download_name=name)
