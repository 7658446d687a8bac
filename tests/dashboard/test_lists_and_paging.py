"""National-scale lists: the submissions history paged on the server (URL-held page, 50 a
page), the completeness matrix and the agency ranking as grids of plain JSON rows filtered on
the server, and the role checks of each, on a contract warehouse with a store of many
submissions."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dash import dcc, html

from dashboard import auth, lists, paging
from etl.warehouse import Warehouse
from tests.conftest import make_settings
from tests.dashboard.conftest import _app
from tests.dashboard.contract_warehouse import build
from tests.dashboard.harness import request_as, text_of

PERIOD = "2026Q3"
N_AADK = 120  # rejected files of AADK, one a minute
ACCEPTED_BNM = 1  # one accepted file holding BNM 2026Q2, whose own agency is not recorded


def _meta(i: int, agency: str | None) -> dict:
    return {"file_name": f"file-{i:04d}.csv", "sha256": f"{i:064x}", "size_bytes": 100, "source": "upload",
            "submitted_by": "analyst.aadk" if agency == "AADK" else "admin", "agency_code": agency,
            "periods": "2026Q2", "received_at": datetime(2026, 10, 1, tzinfo=UTC) + timedelta(minutes=i),
            "n_rows": 0, "n_errors": 1, "n_warnings": 0}


@pytest.fixture(scope="module")
def lists_app(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("lists"))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    build(settings.warehouse_path, n_agencies=12, n_quarters=6)
    app, store = _app(settings)
    for i in range(N_AADK):
        store.record_other(_meta(i, "AADK"), "return", "rejected")
    store.record_accepted(_meta(N_AADK, None), "return", [], {("BNM", "2026Q2")})
    yield app, store
    store.dispose()


def _page(name: str):
    return sys.modules[f"pages.{name}"]


def _find(component, wanted_id: str):
    """The component with id ``wanted_id`` in a layout (None when absent)."""
    if isinstance(component, (list, tuple)):
        for child in component:
            found = _find(child, wanted_id)
            if found is not None:
                return found
        return None
    if getattr(component, "id", None) == wanted_id:
        return component
    children = getattr(component, "children", None)
    return _find(children, wanted_id) if children is not None else None


def _body_rows(table) -> list:
    """The body rows of a table (or of the table inside a wrapper)."""
    table = table if isinstance(table, html.Table) else table.children
    return table.children[1].children


# ---- paging helpers ------------------------------------------------------------------------------

@pytest.mark.parametrize("given,page", [(None, 1), ("", 1), ("3", 3), (" 2 ", 2), ("0", 1), ("-4", 1), ("x", 1),
                                        (7, 7)])
def test_the_page_in_the_url_is_read_safely(given, page):
    assert paging.page_number(given) == page


def test_pages_are_clamped_and_counted():
    assert paging.page_count(0) == 1 and paging.page_count(50) == 1 and paging.page_count(51) == 2
    assert paging.clamp(9, 120) == 3 and paging.clamp(0, 120) == 1 and paging.clamp(2, 0) == 1
    assert paging.offset(3) == 100


def test_the_pager_links_keep_the_filters_and_the_language():
    assert paging.pager("/submissions", "en", 1, 50) is None
    nav = paging.pager("/submissions", "ms", 2, 120, agency="AADK")
    links = {c.children: c.href for c in nav.children if isinstance(c, dcc.Link)}
    assert links == {"« Pertama": "/submissions?agency=AADK&lang=ms",
                     "‹ Halaman sebelumnya": "/submissions?agency=AADK&lang=ms",
                     "Halaman seterusnya ›": "/submissions?agency=AADK&page=3&lang=ms",
                     "Terakhir »": "/submissions?agency=AADK&page=3&lang=ms"}
    assert "baris 51–100 daripada 120" in text_of(nav)
    last = paging.pager("/submissions", "en", 3, 120)
    off = [c for c in last.children if isinstance(c, html.Span) and c.className == "pager-off"]
    assert [text_of(c) for c in off] == ["Next page ›", "Last »"]
    many = paging.pager("/submissions", "en", 23, 11440)
    assert "Page 23 of 229 · rows 1,101–1,150 of 11,440" in text_of(many)


# ---- one page of submissions -------------------------------------------------------------------

def test_submissions_are_read_one_page_at_a_time_newest_first(lists_app):
    _app_, store = lists_app
    rows, total, page = lists.submissions_page(store, None, 1)
    assert (len(rows), total, page) == (50, N_AADK + ACCEPTED_BNM, 1)
    ids = [r["submission_id"] for r in rows]
    assert ids == sorted(ids, reverse=True) and "problems_json" not in rows[0]
    last, _, page = lists.submissions_page(store, None, 99)
    assert page == 3 and len(last) == N_AADK + ACCEPTED_BNM - 100
    assert min(r["submission_id"] for r in last) == 1


def test_an_agencys_submissions_include_files_that_hold_its_pairs(lists_app):
    _app_, store = lists_app
    rows, total, _ = lists.submissions_page(store, "BNM", 1)
    assert total == 1 and rows[0]["agency_code"] is None and rows[0]["status"] == "accepted"
    rows, total, _ = lists.submissions_page(store, "AADK", 2)
    assert total == N_AADK and {r["agency_code"] for r in rows} == {"AADK"}


def test_the_history_page_shows_one_page_and_a_pager(lists_app):
    app, _store = lists_app
    history = _page("history")
    with request_as(app, "admin"):
        layout = history.layout(agency="AADK", page="2")
    rows = _body_rows(_find(layout, "history-body").children[1])
    assert len(rows) == 50
    assert [int(r.children[0].children) for r in rows][0] == N_AADK - 50
    pager = _find(layout, "history-pager")
    assert pager is not None and "rows 51–100 of 120" in text_of(pager)
    assert any(getattr(c, "href", "") == "/submissions?agency=AADK&page=3" for c in pager.children)


def test_an_analyst_pages_through_their_own_agency_only(lists_app):
    app, _store = lists_app
    history = _page("history")
    with request_as(app, "analyst"):
        layout = history.layout(page="3")
        rows = _body_rows(_find(layout, "history-body").children[1])
        assert len(rows) == N_AADK - 100 and all(r.children[4].children == "AADK" for r in rows)
        assert "Access denied" in text_of(history.layout(agency="BNM"))
        with pytest.raises(auth.Forbidden):
            history.filter_agency("BNM", "en")


def test_an_empty_history_says_so(lists_app):
    app, _store = lists_app
    with request_as(app, "admin"):
        body = _page("history").history_body(auth.current_user(), "JPN", "en")
    assert "No submissions yet." in text_of(body) and _find(body, "history-pager") is None


# ---- the completeness matrix -------------------------------------------------------------------

def test_the_admin_matrix_is_a_grid_of_plain_rows(lists_app):
    from etl.accounts import add_user

    app, store = lists_app
    add_user(store, "viewer.one", "a-long-viewer-password", "viewer")
    admin = _page("admin")
    with request_as(app, "admin"):
        layout = admin.layout(lang="ms")
    grid = _find(layout, "admin-matrix")
    with request_as(app, "admin"):
        missing = admin.filter_matrix("missing", "ms")
    # what needs chasing first: the agencies without a return for the current quarter
    assert missing and grid.rowData == missing and _find(layout, "admin-matrix-show").value == "missing"
    assert f"({len(missing)} daripada 12 agensi)" in text_of(_find(layout, "h-missing"))
    assert "ST3 2026" in text_of(_find(layout, "h-missing"))  # the quarter as Malay readers write it
    with request_as(app, "admin"):
        first = admin.filter_matrix("all", "ms")[0]
    assert set(first) == {"agency", "name", "2025Q4", "2026Q1", "2026Q2", "2026Q3"}
    assert all(isinstance(v, str) for v in first.values())
    assert first["agency"].startswith("[") and "(/agency/" in first["agency"] and "lang=ms" in first["agency"]
    assert [c["headerName"] for c in grid.columnDefs][:2] == ["Agensi", "Nama"]
    assert grid.dashGridOptions["localeText"]["of"] == "daripada"
    recent = _find(layout, "admin-submissions")
    assert len(_body_rows(recent)) == admin.RECENT
    users = text_of(_find(layout, "admin-users-table"))
    assert "Ya" in users and "yes" not in users.lower()  # whether an account is active, in the page's language


def test_the_matrix_is_filtered_on_the_server_for_admins_only(lists_app):
    app, _store = lists_app
    admin = _page("admin")
    with request_as(app, "admin"):
        every = admin.filter_matrix("all", "en")
        missing = admin.filter_matrix("missing", "en")
        gaps = admin.filter_matrix("gaps", "en")
        unknown = admin.filter_matrix("<script>", "en")
    assert unknown == every and len(missing) <= len(gaps) <= len(every)
    assert all(r[PERIOD].startswith("✖") for r in missing)
    assert all(any(r[p][:1] in "✖◐◷" for p in ("2025Q4", "2026Q1", "2026Q2", PERIOD)) for r in gaps)
    with request_as(app, "analyst"), pytest.raises(auth.Forbidden):
        admin.filter_matrix("all", "en")


def test_completeness_falls_back_to_the_system_of_record(lists_app, tmp_path):
    _app_, store = lists_app
    matrix = lists.completeness(Warehouse(Path(tmp_path) / "none.duckdb"), store, PERIOD)
    assert matrix.periods == ["2025Q4", "2026Q1", "2026Q2", PERIOD]
    bnm = next(r for r in matrix.rows if r[0] == "BNM")
    assert bnm[5:] == ("✖ 0/1", "✖ 0/1", "◷ 1/1", "✖ 0/1") and bnm[3] and bnm[4]  # sent after the deadline
    assert matrix.expected_now == len(matrix.rows) and "BNM" in {r[0] for r in matrix.missing}


# ---- the agency ranking ------------------------------------------------------------------------

def test_the_ranking_is_filtered_in_the_warehouse_and_sent_as_plain_rows(lists_app):
    app, _store = lists_app
    agencies = _page("agencies")
    with request_as(app, "viewer"):
        every = agencies.render_ranking("en", PERIOD, "all", "all")
        departments = agencies.render_ranking("ms", PERIOD, "all", "department")
    grid = _find(every, "ranking-grid")
    assert len(grid.rowData) == 12
    row = grid.rowData[0]
    assert set(row) == {"rank", "agency", "ministry", "peer", "index", "change", "range",
                        "p_TAL", "p_ADO", "p_GOV", "p_IMP"}  # pillar scores as numbers of their own
    assert all(isinstance(row[f"p_{k}"], int) for k in ("TAL", "ADO", "GOV", "IMP"))
    pillar_headers = grid.columnDefs[-1]
    assert [c["field"] for c in pillar_headers["children"]] == ["p_GOV", "p_TAL", "p_ADO", "p_IMP"]
    assert "/agency/" in row["agency"] and f"period={PERIOD}" in row["agency"]
    ms_rows = _find(departments, "ranking-grid").rowData
    assert 0 < len(ms_rows) < 12 and {r["peer"] for r in ms_rows} == {"Jabatan"}
    assert all("lang=ms" in r["agency"] for r in ms_rows)
    # the grid's own pager and filter words follow the page's language
    assert grid.dashGridOptions["localeText"] == {}
    ms_text = _find(departments, "ranking-grid").dashGridOptions["localeText"]
    assert ms_text["page"] == "Halaman" and ms_text["pageSizeSelectorLabel"] == "Saiz halaman:"
    one = ms_rows[0]["ministry"]
    with request_as(app, "viewer"):
        by_ministry = _find(agencies.render_ranking("en", PERIOD, one, "all"), "ranking-grid").rowData
    assert by_ministry and {r["ministry"] for r in by_ministry} == {one}


def test_a_ranking_with_no_rows_is_the_empty_state(lists_app):
    app, _store = lists_app
    with request_as(app, "viewer"):
        out = _page("agencies").render_ranking("en", PERIOD, "NO-SUCH-MINISTRY", "all")
    assert "state-empty" in str(out)


def test_a_failed_completeness_read_shows_the_error_state_and_keeps_the_page(lists_app, monkeypatch, caplog):
    app, _store = lists_app

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(lists, "completeness", broken)
    monkeypatch.setattr(lists, "warehouse_completeness", broken)
    admin = _page("admin")
    admin._snapshot_sections.cache_clear()  # nothing kept from the views before
    with request_as(app, "admin"):
        layout = admin.layout()
    assert "callout-danger" in str(layout) and "disk on fire" not in str(layout)
    assert _find(layout, "admin-submissions") is not None and _find(layout, "admin-users") is not None
    assert "disk on fire" in caplog.text


def test_per_snapshot_keeps_results_of_one_snapshot_only(monkeypatch, tmp_path):
    """A render kept per snapshot is built once per snapshot and arguments; a new snapshot or
    other arguments build it again, and a failure is never kept."""
    from dashboard import components as C
    from dashboard import context, queries

    path = tmp_path / "warehouse.duckdb"
    path.write_bytes(b"")
    snapshot = {"snapshot_id": "s1"}
    monkeypatch.setattr(context, "warehouse", lambda: Warehouse(path))
    monkeypatch.setattr(queries, "meta", lambda wh: dict(snapshot))
    built: list[tuple] = []
    fail = {"now": False}

    @C.per_snapshot
    def render(lang, period):
        if fail["now"]:
            raise RuntimeError("boom")
        built.append((lang, period))
        return [html.P(f"{lang} {period}")]

    first = render("en", "2026Q3")
    assert render("en", "2026Q3") is first and built == [("en", "2026Q3")]
    render("ms", "2026Q3")
    assert len(built) == 2
    snapshot["snapshot_id"] = "s2"
    fail["now"] = True
    with pytest.raises(RuntimeError):
        render("en", "2026Q3")
    fail["now"] = False
    assert render("en", "2026Q3") is not first and len(built) == 3
    snapshot["snapshot_id"] = ""  # no snapshot id: never kept
    render("en", "2026Q3")
    render("en", "2026Q3")
    assert len(built) == 5


def test_light_submission_rows_serialise_like_dash_components():
    """The submissions table is built from light elements that send the same JSON as Dash's."""
    from dashboard import submissions_ui as ui

    row = {"submission_id": 7, "received_at": datetime(2026, 11, 1, 2, 0, tzinfo=UTC), "file_name": "a.csv",
           "kind": "return", "agency_code": "A01", "periods": "2026Q3", "status": "accepted",
           "submitted_by": "x", "reason": None, "n_errors": 1, "n_warnings": 0}
    table = ui.submissions_table([row], "en", "t")
    assert isinstance(table, html.Div)
    assert "penyata" in text_of(ui.submissions_table([row], "ms", "t"))  # what the file is, in Malay
    tr = table.children.children[1].children[0]
    assert tr.to_plotly_json()["props"]["data-submission"] == "7"
    links = tr.children[-1].children
    assert isinstance(links[-1], html.A) and links[-1].href == "/download/errors/7"
    assert links[-1].to_plotly_json() == html.A("error sheet", href="/download/errors/7",
                                                **{"aria-label": "error sheet of submission 7"}).to_plotly_json()
    assert tr.children[1].children == "2026-11-01 10:00 MYT"


