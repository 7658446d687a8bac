"""Publish builds a new warehouse and swaps it in atomically; a crash never breaks serving."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from etl.demo_loader import load_demo
from etl.publish import publish
from etl.store import Store
from etl.warehouse import Warehouse
from tests.conftest import ROOT, make_settings

BROKEN_DEFINITION = "kpi_id: K01\nname_en: [broken\n"  # not valid YAML: publish refuses to run
CRASH_POINTS = ["after-create", "after-inputs", "after-kpis", "before-rename", "before-swap", "after-swap"]


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("pub"))
    settings.data_dir.mkdir(parents=True)
    store = Store.open(settings.database_url, settings.reference_dir)
    load_demo(settings, store, n_agencies=8, n_quarters=3)
    result = publish(store, settings, trigger="test")
    yield settings, store, result
    store.dispose()


def _kpi_rows(path: Path) -> list[tuple]:
    """KPI values, projections, composite and completeness rows exactly as stored: sums and means are
    exact, so two builds of the same data give the same bits."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return [row for table, order in (("kpi_value", "kpi_id, period, period_type, level, entity_code"),
                                         ("kpi_projection", "kpi_id, level, entity_code, target_period"),
                                         ("composite_index", "level, entity_code, period"),
                                         ("completeness", "agency_code, period"))
                for row in con.execute(f"SELECT '{table}', * FROM {table} ORDER BY {order}").fetchall()]
    finally:
        con.close()


def test_publish_writes_every_contract_table(published):
    settings, _store, result = published
    wh = Warehouse(settings.warehouse_path)
    tables = wh.tables()
    for name in ("fact_return", "fact_register", "fact_sector", "dim_agency", "dim_period", "kpi_value",
                 "kpi_definition", "completeness", "composite_index", "submissions", "etl_runs", "meta"):
        assert name in tables, name
    meta = wh.meta()
    assert meta["snapshot_id"] == result.snapshot_id
    assert meta["current_period"] == "2026Q3"
    assert wh.rows("SELECT count(*) FROM fact_return")[0][0] > 0


def test_superseded_rows_are_not_current(published):
    settings, store, _ = published
    wh = Warehouse(settings.warehouse_path)
    current = wh.rows("SELECT count(*) FROM fact_return")[0][0]
    history = wh.rows("SELECT count(*) FROM fact_return_history WHERE superseded_by IS NULL")[0][0]
    assert current == history == len(store.frame("return_rows", current_only=True))


def test_republishing_from_scratch_gives_the_same_numbers(published):
    settings, store, first = published
    before = _kpi_rows(settings.warehouse_path)
    settings.warehouse_path.unlink()
    again = publish(store, settings, trigger="test")
    assert again.snapshot_id != first.snapshot_id
    assert again.content_hash == first.content_hash
    assert _kpi_rows(settings.warehouse_path) == before


def test_copying_in_small_frames_with_little_memory_gives_the_same_numbers(published, monkeypatch):
    """Return rows are copied frame by frame and DuckDB is held to ``publish_memory_mb``
    (working on disk beyond it): neither changes what is published. A spill folder left by a
    killed publish is removed by the next."""
    import etl.publish

    settings, store, first = published
    before = _kpi_rows(settings.warehouse_path)
    monkeypatch.setattr(etl.publish, "HISTORY_FRAME_ROWS", 7)  # many frames, one of them short
    spill = settings.snapshots_dir / ".20260101T000000-dead00.duckdb.building.tmp"
    spill.mkdir()
    (spill / "duckdb_temp_storage-0.tmp").write_bytes(b"x" * 100)
    settings.warehouse_path.unlink()  # every row read from the system of record
    again = publish(store, settings.with_(publish_memory_mb=64), trigger="test")
    assert again.content_hash == first.content_hash and _kpi_rows(settings.warehouse_path) == before
    assert again.counts["fact_return_history"] == len(store.frame("return_rows"))
    assert again.counts["reused_return_rows"] == 0
    assert not spill.exists()


