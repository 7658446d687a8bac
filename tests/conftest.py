"""Shared fixtures: temporary settings, stores (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from etl.settings import Settings, load_settings
from etl.store import Store

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("NAIO_TEST_DATABASE_URL", "")


def make_settings(tmp_path: Path, **env: str) -> Settings:
    base = {"NAIO_DATA_DIR": str(tmp_path / "data"), "NAIO_TODAY": "2026-11-26", "NAIO_SCHEDULER": "0"}
    base.update(env)
    return load_settings(base, root=ROOT)


def post_sign_in(client, username: str, password: str, **fields: str):
    """POST the sign-in form as a browser does: with the token of the sign-in page it got first."""
    from dashboard.auth import LOGIN_TOKEN, token_in_page

    token = token_in_page(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, LOGIN_TOKEN: token, **fields})


def _pg_url_for(schema: str) -> str:
    """A PostgreSQL URL whose search_path is a fresh schema of its own."""
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_URL)
    with admin.begin() as con:
        con.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        con.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


STORE_BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture
def settings(tmp_path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture(params=STORE_BACKENDS)
def backend_settings(request, tmp_path) -> Settings:
    """Settings whose system of record is SQLite, and PostgreSQL when NAIO_TEST_DATABASE_URL is set."""
    if request.param == "sqlite":
        return make_settings(tmp_path)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    schema = f"naio_{worker}_{abs(hash(request.node.nodeid)) % 10**8}"
    return make_settings(tmp_path, NAIO_DATABASE_URL=_pg_url_for(schema))


@pytest.fixture
def store(backend_settings) -> Store:
    backend_settings.data_dir.mkdir(parents=True, exist_ok=True)
    s = Store.open(backend_settings.database_url, backend_settings.reference_dir)
    yield s
    s.dispose()


@pytest.fixture
def sqlite_store(settings) -> Store:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    s = Store.open(settings.database_url, settings.reference_dir)
    yield s
    s.dispose()
