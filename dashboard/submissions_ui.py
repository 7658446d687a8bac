"""What the submit, history and admin pages share: checking and submitting an uploaded
return for the signed-in user, the change preview, publishing after an accepted file, and
the tables that show problems and changes.

Every function that acts takes the ``User`` that ``dashboard.auth.require`` returned, and
checks the agency itself: the pages only decide what is shown.
"""

from __future__ import annotations

import base64
import binascii
import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dash import html

from dashboard import components as C
from dashboard import context, i18n
from etl import periods, register
from etl.accounts import User
from etl.ingest import Ingestor, IngestResult, file_too_large
from etl.problems import Problem
from etl.readers import read_sheet
from etl.returns import format_number
from etl.store import Store
from etl.template import KINDS as TEMPLATE_KINDS

log = logging.getLogger("naio.submissions")

TEXT: dict[str, tuple[str, str]] = {
    "denied": ("Access denied", "Akses ditolak"),
    "denied_body": ("Your account may not use this page. Ask the NAIO data team if you need access.",
                    "Akaun anda tidak boleh menggunakan halaman ini. Hubungi pasukan data NAIO jika perlu."),
    "row": ("Row", "Baris"), "column": ("Column", "Lajur"), "value": ("Value", "Nilai"),
    "problem": ("Problem", "Masalah"), "accepted": ("What is accepted", "Yang diterima"),
    "level": ("Level", "Tahap"), "error": ("error", "ralat"), "warning": ("warning", "amaran"),
    "indicator": ("Indicator", "Penunjuk"), "breakdown": ("Breakdown", "Pecahan"),
    "current": ("Current value", "Nilai semasa"), "new": ("New value", "Nilai baharu"),
    "change": ("Change", "Perubahan"), "total": ("Agency total", "Jumlah agensi"),
    "added": ("new", "baharu"), "removed": ("removed", "dibuang"), "same": ("unchanged", "tiada perubahan"),
    "agency": ("Agency", "Agensi"), "period": ("Quarter", "Suku tahun"),
    "system": ("AI system", "Sistem AI"), "field": ("Field", "Medan"), "changed": ("changed", "berubah"),
}


def tr(key: str, lang: str = "en") -> str:
    en, ms = TEXT[key]
    return ms if lang == "ms" else en


def access_denied(lang: str = "en") -> html.Div:
    return html.Div(className="page", children=html.Div(
        className="callout callout-danger access-denied", role="alert",
        children=[html.H1(tr("denied", lang)), html.P(tr("denied_body", lang))]))


def labelled(label: str, control: Any, control_id: str) -> html.Div:
    """A labelled form control laid out like the dashboard's filters."""
    return html.Div(className="filter", children=[html.Label(label, htmlFor=control_id, className="filter-label"),
                                                  control])


BUTTON_ROW = {"display": "flex", "gap": "8px", "flexWrap": "wrap", "marginTop": "12px"}


def current_period(settings) -> str:
    return periods.last_complete(settings.today_date())


# ---- checking and submitting ------------------------------------------------------------------

class UploadRefused(PermissionError):
    """The file speaks for an agency the user may not submit for (audited)."""


@dataclass
class Outcome:
    result: IngestResult
    problems: list[Problem]
    changes: list[dict] = field(default_factory=list)  # the first SHOWN_CHANGES of ``preview``
    change_counts: dict[str, int] = field(default_factory=dict)  # values of the file by kind of change
    needs_reason: bool = False
    submitted: bool = False


def upload_size(contents: str | None) -> int:
    """The size in bytes of the file in a ``dcc.Upload`` data URL, without decoding it."""
    if not contents or "," not in contents:
        return 0
    encoded = contents.split(",", 1)[1].rstrip("=")
    return len(encoded) * 3 // 4


def decode_upload(contents: str | None) -> bytes:
    """The bytes of a ``dcc.Upload`` data URL (empty when it is not one)."""
    if not contents or "," not in contents:
        return b""
    encoded = contents.split(",", 1)[1]
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return b""


