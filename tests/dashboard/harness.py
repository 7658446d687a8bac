"""Calling the dashboard's callbacks as plain functions, inside a request of a signed-in user."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

from flask import g

from etl.accounts import User

USERS = {
    "viewer": User("viewer", "viewer"),
    "admin": User("admin", "admin"),
    "analyst": User("analyst.aadk", "analyst", "AADK"),
}


@contextmanager
def request_as(app, role: str = "viewer", path: str = "/"):
    """A request context of ``app`` with a signed-in user of ``role``."""
    with app.server.test_request_context(path):
        g.naio_user = USERS[role]
        yield


def text_of(component) -> str:
    """All visible text of a Dash component tree (for assertions)."""
    if component is None:
        return ""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return " ".join(text_of(c) for c in component)
    children = getattr(component, "children", None)
    return text_of(children)


def has_error(component) -> bool:
    return "callout-danger" in str(component)


def ids_in(component) -> set:
    found = set()

    def walk(c):
        if isinstance(c, (list, tuple)):
            for x in c:
                walk(x)
            return
        cid = getattr(c, "id", None)
        if cid is not None:
            found.add(str(cid))
        walk(getattr(c, "children", None) or [])
        if hasattr(c, "figure"):
            found.add(f"figure:{cid}")

    walk(component)
    return found


ROOT = Path(__file__).resolve().parents[2]


PAGES = ("agencies", "agency", "data_status", "deliverables", "kpi", "kpis", "overview", "sectors", "systems")


def page_modules() -> dict:
    """Page modules by name, as the latest app built in this process loaded them."""
    found = {name: sys.modules[f"pages.{name}"] for name in PAGES}
    found["map_page"] = sys.modules["pages.map"]
    return found


def tile_values(component) -> dict[str, float]:
    """KPI id -> the raw value a tile carries (its ``data-value`` attribute)."""
    found: dict[str, float] = {}

    def walk(c, kpi=None):
        if isinstance(c, (list, tuple)):
            for x in c:
                walk(x, kpi)
            return
        if c is None or isinstance(c, (str, int, float)):
            return
        kpi = getattr(c, "data-kpi", None) or kpi
        raw = getattr(c, "data-value", None)
        if kpi and raw:
            found[kpi] = float(raw)
        walk(getattr(c, "children", None), kpi)

    walk(component)
    return found
