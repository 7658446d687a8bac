"""What a page, callback or route needs from the running app: settings, store, warehouse.

They are attached to the Flask server once by ``dashboard.server.create_app`` and looked up
per request, so pages stay plain modules and tests can hand in temporary stores.
"""

from __future__ import annotations

from flask import current_app

from etl.settings import Settings
from etl.store import Store
from etl.warehouse import Warehouse


def settings() -> Settings:
    return current_app.config["NAIO_SETTINGS"]


def store() -> Store:
    return current_app.config["NAIO_STORE"]


def warehouse() -> Warehouse:
    return current_app.config["NAIO_WAREHOUSE"]
