"""Ingest end to end: archive, validate, record whole or reject whole, duplicates, resubmission."""

from __future__ import annotations

import subprocess
import sys

import pytest

from etl.archive import sha256_of
from etl.ingest import Ingestor, ingest_files
from etl.returns import check_return
from tests.conftest import ROOT

VALUES = {
    "HC_TOTAL": 1000, "HC_AI_LIT": 400, "HC_AI_ADV": 20, "HC_AI_SPEC": 3.5, "HC_GENAI_ACCESS": 300,
    "HC_GENAI_ACTIVE": 150, "SRV_N": 80, "SRV_HRS_SAVED_SUM": 240, "SRV_QUALITY_YES": 70, "SVC_TOTAL": 40,
    "SVC_E2E": 30, "SVC_AI": 5, "TXN_AI": 12000, "TXN_AI_BASE_DAYS": 10, "TXN_AI_CUR_DAYS": 7, "CSAT_AI_N": 500,
    "CSAT_AI_SUM": 2000, "BUD_DIGITAL_RM": 1000000, "BUD_AI_RM": 80000, "PROC_AI_RM": 50000,
    "PROC_AI_LOCAL_RM": 20000, "DS_OPEN": 12, "DS_AI_READY": 4, "DSA_SIGNED": 2, "GOV_AI_POLICY": 1,
    "GOV_AI_LEAD": 1, "AI_INCIDENTS": 0, "SANDBOX_N": 1, "CASESTUDY_N": 0,
}
HEADER = "agency_code,period,indicator_code,value,unit,breakdown_type,breakdown_code,value_status,notes\n"


def return_csv(agency="JPN", period="2026Q2", **overrides) -> bytes:
    values = {**VALUES, **overrides}
    lines = [f"{agency},{period},{code},{value},,,,A," for code, value in values.items()]
    return (HEADER + "\n".join(lines) + "\n").encode()


@pytest.fixture
def ingestor(store, backend_settings):
    return Ingestor(store, backend_settings)


def test_a_valid_return_is_archived_and_recorded(ingestor, store):
    data = return_csv()
    result = ingestor.ingest_bytes(data, "jpn.csv")
    assert result.status == "accepted", result.problems
    assert result.pairs == [("JPN", "2026Q2")]
    assert ingestor.archive.get(sha256_of(data)) == data
    assert store.accepted_values("JPN")[("HC_TOTAL", "", "")] == {"2026Q2": 1000.0}
    assert store.submission(result.submission_id)["status"] == "accepted"


def test_the_same_bytes_twice_are_not_loaded_again(ingestor, store):
    data = return_csv()
    first = ingestor.ingest_bytes(data, "jpn.csv")
    second = ingestor.ingest_bytes(data, "jpn-again.csv")
    assert second.status == "duplicate" and second.duplicate_of == first.submission_id
    assert len(store.frame("return_rows")) == len(VALUES)


def test_a_bad_file_is_rejected_whole_with_located_problems(ingestor, store):
    data = return_csv(HC_GENAI_ACTIVE=400)  # more active users than licences (300)
    result = ingestor.ingest_bytes(data, "bad.csv")
    assert result.status == "rejected"
    located = [p for p in result.errors if p.row is not None]
    assert located and all(p.file == "bad.csv" for p in located)
    assert any(p.column and p.value for p in located)
    assert store.frame("return_rows").empty  # nothing half-loaded
    assert store.submission(result.submission_id)["status"] == "rejected"
    assert ingestor.archive.has(sha256_of(data))  # kept byte for byte all the same


def test_check_only_changes_nothing(ingestor, store):
    data = return_csv()
    result = ingestor.ingest_bytes(data, "jpn.csv", check_only=True)
    assert result.status == "checked"
    assert store.submissions().empty and not ingestor.archive.has(sha256_of(data))


def test_resubmission_supersedes_with_its_reason(ingestor, store):
    first = ingestor.ingest_bytes(return_csv(), "v1.csv")
    second = ingestor.ingest_bytes(return_csv(HC_TOTAL=1100), "v2.csv", reason="headcount corrected")
    assert second.status == "accepted"
    assert second.superseded == {("JPN", "2026Q2"): first.submission_id}
    assert store.accepted_values("JPN")[("HC_TOTAL", "", "")] == {"2026Q2": 1100.0}
    rows = store.frame("return_rows")
    assert (rows["superseded_by"] == second.submission_id).sum() == len(VALUES)
    assert store.submission(second.submission_id)["reason"] == "headcount corrected"


def test_cumulative_values_may_not_fall(ingestor):
    assert ingestor.ingest_bytes(return_csv(period="2026Q1"), "q1.csv").status == "accepted"
    result = ingestor.ingest_bytes(return_csv(period="2026Q2", HC_AI_LIT=350), "q2.csv")
    assert result.status == "rejected"
    assert any("HC_AI_LIT" in (p.message + p.value + p.column) or p.row for p in result.errors)