def test_a_kept_view_sends_the_same_json_without_calling_back_into_its_components(monkeypatch):
    """``frozen`` works out a kept tree's JSON once: later responses are the same text, and the
    encoder never calls the components of the tree again."""
    import numpy as np
    from dash import dcc
    from plotly.io.json import to_json_plotly

    from dashboard import components as C

    def tree():
        return [C.fast.Div([C.fast.Span("a", className="x"), html.P(["b", C.fast.Code("c")], id="p")]),
                dcc.Graph(figure={"data": [{"type": "bar", "y": np.array([1.0, np.nan])}]}), "text", None]

    expected = to_json_plotly(tree())
    kept = C.frozen(tree())
    assert isinstance(kept, list) and isinstance(kept[0], C.fast.Div) and kept[0].children[1].id == "p"

    def refuse(self):
        raise AssertionError("called back while sending a frozen tree")

    for cls in (C.fast.Div, C.fast.Span, C.fast.Code, html.P, dcc.Graph):
        monkeypatch.setattr(cls, "to_plotly_json", refuse)
    assert to_json_plotly(kept) == to_json_plotly(kept) == expected
    assert C.frozen(kept)[0] is kept[0]


def test_the_template_quarters_are_written_as_readers_write_them(lists_app):
    app, _store = lists_app
    with request_as(app, "admin"):
        layout = _page("submit").layout(lang="ms")
    period = _find(layout, "submit-period")
    assert period.value == "2026Q3" and period.options[0] == {"label": "ST3 2026", "value": "2026Q3"}
    assert len(period.options) == 8


