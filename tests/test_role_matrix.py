"""The role matrix, checked on the server by direct HTTP requests.

Each request is what a browser (or an attacker with a valid session) sends: the JSON body of
a Dash callback to ``/_dash-update-component`` (output, outputs, inputs, state,
changedPropIds, built from ``/_dash-dependencies``), or a GET of a download route. Every
route and callback is tried as anonymous, viewer, analyst of the agency, analyst of another
agency and admin; refusals must be answered by the server and written to the audit log.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from dataclasses import dataclass

import pytest
from openpyxl import load_workbook

from dashboard import submissions_ui
from dashboard.server import create_app
from etl import accounts
from etl.ingest import Ingestor
from etl.store import Store
from tests.conftest import make_settings, post_sign_in
from tests.test_template import VALID, return_csv

PASSWORD = "role-matrix-secret"
USERS = {"viewer": ("viewer", None), "analyst.jpn": ("analyst", "JPN"), "analyst.lhdn": ("analyst", "LHDN"),
         "admin": ("admin", None)}
ROLES = ("anonymous", "viewer", "analyst.jpn", "analyst.lhdn", "admin")
BAD_JPN = b"agency_code,period,indicator_code,value\r\nJPN,2026Q2,HC_TOTAL,=1+1\r\n"


@dataclass
class Env:
    settings: object
    store: Store
    app: object
    ids: dict
    published: list
    deps: list | None = None
    clients: dict | None = None


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("roles"))
    settings.data_dir.mkdir(parents=True)
    store = Store.open(settings.database_url, settings.reference_dir)
    for name, (role, agency) in USERS.items():
        accounts.add_user(store, name, PASSWORD, role, agency)
    ingest = Ingestor(store, settings).ingest_bytes
    ids = {"jpn": ingest(return_csv("JPN", "2026Q2"), "jpn-q2.csv", source="upload", submitted_by="analyst.jpn"),
           "lhdn": ingest(return_csv("LHDN", "2026Q2"), "lhdn-q2.csv", source="upload", submitted_by="analyst.lhdn"),
           "jpn_bad": ingest(BAD_JPN, "jpn-bad.csv", source="upload", submitted_by="analyst.jpn")}
    assert [r.status for r in ids.values()] == ["accepted", "accepted", "rejected"]
    published: list = []
    patch = pytest.MonkeyPatch()
    patch.setattr(submissions_ui, "request_publish", lambda *_a: published.append(1))
    app = create_app(settings, store)
    app.server.test_client().get("/healthz")  # binds the page callbacks to this app
    yield Env(settings, store, app, {k: r.submission_id for k, r in ids.items()}, published)
    patch.undo()
    store.dispose()


def client_for(env: Env, who: str):
    """A client signed in as ``who`` (one per role, kept for the module)."""
    env.clients = env.clients or {}
    if who not in env.clients:
        client = env.app.server.test_client()
        if who != "anonymous":
            r = post_sign_in(client, who, PASSWORD)
            assert r.status_code == 302, who
        env.clients[who] = client
    return env.clients[who]


def data_url(data: bytes, mime: str = "text/csv") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


def _split(output: str) -> list[str]:
    return output.strip(".").split("...") if output.startswith("..") else [output]


def callback_body(deps: list[dict], output: str, values: dict, changed: str) -> dict:
    """The JSON body the Dash renderer posts for the callback whose outputs include ``output``."""
    dep = next(d for d in deps if output in _split(d["output"]) or output in d["output"].split("@")[0])
    outs = [{"id": o.split(".")[0], "property": o.split(".", 1)[1].split("@")[0]} for o in _split(dep["output"])]
    pick = lambda items: [{"id": i["id"], "property": i["property"],  # noqa: E731
                           "value": values.get(f"{i['id']}.{i['property']}")} for i in items]
    return {"output": dep["output"], "outputs": outs if len(outs) > 1 else outs[0], "inputs": pick(dep["inputs"]),
            "state": pick(dep["state"]), "changedPropIds": [changed]}


def call(env: Env, who: str, output: str, values: dict, changed: str):
    if env.deps is None:
        env.deps = client_for(env, "admin").get("/_dash-dependencies").get_json()
    body = callback_body(env.deps, output, values, changed)
    return client_for(env, who).post("/_dash-update-component", json=body)


def refusals(env: Env) -> int:
    frame = env.store.table("audit_log")
    return int((frame["outcome"] == "refused").sum())


def submissions_count(env: Env) -> int:
    return len(env.store.submissions())


# ---- pages ---------------------------------------------------------------------------------------

PAGE_ACCESS = {"/submit": {"analyst.jpn", "analyst.lhdn", "admin"},
               "/submissions": {"analyst.jpn", "analyst.lhdn", "admin"}, "/admin": {"admin"}}


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("path", sorted(PAGE_ACCESS))
def test_pages_render_access_denied_for_roles_that_may_not_use_them(env, who, path):
    before = refusals(env)
    r = call(env, who, "_pages_content.children", {"_pages_location.pathname": path, "_pages_location.search": ""},
             "_pages_location.pathname")
    if who == "anonymous":
        assert r.status_code == 401
    elif who in PAGE_ACCESS[path]:
        assert r.status_code == 200 and "Access denied" not in r.get_data(as_text=True)
    else:
        assert r.status_code == 200 and "Access denied" in r.get_data(as_text=True)
    assert (refusals(env) > before) == (who not in PAGE_ACCESS[path])


def test_analyst_cannot_open_another_agencys_history(env):
    r = call(env, "analyst.jpn", "_pages_content.children",
             {"_pages_location.pathname": "/submissions", "_pages_location.search": "?agency=LHDN"},
             "_pages_location.pathname")
    assert "Access denied" in r.get_data(as_text=True)
    text = call(env, "analyst.jpn", "_pages_content.children", {"_pages_location.pathname": "/submissions"},
                "_pages_location.pathname").get_data(as_text=True)
    assert "jpn-q2.csv" in text and "lhdn-q2.csv" not in text


# ---- the upload callback ---------------------------------------------------------------------------

def _table_rows(node) -> list[tuple]:
    """The body rows of every table in a callback response, as tuples of cell texts."""
    if isinstance(node, list):
        return [row for child in node for row in _table_rows(child)]
    if not isinstance(node, dict):
        return []
    if node.get("type") == "Tr" and node.get("props", {}).get("children"):
        cells = node["props"]["children"]
        if all(isinstance(c, dict) and c.get("type") == "Td" for c in cells):
            return [tuple(str(c["props"].get("children", "")) for c in cells)]
    return [row for value in node.values() for row in _table_rows(value)]


def _upload(env: Env, who: str, data: bytes, button: str = "check", reason: str | None = None):
    values = {f"submit-{button}-btn.n_clicks": 1, "submit-upload.contents": data_url(data),
              "submit-upload.filename": "return.csv", "submit-reason.value": reason, "submit-lang.data": "en"}
    return call(env, who, "submit-result.children", values, f"submit-{button}-btn.n_clicks")


@pytest.mark.parametrize("button", ["check", "submit"])
@pytest.mark.parametrize("who", ["anonymous", "viewer"])
def test_upload_callback_refuses_anonymous_and_viewers(env, who, button):
    before, subs = refusals(env), submissions_count(env)
    r = _upload(env, who, return_csv("JPN", "2026Q3"), button)
    assert r.status_code == (401 if who == "anonymous" else 403)
    assert refusals(env) == before + 1 and submissions_count(env) == subs


@pytest.mark.parametrize("button", ["check", "submit"])
def test_analyst_cannot_check_or_submit_for_another_agency(env, button):
    before, subs = refusals(env), submissions_count(env)
    r = _upload(env, "analyst.jpn", return_csv("LHDN", "2026Q3"), button)
    assert r.status_code == 200 and "another agency" in r.get_data(as_text=True)
    assert refusals(env) == before + 1 and submissions_count(env) == subs
    last = env.store.table("audit_log").iloc[-1]
    assert (last["actor"], last["outcome"], last["target"]) == ("analyst.jpn", "refused", "LHDN")


def test_a_file_mixing_agencies_is_refused_whole(env):
    mixed = return_csv("JPN", "2026Q3") + b"LHDN,2026Q3,HC_TOTAL,5\r\n"
    subs = submissions_count(env)
    assert "another agency" in _upload(env, "analyst.jpn", mixed, "submit").get_data(as_text=True)
    assert submissions_count(env) == subs


def test_check_shows_located_problems_and_records_nothing(env):
    subs = submissions_count(env)
    text = _upload(env, "analyst.jpn", BAD_JPN).get_data(as_text=True)
    assert "submit-problems" in text and "=1+1" in text and "would be rejected" in text
    assert submissions_count(env) == subs


def test_a_submitted_file_with_errors_is_recorded_as_rejected_with_its_problems(env):
    bad = return_csv("JPN", "2026Q3", {**VALID, "HC_AI_LIT": "lots"})
    body = _upload(env, "analyst.jpn", bad, "submit").get_json()["response"]
    assert "was rejected" in json.dumps(body["submit-result"])
    sub = env.store.submissions("JPN").iloc[0]
    assert (sub["status"], sub["agency_code"], sub["n_errors"]) == ("rejected", "JPN", 1)
    sheet = client_for(env, "analyst.jpn").get(f"/download/errors/{int(sub['submission_id'])}")
    assert sheet.status_code == 200 and sheet.data[:2] == b"PK"
    assert env.store.accepted_values("JPN").get(("HC_AI_LIT", "", ""), {}).get("2026Q3") is None


def test_resubmission_needs_a_reason_then_supersedes(env):
    file = return_csv("JPN", "2026Q2", {**VALID, "SVC_AI": 6})
    text = _upload(env, "analyst.jpn", file).get_data(as_text=True)
    assert "replaces the accepted return for JPN Q2 2026" in text and "submit-changes" in text
    subs = submissions_count(env)
    assert "a reason is required" in _upload(env, "analyst.jpn", file, "submit").get_data(as_text=True)
    assert submissions_count(env) == subs
    published = len(env.published)
    r = _upload(env, "analyst.jpn", file, "submit", reason="SVC_AI corrected")
    body = r.get_json()["response"]
    assert "Accepted as submission" in json.dumps(body["submit-result"])
    sid = body["submit-submitted"]["data"]
    sub = env.store.submission(sid)
    assert (sub["status"], sub["reason"], sub["submitted_by"]) == ("accepted", "SVC_AI corrected", "analyst.jpn")
    assert env.store.accepted_values("JPN")[("SVC_AI", "", "")]["2026Q2"] == 6
    assert len(env.published) == published + 1


def test_admin_may_check_for_any_agency(env):
    text = _upload(env, "admin", return_csv("LHDN", "2026Q3")).get_data(as_text=True)
    assert "It can be submitted" in text


def test_oversized_upload_is_refused_with_the_limit(env):
    big = b"x" * (env.settings.max_upload_bytes + 10)
    subs = submissions_count(env)
    text = _upload(env, "analyst.jpn", big, "submit").get_data(as_text=True)
    assert "over the 10 MB limit" in text and submissions_count(env) == subs


def test_an_xlsx_that_expands_too_far_is_refused_with_a_clear_message(env):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (30 * 1024 * 1024))
    subs = submissions_count(env)
    values = {"submit-check-btn.n_clicks": 1, "submit-lang.data": "en", "submit-upload.filename": "bomb.xlsx",
              "submit-upload.contents": data_url(buffer.getvalue(), "application/octet-stream")}
    text = call(env, "analyst.jpn", "submit-result.children", values, "submit-check-btn.n_clicks").get_data(as_text=True)
    assert "refused as unsafe" in text
    assert submissions_count(env) == subs


# ---- other callbacks -------------------------------------------------------------------------------

@pytest.mark.parametrize("who,status", [("anonymous", 401), ("viewer", 403), ("analyst.lhdn", 403),
                                        ("analyst.jpn", 200), ("admin", 200)])
def test_error_sheet_callback(env, who, status):
    values = {"submit-errors-btn.n_clicks": 1, "submit-upload.contents": data_url(BAD_JPN),
              "submit-upload.filename": "bad.csv"}
    r = call(env, who, "submit-errors-download.data", values, "submit-errors-btn.n_clicks")
    assert r.status_code == status
    if status == 200:
        assert r.get_json()["response"]["submit-errors-download"]["data"]["filename"] == "errors-bad.xlsx"


def test_a_malay_check_gives_each_problem_in_malay_and_the_error_sheet_in_both(env):
    values = {"submit-check-btn.n_clicks": 1, "submit-lang.data": "ms", "submit-upload.filename": "bad.csv",
              "submit-upload.contents": data_url(BAD_JPN)}
    text = call(env, "analyst.jpn", "submit-result.children", values, "submit-check-btn.n_clicks").get_data(as_text=True)
    assert "Bukan nombor" in text and "'=1+1' bukan nombor" in text and "is not a number" not in text
    assert "nombor dengan titik perpuluhan dan tanpa pemisah ribuan, cth. 1234.5" in text

    values = {"submit-errors-btn.n_clicks": 1, "submit-upload.contents": data_url(BAD_JPN),
              "submit-upload.filename": "bad.csv"}
    r = call(env, "analyst.jpn", "submit-errors-download.data", values, "submit-errors-btn.n_clicks")
    sheet = load_workbook(io.BytesIO(base64.b64decode(
        r.get_json()["response"]["submit-errors-download"]["data"]["content"]))).worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:6] == ["row / baris", "column / lajur", "value / nilai", "level / tahap", "problem / masalah",
                           "what is accepted / yang diterima"]
    assert rows[0][8:] == ["kind of problem / jenis masalah", "problem in Malay / masalah dalam Bahasa Malaysia",
                           "what is accepted in Malay / yang diterima dalam Bahasa Malaysia"]
    number = next(r for r in rows[1:] if r[6] == "not-a-number")
    assert number[4] == "'=1+1' is not a number"
    assert number[8:] == ["Bukan nombor", "'=1+1' bukan nombor",
                          "nombor dengan titik perpuluhan dan tanpa pemisah ribuan, cth. 1234.5"]


@pytest.mark.parametrize("who,agency,status", [("viewer", "JPN", 403), ("analyst.jpn", "JPN", 200),
                                               ("analyst.jpn", "LHDN", 403), ("admin", "LHDN", 200)])
def test_template_link_callback(env, who, agency, status):
    values = {"submit-agency.value": agency, "submit-period.value": "2026Q3", "submit-format.value": "xlsx"}
    r = call(env, who, "submit-template-link.href", values, "submit-agency.value")
    assert r.status_code == status


@pytest.mark.parametrize("who,status", [("viewer", 403), ("analyst.jpn", 403), ("admin", 200)])
def test_user_management_callback_is_for_admins_only(env, who, status):
    name = f"new-{who}".replace(".", "-")
    values = {"admin-add-btn.n_clicks": 1, "admin-user-name.value": name, "admin-user-role.value": "admin",
              "admin-user-password.value": "a long password", "admin-lang.data": "en"}
    r = call(env, who, "admin-user-message.children", values, "admin-add-btn.n_clicks")
    assert r.status_code == status
    assert (env.store.user(name) is not None) == (status == 200)


@pytest.mark.parametrize("who,status", [("analyst.jpn", 403), ("admin", 200)])
def test_history_filter_is_for_admins_only(env, who, status):
    r = call(env, who, "history-body.children", {"history-agency-filter.value": "LHDN"},
             "history-agency-filter.value")
    assert r.status_code == status


@pytest.mark.parametrize("who,status", [("viewer", 403), ("analyst.lhdn", 403), ("analyst.jpn", 200)])
def test_publish_status_callback(env, who, status):
    values = {"submit-live-poll.n_intervals": 1, "submit-submitted.data": env.ids["jpn"]}
    assert call(env, who, "submit-live-status.children", values, "submit-live-poll.n_intervals").status_code == status


# ---- download routes -------------------------------------------------------------------------------

def _expected(who: str, owner: str | None) -> int:
    """Anonymous 401; viewers 403; analysts 200 for their own agency only; admins 200."""
    if who == "anonymous":
        return 401
    if who == "admin" or (owner and who == f"analyst.{owner.lower()}"):
        return 200
    return 403


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("agency", ["JPN", "LHDN"])
@pytest.mark.parametrize("kind", ["return", "register"])
def test_template_route(env, who, agency, kind):
    before = refusals(env)
    r = client_for(env, who).get(f"/download/template?agency={agency}&period=2026Q3&format=csv&kind={kind}")
    assert r.status_code == _expected(who, agency)
    assert (refusals(env) > before) == (r.status_code != 200)
    if r.status_code == 200:
        assert r.headers["Cache-Control"] == "private, no-store"
        assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert f"filename=naio-{kind}-template-{agency}-2026Q3.csv" in r.headers["Content-Disposition"]
        text = r.get_data(as_text=True).lstrip("\ufeff")
        if kind == "return":
            assert f"{agency},2026Q3,HC_TOTAL" in text
        else:
            assert text.startswith("agency_code,period,system_id,title,")


def test_an_analyst_sends_the_agencys_register_through_the_upload_page(env):
    """A register is read as a register from its columns: checked, previewed system by system
    against the register in force, then recorded; a sector report is not taken on this page."""
    from tests.test_template import REGISTER_HEAD, REGISTER_ROWS, _register_file

    first = _upload(env, "analyst.jpn", _register_file("2026Q2"), "submit").get_json()["response"]
    assert "Accepted as submission" in json.dumps(first["submit-result"])
    sid = first["submit-submitted"]["data"]
    assert env.store.submission(sid)["kind"] == "register"
    assert [s["system_id"] for s in env.store.register_in_force("JPN", "2026Q3")[1]] == ["JPN-AI-001", "JPN-AI-002"]
    # the next quarter: one system moves to production, one is left out, one is new
    moved = REGISTER_ROWS[1].replace(",pilot,", ",production,").replace(",2026Q1,,", ",2026Q1,2026Q3,")
    new = "JPN,{p},JPN-AI-003,Chatbot,,idea,minimal,no,yes,yes,yes,no,,,,,"
    response = _upload(env, "analyst.jpn", _register_file("2026Q3", (moved, new))).get_json()["response"]
    text = json.dumps(response)
    assert "no errors" in text and "submit-changes" in text and "AI system" in text
    assert "What would change (4 changes to the register in force)" in text
    assert {("JPN-AI-002", "stage", "pilot", "production", "changed"),
            ("JPN-AI-002", "production_period", "", "2026Q3", "changed"), ("JPN-AI-003", "", "", "Chatbot", "new"),
            ("JPN-AI-001", "", "Form extraction", "", "removed")} == {r[2:] for r in _table_rows(response)}
    assert env.store.register_in_force("JPN", "2026Q3")[0] == "2026Q2"  # a check records nothing
    sector = b"sector_code,period,indicator_code,value\r\nC,2025Q2,C1_ENT_AI_PCT,10\r\n"
    subs = submissions_count(env)
    text = json.dumps(_upload(env, "analyst.jpn", sector, "submit").get_json()["response"])
    assert "the file is a sector report (from its columns)" in text and "was rejected" in text
    assert env.store.submissions("JPN").iloc[0]["kind"] == "sector" and submissions_count(env) == subs + 1
    # a register of no AI system: one row, which takes both systems out of force
    head = REGISTER_HEAD.split(",")
    none = _upload(env, "analyst.jpn", f"{REGISTER_HEAD}\r\nJPN,2026Q3{',' * (len(head) - 2)}\r\n".encode(), "submit",
                   reason="both systems withdrawn").get_json()["response"]
    text = json.dumps(none)
    assert "1 row for JPN Q3 2026" in text and "What would change (2 changes to the register in force)" in text
    assert env.store.register_in_force("JPN", "2026Q3") == ("2026Q3", [])


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("route", ["original", "errors"])
@pytest.mark.parametrize("which,owner", [("jpn", "JPN"), ("lhdn", "LHDN"), ("jpn_bad", "JPN")])
def test_submission_download_routes(env, who, route, which, owner):
    before = refusals(env)
    r = client_for(env, who).get(f"/download/{route}/{env.ids[which]}")
    assert r.status_code == _expected(who, owner)
    assert (refusals(env) > before) == (r.status_code != 200)
    if r.status_code == 200 and route == "original":
        assert r.data == (BAD_JPN if which == "jpn_bad" else return_csv(owner, "2026Q2"))


def test_unknown_submission_is_not_found_and_bad_template_requests_say_why(env):
    missing = client_for(env, "admin").get("/download/original/999999")
    assert missing.status_code == 404 and missing.mimetype == "text/html"
    assert "There is no such file." in missing.get_data(as_text=True) and 'href="/"' in missing.get_data(as_text=True)
    refused = client_for(env, "analyst.jpn").get(f"/download/original/{env.ids['lhdn']}")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 403 and "You may not download this file." in page and "Anda tidak dibenarkan" in page
    assert client_for(env, "viewer").get("/api/v1/submissions/status").get_json()  # the API answers JSON still
    r = client_for(env, "analyst.jpn").get("/download/template?period=2030Q1&format=csv")
    assert r.status_code == 400 and "has not ended" in r.get_data(as_text=True)
    r = client_for(env, "analyst.jpn").get("/download/template?period=2026Q3&format=csv&kind=budget")
    assert r.status_code == 400 and "unknown kind 'budget'; kinds: return, register" in r.get_data(as_text=True)


def test_a_large_file_is_checked_and_recorded_in_a_process_of_its_own(env, monkeypatch):
    """Above ``LARGE_FILE_BYTES`` the same checks run in a fresh interpreter: the same answers,
    the same refusals and audit rows, the same record; only the publish is asked for here."""
    monkeypatch.setattr(submissions_ui, "LARGE_FILE_BYTES", 0)
    file = return_csv("JPN", "2026Q1", {**VALID, "SVC_AI": 7})
    text = _upload(env, "analyst.jpn", file).get_data(as_text=True)
    assert "no errors" in text and "What would change" in text and "new." in text

    mixed = file + b"LHDN,2026Q1,HC_TOTAL,5\r\n"
    before, subs = refusals(env), submissions_count(env)
    assert "another agency" in _upload(env, "analyst.jpn", mixed, "submit").get_data(as_text=True)
    assert refusals(env) == before + 1 and submissions_count(env) == subs
    last = env.store.table("audit_log").iloc[-1]
    assert (last["actor"], last["outcome"], last["target"]) == ("analyst.jpn", "refused", "LHDN")

    published = len(env.published)
    body = _upload(env, "analyst.jpn", file, "submit").get_json()["response"]
    assert "Accepted as submission" in json.dumps(body["submit-result"])
    sub = env.store.submission(body["submit-submitted"]["data"])
    assert (sub["status"], sub["submitted_by"]) == ("accepted", "analyst.jpn")
    assert env.store.accepted_values("JPN")[("SVC_AI", "", "")]["2026Q1"] == 7
    assert len(env.published) == published + 1


@pytest.mark.parametrize("button", ["check", "submit"])
def test_a_file_that_cannot_be_processed_gets_a_message_not_a_broken_page(env, monkeypatch, button):
    def broken(*_args, **_kwargs):
        raise OSError("database is locked")

    monkeypatch.setattr(submissions_ui, "check_upload" if button == "check" else "submit_upload", broken)
    r = _upload(env, "analyst.jpn", return_csv("JPN", "2026Q1"), button)
    text = r.get_data(as_text=True)
    assert r.status_code == 200 and "return.csv could not be processed (OSError)" in text
    assert "database is locked" not in text  # the details stay in the server's log
