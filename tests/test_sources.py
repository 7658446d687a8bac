"""HTTP sources: the sources file, and pulls from a local web server into the ordinary ingest path."""

from __future__ import annotations

import functools
import http.server
import io
import json
import threading
from datetime import datetime
from pathlib import Path

import pytest

from etl import jobs
from etl.scheduler import TZ, run_job
from etl.sources import Source, SourcesError, json_rows_to_csv, load_sources, to_file_bytes

NOW = datetime(2026, 11, 26, 10, 15, tzinfo=TZ)
SECTOR_CSV = "sector_code,period,indicator_code,value\nC,2026Q2,C1_ENT_AI_PCT,12.5\nA,2026Q2,C1_ENT_AI_PCT,4.5\n"
SECTOR_ROWS = [{"sector_code": "J", "period": "2026Q2", "indicator_code": "C1_ENT_AI_PCT", "value": 31.0},
               {"sector_code": "K", "period": "2026Q2", "indicator_code": "C1_ENT_AI_PCT", "value": 27.5}]


def _xlsx() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["sector_code", "period", "indicator_code", "value"])
    ws.append(["G", "2026Q2", "C1_ENT_AI_PCT", 9.5])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def web(tmp_path):
    """A local http.server on 127.0.0.1 serving a folder of payloads; yields (folder, base URL)."""
    folder = tmp_path / "www"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.handle_error = lambda *a: None  # a client that stops reading a refused payload is fine
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _sources_file(tmp_path: Path, base: str, extra: list[dict] | None = None) -> Path:
    rows = [{"name": "survey-csv", "url": f"{base}/sector.csv", "kind": "sector", "format": "csv"},
            {"name": "survey-xlsx", "url": f"{base}/sector.xlsx", "kind": "sector", "format": "xlsx"},
            {"name": "survey-json", "url": f"{base}/sector.json", "kind": "sector", "format": "json"}]
    path = tmp_path / "sources.json"
    path.write_text(json.dumps(rows + (extra or [])))
    return path


def _publish_payloads(folder: Path) -> None:
    (folder / "sector.csv").write_text(SECTOR_CSV)
    (folder / "sector.xlsx").write_bytes(_xlsx())
    (folder / "sector.json").write_text(json.dumps(SECTOR_ROWS))


def test_sources_file_as_csv_and_json(tmp_path):
    csv_path = tmp_path / "sources.csv"
    csv_path.write_text("name,url,kind,format\nsurvey,https://stats.example/ai.csv,Sector,CSV\n")
    json_path = tmp_path / "sources.json"
    json_path.write_text(json.dumps([{"name": "reg", "url": "http://x.example/r.json", "kind": "register",
                                      "format": "json"}]))
    assert load_sources(csv_path) == [Source("survey", "https://stats.example/ai.csv", "sector", "csv")]
    assert load_sources(json_path)[0].file_name == "reg.csv"
    assert load_sources("") == []


def test_sources_file_problems_are_all_reported(tmp_path):
    path = tmp_path / "sources.csv"
    path.write_text("name,url,kind,format,extra\n"
                    "a,file:///etc/passwd,sector,csv,\n"
                    "b,https://ok.example/x,gossip,csv,\n"
                    "c,https://ok.example/x,sector,pdf,\n"
                    "a,https://ok.example/y,sector,csv,1\n"
                    "bad name,https://ok.example/z,sector,csv,\n")
    with pytest.raises(SourcesError) as caught:
        load_sources(path)
    text = "\n".join(caught.value.problems)
    assert "row 2: url 'file:///etc/passwd' must be an http:// or https:// address" in text
    assert "row 3: kind 'gossip'" in text and "row 4: format 'pdf'" in text
    assert "row 5: unknown field(s) extra" in text and "row 6: name 'bad name'" in text