def _k08(warehouse: Path, agency: str, period: str) -> float | None:
    """An agency's AI systems in production in a quarter (K08), as published."""
    rows = Warehouse(warehouse).rows("SELECT value FROM kpi_value WHERE kpi_id = 'K08' AND level = 'agency' "
                                     "AND entity_code = ? AND period = ? AND period_type = 'quarter'", [agency, period])
    return rows[0][0] if rows else None


def _csv(frame, columns: list[str]) -> bytes:
    return frame[columns].to_csv(index=False).encode()


def test_rows_carried_over_from_the_warehouse_replaced_give_what_a_build_from_nothing_gives(store, backend_settings):
    """A publish copies the rows of the files the serving warehouse already holds from it and
    reads only the newer files from the system of record, which says what is superseded: the
    content is the same, to the bit, as a build from the system of record alone. A file whose
    rows the old warehouse does not hold as they are (another file under the same number, say
    after the system of record was restored) and a warehouse of another release are not used."""
    from etl.ingest import Ingestor

    settings = backend_settings
    load_demo(settings, store, n_agencies=5, n_quarters=2)
    first = publish(store, settings, trigger="test")
    assert first.counts["reused_return_rows"] == 0  # nothing to carry over from

    ingestor = Ingestor(store, settings)
    returns = store.frame("return_rows", current_only=True)
    agency, period = returns.iloc[0][["agency_code", "period"]]
    quarter = returns[(returns["agency_code"] == agency) & (returns["period"] == period)].assign(
        notes="checked again")
    result = ingestor.ingest_bytes(_csv(quarter, ["agency_code", "period", "indicator_code", "value", "breakdown_type",
                                                  "breakdown_code", "value_status", "notes"]),
                                   "again.csv", reason="checked again")
    assert result.status == "accepted", result.problems
    register = store.frame("register_systems", current_only=True)
    agency, period = register.iloc[0][["agency_code", "period"]]
    snapshot = register[(register["agency_code"] == agency) & (register["period"] == period)]
    assert len(snapshot) > 1
    flags = ["impact_assessment", "human_oversight", "citizen_facing", "uses_genai", "sandbox"]
    smaller = snapshot.iloc[1:].assign(**{c: snapshot.iloc[1:][c].map({True: "yes", False: "no"}) for c in flags})
    result = ingestor.ingest_bytes(_csv(smaller, [c for c in smaller.columns if c not in (
        "row_id", "submission_id", "source_row", "superseded_by")]), "register.csv", kind="register",
        reason="one system retired")
    assert result.status == "accepted", result.problems

    carried = publish(store, settings, trigger="test")
    assert 0 < carried.counts["reused_return_rows"] < carried.counts["fact_return_history"]
    assert 0 < carried.counts["reused_register_rows"] < carried.counts["fact_register"]
    kept = _kpi_rows(settings.warehouse_path)
    con = duckdb.connect(str(settings.warehouse_path))
    superseded = con.execute("SELECT count(*) FROM fact_return_history WHERE superseded_by IS NOT NULL").fetchall()
    con.close()
    assert superseded[0][0] == len(quarter)

    settings.warehouse_path.unlink()
    scratch = publish(store, settings, trigger="test")
    assert scratch.counts["reused_return_rows"] == scratch.counts["reused_register_rows"] == 0
    assert scratch.content_hash == carried.content_hash and _kpi_rows(settings.warehouse_path) == kept

    con = duckdb.connect(str(settings.warehouse_path))  # a file number held for another file
    con.execute("UPDATE submissions SET sha256 = 'another' WHERE submission_id = "
                "(SELECT min(submission_id) FROM fact_return_history)")
    con.close()
    partly = publish(store, settings, trigger="test")
    held = store.row_counts("return_rows")
    assert partly.counts["reused_return_rows"] == partly.counts["fact_return_history"] - held[min(held)][1]
    assert partly.content_hash == scratch.content_hash

    con = duckdb.connect(str(settings.warehouse_path))  # built by another release
    con.execute("UPDATE meta SET value = value || '0' WHERE key = 'source_fingerprint'")
    con.close()
    other = publish(store, settings, trigger="test")
    assert other.counts["reused_return_rows"] == other.counts["reused_register_rows"] == 0
    assert other.content_hash == scratch.content_hash


