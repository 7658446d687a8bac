"""Build the Dash app (pages, sign-in, routes) and serve it with a multi-threaded server."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import importlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import dash
from flask import Response, request

from dashboard import auth, figures
from etl.settings import Settings
from etl.store import Store
from etl.warehouse import Warehouse

HERE = Path(__file__).resolve().parent
log = logging.getLogger("naio.server")

# Optional rooms: each exposes init_app(server, settings, store) when present.
ROUTE_MODULES = ("dashboard.downloads", "dashboard.api", "dashboard.pack_routes")


def create_app(settings: Settings, store: Store) -> dash.Dash:
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder=str(HERE / "pages"),
        assets_folder=str(HERE / "assets"),
        suppress_callback_exceptions=True,
        title="NAIO AI Adoption Dashboard",
        update_title=None,
        serve_locally=True,
    )
    server = app.server
    server.config.update(NAIO_SETTINGS=settings, NAIO_STORE=store, NAIO_WAREHOUSE=Warehouse(settings.warehouse_path),
                         MAX_CONTENT_LENGTH=settings.max_upload_bytes * 2 + 1024 * 1024)
    auth.init_app(server, settings, store)
    from dashboard.shell import layout as shell_layout

    app.layout = shell_layout
    for name in ROUTE_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.init_app(server, settings, store)
    server.add_url_rule(figures.GEOJSON_ROUTE, "states_geojson", lambda digest: _states_geojson(settings, digest))
    if "healthz" not in server.view_functions:
        server.add_url_rule("/healthz", "healthz", lambda: _healthz(settings))
    return app


def _healthz(settings: Settings) -> Response:
    wh = Warehouse(settings.warehouse_path)
    body = {"status": "ok" if wh.exists() else "no-warehouse"}
    if wh.exists():
        body["snapshot"] = wh.meta().get("snapshot_id")
    return Response(json.dumps(body), mimetype="application/json", status=200 if wh.exists() else 503)


def _states_geojson(settings: Settings, digest: str) -> Response:
    """The map's state boundaries, fetched once by each browser and kept (the digest in the URL
    changes when the reference file does), instead of inside every map response."""
    body, current = figures.states_geojson_body(str(settings.reference_dir / figures.STATES_GEOJSON))
    if digest != current:
        return Response("not found", status=404, mimetype="text/plain")
    response = Response(body, mimetype="application/geo+json")
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    response.set_etag(current)
    return response.make_conditional(request)


MALLOC_ARENAS = 2  # glibc malloc arenas of the serving process (see limit_malloc_arenas)
M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's malloc.h


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas, as ``MALLOC_ARENA_MAX`` would (which wins when set).

    glibc gives each thread that allocates concurrently an arena of its own, up to eight per
    core, and memory freed in one arena is not reused by another. The server's request threads
    and DuckDB's workers allocate a few MB each per query, so at national scale with 8 threads
    the process's peak grew by about 100 MB of arenas holding freed memory; with two arenas it
    does not. The interpreter lock already serialises most of the request work, so there is
    no contention to speak of. Returns whether the cap was set (glibc only)."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_ARENA_MAX, int(arenas)))
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to cap
        return False


def settle_heap() -> int:
    """Leave what start-up built (modules, the app, its pages and components: about 180,000
    objects) out of the garbage collector's full collections; returns how many were set aside.

    A full collection walks every tracked object while holding the interpreter lock: with
    the start-up heap that took 70-100 ms, a pause every request thread waited through, about
    once per 400 callback requests at national scale. Those objects live as long as the
    process, so nothing is lost by never walking them again; what requests allocate later is
    still collected as before (a full collection over it: 3-7 ms)."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def default_threads(cores: int | None = None) -> int:
    """Request threads of the server: one per core, at least two and at most sixteen.

    A callback is mostly Python, and Python runs one thread at a time: a thread beyond what
    the cores can run only takes turns at the interpreter lock, so each request's own time
    grows while the time a user waits does not shrink; requests beyond the threads wait in the
    server's queue, in arrival order, instead. At national scale on two cores with 20 clients
    (the same data, back to back, two runs each), 2 threads against 4: callback p95 12-16 ms
    against 26-34 ms, client latency p95 94-123 ms against 104-127 ms, page views per 20 s run
    575-767 against 537-685, peak memory 302-310 MB against 330-340 MB with a national file
    uploaded. A long request holds its thread: while a national file is checked (in a process
    of its own, 6.6 s at 2 threads, 8.8-9.8 s at 4) one thread is left to the pages, which
    served a fifth fewer views in that run; ``--threads`` sets more where long requests are
    the rule rather than the exception."""
    cores = cores or os.cpu_count() or 2
    return max(2, min(16, cores))


class QueueNotes(logging.Filter):
    """At most one of waitress's "Task queue depth is N" notes per ``every`` seconds.

    waitress writes that warning for every request that arrives while no request thread is
    free, and writes it while holding its task queue's lock, so the threads that would take
    the next request wait for the log line too. At national scale with twenty clients that
    was about 500 lines a second (7,907 in a 15 s load run), a log no one can read. A busy
    queue is still worth knowing about: the note let through gives the deepest queue since
    the previous one and how many notes it stands for."""

    def __init__(self, every: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__("waitress.queue")
        self.every, self.clock = every, clock
        self._lock = threading.Lock()
        self._next = float("-inf")
        self._held = 0
        self._deepest = 0

    def filter(self, record: logging.LogRecord) -> bool:
        depth = record.args[0] if isinstance(record.args, tuple) and record.args else 0
        with self._lock:
            self._deepest = max(self._deepest, depth if isinstance(depth, int) else 0)
            now = self.clock()
            if now < self._next:
                self._held += 1
                return False
            if self._held:
                record.msg = "Task queue depth reached %d (%d notes since the last one written)"
                record.args = (self._deepest, self._held + 1)
            self._next, self._held, self._deepest = now + self.every, 0, 0
        return True


def quiet_queue_notes(every: float = 60.0) -> QueueNotes:
    """Hold waitress's queue-depth notes to one per ``every`` seconds (see QueueNotes)."""
    logger = logging.getLogger("waitress.queue")
    for old in [f for f in logger.filters if isinstance(f, QueueNotes)]:
        logger.removeFilter(old)
    notes = QueueNotes(every)
    logger.addFilter(notes)
    return notes


def serve(settings: Settings, store: Store, host: str = "127.0.0.1", port: int = 8050,
          threads: int | None = None) -> int:
    from waitress import serve as waitress_serve

    limit_malloc_arenas()

    app = create_app(settings, store)
    store.close_abandoned_runs()  # runs left "running" by a process of this machine that was killed
    scheduler = None
    if settings.scheduler:
        try:
            from etl.scheduler import start_in_process
        except ModuleNotFoundError:
            start_in_process = None
        if start_in_process:
            scheduler = start_in_process(settings, store)
    settle_heap()
    quiet_queue_notes()
    print(f"NAIO dashboard on http://{host}:{port}/ (Ctrl+C to stop)", flush=True)
    try:
        waitress_serve(app.server, host=host, port=port, threads=threads or default_threads(), ident="naio")
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
    return 0
