"""The read-only API (JSON or CSV) and the health check. Same sign-in and roles as the pages.

- ``GET /api/v1/kpis?period=&period_type=&level=&entity=&kpi=&format=json|csv``: KPI values of
  the published warehouse; every signed-in role may read them.
- ``GET /api/v1/submissions/status?period=&agency=&format=json|csv``: return status per agency;
  an analyst sees only their own agency, an admin every agency, a viewer nothing (403).
- ``GET /api/v1/systems?period=&ministry=&agency=&msic=&stage=&risk=&format=json|csv``: the AI
  systems in force in a quarter (the national register the AI systems page lists, or one
  agency's register in force, as its page shows it); every signed-in role may read them.
- ``GET /healthz`` (open, no secrets): the stores, the warehouse's age, the last job runs.

CSV text cells are neutralised against spreadsheet formulas (``etl.safe_export``).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from flask import Flask, Response, request

from dashboard import auth, context, queries
from etl import periods, register
from etl.accounts import User, can_use_returns
from etl.safe_export import csv_bytes
from etl.settings import Settings
from etl.store import Store
from etl.warehouse import Warehouse, WarehouseMissing

LEVELS = ("national", "ministry", "agency", "sector", "state")
PERIOD_TYPES = ("quarter", "ytd")
FORMATS = ("json", "csv")
KPI_COLUMNS = ("kpi_id", "name_en", "name_ms", "pillar", "unit", "period", "period_type", "level", "entity_code",
               "entity_name_en", "entity_name_ms", "value", "numerator", "denominator", "target", "trajectory",
               "status", "reported", "expected")
# level -> (dimension table, its code column) for entity names
ENTITY_DIMS = {"ministry": ("dim_ministry", "ministry_code"), "agency": ("dim_agency", "agency_code"),
               "sector": ("dim_sector", "section"), "state": ("dim_state", "CAST(state_code AS VARCHAR)")}


class BadRequest(ValueError):
    pass


class Refused(PermissionError):
    """The signed-in user may not do this (audited by ``auth.require``): 403, in JSON."""


def init_app(server: Flask, settings: Settings, store: Store) -> None:
    server.add_url_rule("/api/v1/kpis", "api_kpis", kpis)
    server.add_url_rule("/api/v1/submissions/status", "api_submission_status", submission_status)
    server.add_url_rule("/api/v1/systems", "api_systems", systems)
    server.add_url_rule("/healthz", "healthz", healthz)
    # Anything else under /api/ is an API route that does not exist (not a page of the app).
    server.add_url_rule("/api/", "api_unknown", _unknown, defaults={"rest": ""})
    server.add_url_rule("/api/<path:rest>", "api_unknown", _unknown)
    server.register_error_handler(BadRequest, lambda exc: _json({"error": str(exc)}, 400))
    server.register_error_handler(Refused, lambda exc: _json({"error": str(exc)}, 403))
    server.register_error_handler(WarehouseMissing, lambda exc: _json({"error": str(exc)}, 503))
    server.after_request(_no_store_api)


def _no_store_api(response: Response) -> Response:
    if request.path.startswith("/api/"):
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# ---- parameters -------------------------------------------------------------------------------
def _choice(name: str, allowed: tuple[str, ...], default: str) -> str:
    value = (request.args.get(name) or default).strip().lower()
    if value not in allowed:
        raise BadRequest(f"{name}={value!r} is not accepted; use one of {', '.join(allowed)}")
    return value


def _period(meta: dict[str, str]) -> str:
    raw = request.args.get("period")
    if not raw:
        return meta.get("current_period") or ""
    try:
        return periods.normalise_period(raw)
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc


def _code(name: str) -> str | None:
    value = (request.args.get(name) or "").strip().upper()
    if value and not all(ch.isalnum() or ch in "_-." for ch in value) or len(value) > 32:
        raise BadRequest(f"{name}={value[:40]!r} is not a code")
    return value or None


def _user(check, action: str) -> User:
    try:
        return auth.require(check, action, request.path)
    except auth.Forbidden:
        raise Refused(f"not allowed: {action}") from None


def _unknown(rest: str) -> Response:
    return _json({"error": f"no such API route: /api/{rest}; the API has /api/v1/kpis, "
                           "/api/v1/submissions/status and /api/v1/systems"}, 404)


# ---- /api/v1/kpis -----------------------------------------------------------------------------
def kpis() -> Response:
    _user(lambda u: u.can_view(), "read KPI values")
    wh = context.warehouse()
    meta = wh.meta()
    level = _choice("level", LEVELS, "national")
    query = {"period": _period(meta), "period_type": _choice("period_type", PERIOD_TYPES, "quarter"),
             "level": level, "entity": _code("entity") or ("MY" if level == "national" else None)}
    ids = [k.strip().upper() for k in (request.args.get("kpi") or "").split(",") if k.strip()]
    fmt = _choice("format", FORMATS, "json")
    return _answer(kpi_frame(wh, query, ids), fmt, f"naio-kpis-{level}-{query['period']}.csv", meta, query)


def _answer(frame: pd.DataFrame, fmt: str, csv_name: str, meta: dict[str, str], query: dict) -> Response:
    """Rows of the published snapshot as CSV, or as JSON with the snapshot and the query asked."""
    if fmt == "csv":
        return _csv(frame, csv_name)
    return _json({"snapshot_id": meta.get("snapshot_id"), "published_at": meta.get("published_at"),
                  **query, "count": len(frame), "data": records(frame)})


def kpi_frame(wh: Warehouse, query: dict, ids: list[str]) -> pd.DataFrame:
    """KPI values for one period, period type, level and (optionally) entity, with names."""
    table, code = ENTITY_DIMS.get(query["level"], (None, None))
    names = (f"LEFT JOIN (SELECT {code} AS entity_code, name_en AS entity_name_en, name_ms AS entity_name_ms "
             f"FROM {table}) e USING (entity_code)") if table else \
        "LEFT JOIN (SELECT 'MY' AS entity_code, 'Malaysia' AS entity_name_en, 'Malaysia' AS entity_name_ms) e USING (entity_code)"
    sql = (f"SELECT {', '.join(KPI_COLUMNS)} FROM kpi_value v JOIN (SELECT kpi_id, name_en, name_ms, pillar, unit "
           f"FROM kpi_definition) d USING (kpi_id) {names} "
           "WHERE v.period = ? AND v.period_type = ? AND v.level = ?")
    params: list[Any] = [query["period"], query["period_type"], query["level"]]
    if query["entity"]:
        sql += " AND v.entity_code = ?"
        params.append(query["entity"])
    if ids:
        sql += f" AND v.kpi_id IN ({', '.join('?' for _ in ids)})"
        params += ids
    return wh.frame(sql + " ORDER BY kpi_id, entity_code", params)


# ---- /api/v1/systems --------------------------------------------------------------------------
def systems() -> Response:
    _user(lambda u: u.can_view(), "read the register of AI systems")
    wh = context.warehouse()
    meta = wh.meta()
    query = {"period": _period(meta), "ministry": _code("ministry"), "agency": _code("agency"),
             "msic": _code("msic"), "stage": _any_of("stage", register.STAGES), "risk": _any_of("risk", register.RISK_TIERS)}
    fmt = _choice("format", FORMATS, "json")
    frame, _total = queries.register_page(wh, **query, limit=None)
    return _answer(frame, fmt, f"naio-ai-systems-{query['period']}.csv", meta, query)


def _any_of(name: str, allowed: tuple[str, ...]) -> str | None:
    """An optional filter: one of ``allowed``, or ``all`` (the default) for any."""
    value = _choice(name, (*allowed, "all"), "all")
    return None if value == "all" else value


# ---- /api/v1/submissions/status ---------------------------------------------------------------
def submission_status() -> Response:
    user = _user(can_use_returns, "read submission status")
    agency = _code("agency")
    if user.role != "admin":
        if agency and agency != user.agency_code:
            _deny(f"submission status of {agency}")
        agency = user.agency_code
    wh = context.warehouse()
    meta = wh.meta()
    period = _period(meta)
    fmt = _choice("format", FORMATS, "json")
    frame = status_frame(wh, context.store(), period, agency)
    if fmt == "csv":
        return _csv(frame, f"naio-submission-status-{period}.csv")
    return _json({"snapshot_id": meta.get("snapshot_id"), "period": period, "agency": agency,
                  "deadline": periods.deadline(period).isoformat(), "count": len(frame), "data": records(frame)})


def _deny(action: str) -> None:
    _user(lambda _u: False, action)


def status_frame(wh: Warehouse, store: Store, period: str, agency: str | None) -> pd.DataFrame:
    """Per agency: completeness as published, and whether an accepted return arrived since."""
    sql = ("SELECT c.agency_code, a.name_en, a.name_ms, a.ministry_code, c.period, c.expected, c.received, "
           "c.on_time, c.late, c.missing_indicators, "
           "(SELECT max(p.submission_id) FROM submission_pairs p JOIN submissions s USING (submission_id) "
           " WHERE s.kind = 'return' AND p.agency_code = c.agency_code AND p.period = c.period) AS published_submission "
           "FROM completeness c LEFT JOIN dim_agency a USING (agency_code) WHERE c.period = ?")
    params: list[Any] = [period]
    if agency:
        sql += " AND c.agency_code = ?"
        params.append(agency)
    frame = wh.frame(sql + " ORDER BY c.agency_code", params)
    live = store.current_pairs("return", [(a, period) for a in frame["agency_code"]]) if len(frame) else {}
    frame["latest_submission"] = pd.array([live.get((a, period)) for a in frame["agency_code"]], dtype="Int64")
    frame["published_submission"] = frame["published_submission"].astype("Int64")
    frame["state"] = [_state(r) for r in frame.itertuples()]
    return frame


def _state(r) -> str:
    latest, published = r.latest_submission, r.published_submission
    if not pd.isna(latest) and (pd.isna(published) or int(latest) != int(published)):
        return "received_after_publish"
    if not r.received:
        return "missing"
    if isinstance(r.missing_indicators, str) and r.missing_indicators.strip("[] "):
        return "incomplete"
    return "late" if r.late else "on_time"


# ---- /healthz ---------------------------------------------------------------------------------
def healthz() -> Response:
    settings, store = context.settings(), context.store()
    stores = {"system_of_record": _store_health(store), "archive": {"ok": settings.archive_dir.is_dir()},
              "warehouse": _warehouse_health(Warehouse(settings.warehouse_path))}
    jobs = _last_runs(store) if stores["system_of_record"]["ok"] else {}
    down = not (stores["system_of_record"]["ok"] and stores["warehouse"]["ok"])
    degraded = any(j["status"] in ("failed", "missed") for j in jobs.values())
    body = {"status": "down" if down else "degraded" if degraded else "ok", "stores": stores, "jobs": jobs}
    return _json(body, 503 if down else 200)


def _store_health(store: Store) -> dict:
    backend = store.url.split(":", 1)[0].split("+", 1)[0]
    try:
        store.fingerprint()
    except Exception as exc:
        return {"ok": False, "backend": backend, "error": type(exc).__name__}
    return {"ok": True, "backend": backend}


def _warehouse_health(wh: Warehouse) -> dict:
    if not wh.exists():
        return {"ok": False, "error": "no warehouse published yet"}
    try:
        meta = wh.meta()
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    published = datetime.fromisoformat(meta["published_at"]) if meta.get("published_at") else None
    age = (datetime.now(UTC) - published).total_seconds() if published else None
    return {"ok": True, "snapshot_id": meta.get("snapshot_id"), "published_at": meta.get("published_at"),
            "age_seconds": None if age is None else round(age), "current_period": meta.get("current_period")}


def _last_runs(store: Store) -> dict:
    runs = store.runs(limit=500)
    out: dict[str, dict] = {}
    for r in runs.itertuples():
        if r.job not in out:
            out[r.job] = {"status": r.status, "started_at": _iso(r.started_at), "ended_at": _iso(r.ended_at)}
    return dict(sorted(out.items()))


# ---- responses --------------------------------------------------------------------------------
def _iso(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return None
    ts = pd.Timestamp(value)
    return (ts.tz_localize("UTC") if ts.tzinfo is None else ts).isoformat()


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as plain JSON values (NaN as null, numpy scalars as Python numbers)."""
    clean = frame.astype(object).where(frame.notna(), None)
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()} for row in clean.to_dict("records")]


def _json(body: dict, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, default=str), status=status, mimetype="application/json")


def _csv(frame: pd.DataFrame, name: str) -> Response:
    data = csv_bytes(list(frame.columns), ([v for v in row.values()] for row in records(frame)))
    return Response(data, mimetype="text/csv",  # the response adds "; charset=utf-8"
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