def test_kpi_values_of_quarters_no_new_file_touches_are_carried_over_and_equal_a_full_computation(tmp_path):
    """The KPI values of the quarters before the first quarter a new file touches come from the
    warehouse serving; the rest are computed. Every publish here gives, to the bit, what a
    publish from nothing gives; a changed definition or a new agency computes them all."""
    import shutil

    from etl.ingest import Ingestor

    kpi_dir = tmp_path / "kpi_definitions"
    shutil.copytree(ROOT / "kpi_definitions", kpi_dir)
    settings = make_settings(tmp_path, NAIO_KPI_DIR=str(kpi_dir))
    settings.data_dir.mkdir(parents=True)
    store = Store.open(settings.database_url, settings.reference_dir)
    try:
        load_demo(settings, store, n_agencies=5, n_quarters=6)  # 2025Q2 to 2026Q3

        def same_as_from_nothing(result) -> None:
            kept = _kpi_rows(settings.warehouse_path)
            settings.warehouse_path.unlink()
            scratch = publish(store, settings, trigger="test")
            assert scratch.counts["recomputed_from"] == "all"
            assert scratch.content_hash == result.content_hash and _kpi_rows(settings.warehouse_path) == kept

        first = publish(store, settings, trigger="test")
        assert first.counts["recomputed_from"] == "all"
        again = publish(store, settings, trigger="test")  # nothing new: every value carried over
        assert again.counts["recomputed_from"] == "2026Q4" and again.content_hash == first.content_hash

        ingestor = Ingestor(store, settings)
        returns = store.frame("return_rows", current_only=True)
        latest = returns[(returns["agency_code"] == returns.iloc[0]["agency_code"]) & (returns["period"] == "2026Q3")]
        columns = ["agency_code", "period", "indicator_code", "value", "breakdown_type", "breakdown_code",
                   "value_status", "notes"]
        changed = latest.assign(notes="checked", value=latest["value"].where(latest["indicator_code"] != "DSA_SIGNED",
                                                                               latest["value"] + 1))
        assert ingestor.ingest_bytes(_csv(changed, columns), "q3.csv", reason="checked").status == "accepted"
        carried = publish(store, settings, trigger="test")
        assert carried.counts["recomputed_from"] == "2026Q3" and carried.content_hash != first.content_hash
        same_as_from_nothing(carried)

        register = store.frame("register_systems", current_only=True)
        earliest = register[(register["agency_code"] == register.iloc[0]["agency_code"])
                            & (register["period"] == register["period"].min())]
        flags = ["impact_assessment", "human_oversight", "citizen_facing", "uses_genai", "sandbox"]
        smaller = earliest.iloc[1:].assign(**{c: earliest.iloc[1:][c].map({True: "yes", False: "no"}) for c in flags})
        assert len(earliest) > 1 and ingestor.ingest_bytes(
            _csv(smaller, [c for c in smaller.columns if c not in ("row_id", "submission_id", "source_row",
                                                                    "superseded_by")]),
            "register.csv", kind="register", reason="one system retired").status == "accepted"
        carried = publish(store, settings, trigger="test")
        assert carried.counts["recomputed_from"] == earliest["period"].iloc[0]
        same_as_from_nothing(carried)

        # a register of no AI system: its quarter counts none for the agency, not its earlier systems
        agency, last = earliest["agency_code"].iloc[0], register["period"].max()
        before = _k08(settings.warehouse_path, agency, last)
        none = ("agency_code,period,system_id,title,stage,risk_tier,impact_assessment,human_oversight,citizen_facing,"
                f"uses_genai,sandbox\r\n{agency},{last},,,,,,,,,\r\n").encode()
        result = ingestor.ingest_bytes(none, "none.csv", kind="register", reason="every system withdrawn")
        assert result.status == "accepted" and result.pairs == [(agency, last)], [str(p) for p in result.errors]
        assert store.register_in_force(agency, last) == (last, [])
        carried = publish(store, settings, trigger="test")
        assert carried.counts["recomputed_from"] == last  # a file with no rows is new all the same
        assert before > 0 and _k08(settings.warehouse_path, agency, last) == 0
        same_as_from_nothing(carried)

        k01 = kpi_dir / "K01.yaml"  # a target moved: every value is computed again
        k01.write_text(k01.read_text(encoding="utf-8").replace("value: 60", "value: 65"), encoding="utf-8")
        assert publish(store, settings, trigger="test").counts["recomputed_from"] == "all"
        assert publish(store, settings, trigger="test").counts["recomputed_from"] == "2026Q4"
        store.add_agencies([{"agency_code": "NEW1", "name_ms": "Agensi Baharu", "name_en": "New agency",
                             "ministry_code": "MOF", "submits_returns": True}])  # more agencies expected
        assert publish(store, settings, trigger="test").counts["recomputed_from"] == "all"
    finally:
        store.dispose()


