"""The system of record on SQLite, and on PostgreSQL when NAIO_TEST_DATABASE_URL is set."""

from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd

from etl.archive import Archive, sha256_of


@dataclass(frozen=True)
class Row:
    source_row: int
    agency_code: str
    period: str
    indicator_code: str
    value: float | None
    breakdown_type: str = ""
    breakdown_code: str = ""
    value_status: str = "A"
    notes: str = ""


def meta(name: str, data: bytes = b"x", **extra) -> dict:
    base = {"file_name": name, "sha256": sha256_of(data), "size_bytes": len(data), "source": "cli",
            "submitted_by": "tester", "received_at": datetime(2026, 10, 5, tzinfo=UTC), "reason": None,
            "agency_code": "JPN", "periods": "2026Q3", "n_rows": 1, "n_errors": 0, "n_warnings": 0}
    base.update(extra)
    return base


def test_reference_data_is_loaded_and_no_code_dropped(store):
    agencies = store.agencies()
    seed = pd.read_csv("data/reference/agencies_seed.csv", keep_default_na=False)
    assert set(seed["agency_code"].str.strip()) <= set(agencies)
    assert agencies["JPN"] is True and agencies["GOVT"] is False
    assert len(store.table("indicators")) == 29
    assert len(store.table("states")) == 16
    assert set(store.table("sectors")["section"]) == set("ABCDEFGHIJKLMNOPQRSTU")
    assert set(store.table("deliverables")["deliverable_code"]) == {f"D{i}" for i in range(1, 8)}


def test_reference_sync_runs_only_when_files_change(store, backend_settings):
    assert store.sync_reference(backend_settings.reference_dir) is False


def test_resubmission_supersedes_and_keeps_history(store):
    first = store.record_accepted(meta("a.csv", b"a"), "return", [Row(2, "JPN", "2026Q3", "HC_TOTAL", 100.0)],
                                  {("JPN", "2026Q3")})
    assert store.current_pairs("return", [("JPN", "2026Q3")]) == {("JPN", "2026Q3"): first}
    second = store.record_accepted(meta("b.csv", b"b", reason="corrected headcount"), "return",
                                   [Row(2, "JPN", "2026Q3", "HC_TOTAL", 120.0)], {("JPN", "2026Q3")})
    assert store.accepted_values("JPN") == {("HC_TOTAL", "", ""): {"2026Q3": 120.0}}
    history = store.frame("return_rows")
    assert len(history) == 2
    assert history.loc[history["submission_id"] == first, "superseded_by"].tolist() == [second]
    assert store.submission(second)["reason"] == "corrected headcount"
    assert store.current_pairs("return", [("JPN", "2026Q3")]) == {("JPN", "2026Q3"): second}


def test_accepted_by_sha_finds_only_accepted_files(store):
    store.record_other(meta("bad.csv", b"bad"), "return", "rejected", "{}")
    assert store.accepted_by_sha(sha256_of(b"bad"), "return") is None
    sid = store.record_accepted(meta("ok.csv", b"ok"), "return", [Row(2, "JPN", "2026Q3", "HC_TOTAL", 1.0)],
                                {("JPN", "2026Q3")})
    assert store.accepted_by_sha(sha256_of(b"ok"), "return") == sid


def test_a_failed_write_leaves_nothing(store):
    bad_rows = [Row(2, "JPN", "2026Q3", "HC_TOTAL", 1.0), Row(3, None, "2026Q3", "HC_AI_LIT", 1.0)]
    try:
        store.record_accepted(meta("half.csv", b"half"), "return", bad_rows, {("JPN", "2026Q3")})
    except Exception:
        pass
    else:  # pragma: no cover - the NOT NULL agency_code must fail
        raise AssertionError("the insert should have failed")
    assert store.submissions().empty
    assert store.frame("return_rows").empty


def test_runs_and_audit(store):
    run = store.start_run("publish", "test")
    store.finish_run(run, "failed", {"files": 2}, "boom")
    runs = store.runs()
    assert runs.loc[0, "status"] == "failed" and runs.loc[0, "error"] == "boom"
    run2 = store.start_run("publish", "test")
    assert store.close_interrupted_runs("publish") == 1
    assert store.runs(job="publish").set_index("run_id").loc[run2, "status"] == "failed"
    store.audit("viewer", "upload", "JPN", "refused", "viewer may not upload")
    assert store.table("audit_log").iloc[-1]["outcome"] == "refused"


def test_users(store):
    store.add_user("amir", "hash", "analyst", "JPN")
    assert store.user("amir")["agency_code"] == "JPN"
    assert store.update_user("amir", active=False)
    assert store.user("amir")["active"] is False
    assert "password_hash" not in store.table("users").columns


