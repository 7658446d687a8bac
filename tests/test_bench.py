"""The benchmark harness: statistics, the Dash client's requests, and a tiny end-to-end run."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from benchmarks.dash_client import Page, key, nav_paths, page_view, split_output
from benchmarks.pack_bench import _arguments
from benchmarks.stats import Measure, percentile, table, verdict
from tests.conftest import ROOT

REPORT_KEYS = {"name", "median", "spread", "baseline_median", "ratio", "goal", "met", "available"}


# ---- statistics and the report ----------------------------------------------------------
def test_percentile_interpolates_and_handles_edges():
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([0.0, 10.0], 95) == pytest.approx(9.5)
    assert percentile([5.0], 95) == 5.0
    assert percentile([], 50) != percentile([], 50)  # NaN


def test_a_measure_compares_its_median_with_the_baseline_and_the_goal():
    m = Measure(name="x", unit="s", goal="<= 3x", runs=[2.0, 9.0, 3.0], baseline_runs=[1.0, 1.2, 0.8], max_ratio=3.0)
    assert (m.median, m.spread, m.baseline_median, m.ratio) == (3.0, 7.0, 1.0, 3.0)
    assert m.met is True and verdict(m) == "met"
    m.max_value = 2.5
    assert m.met is False and verdict(m) == "MISSED"
    assert REPORT_KEYS <= set(m.as_dict())


def test_missing_parts_and_failures_are_reported_as_such():
    absent = Measure(name="pack", unit="s", goal="< 10 s", max_value=10.0, available=False, note="not in the product")
    failed = Measure(name="publish", unit="s", goal="runs", error="RuntimeError: boom")
    info = Measure(name="p50", unit="ms", goal="(for information)", runs=[1.0])
    assert (absent.met, failed.met, info.met) == (None, False, None)
    assert [verdict(m) for m in (absent, failed, info)] == ["n/a", "MISSED", "info"]
    text = table([absent, failed, info])
    assert "not available" in text and "failed" in text and text.count("\n") == 4


def test_pack_arguments_are_matched_by_name():
    def build(settings, store, *, period=None, lang="en", use_cache=True):
        return None

    kwargs, why = _arguments(build, {"settings": 1, "store": 2, "period": "2026Q3", "lang": "ms", "use_cache": False})
    assert not why and kwargs == {"settings": 1, "store": 2, "period": "2026Q3", "lang": "ms", "use_cache": False}
    assert "needs 'store'" in _arguments(build, {"settings": 1})[1]


# ---- the Dash client --------------------------------------------------------------------
def _component(type_: str, **props) -> dict:
    return {"type": type_, "namespace": "dash_html_components", "props": props}


ROUTER = {"output": ".._pages_content.children..._pages_store.data..",
          "inputs": [{"id": "_pages_location", "property": "pathname"},
                     {"id": "_pages_location", "property": "search"}],
          "state": [], "clientside_function": None, "prevent_initial_call": True}
FILTER = {"output": "chart.children", "inputs": [{"id": "period", "property": "value"}],
          "state": [{"id": '{"index":["ALL"],"type":"pick"}', "property": "value"}],
          "clientside_function": None, "prevent_initial_call": False}
TITLE = {"output": "_pages_dummy.children", "inputs": [{"id": "_pages_store", "property": "data"}], "state": [],
         "clientside_function": {"namespace": "_dashprivate_clientside_funcs", "function_name": "t"},
         "prevent_initial_call": False}
SHELL = _component("Div", children=[
    {"type": "Location", "namespace": "dash_core_components", "props": {"id": "_pages_location"}},
    _component("Nav", children=[_component("A", href="/"), _component("A", href="/sectors?x=1"),
                                _component("A", href="/logout")]),
    _component("Div", id="_pages_content"), _component("Div", id="_pages_store"),
    _component("Div", id="_pages_dummy")])
PAGE = [_component("Div", id="period", value="2026Q3"), _component("Div", id="chart"),
        _component("Div", id={"type": "pick", "index": 1}, value="A"),
        _component("Div", id={"type": "pick", "index": 2})]


class FakeServer:
    """Answers like Dash: the shell layout, the callback map, the page, then a chart."""

    def __init__(self):
        self.bodies: list[dict] = []

    def get(self, path: str) -> tuple[int, bytes]:
        return 200, json.dumps(SHELL if path == "/_dash-layout" else [ROUTER, FILTER, TITLE]).encode()

    def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        self.bodies.append(json.loads(body))
        if self.bodies[-1]["output"] == ROUTER["output"]:
            response = {"_pages_content": {"children": PAGE}, "_pages_store": {"data": {"title": "t"}}}
        else:
            response = {"chart": {"children": "drawn"}}
        return 200, json.dumps({"multi": True, "response": response}).encode()


def test_a_page_view_sends_what_the_renderer_sends():
    server = FakeServer()
    calls = page_view(server, "/sectors", origin="http://127.0.0.1:8050")
    assert [c.status for c in calls] == [200, 200]
    router, chart = server.bodies
    assert router == {
        "output": ROUTER["output"],
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/sectors"},
                   {"id": "_pages_location", "property": "search", "value": ""}],
        "changedPropIds": ["_pages_location.pathname", "_pages_location.search"],
        "parsedChangedPropsIds": ["_pages_location.pathname", "_pages_location.search"]}
    assert chart["outputs"] == {"id": "chart", "property": "children"}  # a single output is not a list
    assert chart["inputs"] == [{"id": "period", "property": "value", "value": "2026Q3"}]
    assert chart["changedPropIds"] == []  # an initial call
    assert chart["state"] == [[{"id": {"index": 1, "type": "pick"}, "property": "value", "value": "A"},
                               {"id": {"index": 2, "type": "pick"}, "property": "value"}]]


def test_client_helpers():
    assert key({"type": "pick", "index": 1}) == '{"index":1,"type":"pick"}'
    assert split_output("..a.x...b.y..") == [("a", "x"), ("b", "y")]
    assert split_output('{"index":["ALL"],"type":"t"}.value') == [('{"index":["ALL"],"type":"t"}', "value")]
    assert nav_paths(SHELL) == ["/", "/sectors"]
    assert set(Page(SHELL, [ROUTER]).components) == {"_pages_location", "_pages_content", "_pages_store",
                                                    "_pages_dummy"}


def test_the_ingest_floor_inserts_the_files_rows_with_the_bare_driver(tmp_path):
    import sqlite3

    from benchmarks.etl_bench import _return_tuples, _say_floor, _sqlite_insert
    from etl.store import Store

    csv = tmp_path / "r.csv"
    csv.write_text("agency_code,period,indicator_code,value,unit,breakdown_type,breakdown_code,value_status,notes\n"
                   "JPN,2026Q3,GOV_AI_PROJECTS,4,count,,,,\n"
                   "JPN,2026Q3,GOV_AI_PROJECTS,1,count,STATE,10,E,from a survey\n", encoding="utf-8")
    rows = _return_tuples(csv)
    assert rows == [(2, "JPN", "2026Q3", "GOV_AI_PROJECTS", "", "", 4.0, "A", None),
                    (3, "JPN", "2026Q3", "GOV_AI_PROJECTS", "STATE", "10", 1.0, "E", "from a survey")]
    db = tmp_path / "naio.db"
    Store.open(f"sqlite:///{db}", ROOT / "data" / "reference").dispose()
    assert _sqlite_insert(db, rows) > 0
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM return_rows").fetchone()[0] == 2

    m = Measure(name="ingest", unit="s", goal="", runs=[1.0], baseline_runs=[0.1], max_ratio=3.0, extra={})
    floor = Measure(name="floor", unit="s", goal="", runs=[0.5], baseline_runs=[0.1])
    m.extra["ratio_to_floor"] = 2.0
    _say_floor(m, floor)
    assert "below the floor" in m.note and "5.0x" in m.note
    low = Measure(name="floor", unit="s", goal="", runs=[0.2], baseline_runs=[0.1])
    m.note = ""
    _say_floor(m, low)
    assert m.note == ""


# ---- end to end, at a tiny scale ----------------------------------------------------------
@pytest.mark.slow
def test_the_page_frame_floor_is_the_callbacks_every_page_shares_but_the_layout():
    from benchmarks.capture import PageScript
    from benchmarks.dash_client import Call
    from benchmarks.dashboard_bench import PageBaseline, frame_floor, page_measures
    from benchmarks.load import LoadResult, Sample

    def script(name: str, *outputs: str) -> PageScript:
        return PageScript(name, f"/{name}", [Call(o, b"{}") for o in outputs])

    layout = "..._pages_content.children..."
    scripts = [script("a", "nav.children", layout, "a-body.children"), script("b", "nav.children", layout)]
    run = LoadResult(samples=[Sample("a", "callback", 0.05, 200, 0.010, "nav.children"),
                              Sample("a", "callback", 0.05, 200, 0.030, layout),
                              Sample("a", "callback", 0.05, 200, 0.040, "a-body.children"),
                              Sample("b", "callback", 0.05, 200, 0.012, "nav.children"),
                              Sample("b", "callback", 0.05, 200, 0.020, layout)])
    frame = frame_floor(scripts, [run])
    assert frame.extra["callbacks"] == ["nav.children"] and frame.median == pytest.approx(11.9)
    base = {"a": [PageBaseline([1.0, 1.0])], "b": [PageBaseline([100.0])]}
    measures = {m.name: m for m in page_measures(scripts, [run], base)}
    assert "below the p95 of the page frame's callbacks" in measures["page a (/a): callback server time p95"].note
    assert not measures["page b (/b): callback server time p95"].note  # 3x 100 ms is above the frame's
    assert not measures["page a (/a): callback server time p50"].note  # information only


def test_bench_runs_end_to_end_and_writes_its_report(tmp_path):
    report = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, "app.py", "bench", "--scale", "small", "--agencies", "6", "--quarters", "2", "--repeat", "1",
         "--clients", "3", "--seconds", "2", "--only", "ingest,publish,dashboard", "--json", str(report)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    body = json.loads(report.read_text())
    measures = {m["name"]: m for m in body["measures"]}
    assert all(REPORT_KEYS <= set(m) for m in measures.values())
    assert not [m["error"] for m in measures.values() if m["error"]]
    ingest = measures["ingest one large return file"]
    assert ingest["ratio"] and ingest["baseline_median"] > 0 and ingest["met"] in (True, False)
    publish = measures["publish (warehouse + all KPI values)"]
    assert publish["ratio"] and publish["extra"]["carried_over"]["reused_return_rows"] > 0
    assert measures["publish from nothing (no warehouse to carry rows over from)"]["ratio"]
    floors = [m for name, m in measures.items() if name.startswith("floor: ")]
    assert len(floors) == 3 and all(m["median"] > 0 and m["met"] is None for m in floors)
    frame = measures["floor: the page frame's callbacks, every page: server time p95"]
    assert frame["extra"]["callbacks"] and not [c for c in frame["extra"]["callbacks"] if "_pages_content" in c]
    assert ingest["extra"]["ratio_to_floor"] > 0
    pages = [m for name, m in measures.items() if name.startswith("page ") and name.endswith("p95")]
    assert pages and all(m["median"] for m in pages if m["available"])
    registered = re.findall(r'register_page\(__name__, path(?:_template)?=[^,]+, name="([^"]+)"',
                            "".join(p.read_text() for p in (ROOT / "dashboard" / "pages").glob("*.py")))
    assert len(registered) >= 13 and {n.split(" (")[0].removeprefix("page ") for n in measures
                                      if n.startswith("page ")} == set(registered)  # every page, /agency/<code> too
    assert measures["dashboard errors under load"]["median"] == 0
    memory = [m for name, m in measures.items() if name.startswith("server peak memory")]
    assert len(memory) == 3 and all(0 < m["median"] < 4000 for m in memory)
    upload = next(m for m in memory if m["name"].endswith("an upload and its publish"))
    assert upload["extra"]["accepted"] and upload["extra"]["live_after_s"] > 0  # really submitted and published
    assert body["dataset"]["agencies"] == 6 and body["dataset"]["return_rows"] > 0
    assert "| measure |" in proc.stdout
    for m in measures.values():  # each missed goal's note is printed after the table
        if m["met"] is False and m["note"]:
            assert f"- {m['name']}: {m['note']}" in proc.stdout