def test_the_preview_of_changes_writes_quarters_as_readers_write_them(lists_app):
    change = {"agency": "AADK", "period": "2026Q3", "indicator": "HC_TOTAL", "breakdown_type": "",
              "breakdown_code": "", "current": 10.0, "new": 12.0, "kind": "changed"}
    assert "ST3 2026" in text_of(_page("submit").changes_table([change], "ms"))
    assert "Q3 2026" in text_of(_page("submit").changes_table([change], "en"))


def test_a_national_file_shows_the_first_rows_of_its_problems_and_changes(lists_app):
    """A national file (a thousand agencies) can have tens of thousands of changes or problems:
    the page shows the first rows, most telling first, and says how many there are."""
    from dashboard import submissions_ui as ui
    from etl.ingest import IngestResult
    from etl.problems import WARNING, problem

    submit = _page("submit")
    n = submit.SHOWN_ROWS + 50
    changes = [{"agency": f"A{i:04d}", "period": "2026Q3", "indicator": "HC_TOTAL", "breakdown_type": "",
                "breakdown_code": "", "current": None, "new": float(i), "kind": "added"} for i in range(n)]
    changes += [{**changes[0], "agency": "Z9999", "current": 1.0, "new": 2.0, "kind": "changed"},
                {**changes[0], "agency": "Z9998", "current": 3.0, "new": 3.0, "kind": "same"}]
    problems = [problem("far-from-previous", f"row {i}", row=i + 2, level=WARNING) for i in range(n)]
    pairs = [(f"A{i:04d}", "2026Q3") for i in range(n)]
    result = IngestResult(file_name="all.csv", sha256="x", kind="return", status="checked", problems=problems)
    result.pairs = pairs
    view = submit.outcome_view(ui.Outcome(result, problems, *ui.preview(changes)), False, "en")
    assert len(_find(view, "submit-changes").children[1].children) == submit.SHOWN_ROWS
    assert len(_find(view, "submit-problems").children[1].children) == submit.SHOWN_ROWS
    text = text_of(view)
    assert f"What would change ({n + 1} of {n + 2} values)" in text and "1 changed, 0 removed, 250 new." in text
    assert text.index("Z9999") < text.index("A0000")  # a changed value before the new ones
    assert f"the error sheet lists all {n}" in text and f"The first {submit.SHOWN_ROWS} are shown" in text
    malay = text_of(submit.outcome_view(ui.Outcome(result, problems, *ui.preview(changes)), False, "ms"))
    assert "1 berubah, 0 dibuang, 250 baharu." in malay and "helaian ralat menyenaraikan kesemua" in malay
    assert submit._pairs(pairs, "en").endswith(f"and {n - submit.SHOWN_PAIRS} more")
    assert submit._pairs(pairs[:2], "ms") == "A0000 ST3 2026, A0001 ST3 2026"


