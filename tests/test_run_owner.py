"""Runs left "running" by a killed process are closed; runs of live processes are not."""

from __future__ import annotations

import subprocess

from sqlalchemy import create_engine, text

from etl import process_owner
from etl import schema as t
from etl.store import Store


def test_token_of_a_live_and_of_an_ended_process():
    assert not process_owner.is_gone(process_owner.token())
    child = subprocess.Popen(["sleep", "0.05"])
    owner = process_owner.token(child.pid)
    assert not process_owner.is_gone(owner)
    child.wait()
    assert process_owner.is_gone(owner)


def test_tokens_that_cannot_be_judged_are_never_gone():
    me = process_owner.token().split("/")
    assert not process_owner.is_gone(None)
    assert not process_owner.is_gone("")
    assert not process_owner.is_gone("other-host/" + "/".join(me[1:]))  # another machine's process
    assert not process_owner.is_gone("/".join([me[0], me[1], me[2], ""]))  # no start time known
    assert process_owner.is_gone("/".join([me[0], "another-boot", me[2], me[3]]))  # the machine restarted


def test_close_abandoned_runs_closes_only_dead_owners(store):
    live = store.start_run("ingest", "cli")
    dead = store.start_run("ingest", "cli")
    child = subprocess.Popen(["sleep", "0.05"])
    dead_owner = process_owner.token(child.pid)
    child.wait()
    with store.engine.begin() as con:
        con.execute(t.etl_runs.update().where(t.etl_runs.c.run_id == dead).values(owner=dead_owner))
    assert store.close_abandoned_runs() == 1
    runs = store.runs(job="ingest").set_index("run_id")
    assert runs.loc[live, "status"] == "running"
    assert runs.loc[dead, "status"] == "failed"
    assert runs.loc[dead, "error"].startswith("interrupted")
    assert store.close_abandoned_runs() == 0


def test_a_version_1_database_gains_the_owner_column(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as con:  # the etl_runs table as version 1 created it
        con.execute(text("CREATE TABLE schema_info (key VARCHAR(64) PRIMARY KEY, value VARCHAR(255) NOT NULL)"))
        con.execute(text("INSERT INTO schema_info VALUES ('version', '1')"))
        con.execute(text("CREATE TABLE etl_runs (run_id INTEGER PRIMARY KEY AUTOINCREMENT, job VARCHAR(64) NOT NULL, "
                         "started_at DATETIME NOT NULL, ended_at DATETIME, status VARCHAR(16) NOT NULL, "
                         "counts_json TEXT, error TEXT, \"trigger\" VARCHAR(32))"))
        con.execute(text("INSERT INTO etl_runs (job, started_at, status) VALUES ('ingest', '2026-01-01', 'running')"))
    engine.dispose()
    store = Store(url)
    store.migrate()
    store.migrate()  # a second time changes nothing
    try:
        assert store._info("version") == str(t.SCHEMA_VERSION)
        run = store.start_run("publish")
        runs = store.runs().set_index("run_id")
        assert runs.loc[run, "owner"] == process_owner.token()
        assert runs["owner"].isna().sum() == 1  # the older run: owner unknown, left alone
        assert store.close_abandoned_runs() == 0
    finally:
        store.dispose()
