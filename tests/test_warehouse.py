"""The warehouse gateway: one shared read-only connection per published snapshot, a cursor
per reader, and every swap seen by the next reader."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import duckdb
import pytest

from etl import warehouse
from etl.warehouse import Warehouse, WarehouseMissing


def _write(path: Path, snapshot_id: str, n: int = 3) -> None:
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
        con.execute("INSERT INTO meta VALUES ('snapshot_id', ?)", [snapshot_id])
        con.execute("CREATE TABLE numbers AS SELECT range AS n FROM range(?)", [n])
    finally:
        con.close()


def _publish(data: Path, snapshot_id: str, n: int = 3) -> Path:
    """What publish does: a new file under snapshots/, hard-linked into place with os.replace."""
    snaps = data / "snapshots"
    snaps.mkdir(parents=True, exist_ok=True)
    final = snaps / f"{snapshot_id}.duckdb"
    _write(final, snapshot_id, n)
    link = data / f".warehouse-{snapshot_id}.swap"
    os.link(final, link)
    os.replace(link, data / "warehouse.duckdb")
    return final


def _open_snapshots() -> set[str]:
    return {Path(p).name for p in warehouse._pool.open}


@pytest.fixture(autouse=True)
def _fresh_pool():
    warehouse.close_connections()
    yield
    warehouse.close_connections()


def test_missing_warehouse_is_reported(tmp_path):
    wh = Warehouse(tmp_path / "warehouse.duckdb")
    assert not wh.exists()
    with pytest.raises(WarehouseMissing):
        wh.meta()


def test_reads_share_one_connection_to_the_snapshot(tmp_path, monkeypatch):
    _publish(tmp_path, "s1")
    wh = Warehouse(tmp_path / "warehouse.duckdb")
    opened = []
    real = duckdb.connect
    monkeypatch.setattr(warehouse.duckdb, "connect", lambda *a, **k: opened.append(a) or real(*a, **k))
    for _ in range(5):
        assert wh.meta() == {"snapshot_id": "s1"}
        assert Warehouse(tmp_path / "warehouse.duckdb").rows("SELECT count(*) FROM numbers") == [(3,)]
    assert len(opened) == 1
    assert opened[0][0] == str(tmp_path / "snapshots" / "s1.duckdb")  # the snapshot's own, unique name
    assert wh.tables() >= {"meta", "numbers"}
    assert list(wh.frame("SELECT n FROM numbers WHERE n >= ? ORDER BY n", [1])["n"]) == [1, 2]


def test_every_publish_is_seen_by_the_next_read(tmp_path):
    wh = Warehouse(tmp_path / "warehouse.duckdb")
    for n in range(1, 6):
        _publish(tmp_path, f"s{n}", n)
        assert wh.meta()["snapshot_id"] == f"s{n}"
        assert wh.rows("SELECT count(*) FROM numbers") == [(n,)]
    assert _open_snapshots() == {"s5.duckdb"}  # the replaced ones were closed


def test_a_reader_keeps_its_snapshot_across_a_swap(tmp_path):
    _publish(tmp_path, "old", 2)
    wh = Warehouse(tmp_path / "warehouse.duckdb")
    with wh.connect() as con:
        new = _publish(tmp_path, "new", 4)
        (tmp_path / "snapshots" / "old.duckdb").unlink()  # publish prunes old snapshots
        assert wh.meta()["snapshot_id"] == "new"  # a reader starting now gets the new one
        assert con.execute("SELECT value FROM meta").fetchall() == [("old",)]
        assert con.execute("SELECT count(*) FROM numbers").fetchall() == [(2,)]
        assert _open_snapshots() == {"old.duckdb", "new.duckdb"}
    assert _open_snapshots() == {"new.duckdb"}  # closed once its last reader was done
    assert new.exists() and wh.rows("SELECT count(*) FROM numbers") == [(4,)]


def test_a_warehouse_written_in_place_is_read_afresh(tmp_path):
    """Without a snapshot folder (a file written directly), every read opens the file."""
    path = tmp_path / "warehouse.duckdb"
    _write(path, "first")
    wh = Warehouse(path)
    assert wh.meta()["snapshot_id"] == "first"
    _write(tmp_path / "next.duckdb", "second")
    os.replace(tmp_path / "next.duckdb", path)
    assert wh.meta()["snapshot_id"] == "second"
    assert _open_snapshots() == set()


def test_a_snapshot_named_by_its_id_is_shared(tmp_path):
    frozen = _publish(tmp_path, "pinned")
    _publish(tmp_path, "later")
    assert Warehouse(frozen).meta()["snapshot_id"] == "pinned"
    assert Warehouse(tmp_path / "warehouse.duckdb").meta()["snapshot_id"] == "later"
    assert _open_snapshots() == {"pinned.duckdb", "later.duckdb"}


def test_open_snapshots_are_bounded(tmp_path):
    frozen = [_publish(tmp_path, f"p{n}") for n in range(warehouse.MAX_OPEN + 3)]
    for path in frozen:
        assert Warehouse(path).meta()["snapshot_id"] == path.stem
    assert len(_open_snapshots()) == warehouse.MAX_OPEN


def test_concurrent_readers_during_publishes(tmp_path):
    _publish(tmp_path, "s0", 1)
    wh = Warehouse(tmp_path / "warehouse.duckdb")
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        try:
            while not stop.is_set():
                with wh.connect() as con:
                    sid = con.execute("SELECT value FROM meta").fetchall()[0][0]
                    n = con.execute("SELECT count(*) FROM numbers").fetchall()[0][0]
                    assert sid == f"s{n - 1}"  # one snapshot per reader, never a mix
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(6)]
    for th in threads:
        th.start()
    try:
        for n in range(1, 12):
            _publish(tmp_path, f"s{n}", n + 1)
    finally:
        stop.set()
        for th in threads:
            th.join()
    assert not errors, errors[0]
    assert wh.meta()["snapshot_id"] == "s11"
    assert _open_snapshots() == {"s11.duckdb"}
