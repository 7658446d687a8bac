"""The analyst's journey in a real Chromium: sign in, download the template, upload a bad
file and see located errors, upload the fixed file, submit, resubmit with a reason, and find
both in the history. Runs on its own copy of the demo data, so other tests keep theirs."""

from __future__ import annotations

import csv
import io
import shutil
import sqlite3
import threading
import time
import urllib.request

import pytest
from openpyxl import load_workbook

from tests.browser.conftest import _free_port, sign_in

pytestmark = pytest.mark.browser
PUBLISH_WAIT_MS = 240_000


@pytest.fixture(scope="module")
def journey_url(demo_settings, tmp_path_factory):
    """A dashboard over a private copy of the published demo data."""
    from waitress.server import create_server

    from dashboard.server import create_app, default_threads
    from etl.store import Store

    data_dir = tmp_path_factory.mktemp("journey") / "data"
    data_dir.mkdir()
    source = sqlite3.connect(str(demo_settings.data_dir / "naio.db"))
    target = sqlite3.connect(str(data_dir / "naio.db"))
    source.backup(target)
    source.close(), target.close()
    shutil.copytree(demo_settings.archive_dir, data_dir / "archive")
    shutil.copy(demo_settings.warehouse_path, data_dir / "warehouse.duckdb")
    settings = demo_settings.with_(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'naio.db'}",
                                   inbox_dir=data_dir / "inbox")
    store = Store.open(settings.database_url, settings.reference_dir)
    app = create_app(settings, store)
    port = _free_port()
    server = create_server(app.server, host="127.0.0.1", port=port, threads=default_threads())
    threading.Thread(target=server.run, daemon=True).start()
    assert _up(port)  # the first request also binds the page callbacks to this app
    yield f"http://127.0.0.1:{port}"
    server.close()
    store.dispose()


def _up(port: int) -> bool:
    for _ in range(50):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login").close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def _rows(data: bytes) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    return rows[0], rows[1:]


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([header, *rows])
    return out.getvalue().encode("utf-8")


def _filled(template: bytes, changes: dict[str, str]) -> bytes:
    """The template with the last accepted values as this quarter's, then ``changes`` applied."""
    header, rows = _rows(template)
    code, value, last = header.index("indicator_code"), header.index("value"), header.index("last_accepted_value")
    total = header.index("breakdown_type")
    for row in rows:
        row[value] = changes.get(row[code], row[last]) if not row[total] else row[last]
    return _csv(header, rows)


def _upload(page, name: str, data: bytes) -> None:
    page.set_input_files("#submit-upload input[type=file]",
                         files=[{"name": name, "mimeType": "text/csv", "buffer": data}])
    page.wait_for_function("n => document.querySelector('#submit-file').textContent.startsWith(n)", arg=name)


def _press(page, button: str, status: str, name: str) -> None:
    """Click Check or Submit and wait for the outcome of exactly that action on that file."""
    page.click(f"#submit-{button}-btn")
    page.wait_for_selector(f"#submit-outcome[data-action={button}][data-file='{name}'][data-status={status}]",
                           timeout=60_000)


def _until_live(page) -> None:
    """Wait until the page says the numbers of the submission just accepted are live."""
    sid = page.get_attribute("#submit-outcome", "data-submission")
    page.wait_for_selector(f"#submit-live-status [data-submission='{sid}'] .callout-success", timeout=PUBLISH_WAIT_MS)


def _download(page, selector: str) -> bytes:
    with page.expect_download() as info:
        page.click(selector)
    return open(info.value.path(), "rb").read()


def test_viewer_is_told_access_denied(page, journey_url):
    sign_in(page, journey_url, "viewer", next_path="/submit")
    page.wait_for_selector(".access-denied")
    assert page.locator("#submit-upload").count() == 0



def test_the_register_template_is_the_agencys_register_to_update(page, journey_url):
    sign_in(page, journey_url, "analyst.jpn", next_path="/submit")
    page.wait_for_selector("#submit-upload")
    assert not page.is_visible("#submit-register-note")  # the note of the register template, with it only
    page.click("#submit-kind")
    page.locator("[role=option]", has_text="AI use-case register").click()
    page.wait_for_function("() => document.querySelector('#submit-template-link').href.includes('kind=register')")
    assert "no longer in force" in page.inner_text("#submit-register-note")
    header, rows = _rows(_download(page, "#submit-template-link"))
    assert header[:4] == ["agency_code", "period", "system_id", "title"] and rows
    assert {r[0] for r in rows} == {"JPN"} and {r[1] for r in rows} == {"2026Q3"}
    # a pilot moved to production, checked: a valid register of the quarter
    at = {name: i for i, name in enumerate(header)}
    pilot = next((r for r in rows if r[at["stage"]] == "pilot"), rows[0])
    pilot[at["stage"]], pilot[at["production_period"]] = "production", "2026Q3"
    _upload(page, "jpn-register-2026Q3.csv", _csv(header, rows))
    _press(page, "check", "checked", "jpn-register-2026Q3.csv")
    assert "no errors" in page.inner_text("#submit-outcome")
    assert not [e for e in page.console_errors if "favicon" not in e]