def too_big(user: User, file_name: str, size: int) -> Outcome:
    """An upload over the size limit: refused before it is decoded or read."""
    p = file_too_large(file_name, size, context.settings().max_upload_mb)
    context.store().audit(user.username, "upload", target=file_name[:255], outcome="refused", detail="too large")
    return Outcome(IngestResult(file_name=file_name, sha256="", kind="return", status="rejected", problems=[p]), [p])


def _scope(user: User) -> str | None:
    return None if user.is_admin else user.agency_code


def file_agencies(result: IngestResult, data: bytes) -> set[str]:
    """Every agency code the file names, also on rows that could not be read whole."""
    found = {r.agency_code for r in result.rows if getattr(r, "agency_code", "")} | {a for a, _ in result.pairs}
    if result.errors:
        sheet, _ = read_sheet(data, result.file_name)
        at = sheet.index().get("agency_code") if sheet is not None else None
        if at is not None:
            found |= {cells[at].strip().upper() for _, cells in sheet.rows if len(cells) > at and cells[at].strip()}
    return found


def _refuse_foreign(store: Store, user: User, result: IngestResult, data: bytes, action: str) -> None:
    foreign = sorted(a for a in file_agencies(result, data) if not user.can_submit_for(a))
    if foreign:
        store.audit(user.username, action, target=",".join(foreign)[:255], outcome="refused",
                    detail=f"{result.file_name}: rows for {', '.join(foreign)} (own agency "
                           f"{user.agency_code or '-'})")
        raise UploadRefused(", ".join(foreign))


def check_upload(user: User, data: bytes, file_name: str, action: str = "check return") -> Outcome:
    """Check a file without recording anything; refuses files for other agencies."""
    return _run(_check, user, data, file_name, action)


def submit_upload(user: User, data: bytes, file_name: str, reason: str | None) -> Outcome:
    """Check, then record whole or not at all; a resubmission needs a reason first.

    A file with errors is recorded as rejected (archived, with its problems) so that it shows
    in the history; a file for another agency is refused before anything is recorded.
    """
    outcome = _run(_submit, user, data, file_name, reason)
    if outcome.submitted and outcome.result.status == "accepted":
        request_publish(context.store(), context.settings())
    return outcome


# What agencies send through the upload page, the kinds they have templates of: quarterly returns
# and AI use-case registers (the kind is read from the file's columns); sector reports are NAIO's,
# loaded from its sources.
UPLOAD_KINDS = TEMPLATE_KINDS

# A file this large is checked (and recorded) in a process of its own: a national file's rows,
# the earlier quarters they are compared with and the preview of changes are about 100 MB of
# small objects at their peak, which the server would otherwise keep as a larger heap.
LARGE_FILE_BYTES = 512 * 1024


def _run(step: Callable[..., Outcome], user: User, data: bytes, file_name: str, arg: Any) -> Outcome:
    settings = context.settings()
    if len(data) < LARGE_FILE_BYTES:
        return step(context.store(), settings, user, data, file_name, arg)
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: the server has threads
    with ProcessPoolExecutor(1, mp_context=spawn) as pool:  # one task, then the process ends
        return pool.submit(_in_own_process, step, settings, user, data, file_name, arg).result()


def _in_own_process(step: Callable[..., Outcome], settings, user: User, data: bytes, file_name: str,
                    arg: Any) -> Outcome:
    """``step`` on a store of this process; the rows stay here (the page needs their counts)."""
    store = Store.open(settings.database_url, settings.reference_dir)
    try:
        outcome = step(store, settings, user, data, file_name, arg)
    finally:
        store.dispose()
    outcome.result.rows = []
    return outcome