def test_an_entitys_earlier_quarters_are_judged_again_when_a_new_file_gives_it_its_first_quarter_with_data(
        tmp_path):
    """A trajectory without a baseline in its definition starts at the entity's first quarter
    with enough data, and the entity's quarters before it show that start. A file of a later
    quarter can give an entity that first quarter: then the judged values of quarters it does
    not touch change, and are not carried over. Those of every other entity are."""
    from etl.ingest import Ingestor

    settings = make_settings(tmp_path)
    settings.data_dir.mkdir(parents=True)
    store = Store.open(settings.database_url, settings.reference_dir)
    try:
        load_demo(settings, store, n_agencies=5, n_quarters=6)  # 2025Q2 to 2026Q3
        ingestor = Ingestor(store, settings)
        columns = ["agency_code", "period", "indicator_code", "value", "breakdown_type", "breakdown_code",
                   "value_status", "notes"]
        returns = store.frame("return_rows", current_only=True)
        agency = returns.iloc[0]["agency_code"]
        mine = returns[returns["agency_code"] == agency]
        for period in sorted(mine["period"].unique())[:-1]:  # no AI-literacy count before 2026Q3
            rows = mine[(mine["period"] == period) & (mine["indicator_code"] != "HC_AI_LIT")]
            assert ingestor.ingest_bytes(_csv(rows, columns), f"{period}.csv", reason="count withdrawn"
                                         ).status == "accepted"
        publish(store, settings, trigger="test")

        def k01(period: str) -> tuple:  # the agency's K01 (dated targets, no baseline) in a quarter
            con = duckdb.connect(str(settings.warehouse_path), read_only=True)
            try:
                return con.execute("SELECT value, trajectory, status FROM kpi_value WHERE kpi_id = 'K01' "
                                   "AND level = 'agency' AND entity_code = ? AND period = ? "
                                   "AND period_type = 'quarter'", [agency, period]).fetchall()[0]
            finally:
                con.close()

        first_value, trajectory, status = k01("2026Q3")
        assert status != "awaiting_data" and k01("2026Q2") == (None, first_value, "awaiting_data")
        q3 = mine[mine["period"] == "2026Q3"]
        more = q3.assign(value=q3["value"].where(q3["indicator_code"] != "HC_AI_LIT", q3["value"] + 1))
        assert ingestor.ingest_bytes(_csv(more, columns), "2026Q3.csv", reason="late count").status == "accepted"
        carried = publish(store, settings, trigger="test")
        assert carried.counts["recomputed_from"] == "2026Q3"
        assert k01("2026Q2")[1] == k01("2026Q3")[0] > first_value  # the new start, shown before it
        kept = _kpi_rows(settings.warehouse_path)
        settings.warehouse_path.unlink()
        scratch = publish(store, settings, trigger="test")
        assert scratch.content_hash == carried.content_hash and _kpi_rows(settings.warehouse_path) == kept
    finally:
        store.dispose()