def test_malay_problem_tables_name_each_kind_of_problem_in_malay(lists_app):
    from etl.problems import problem

    p = problem("negative-value", "AADK 2026Q3 HC_TOTAL: -3 is negative", file="a.csv", row=4, column="value",
                value="-3", expected="a number of 0 or more", message_ms="AADK 2026Q3 HC_TOTAL: -3 ialah nilai negatif",
                expected_ms="nombor 0 atau lebih")
    submit = _page("submit")
    malay, english = text_of(submit.problems_table([p], "ms")), text_of(submit.problems_table([p], "en"))
    assert "Nilai negatif" in malay and "-3 ialah nilai negatif" in malay and "nombor 0 atau lebih" in malay
    assert "is negative" not in malay and "a number of 0 or more" not in malay
    assert "Nilai negatif" not in english and "-3 is negative" in english and "a number of 0 or more" in english
    assert "ialah" not in english


def test_a_problem_recorded_without_malay_shows_its_english_marked_as_english(lists_app):
    from dashboard.downloads import stored_problems

    kept = [{"code": "negative-value", "message": "AADK 2026Q3 HC_TOTAL: -3 is negative", "file": "a.csv", "row": 4,
             "column": "value", "value": "-3", "expected": "a number of 0 or more", "level": "error"}]
    [p], total = stored_problems({"problems_json": json.dumps({"total": 1, "kept": kept})})
    assert total == 1 and p.message_ms == "" and p.expected_ms == ""
    table = _page("submit").problems_table([p], "ms")
    cells = table.children.children[1].children[0].children
    problem_cell, accepted_cell = cells[3].children, cells[4].children
    assert problem_cell[0].children == "Nilai negatif"  # the kind, in Malay
    assert problem_cell[2].children == "AADK 2026Q3 HC_TOTAL: -3 is negative" and problem_cell[2].lang == "en"
    assert accepted_cell.children == "a number of 0 or more" and accepted_cell.lang == "en"


