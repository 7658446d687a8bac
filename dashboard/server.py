"""Build the Dash app (pages, sign-in, routes) and serve it with a multi-threaded server."""

from __future__ import annotations

import importlib
import json
import logging
from pathlib import Path

import dash
from flask import Response

from dashboard import auth
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
    if "healthz" not in server.view_functions:
        server.add_url_rule("/healthz", "healthz", lambda: _healthz(settings))
    return app


def _healthz(settings: Settings) -> Response:
    wh = Warehouse(settings.warehouse_path)
    body = {"status": "ok" if wh.exists() else "no-warehouse"}
    if wh.exists():
        body["snapshot"] = wh.meta().get("snapshot_id")
    return Response(json.dumps(body), mimetype="application/json", status=200 if wh.exists() else 503)


def serve(settings: Settings, store: Store, host: str = "127.0.0.1", port: int = 8050, threads: int = 8) -> int:
    from waitress import serve as waitress_serve

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
    print(f"NAIO dashboard on http://{host}:{port}/ (Ctrl+C to stop)", flush=True)
    try:
        waitress_serve(app.server, host=host, port=port, threads=threads, ident="naio")
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
    return 0
