"""Fixtures for the dashboard's callbacks and queries, called as plain functions.

``contract_app`` serves a small warehouse written straight from the published contract
(deterministic, built in about a second); ``demo_app`` serves one built by the real pipeline
(demo data ingested and published), so the pages are also checked against what publish
really writes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from etl.settings import Settings
from tests.conftest import make_settings
from tests.dashboard.contract_warehouse import build
from tests.dashboard.harness import request_as


def _app(settings: Settings):
    from dashboard.server import create_app
    from etl.store import Store

    store = Store.open(settings.database_url, settings.reference_dir)
    app = create_app(settings, store)
    # Dash keeps callbacks in a process-wide list until an app's first request; take them now,
    # so that the next app built in this process (another module's) starts from a clean list.
    app._setup_server()
    return app, store


@pytest.fixture(scope="module")
def contract_settings(tmp_path_factory) -> Settings:
    settings = make_settings(tmp_path_factory.mktemp("contract"))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    build(settings.warehouse_path, n_agencies=12, n_quarters=6)
    return settings


@pytest.fixture(scope="module")
def contract_app(contract_settings):
    app, store = _app(contract_settings)
    at = datetime(2026, 11, 26, 1, 0)
    store.record_run("demo", "ok", "manual", at, {"accepted": 72})
    store.record_run("publish", "ok", "demo", at + timedelta(minutes=2), {"kpi_value": 2088})
    yield app
    store.dispose()


@pytest.fixture(scope="module")
def demo_settings_small(tmp_path_factory) -> Settings:
    """12 agencies x 4 quarters through ingest, KPI engine and publish."""
    from etl.demo_loader import load_demo
    from etl.publish import publish
    from etl.store import Store

    settings = make_settings(tmp_path_factory.mktemp("demo-small"))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store.open(settings.database_url, settings.reference_dir)
    load_demo(settings, store, n_agencies=12, n_quarters=4)
    publish(store, settings, trigger="test")
    store.dispose()
    return settings


@pytest.fixture(scope="module")
def demo_app(demo_settings_small):
    app, store = _app(demo_settings_small)
    yield app
    store.dispose()


@pytest.fixture
def viewer(contract_app):
    with request_as(contract_app, "viewer"):
        yield contract_app