def test_analyst_journey(page, journey_url):
    sign_in(page, journey_url, "analyst.jpn", next_path="/submit")
    page.wait_for_selector("#submit-upload")
    assert "Files up to 10 MB" in page.inner_text("#submit-limit-text")

    # the template of the agency and the current quarter, a valid return once filled
    page.wait_for_function("() => document.querySelector('#submit-template-link').href.includes('agency=JPN')")
    template = _download(page, "#submit-template-link")
    header, rows = _rows(template)
    assert header[:3] == ["agency_code", "period", "indicator_code"] and "name_ms" in header
    assert {r[0] for r in rows} == {"JPN"} and {r[1] for r in rows} == {"2026Q3"}

    # a bad file: every problem located by row and column, and an error sheet to take away
    bad = _filled(template, {"HC_TOTAL": "1 234,5", "HC_AI_LIT": "abc"})
    _upload(page, "jpn-bad.csv", bad)
    _press(page, "check", "rejected", "jpn-bad.csv")
    problems = page.inner_text("#submit-problems")
    assert "abc" in problems and "1 234,5" in problems and "value" in problems
    line_of = {r[2]: i + 2 for i, r in enumerate(rows) if not r[3]}  # agency totals
    cells = page.locator("#submit-problems tbody tr td:first-child").all_inner_texts()
    assert str(line_of["HC_AI_LIT"]) in cells and str(line_of["HC_TOTAL"]) in cells
    sheet = load_workbook(io.BytesIO(_download(page, "#submit-errors-btn"))).worksheets[0]
    assert line_of["HC_AI_LIT"] in [c.value for c in sheet["A"]]

    # the fixed file: checked, previewed against the accepted values, then a reason is asked for
    header, last = _rows(template)
    total = next(r for r in last if r[2] == "HC_TOTAL")[header.index("last_accepted_value")]
    fixed = _filled(template, {"HC_TOTAL": str(int(float(total)) + 7)})
    _upload(page, "jpn-2026Q3.csv", fixed)
    _press(page, "check", "checked", "jpn-2026Q3.csv")
    assert "replaces the accepted return for JPN Q3 2026" in page.inner_text("#submit-outcome")
    assert "HC_TOTAL" in page.inner_text("#submit-changes")
    _press(page, "submit", "checked", "jpn-2026Q3.csv")
    assert "a reason is required" in page.inner_text("#submit-outcome")

    # submit with a reason; the page says when the new numbers are live
    page.fill("#submit-reason", "headcount corrected after the HR audit")
    _press(page, "submit", "accepted", "jpn-2026Q3.csv")
    _until_live(page)

    # resubmit a correction with another reason
    again = _filled(template, {"HC_TOTAL": str(int(float(total)) + 9)})
    _upload(page, "jpn-2026Q3-v2.csv", again)
    page.fill("#submit-reason", "second correction")
    _press(page, "submit", "accepted", "jpn-2026Q3-v2.csv")
    _until_live(page)

    # the history lists both, newest first, with who, status, reason and the original file
    page.goto(f"{journey_url}/submissions")
    page.wait_for_selector("#history-table")
    first, second = page.locator("#history-table tbody tr").nth(0), page.locator("#history-table tbody tr").nth(1)
    assert "jpn-2026Q3-v2.csv" in first.inner_text() and "second correction" in first.inner_text()
    assert "analyst.jpn" in first.inner_text() and "Accepted" in first.inner_text()
    assert "headcount corrected" in second.inner_text()
    assert _download(page, "#history-table tbody tr:first-child a[href^='/download/original/']") == again

    # signing out (a form that posts) ends the session: the pages ask for a sign-in again
    page.click("#signout")
    page.wait_for_url("**/login")
    page.goto(f"{journey_url}/submissions")
    page.wait_for_url(lambda url: "/login?next=/submissions" in url)
    assert not [e for e in page.console_errors if "favicon" not in e]