def test_a_warehouse_that_cannot_be_read_through_is_replaced_from_the_system_of_record(published, monkeypatch):
    """Rows and KPI values are carried over from the warehouse serving; one that attaches but
    fails while they are read (a damaged file) does not stop the publish that replaces it."""
    import etl.publish

    settings, store, first = published
    real = etl.publish._copy_register

    def damaged(con, store, previous):
        if previous:
            con.execute("SELECT * FROM previous.fact_register").fetchall()
            raise duckdb.IOException("Corrupt database file: block checksum mismatch")
        return real(con, store, previous)

    monkeypatch.setattr(etl.publish, "_copy_register", damaged)
    said: list[str] = []
    again = publish(store, settings, trigger="test", progress=said.append)
    assert any("could not be read" in line for line in said)
    assert again.counts["reused_return_rows"] == again.counts["reused_register_rows"] == 0
    assert again.counts["recomputed_from"] == "all" and again.content_hash == first.content_hash
    monkeypatch.undo()

    import etl.kpi.engine  # rows read, but its KPI values cannot be

    monkeypatch.setattr(etl.kpi.engine, "CARRY_SQL", etl.kpi.engine.CARRY_SQL.replace(
        "FROM kpi_value AS v", "FROM kpi_value AS v JOIN no_such_table ON TRUE"))
    said.clear()
    again = publish(store, settings, trigger="test", progress=said.append)
    assert any("could not be carried over" in line for line in said)
    assert again.counts["reused_return_rows"] > 0 and again.counts["recomputed_from"] == "all"
    assert again.content_hash == first.content_hash