def test_json_rows_become_csv():
    data = json_rows_to_csv([{"a": 1, "b": "x,y"}, {"b": None, "c": True}])
    assert data.decode() == 'a,b,c\n1,"x,y",\n,,1\n'
    with pytest.raises(SourcesError, match="nested"):
        json_rows_to_csv([{"a": {"b": 1}}])
    with pytest.raises(SourcesError, match="list of row objects"):
        to_file_bytes(Source("s", "http://x.example/", "sector", "json"), b'{"rows": []}')


def test_pull_sources_ingests_csv_xlsx_and_json(tmp_path, web, sqlite_store, settings):
    folder, base = web
    _publish_payloads(folder)
    settings = settings.with_(sources_file=str(_sources_file(tmp_path, base)))
    assert run_job("pull_sources", jobs.pull_sources, settings, sqlite_store, now=NOW) == "ok"
    subs = sqlite_store.submissions()
    assert sorted(subs["file_name"]) == ["survey-csv.csv", "survey-json.csv", "survey-xlsx.xlsx"]
    assert set(subs["status"]) == {"accepted"} and set(subs["source"]) == {"http"}
    run = sqlite_store.runs(limit=1, job="pull_sources").iloc[0]
    assert run["status"] == "ok" and json.loads(run["counts_json"])["accepted"] == 3
    sectors = sqlite_store.frame("sector_rows", current_only=True)
    assert {"C", "A", "G", "J", "K"} <= set(sectors["sector_code"])


def test_unchanged_payloads_are_not_loaded_again(tmp_path, web, sqlite_store, settings):
    folder, base = web
    _publish_payloads(folder)
    settings = settings.with_(sources_file=str(_sources_file(tmp_path, base)))
    run_job("pull_sources", jobs.pull_sources, settings, sqlite_store, now=NOW)
    assert run_job("pull_sources", jobs.pull_sources, settings, sqlite_store, now=NOW) == "ok"
    assert len(sqlite_store.submissions()) == 3
    counts = json.loads(sqlite_store.runs(limit=1, job="pull_sources").iloc[0]["counts_json"])
    assert counts["unchanged"] == 3


def test_a_failing_source_fails_the_run_but_not_the_others(tmp_path, web, sqlite_store, settings):
    folder, base = web
    _publish_payloads(folder)
    (folder / "broken.csv").write_text("sector_code,period,indicator_code,value\nC,2026Q2,C1_ENT_AI_PCT,abc\n")
    extra = [{"name": "gone", "url": f"{base}/missing.csv", "kind": "sector", "format": "csv"},
             {"name": "broken", "url": f"{base}/broken.csv", "kind": "sector", "format": "csv"}]
    settings = settings.with_(sources_file=str(_sources_file(tmp_path, base, extra)))
    assert run_job("pull_sources", jobs.pull_sources, settings, sqlite_store, now=NOW) == "failed"
    run = sqlite_store.runs(limit=1, job="pull_sources").iloc[0]
    assert "gone: failed: HTTPError" in run["error"] and "broken: rejected" in run["error"]
    counts = json.loads(run["counts_json"])
    assert counts["accepted"] == 3 and counts["failed"] == 1 and counts["rejected"] == 1
    run_job("pull_sources", jobs.pull_sources, settings, sqlite_store, now=NOW)
    again = sqlite_store.runs(limit=1, job="pull_sources").iloc[0]
    assert again["status"] == "failed" and "broken: still-rejected" in again["error"]
    assert (sqlite_store.submissions()["status"] == "rejected").sum() == 1


def test_oversized_payload_is_refused(tmp_path, web, sqlite_store, settings):
    folder, base = web
    (folder / "sector.csv").write_text(SECTOR_CSV + "C,2026Q1,C1_ENT_AI_PCT,1.0\n" * 20000)
    path = tmp_path / "one.csv"
    path.write_text(f"name,url,kind,format\nbig,{base}/sector.csv,sector,csv\n")
    settings = settings.with_(sources_file=str(path), max_upload_mb=0.1)
    assert run_job("pull_sources", jobs.pull_sources, settings, sqlite_store, now=NOW) == "failed"
    assert "larger than" in sqlite_store.runs(limit=1, job="pull_sources").iloc[0]["error"]