def _check(store: Store, settings, user: User, data: bytes, file_name: str, action: str) -> Outcome:
    result = Ingestor(store, settings).ingest_bytes(data, file_name or "upload", kinds=UPLOAD_KINDS, source="upload",
                                                    submitted_by=user.username, check_only=True,
                                                    agency_scope=_scope(user))
    try:
        _refuse_foreign(store, user, result, data, action)
    except UploadRefused:
        scoped = [p for p in result.problems if p.code == "agency-out-of-scope"]
        raise UploadRefused(_foreign_message(user, result, scoped)) from None
    if action == "check return":  # a submission is audited once, when it is recorded
        store.audit(user.username, action, target=result.file_name[:255],
                    detail=f"{result.status}: {len(result.errors)} error(s)")
    shown, counts = preview(change_rows(store, result))
    return Outcome(result, sorted_problems(result.problems), shown, counts,
                   needs_reason=bool(result.superseded) and not result.errors)


def _foreign_message(user: User, result: IngestResult, scoped: list[Problem]) -> str:
    rows = sorted({p.row for p in scoped if p.row})
    where = f" (rows {', '.join(map(str, rows[:10]))}{'...' if len(rows) > 10 else ''})" if rows else ""
    return (f"{result.file_name} holds rows for another agency{where}. You may submit only for "
            f"{user.agency_code}. / Fail ini mengandungi baris agensi lain; anda hanya boleh "
            f"menghantar untuk {user.agency_code}.")


def _submit(store: Store, settings, user: User, data: bytes, file_name: str, reason: str | None) -> Outcome:
    checked = _check(store, settings, user, data, file_name, "submit return")
    reason = (reason or "").strip()[:1000] or None
    if checked.needs_reason and not reason:
        return checked
    # The file is checked again as it is recorded (a file accepted meanwhile may change what it
    # replaces); only the preview of changes is kept from the first check, whose rows are let
    # go before the second pass makes its own.
    shown, counts = checked.changes, checked.change_counts
    del checked
    result = Ingestor(store, settings).ingest_bytes(data, file_name or "upload", kinds=UPLOAD_KINDS, source="upload",
                                                    submitted_by=user.username, reason=reason,
                                                    agency_scope=_scope(user))
    store.audit(user.username, "submit return", target=f"submission {result.submission_id}",
                outcome="ok" if result.ok else "failed", detail=f"{result.file_name}: {result.status}")
    return Outcome(result, sorted_problems(result.problems), shown, counts, submitted=True)


def sorted_problems(problems: list[Problem]) -> list[Problem]:
    """Errors first, then in the order of the rows."""
    return sorted(problems, key=lambda p: (p.level != "error", p.row or 0, p.column))


# ---- what would change --------------------------------------------------------------------------

def change_rows(store: Store, result: IngestResult) -> list[dict]:
    """Rows of the file against what it replaces: a return's values, or a register's systems."""
    return (register_changes if result.kind == "register" else return_changes)(store, result)


# The fields of a system compared between a register and the one in force (its id names it).
REGISTER_FIELDS = tuple(c for c in register.COLUMNS if c not in ("agency_code", "period", "system_id"))


def register_changes(store: Store, result: IngestResult) -> list[dict]:
    """Each system of the file against the agency's register in force in its quarter: new,
    left out (no longer in force from that quarter), each field changed, or unchanged."""
    out: list[dict] = []
    in_force = store.registers_in_force(result.pairs)
    for agency, period in result.pairs:
        _snapshot, systems = in_force[(agency, period)]
        before = {s["system_id"]: s for s in systems}
        mine = [r for r in result.rows if (r.agency_code, r.period) == (agency, period) and not r.declares_none]
        for r in mine:
            old = before.pop(r.system_id, None)
            if old is None:
                out.append(_register_change(agency, period, r.system_id, "", None, r.title, "added"))
                continue
            fields = [f for f in REGISTER_FIELDS if _same_value(old[f]) != _same_value(getattr(r, f))]
            out += [_register_change(agency, period, r.system_id, f, old[f], getattr(r, f), "changed")
                    for f in fields] or [_register_change(agency, period, r.system_id, "", None, None, "same")]
        out += [_register_change(agency, period, sid, "", old["title"], None, "removed") for sid, old in before.items()]
    return out


def _same_value(value: Any) -> Any:
    """A register value as compared: blank text and none are the same."""
    return None if value in ("", None) else value


