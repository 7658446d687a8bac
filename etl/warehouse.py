"""The one read-only gateway to the published warehouse.

Opening a DuckDB file costs tens of milliseconds, a cursor of an open connection a few
microseconds. So the gateway keeps one read-only connection per published snapshot for the
whole process and hands each reader its own cursor (DuckDB connections are not shared
between threads; cursors of one connection may each be used by one thread).

``publish`` builds ``snapshots/<id>.duckdb`` and hard-links it into place as
``warehouse.duckdb`` with ``os.replace``. DuckDB keeps one database instance per path in a
process, so opening ``warehouse.duckdb`` again while any connection to it is open would
return the snapshot that was in place when it was first opened. The gateway therefore opens
the snapshot under its own, unique name: the file in ``snapshots/`` with the same inode as
``warehouse.duckdb``. A swap is noticed on the next read (the file's identity changes), and
from then on new readers get the new snapshot; a reader that began before keeps reading the
old one, whose connection is closed when its last cursor is done (on Linux a pruned file
stays readable while open). Nobody ever sees a half-built warehouse.

A warehouse written in place rather than published (no matching snapshot) is opened per
call, as it may be rewritten under the same name.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

SNAPSHOTS = "snapshots"  # publish's folder of snapshots, beside warehouse.duckdb
MAX_OPEN = 4  # warehouse paths kept open at once (the current one, and snapshots a PDF pack reads)


class WarehouseMissing(RuntimeError):
    """No warehouse has been published yet."""


@dataclass(eq=False)
class _Snapshot:
    """One open read-only connection to an immutable snapshot file, and how many readers use it."""

    path: str
    ident: tuple  # device, inode, modification time and size of the file when opened
    con: duckdb.DuckDBPyConnection
    users: int = 0
    retired: bool = False  # no longer current: closed when its last reader is done
    closed: bool = False


class _Pool:
    """The open snapshots of this process, by the warehouse path they answer for."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pid = os.getpid()
        # warehouse path -> (identity of the file there, its snapshot); least recently read first
        self.current: OrderedDict[str, tuple[tuple, _Snapshot]] = OrderedDict()
        self.open: dict[str, _Snapshot] = {}  # snapshot path -> its connection

    def acquire(self, path: Path) -> tuple[_Snapshot, duckdb.DuckDBPyConnection] | None:
        """A cursor on the snapshot behind ``path``, counted as in use; None when the file is not
        a published snapshot (then it is opened per call)."""
        try:
            st = os.stat(path)
        except FileNotFoundError:
            raise WarehouseMissing(f"no warehouse at {path}: run `python app.py publish`") from None
        ident = (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)
        key = str(path)
        with self.lock:
            if self.pid != os.getpid():  # a forked child: the parent's connections are not its own
                self.pid, self.current, self.open = os.getpid(), OrderedDict(), {}
            hit = self.current.get(key)
            if hit and hit[0] == ident:
                self.current.move_to_end(key)
                return self._use(hit[1])
        unique = _snapshot_of(path, st)  # only when the file changed: a scan of snapshots/
        with self.lock:
            if unique is None:
                self._retire(self.current.pop(key, None))
                return None
            snap = self.open.get(unique)
            if snap is not None and snap.ident != ident:  # rewritten in place: not the same snapshot
                snap.retired = True
                if snap.users <= 0:
                    self._close(snap)
                snap = None
            if snap is None:
                try:
                    con = duckdb.connect(unique, read_only=True)
                except duckdb.Error:  # pruned or replaced since the scan: read this call directly
                    return None
                snap = self.open[unique] = _Snapshot(unique, ident, con)
            snap.retired = False
            old = self.current.pop(key, None)
            self.current[key] = (ident, snap)
            if old is not None and old[1] is not snap:
                self._retire(old)
            while len(self.current) > MAX_OPEN:
                self._retire(self.current.popitem(last=False)[1])
            return self._use(snap)

    def _use(self, snap: _Snapshot) -> tuple[_Snapshot, duckdb.DuckDBPyConnection]:
        cursor = snap.con.cursor()
        snap.users += 1
        return snap, cursor

    def release(self, snap: _Snapshot) -> None:
        with self.lock:
            snap.users -= 1
            if snap.retired and snap.users <= 0:
                self._close(snap)

    def _retire(self, entry: tuple[tuple, _Snapshot] | None) -> None:
        """With the lock held: ``entry``'s snapshot is no longer current for its path."""
        if entry is None:
            return
        snap = entry[1]
        if any(s is snap for _, s in self.current.values()):
            return  # still current for another path
        snap.retired = True
        if snap.users <= 0:
            self._close(snap)

    def _close(self, snap: _Snapshot) -> None:
        if self.open.get(snap.path) is snap:
            del self.open[snap.path]
        for key, (_, s) in list(self.current.items()):
            if s is snap:
                del self.current[key]
        if not snap.closed:
            snap.closed = True
            snap.con.close()

    def close_all(self) -> None:
        """Retire every snapshot: closed now when unused, else when its last reader is done."""
        with self.lock:
            self.current.clear()
            for snap in list(self.open.values()):
                snap.retired = True
                if snap.users <= 0:
                    self._close(snap)


def _snapshot_of(path: Path, st: os.stat_result) -> str | None:
    """The unique path of the published snapshot ``path`` is (None when it is not one)."""
    if path.parent.name == SNAPSHOTS and path.suffix == ".duckdb":
        return str(path)  # a snapshot named by its id (the PDF pack reads them so)
    folder = path.parent / SNAPSHOTS
    try:
        candidates = list(os.scandir(folder))
    except OSError:
        return None
    for entry in candidates:
        if not entry.name.endswith(".duckdb") or entry.name.startswith("."):
            continue
        try:
            other = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino):
            return entry.path
    return None


_pool = _Pool()


def close_connections() -> None:
    """Close the shared read-only connections not in use (a long-running process need not)."""
    _pool.close_all()


class Warehouse:
    def __init__(self, path: Path):
        self.path = Path(path)

    def exists(self) -> bool:
        return self.path.exists()

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only cursor on the current snapshot, for this call and this thread only."""
        used = _pool.acquire(self.path)
        if used is None:
            con = duckdb.connect(str(self.path), read_only=True)
            try:
                yield con
            finally:
                con.close()
            return
        snap, cursor = used
        try:
            yield cursor
        finally:
            try:
                cursor.close()
            finally:
                _pool.release(snap)

    def frame(self, sql: str, params: list | dict | None = None) -> pd.DataFrame:
        """Run one read query with bound parameters and return a DataFrame."""
        with self.connect() as con:
            return con.execute(sql, params or []).df()

    def rows(self, sql: str, params: list | dict | None = None) -> list[tuple]:
        with self.connect() as con:
            return con.execute(sql, params or []).fetchall()

    def meta(self) -> dict[str, str]:
        return dict(self.rows("SELECT key, value FROM meta"))

    def tables(self) -> set[str]:
        return {r[0] for r in self.rows("SELECT table_name FROM information_schema.tables")}
