"""What each page sends and which warehouse queries answer it.

The real app is built in this process and driven through Flask's test client with the
small Dash client (``dash_client``), once to warm its caches and once recording, with
the caches of what views read emptied first (``forget_views``): every callback request
body, and every statement each callback ran on the warehouse (the gateway
``Warehouse.connect`` is wrapped while recording) and on the system of record (a
SQLAlchemy cursor event). A view answered from a cache is so compared with the statements
that view needs, not with nothing. The bodies are replayed by the load clients; the reading
statements, run bare on a DuckDB or sqlite3 connection, are the baseline.
"""

from __future__ import annotations

import inspect
import re
import sqlite3
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.dash_client import Call, page_view
from dashboard.auth import LOGIN_TOKEN, token_in_page
from etl.warehouse import Warehouse

BENCH_USER = "bench.admin"
BENCH_PASSWORD = "bench-admin-password-2026"
_TEMPLATE_VAR = re.compile(r"<([^>]+)>")
_SAMPLES = {  # path variable (by a word in its name) -> query giving a sample value
    "agency": "SELECT agency_code FROM fact_return GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
    "ministry": "SELECT ministry_code FROM dim_ministry ORDER BY sort_order LIMIT 1",
    "kpi": "SELECT kpi_id FROM kpi_definition ORDER BY 1 LIMIT 1",
    "sector": "SELECT section FROM dim_sector ORDER BY 1 LIMIT 1",
    "state": "SELECT state_code FROM dim_state ORDER BY 1 LIMIT 1",
    "deliverable": "SELECT deliverable_code FROM dim_deliverable ORDER BY 1 LIMIT 1",
}


@dataclass
class PageScript:
    name: str
    path: str
    calls: list[Call] = field(default_factory=list)

    def bodies(self) -> list[bytes]:
        return [c.body for c in self.calls]


class FlaskTransport:
    """The Dash client's transport over Flask's test client, recording warehouse statements."""

    def __init__(self, server: Any):
        self.client = server.test_client()
        self.log: list[tuple] = []
        self.per_post: list[list[tuple]] = []

    def login(self, username: str, password: str) -> int:
        token = token_in_page(self.client.get("/login").get_data(as_text=True))
        r = self.client.post("/login", data={"username": username, "password": password, "next": "/",
                                             LOGIN_TOKEN: token})
        return r.status_code

    def get(self, path: str) -> tuple[int, bytes]:
        r = self.client.get(path)
        return r.status_code, r.data

    def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        self.log.clear()
        r = self.client.post(path, data=body, content_type="application/json")
        self.per_post.append(list(self.log))
        return r.status_code, r.data


class _Recorder:
    """A DuckDB connection that notes every statement it is given."""

    def __init__(self, con: Any, log: list):
        self._con, self._log = con, log

    def execute(self, query: str, parameters: Any = None, *args: Any, **kwargs: Any) -> Any:
        self._log.append(("duckdb", query, parameters))
        if parameters is None:
            return self._con.execute(query, *args, **kwargs)
        return self._con.execute(query, parameters, *args, **kwargs)

    def sql(self, query: str, *args: Any, **kwargs: Any) -> Any:
        self._log.append(("duckdb", query, kwargs.get("params")))
        return self._con.sql(query, *args, **kwargs)

    def cursor(self) -> _Recorder:
        return _Recorder(self._con.cursor(), self._log)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


@contextmanager
def recording(log: list, engine: Any) -> Iterator[None]:
    """Note every warehouse statement and every system-of-record statement in ``log``."""
    from sqlalchemy import event

    original = Warehouse.connect

    @contextmanager
    def connect(self: Warehouse) -> Iterator[Any]:
        with original(self) as con:
            yield _Recorder(con, log)

    def noted(_con: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, executemany: bool) -> None:
        if not executemany:
            log.append(("sqlite", statement, parameters))

    Warehouse.connect = connect  # type: ignore[method-assign]
    event.listen(engine, "before_cursor_execute", noted)
    try:
        yield
    finally:
        Warehouse.connect = original  # type: ignore[method-assign]
        event.remove(engine, "before_cursor_execute", noted)


_APPS: dict[str, Any] = {}