def test_archive_keeps_bytes_under_their_hash(tmp_path):
    archive = Archive(tmp_path)
    data = b"agency_code,period\r\nJPN,2026Q3\r\n"
    digest = archive.put(data)
    assert digest == sha256_of(data)
    assert archive.get(digest) == data
    assert archive.put(data) == digest
    assert len(list(tmp_path.rglob("*"))) == 2  # one folder, one file


def test_accepted_many_reads_the_quarters_asked_and_the_latest_earlier_value(store):
    for n, period in enumerate(["2025Q3", "2025Q4", "2026Q1", "2026Q2"]):
        store.record_accepted(meta(f"{period}.csv", period.encode(), periods=period), "return",
                              [Row(2, "JPN", period, "HC_TOTAL", 100.0 + n), Row(3, "JPN", period, "DS_OPEN", 10.0 + n)],
                              {("JPN", period)})
    whole = store.accepted_many(["JPN", "LHDN"], "2026Q1", "2026Q2")
    assert whole == {"JPN": {("HC_TOTAL", "", ""): {"2025Q4": 101.0, "2026Q1": 102.0, "2026Q2": 103.0},
                             ("DS_OPEN", "", ""): {"2025Q4": 11.0, "2026Q1": 12.0, "2026Q2": 13.0}}}
    window = store.accepted_many(["JPN", "LHDN"], "2026Q1", "2026Q2", earlier=())
    assert window == {"JPN": {("HC_TOTAL", "", ""): {"2026Q1": 102.0, "2026Q2": 103.0},
                              ("DS_OPEN", "", ""): {"2026Q1": 12.0, "2026Q2": 13.0}}}
    assert store.accepted_many(["JPN"], "2026Q2", "2026Q2", indicators=["DS_OPEN"]) == {
        "JPN": {("DS_OPEN", "", ""): {"2026Q1": 12.0, "2026Q2": 13.0}}}


def test_current_pairs_of_many_agencies(store):
    sid = store.record_accepted(meta("a.csv", b"a"), "return", [Row(2, "JPN", "2026Q3", "HC_TOTAL", 1.0)],
                                {("JPN", "2026Q3")})
    asked = [(f"X{i:04d}", "2026Q3") for i in range(600)] + [("JPN", "2026Q3"), ("JPN", "2026Q2")]
    assert store.current_pairs("return", asked) == {("JPN", "2026Q3"): sid}
    assert store.current_pairs("register", asked) == {}


def test_a_version_2_database_gets_the_period_first_indexes(tmp_path):
    """The agency-first current-row indexes (every quarterly file wrote into every agency's part
    of them) are replaced, and one agency's values are still read through an index."""
    import sqlite3

    from etl import schema as t
    from etl.store import Store

    db = tmp_path / "v2.db"
    store = Store(f"sqlite:///{db}")
    store.migrate()
    store.dispose()
    con = sqlite3.connect(db)
    with con:
        for name in ("ix_return_rows_period", "ix_register_period"):
            con.execute(f"DROP INDEX {name}")
        con.execute("CREATE INDEX ix_return_rows_current ON return_rows (agency_code, period, superseded_by)")
        con.execute("CREATE INDEX ix_register_current ON register_systems (agency_code, period, superseded_by)")
        con.execute("UPDATE schema_info SET value = '2' WHERE key = 'version'")
    store = Store(f"sqlite:///{db}")
    try:
        store.migrate()
        indexes = {name for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"ix_return_rows_period", "ix_register_period"} <= indexes
        assert not {"ix_return_rows_current", "ix_register_current"} & indexes
        assert store._info("version") == str(t.SCHEMA_VERSION)
        store.record_accepted(meta("a.csv", b"a"), "return", [Row(2, "JPN", "2026Q3", "HC_TOTAL", 7.0)],
                              {("JPN", "2026Q3")})
        assert store.accepted_values("JPN") == {("HC_TOTAL", "", ""): {"2026Q3": 7.0}}
        r = t.return_rows.c
        from sqlalchemy import select

        q = select(r.value).where(r.period.in_(store._periods_of(["JPN"])), r.agency_code == "JPN",
                                  r.superseded_by.is_(None))
        sql = str(q.compile(store.engine, compile_kwargs={"literal_binds": True}))
        plan = " ".join(row[-1] for row in con.execute(f"EXPLAIN QUERY PLAN {sql}"))
        assert "USING INDEX ix_return_rows_period" in plan and "SCAN return_rows" not in plan, plan
    finally:
        store.dispose()
        con.close()