def test_a_reader_keeps_its_snapshot_while_publish_swaps(published):
    settings, store, _ = published
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        old = dict(con.execute("SELECT key, value FROM meta").fetchall())["snapshot_id"]
        new = publish(store, settings, trigger="test")
        assert dict(con.execute("SELECT key, value FROM meta").fetchall())["snapshot_id"] == old
    finally:
        con.close()
    assert Warehouse(settings.warehouse_path).meta()["snapshot_id"] == new.snapshot_id


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_killed_publish_leaves_the_last_good_warehouse(published, point):
    settings, store, _ = published
    serving = Warehouse(settings.warehouse_path).meta()["snapshot_id"]
    env = {**os.environ, "NAIO_DATA_DIR": str(settings.data_dir), "NAIO_TODAY": settings.today,
           "NAIO_DATABASE_URL": settings.database_url}
    proc = subprocess.run([sys.executable, "app.py", "publish", "--crash-at", point], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 137, proc.stderr
    now = Warehouse(settings.warehouse_path).meta()["snapshot_id"]
    if point == "after-swap":
        assert now != serving  # the swap happened before the crash: the new one is complete
    else:
        assert now == serving
    assert _kpi_rows(settings.warehouse_path)  # whole and readable
    after = publish(store, settings, trigger="test")
    assert Warehouse(settings.warehouse_path).meta()["snapshot_id"] == after.snapshot_id
    assert not list(settings.snapshots_dir.glob(".*.building"))
    runs = store.runs(job="publish", limit=3)
    assert "running" not in set(runs["status"])


@pytest.fixture
def own_kpis(tmp_path):
    """A small demo data set (4 agencies, 2 quarters), nothing published, with KPI definitions
    of its own that a test may edit: (settings, store, definitions folder)."""
    import shutil

    kpi_dir = tmp_path / "kpi_definitions"
    shutil.copytree(ROOT / "kpi_definitions", kpi_dir)
    settings = make_settings(tmp_path, NAIO_KPI_DIR=str(kpi_dir))
    settings.data_dir.mkdir(parents=True)
    store = Store.open(settings.database_url, settings.reference_dir)
    load_demo(settings, store, n_agencies=4, n_quarters=2)
    yield settings, store, kpi_dir
    store.dispose()


def test_publish_after_new_data_follows_files_reference_data_definitions_and_quarters(own_kpis, monkeypatch):
    """``publish_if_new`` publishes when the warehouse was built from something else than what
    is there now: a new accepted file, reference files loaded again (an upgrade), an edited KPI
    definition, a release that builds the warehouse otherwise, or a quarter that has ended since."""
    from dataclasses import replace
    from datetime import UTC, datetime

    from sqlalchemy import text

    from etl.ingest import Ingestor
    from etl.jobs import publish_if_new
    from etl.publish import is_current, source_fingerprint

    settings, store, kpi_dir = own_kpis
    now = datetime(2026, 11, 1, tzinfo=UTC)
    assert not is_current(store, settings)  # nothing published yet
    assert publish_if_new(settings, store, now)["published"] == 1
    assert is_current(store, settings)
    assert Warehouse(settings.warehouse_path).meta()["source_fingerprint"] == source_fingerprint(store, settings)
    assert publish_if_new(settings, store, now) == {"published": 0}

    with store.engine.begin() as con:  # reference files of another release were loaded
        con.execute(text("UPDATE schema_info SET value = 'another' WHERE key = 'reference_hash'"))
    assert not is_current(store, settings)
    assert publish_if_new(settings, store, now)["published"] == 1
    assert publish_if_new(settings, store, now) == {"published": 0}

    body = b"agency_code,period,indicator_code,value\nJPN,2026Q3,HC_TOTAL,4321\n"
    result = Ingestor(store, settings).ingest_bytes(body, "jpn.csv", reason="correction")
    assert result.status == "accepted", result.problems
    assert not is_current(store, settings)
    assert publish_if_new(settings, store, now)["published"] == 1
    assert publish_if_new(settings, store, now) == {"published": 0}

    k01 = kpi_dir / "K01.yaml"  # a target moved
    k01.write_text(k01.read_text(encoding="utf-8").replace("value: 60", "value: 65"), encoding="utf-8")
    assert not is_current(store, settings)
    assert publish_if_new(settings, store, now)["published"] == 1
    assert publish_if_new(settings, store, now) == {"published": 0}

    import etl.publish  # a release that builds the warehouse otherwise

    monkeypatch.setattr(etl.publish, "WAREHOUSE_FORMAT", etl.publish.WAREHOUSE_FORMAT + 1)
    assert not is_current(store, settings)
    monkeypatch.undo()
    assert is_current(store, settings)

    later = replace(settings, today="2027-01-02")  # 2026Q4 has ended
    assert not is_current(store, later)
    assert publish_if_new(later, store, now)["published"] == 1
    assert Warehouse(later.warehouse_path).meta()["current_period"] == "2026Q4"



def test_a_warehouse_that_does_not_say_what_it_was_built_from_is_published_again(published, tmp_path):
    """A warehouse published before the source fingerprint was recorded cannot say which
    reference data it holds: it is not current, so the next start or schedule publishes."""
    import shutil

    from etl.publish import is_current

    settings, store, _ = published
    copy = make_settings(tmp_path)
    copy.data_dir.mkdir(parents=True)
    shutil.copy(settings.warehouse_path, copy.warehouse_path)
    assert is_current(store, copy)
    con = duckdb.connect(str(copy.warehouse_path))
    con.execute("DELETE FROM meta WHERE key = 'source_fingerprint'")
    con.close()
    assert not is_current(store, copy)


def test_today_is_the_date_in_malaysia_unless_set(tmp_path, monkeypatch):
    """Whatever the server's own time zone. At any moment the local date of UTC-12 or of
    UTC+14 differs from Malaysia's (UTC+8), so the machine's date would fail one of them."""
    import time
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    assert make_settings(tmp_path).today_date() == date(2026, 11, 26)  # NAIO_TODAY
    unset = make_settings(tmp_path, NAIO_TODAY="")
    malaysia = ZoneInfo("Asia/Kuala_Lumpur")
    try:
        for zone in ("Etc/GMT+12", "Etc/GMT-14"):  # POSIX names: UTC-12 and UTC+14
            monkeypatch.setenv("TZ", zone)
            time.tzset()
            before = datetime.now(malaysia).date()
            today = unset.today_date()
            assert today in {before, datetime.now(malaysia).date()}, zone  # midnight may pass between
    finally:
        monkeypatch.undo()
        time.tzset()


def test_settings_survive_the_trip_through_the_environment(tmp_path):
    from etl.settings import load_settings

    settings = make_settings(tmp_path, NAIO_PACK_RECIPIENTS="a@x.my, b@x.my", NAIO_SCHEDULER="0",
                             NAIO_SECURE_COOKIES="1", NAIO_MAX_UPLOAD_MB="2.5", NAIO_PUBLISH_MEMORY_MB="512")
    assert load_settings(settings.as_env(), root=tmp_path) == settings


def test_a_publish_in_its_own_process_publishes_or_says_why_not(own_kpis):
    """The server and the scheduler publish through a child process (its peak memory goes
    with it); the snapshot it reports is the one swapped in, and a refusal is an error that
    names the cause, with nothing published."""
    from etl import process_owner
    from etl.publish import PublishFailed, publish_in_child

    settings, store, kpi_dir = own_kpis
    said: list[str] = []
    snapshot_id = publish_in_child(settings, trigger="upload", progress=said.append)
    wh = Warehouse(settings.warehouse_path)
    assert wh.meta()["snapshot_id"] == snapshot_id
    assert any("computing KPI values" in line for line in said)
    run = store.runs(limit=1, job="publish").iloc[0]
    assert run["trigger"] == "upload" and run["status"] == "ok"
    assert run["owner"] and run["owner"] != process_owner.token()  # not this process

    (kpi_dir / "K01.yaml").write_text(BROKEN_DEFINITION, encoding="utf-8")
    with pytest.raises(PublishFailed, match="KPI definitions have"):
        publish_in_child(settings, trigger="schedule")
    assert Warehouse(settings.warehouse_path).meta()["snapshot_id"] == snapshot_id


def test_a_start_with_a_broken_kpi_definition_serves_the_last_warehouse(own_kpis):
    """At start-up a stale warehouse is published again; when that publish fails, the last
    published warehouse is served and the reason is said; with no warehouse at all there is
    nothing to serve."""
    import shutil

    from etl.publish import is_current, publish_at_start

    settings, store, kpi_dir = own_kpis
    (kpi_dir / "K01.yaml").write_text(BROKEN_DEFINITION, encoding="utf-8")
    said: list[str] = []
    assert publish_at_start(store, settings, said.append) is False  # nothing published yet
    assert "nothing to serve" in said[-1] and not settings.warehouse_path.exists()

    shutil.copytree(ROOT / "kpi_definitions", kpi_dir, dirs_exist_ok=True)  # mended
    assert publish_at_start(store, settings, said.append) is True and is_current(store, settings)
    before = Warehouse(settings.warehouse_path).meta()["snapshot_id"]
    assert publish_at_start(store, settings, said.append) is True  # current: nothing to do
    assert Warehouse(settings.warehouse_path).meta()["snapshot_id"] == before

    (kpi_dir / "K01.yaml").write_text(BROKEN_DEFINITION, encoding="utf-8")  # stale again
    assert publish_at_start(store, settings, said.append) is True
    assert "the last published warehouse is served" in said[-1] and "KPI definitions have" in said[-1]
    assert Warehouse(settings.warehouse_path).meta()["snapshot_id"] == before