def test_a_future_period_is_rejected(ingestor):
    result = ingestor.ingest_bytes(return_csv(period="2026Q4"), "future.csv")  # today is 2026-11-26
    assert result.status == "rejected"


def test_an_oversized_file_is_refused_before_reading(store, backend_settings):
    small = Ingestor(store, backend_settings.with_(max_upload_mb=0.0001))
    result = small.ingest_bytes(return_csv(), "big.csv")
    assert result.status == "rejected" and result.errors[0].code == "file-too-large"


def test_agency_scope_refuses_other_agencies(ingestor, store):
    result = ingestor.ingest_bytes(return_csv(agency="LHDN"), "lhdn.csv", agency_scope="JPN")
    assert result.status == "rejected"
    assert store.frame("return_rows").empty


def test_a_batch_leaves_one_run_row(ingestor, store, tmp_path):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(return_csv())
    bad.write_bytes(b"agency_code,period\n")
    results = ingest_files(ingestor, [good, bad])
    assert [r.status for r in results] == ["accepted", "rejected"]
    run = store.runs(job="ingest").iloc[0]
    assert run["status"] == "failed" and '"accepted": 1' in run["counts_json"]


def _cli(settings, *args) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "NAIO_DATA_DIR": str(settings.data_dir), "NAIO_TODAY": settings.today,
           "NAIO_SCHEDULER": "0"}
    return subprocess.run([sys.executable, "app.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_cli_exit_codes(settings, tmp_path):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(return_csv())
    bad.write_bytes(return_csv(GOV_AI_LEAD=2))
    checked = _cli(settings, "ingest", "--check", str(good))
    assert checked.returncode == 0 and "CHECKED" in checked.stdout
    rejected = _cli(settings, "ingest", str(bad))
    assert rejected.returncode == 1 and "bad.csv" in rejected.stdout and "GOV_AI_LEAD" in rejected.stdout
    assert _cli(settings, "ingest", str(good)).returncode == 0
    assert _cli(settings, "ingest", str(tmp_path / "missing.csv")).returncode == 2
    assert _cli(settings, "ingest").returncode == 2
    runs = _cli(settings, "runs")
    assert runs.returncode == 0 and "ingest" in runs.stdout


def _two_agencies(period: str, jpn: dict, lhdn: dict) -> bytes:
    return return_csv("JPN", period, **jpn) + return_csv("LHDN", period, **lhdn).split(b"\n", 1)[1]


def test_a_cumulative_count_is_checked_against_the_last_quarter_given_even_past_a_gap(ingestor):
    assert ingestor.ingest_bytes(_two_agencies("2025Q4", {"DS_OPEN": 30}, {"DS_OPEN": 30}), "q4.csv").ok
    assert ingestor.ingest_bytes(return_csv("LHDN", "2026Q1", DS_OPEN=31), "q1.csv").ok  # JPN skips 2026Q1
    result = ingestor.ingest_bytes(_two_agencies("2026Q2", {"DS_OPEN": 20}, {"DS_OPEN": 25}), "q2.csv")
    falls = [(p.row, p.message) for p in result.errors if p.code == "cumulative-falls"]
    assert falls == [(23, "JPN 2026Q2 DS_OPEN: 20 is lower than 30 for 2025Q4 (accepted); a to-date count "
                          "cannot fall"),
                     (52, "LHDN 2026Q2 DS_OPEN: 25 is lower than 31 for 2026Q1 (accepted); a to-date count "
                          "cannot fall")]


def test_reading_only_the_quarters_needed_finds_the_same_problems(ingestor, store):
    for n, period in enumerate(["2025Q2", "2025Q3", "2025Q4", "2026Q1"]):  # JPN skips 2026Q1
        jpn = {"DS_OPEN": 40 + n, "HC_TOTAL": 1000 + n}
        data = return_csv("JPN", period, **jpn) if period != "2026Q1" else return_csv("LHDN", period)
        assert ingestor.ingest_bytes(data, f"{period}.csv").ok
    data = _two_agencies("2026Q2", {"DS_OPEN": 5, "HC_TOTAL": 4000, "HC_AI_LIT": 1},
                         {"DSA_SIGNED": 1, "SVC_AI": 50})
    window = ingestor.context()
    assert window.accepted_history is not None
    whole = ingestor.context()
    whole.accepted_many, whole.accepted_history = store.accepted_many, None  # every earlier quarter
    _, found = check_return(data, "q2.csv", window)
    _, expected = check_return(data, "q2.csv", whole)
    assert found == expected
    assert {p.code for p in expected} >= {"cumulative-falls", "far-from-previous", "relation-broken"}


def test_nothing_is_recorded_when_the_archive_cannot_be_written(ingestor, store, monkeypatch):
    def disk_full(data, digest=None):
        raise OSError("No space left on device")

    monkeypatch.setattr(ingestor.archive, "put", disk_full)
    with pytest.raises(OSError, match="No space"):
        ingestor.ingest_bytes(return_csv(), "jpn.csv")
    assert store.submissions().empty and store.frame("return_rows").empty