def test_the_agency_list_follows_changes_made_by_another_process(store, backend_settings):
    """The list is kept between reads, yet an agency added, or reference data reloaded, through
    another connection shows on the next read; callers get their own copy."""
    from etl import schema as t
    from etl.store import Store

    other = Store(backend_settings.database_url)
    try:
        first = store.agencies()
        first["ZZTEST"] = True  # a caller's change stays its own
        assert "ZZTEST" not in store.agencies()
        assert other.add_agencies([{"agency_code": "ZZNEW", "name_en": "New agency", "name_ms": "Agensi baharu",
                                    "submits_returns": False}]) == 1
        assert store.agencies()["ZZNEW"] is False
        with other.engine.begin() as con:  # a reload of changed reference files
            con.execute(t.agencies.update().where(t.agencies.c.agency_code == "ZZNEW").values(submits_returns=True))
            con.execute(t.schema_info.update().where(t.schema_info.c.key == "reference_hash").values(value="changed"))
        assert store.agencies()["ZZNEW"] is True
    finally:
        other.dispose()


def test_a_version_3_database_gets_the_malay_description_and_evidence_of_deliverables(store, backend_settings):
    """Schema 4 adds the Malay columns to an existing system of record; the reference files,
    loaded again after the migration, fill them."""
    from sqlalchemy import text

    from etl import schema as t

    with store.engine.begin() as con:
        con.execute(text("ALTER TABLE deliverables DROP COLUMN description_ms"))
        con.execute(text("ALTER TABLE deliverables DROP COLUMN evidence_ms"))
        con.execute(text("ALTER TABLE milestones DROP COLUMN evidence_ms"))
        con.execute(text("UPDATE schema_info SET value = '3' WHERE key = 'version'"))
        con.execute(text("UPDATE schema_info SET value = 'older' WHERE key = 'reference_hash'"))
    store.migrate()
    assert store.sync_reference(backend_settings.reference_dir)
    assert store._info("version") == str(t.SCHEMA_VERSION) == "4"
    deliverables = store.frame("deliverables").set_index("deliverable_code")
    assert deliverables.loc["D5", "description_ms"].startswith("Penilaian impak")
    assert deliverables["description_ms"].notna().all() and deliverables["evidence_ms"].notna().all()
    milestones = store.frame("milestones").set_index("milestone_id")
    assert milestones.loc["D5-M2", "evidence_ms"] == "tarikh ialah cadangan"
    store.migrate()  # a second start changes nothing
    assert store._info("version") == "4"


def test_every_deliverable_and_milestone_has_its_malay_text():
    """The Malay texts kept beside the reference files cover every deliverable and milestone
    (a new one without them would show English on Malay pages)."""
    import csv
    from pathlib import Path

    ref = Path(__file__).resolve().parents[1] / "data" / "reference"

    def read(name):
        with open(ref / name, encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))

    malay = {r["deliverable_code"]: r for r in read("naio_deliverables_ms.csv")}
    assert set(malay) == {r["deliverable_code"] for r in read("naio_deliverables.csv")}
    assert all(r["description_ms"].strip() and r["evidence_ms"].strip() for r in malay.values())
    assert all(r["evidence_ms"].strip() for r in read("milestones.csv") if r["evidence"].strip())


def test_the_preview_of_changes_compares_with_the_accepted_values_of_the_file_s_quarters(store):
    """What a file would change: each row against the accepted value of its agency, quarter and
    series (changed, the same, added), and accepted values the file no longer gives (removed);
    other quarters and agencies do not enter."""
    from dashboard.submissions_ui import change_rows
    from etl.ingest import IngestResult

    store.record_accepted(meta("q2.csv", b"q2"), "return", [Row(2, "JPN", "2026Q2", "HC_TOTAL", 90.0)],
                          {("JPN", "2026Q2")})
    store.record_accepted(meta("q3.csv", b"q3"), "return",
                          [Row(2, "JPN", "2026Q3", "HC_TOTAL", 100.0), Row(3, "JPN", "2026Q3", "DS_OPEN", 5.0),
                           Row(4, "JPN", "2026Q3", "HC_AI_LIT", 40.0)], {("JPN", "2026Q3")})
    store.record_accepted(meta("lhdn.csv", b"l"), "return", [Row(2, "LHDN", "2026Q3", "HC_TOTAL", 7.0)],
                          {("LHDN", "2026Q3")})
    rows = [Row(2, "JPN", "2026Q3", "HC_TOTAL", 120.0), Row(3, "JPN", "2026Q3", "DS_OPEN", 5.0),
            Row(4, "JPN", "2026Q3", "SVC_AI", 3.0)]
    result = IngestResult(file_name="new.csv", sha256="", kind="return", status="checked", rows=rows,
                          pairs=[("JPN", "2026Q3")])
    kinds = {(c["indicator"], c["kind"], c["current"], c["new"]) for c in change_rows(store, result)}
    assert kinds == {("HC_TOTAL", "changed", 100.0, 120.0), ("DS_OPEN", "same", 5.0, 5.0),
                     ("SVC_AI", "added", None, 3.0), ("HC_AI_LIT", "removed", 40.0, None)}
    empty = IngestResult(file_name="e.csv", sha256="", kind="return", status="rejected")
    assert change_rows(store, empty) == []