def _register_change(agency: str, period: str, system_id: str, field_name: str, old: Any, new: Any,
                     kind: str) -> dict:
    return {"agency": agency, "period": period, "system": system_id, "field": field_name, "current": old,
            "new": new, "kind": kind}


def return_changes(store: Store, result: IngestResult) -> list[dict]:
    """Rows of the return against the accepted values of each (agency, period) it replaces.

    The accepted values are read for the file's agencies and quarters only, in one go (a
    national file: a thousand agencies, one quarter), not each agency's whole history."""
    out: list[dict] = []
    seen: set[tuple] = set()
    pairs = {(r.agency_code, r.period) for r in result.rows} | set(result.pairs)
    periods = sorted(p for _, p in pairs if p)
    by_agency = store.accepted_many(sorted({a for a, _ in pairs if a}), periods[0], periods[-1],
                                    earlier=()) if periods else {}
    for r in result.rows:
        accepted = by_agency.get(r.agency_code, {})
        key = (r.indicator_code, r.breakdown_type, r.breakdown_code)
        seen.add((r.agency_code, r.period) + key)
        by_period = accepted.get(key, {})
        out.append(_change(r.agency_code, r.period, key, r.period in by_period, by_period.get(r.period), r.value))
    for agency, period in result.pairs:
        for key, by_period in by_agency.get(agency, {}).items():
            if period in by_period and (agency, period) + key not in seen:
                out.append(_change(agency, period, key, True, by_period[period], None, removed=True))
    return out


# Rows of the preview of changes on the page: a national file can change tens of thousands of
# values (every value of a new quarter is new), which as a table is a response of about 18 MB
# that the browser then lays out.
SHOWN_CHANGES = 200
CHANGE_ORDER = {"changed": 0, "removed": 1, "added": 2}  # the most telling first


def preview(changes: list[dict]) -> tuple[list[dict], dict[str, int]]:
    """The first ``SHOWN_CHANGES`` values that would change (changed, then removed, then new)
    and how many values there are of each kind (``same`` included)."""
    counts = {kind: 0 for kind in (*CHANGE_ORDER, "same")}
    for c in changes:
        counts[c["kind"]] += 1
    changed = sorted((c for c in changes if c["kind"] != "same"), key=lambda c: CHANGE_ORDER[c["kind"]])
    return changed[:SHOWN_CHANGES], counts


def _change(agency: str, period: str, key: tuple, existed: bool, old: float | None, new: float | None,
            removed: bool = False) -> dict:
    kind = "removed" if removed else ("added" if not existed else ("same" if old == new else "changed"))
    return {"agency": agency, "period": period, "indicator": key[0], "breakdown_type": key[1],
            "breakdown_code": key[2], "current": old, "new": new, "kind": kind}


def change_text(row: dict, lang: str) -> str:
    if row["kind"] in ("added", "removed", "same"):
        return tr(row["kind"], lang)
    old, new = row["current"], row["new"]
    if "field" in row:  # a field of a register's system
        return tr("changed", lang)
    if old is None or new is None:
        return "blank → value" if old is None else "value → blank"
    diff = new - old
    sign = "+" if diff > 0 else "−"
    pct = f" ({sign}{abs(diff / old):.1%})" if old else ""
    return f"{sign}{format_number(abs(diff))}{pct}"


# ---- publishing after an accepted file ----------------------------------------------------------

_publish_gate = threading.Lock()  # serialises publishes started by this process
_state_lock = threading.Lock()
_state: dict[str, Any] = {"running": False, "pending": False, "error": None, "finished_at": None}


def request_publish(store: Store, settings) -> None:
    """Publish in a background thread; a request during a publish queues exactly one more."""
    with _state_lock:
        if _state["running"]:
            _state["pending"] = True
            return
        _state["running"] = True
    # Not a daemon: at shutdown the process waits for a publish to finish instead of
    # killing it inside DuckDB (the swap is atomic either way; this keeps the run row honest).
    threading.Thread(target=_publish_loop, args=(store, settings), name="naio-upload-publish").start()


