"""The one read-only gateway to the published warehouse.

Readers open the current file read-only, one connection per call (DuckDB connections are
not shared between threads). ``publish`` swaps in a new file with ``os.replace``; a reader
that opened the old file keeps reading it until it closes, so nobody sees a half-built
warehouse.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb
import pandas as pd


class WarehouseMissing(RuntimeError):
    """No warehouse has been published yet."""


class Warehouse:
    def __init__(self, path: Path):
        self.path = Path(path)

    def exists(self) -> bool:
        return self.path.exists()

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if not self.path.exists():
            raise WarehouseMissing(f"no warehouse at {self.path}: run `python app.py publish`")
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            yield con
        finally:
            con.close()

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