def app_for(settings: Any, store: Any) -> Any:
    """The Dash app of this data folder (built once per process: Dash pages are global)."""
    key = str(settings.data_dir)
    if key not in _APPS:
        from dashboard.server import create_app

        _APPS[key] = create_app(settings, store)
    return _APPS[key]


def pages(warehouse_path: Path) -> list[tuple[str, str]]:
    """(name, path) of every registered page; a path variable takes a sample value, found by a
    word in its name or else in the path before it (``/agency/<code>``: an agency). A page whose
    path cannot be given one is an error, not a page left out."""
    import dash

    wh = Warehouse(warehouse_path)
    out = []
    for page in dash.page_registry.values():
        path = page.get("path_template") or page["path"]
        for var in _TEMPLATE_VAR.findall(path):
            before = path[: path.index(f"<{var}>")].lower()
            word = next((w for w in _SAMPLES if w in var.lower()), None) or next(
                (w for w in _SAMPLES if w in before), None)
            rows = wh.rows(_SAMPLES[word]) if word else []
            if not rows:
                raise RuntimeError(f"no sample value for <{var}> of the page {page['name']} ({path})")
            path = path.replace(f"<{var}>", str(rows[0][0]))
        out.append((page["name"], path))
    return out


# Kept while recording: the snapshot's dimension lookups (agencies, ministries, KPIs ...), read
# once per snapshot and shared by every page, and the snapshot's meta.
KEEP_CACHED = ("dashboard.queries._dims",)  # module name.function name


def forget_views() -> None:
    """Empty the dashboard's caches of what views read (values, series, rendered tables ...),
    so the statements recorded for a view are all it needs from the stores."""
    import dashboard
    from dashboard import queries

    home = str(Path(dashboard.__file__).parent)  # Dash imports the page modules as ``pages.<name>``
    loaded = [(name, module) for name, module in list(sys.modules.items())
              if str(getattr(module, "__file__", None) or "").startswith(home)]
    for module_name, module in loaded:
        for attr, value in list(vars(module).items()):
            # functions of that module only (not imported names such as Flask's proxies)
            if getattr(value, "__module__", None) != module_name or not inspect.isroutine(
                    getattr(value, "__wrapped__", value)):
                continue
            clear = getattr(value, "cache_clear", None)
            if callable(clear) and f"{module_name}.{attr}" not in KEEP_CACHED:
                clear()
    queries._runs_cache.clear()


def capture(settings: Any, store: Any) -> list[PageScript]:
    """Every page's callback requests (bodies and the statements behind each)."""
    app = app_for(settings, store)
    transport = FlaskTransport(app.server)
    if transport.login(BENCH_USER, BENCH_PASSWORD) not in (302, 303):
        raise RuntimeError(f"could not sign in as {BENCH_USER}")
    scripts = []
    for name, path in pages(settings.warehouse_path):
        page_view(transport, path)  # warm the app's caches, as a running server's are
        transport.per_post.clear()
        forget_views()  # record what the view needs, not what the caches already hold
        store.forget_kept()
        with recording(transport.log, store.engine):
            calls = page_view(transport, path)
        for call, queries in zip(calls, transport.per_post, strict=True):
            call.queries = queries
        scripts.append(PageScript(name=name, path=path, calls=calls))
    return scripts


def bare_seconds(warehouse_path: Path, database: Path, queries: list[tuple], repeat: int = 5) -> float:
    """Median over ``repeat`` runs of the reading statements run back to back on open connections
    (DuckDB for the warehouse, sqlite3 for a SQLite system of record)."""
    reads = [q for q in queries if q[1].lstrip().upper().startswith(("SELECT", "WITH"))]
    if not reads:
        return 0.0
    duck = duckdb.connect(str(warehouse_path), read_only=True)
    lite = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        runs = []
        for _ in range(repeat):
            started = time.perf_counter()
            for engine, sql, params in reads:
                con = duck if engine == "duckdb" else lite
                (con.execute(sql) if params is None else con.execute(sql, params)).fetchall()
            runs.append(time.perf_counter() - started)
        return statistics.median(runs)
    finally:
        duck.close()
        lite.close()