def _publish_loop(store: Store, settings) -> None:
    from etl.publish import publish_in_child

    while True:
        error = None
        try:
            with _publish_gate:  # in a process of its own: the server's heap stays small
                publish_in_child(settings, trigger="upload")
        except Exception as exc:  # shown on the page; the run row holds the details
            log.exception("publish after upload failed")
            error = f"{type(exc).__name__}: {exc}"
        with _state_lock:
            _state["error"], _state["finished_at"] = error, datetime.now(UTC)
            if not _state["pending"]:
                _state["running"] = False
                return
            _state["pending"] = False


def publish_state() -> dict[str, Any]:
    with _state_lock:
        return dict(_state)


def is_live(submission_id: int) -> tuple[bool, str]:
    """Whether the published warehouse holds this submission, and when it was published."""
    wh = context.warehouse()
    if not wh.exists():
        return False, ""
    rows = wh.rows("SELECT count(*) FROM submissions WHERE submission_id = ?", [int(submission_id)])
    if not rows or not rows[0][0]:
        return False, ""
    return True, wh.meta().get("published_at", "")


# ---- the submissions table (history and admin pages) --------------------------------------------

HISTORY_COLUMNS = (("id", "Submission", "Penyerahan"), ("received", "Received", "Diterima"),
                   ("file", "File", "Fail"), ("kind", "Kind", "Jenis"), ("agency", "Agency", "Agensi"), ("periods", "Quarters", "Suku tahun"),
                   ("status", "Status", "Status"), ("by", "By", "Oleh"), ("reason", "Reason", "Sebab"),
                   ("problems", "Errors / warnings", "Ralat / amaran"), ("files", "Download", "Muat turun"))
STATUS_ICON = {"accepted": "✔", "rejected": "✖", "duplicate": "=", "checked": "✔"}


def _links(row: dict, lang: str) -> list:
    sid = int(row["submission_id"])
    # the accessible name holds the visible words, in the page's language
    original, sheet = (("asal", "fail asal penyerahan"), ("helaian ralat", "helaian ralat penyerahan")) \
        if lang == "ms" else (("original", "original file of submission"), ("error sheet", "error sheet of submission"))
    links: list = [C.fast.A(original[0], href=f"/download/original/{sid}", **{"aria-label": f"{original[1]} {sid}"})]
    if row.get("n_errors") or row.get("n_warnings"):
        links += [" · ", C.fast.A(sheet[0], href=f"/download/errors/{sid}", **{"aria-label": f"{sheet[1]} {sid}"})]
    return links


def submissions_table(rows: list[dict], lang: str, table_id: str = "history-table", whole: bool = False) -> html.Div:
    """One row per submission: status (icon and word), who, when, reason, problems, downloads.
    ``whole``: the table is the page (a page of the history) and grows with it."""
    header = [ms if lang == "ms" else en for _, en, ms in HISTORY_COLUMNS]
    body = [C.fast.Tr([
        C.fast.Td(int(r["submission_id"])), C.fast.Td(i18n.local_time(r.get("received_at"))), C.fast.Td(r.get("file_name")),
        C.fast.Td(i18n.kind_word(r.get("kind"), lang)),
        C.fast.Td(r.get("agency_code") or "-"), C.fast.Td(i18n.periods_label(r.get("periods"), lang)),
        C.fast.Td(C.fast.Span(f"{STATUS_ICON.get(r['status'], '')} {i18n.submission_word(r['status'], lang)}",
                          className="status")),
        C.fast.Td(r.get("submitted_by")), C.fast.Td(r.get("reason") or ""),
        C.fast.Td(f"{int(r.get('n_errors') or 0)} / {int(r.get('n_warnings') or 0)}"), C.fast.Td(_links(r, lang)),
    ], **{"data-submission": str(int(r["submission_id"]))}) for r in rows]
    return C.fast.Div(className="table-wrap table-whole" if whole else "table-wrap",
                      children=C.fast.Table(id=table_id, className="data-table", children=[
        C.fast.Thead(C.fast.Tr([C.fast.Th(h, scope="col") for h in header])), C.fast.Tbody(body)]))