def test_the_malay_outcome_of_a_checked_file_gives_each_problem_in_malay(lists_app):
    from dashboard import submissions_ui as ui
    from tests.dashboard.harness import USERS

    app, _store = lists_app
    bad = b"agency_code,period,indicator_code,value\nAADK,2026Q3,HC_TOTAL,abc\nAADK,2026Q3,HC_AI_LIT,-4\n"
    with request_as(app, "analyst"):
        outcome = ui.check_upload(USERS["analyst"], bad, "aadk-bad.csv")
    submit = _page("submit")
    malay, english = text_of(submit.outcome_view(outcome, False, "ms")), text_of(submit.outcome_view(outcome, False, "en"))
    assert "Bukan nombor" in malay and "'abc' bukan nombor" in malay
    assert "nombor dengan titik perpuluhan dan tanpa pemisah ribuan" in malay
    assert "AADK 2026Q3 HC_AI_LIT: -4 ialah nilai negatif" in malay and "nombor 0 atau lebih" in malay
    assert "is not a number" not in malay and "is negative" not in malay
    assert "'abc' is not a number" in english and "bukan nombor" not in english


def test_the_admin_page_shows_a_new_file_on_the_next_view(lists_app):
    """The latest submissions are kept while no file is recorded; a new one shows at once.
    (Last in this module: it adds a submission to the shared store.)"""
    app, store = lists_app
    admin = _page("admin")
    with request_as(app, "admin"):
        before = text_of(_find(admin.layout(lang="en"), "admin-submissions"))
        again = text_of(_find(admin.layout(lang="en"), "admin-submissions"))
        store.record_other(_meta(9999, "AADK"), "return", "rejected")
        after = text_of(_find(admin.layout(lang="en"), "admin-submissions"))
    assert before == again and "file-9999.csv" not in before
    assert "file-9999.csv" in after


def test_the_history_shows_a_new_file_on_the_next_view(lists_app):
    """(Last in this module, like the test above: it adds a submission to the shared store.)"""
    app, store = lists_app
    history = _page("history")
    with request_as(app, "analyst"):
        user = auth.current_user()
        before = text_of(history.history_body(user, "AADK", "en"))
        store.record_other(_meta(9998, "AADK"), "return", "rejected")
        after = text_of(history.history_body(user, "AADK", "en"))
    assert "file-9998.csv" not in before and "file-9998.csv" in after
