"""The read-only API and the health check: values, formats, roles, and what is never shown."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC

import pytest

from etl.accounts import add_user, set_active
from tests.conftest import make_settings, post_sign_in

PASSWORDS = {"viewer": "viewer-demo-2026", "analyst.jpn": "analyst-demo-2026", "admin": "admin-demo-2026"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A published demo warehouse (12 agencies, 4 quarters) and the app serving it."""
    from dashboard.server import create_app
    from etl.demo_loader import load_demo
    from etl.publish import publish
    from etl.store import Store

    settings = make_settings(tmp_path_factory.mktemp("api"))
    settings.data_dir.mkdir(parents=True)
    store = Store.open(settings.database_url, settings.reference_dir)
    load_demo(settings, store, n_agencies=12, n_quarters=4)
    publish(store, settings)
    app = create_app(settings, store)
    app.server.config["TESTING"] = True
    yield settings, store, app.server
    store.dispose()


def client(demo, user: str | None = None):
    c = demo[2].test_client()
    if user:
        answer = post_sign_in(c, user, PASSWORDS.get(user, "a-long-password"))
        assert answer.status_code == 302, f"sign-in of {user} failed"
    return c


# ---- /api/v1/kpis -----------------------------------------------------------------------------
def test_without_a_session_the_api_answers_401(demo):
    c = client(demo)
    for path in ("/api/v1/kpis", "/api/v1/submissions/status", "/api/v1/systems"):
        answer = c.get(path)
        assert answer.status_code == 401 and answer.get_json() == {"error": "sign in required"}


def test_national_kpis_as_json(demo):
    answer = client(demo, "viewer").get("/api/v1/kpis")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert answer.headers["Cache-Control"] == "private, no-store"
    body = answer.get_json()
    assert body["period"] == "2026Q3" and body["level"] == "national" and body["entity"] == "MY"
    assert body["count"] == 27 == len(body["data"])
    first = body["data"][0]
    assert first["kpi_id"] == "K01" and first["name_ms"] and first["entity_name_en"] == "Malaysia"
    assert set(first) >= {"value", "target", "status", "reported", "expected", "unit"}
    from etl.warehouse import Warehouse

    assert body["snapshot_id"] == Warehouse(demo[0].warehouse_path).meta()["snapshot_id"]


def test_filters_level_entity_and_kpi(demo):
    c = client(demo, "viewer")
    body = c.get("/api/v1/kpis?level=ministry&period=2026-Q3&kpi=K01,k04").get_json()
    assert {r["kpi_id"] for r in body["data"]} == {"K01", "K04"} and body["period"] == "2026Q3"
    assert len({r["entity_code"] for r in body["data"]}) > 1
    # named as on the pages: in title case, not in the directory's capitals
    assert "Ministry of Home Affairs" in {r["entity_name_en"] for r in body["data"]}
    assert not any(r["entity_name_en"].isupper() for r in body["data"])
    one = c.get("/api/v1/kpis?level=agency&entity=jpn&kpi=K01").get_json()
    assert [(r["entity_code"], r["entity_name_en"]) for r in one["data"]] == [("JPN", one["data"][0]["entity_name_en"])]
    ytd = c.get("/api/v1/kpis?period_type=ytd").get_json()
    assert ytd["period_type"] == "ytd" and all(r["period_type"] == "ytd" for r in ytd["data"])


@pytest.mark.parametrize("query, words", [
    ("level=galaxy", "level='galaxy' is not accepted"),
    ("period=someday", "not a quarter"),
    ("format=xml", "format='xml' is not accepted"),
    ("entity=JPN;DROP", "is not a code"),
])
def test_bad_parameters_answer_400(demo, query, words):
    answer = client(demo, "viewer").get(f"/api/v1/kpis?{query}")
    assert answer.status_code == 400 and words in answer.get_json()["error"]


def test_kpis_as_csv(demo):
    answer = client(demo, "analyst.jpn").get("/api/v1/kpis?level=sector&format=csv")
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="naio-kpis-sector-2026Q3.csv"' in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.data.decode("utf-8-sig"))))
    assert rows and {r["level"] for r in rows} == {"sector"} and rows[0]["kpi_id"].startswith("K")


def test_csv_text_cells_are_neutralised(demo):
    import pandas as pd

    from dashboard.api import _csv

    with demo[2].test_request_context():
        answer = _csv(pd.DataFrame({"name": ["=HYPERLINK(\"http://x\")", "+1", "plain"], "value": [-1.5, 2.0, None]}),
                      "x.csv")
    text = answer.get_data().decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'+1" in text and "-1.5" in text and "'-1.5" not in text


# ---- /api/v1/systems --------------------------------------------------------------------------
def test_the_register_of_ai_systems_as_json_and_csv(demo):
    from dashboard import queries
    from etl.warehouse import Warehouse

    wh = Warehouse(demo[0].warehouse_path)
    by_stage = queries.register_summary(wh, "2026Q3").set_index("stage")["systems"]
    for who in ("viewer", "analyst.jpn", "admin"):  # every signed-in role reads the register
        body = client(demo, who).get("/api/v1/systems").get_json()
        assert body["period"] == "2026Q3" and body["count"] == int(by_stage.sum()) == len(body["data"])
    first = body["data"][0]
    assert set(first) >= {"agency_code", "ministry_code", "system_id", "title", "stage", "risk_tier", "period"}
    chosen = client(demo, "viewer").get("/api/v1/systems?period=2026-Q3&stage=Production&ministry=moh").get_json()
    assert chosen["stage"] == "production" and chosen["ministry"] == "MOH" and chosen["count"] > 0
    assert {(r["stage"], r["ministry_code"]) for r in chosen["data"]} == {("production", "MOH")}
    one = client(demo, "viewer").get("/api/v1/systems?agency=jpn").get_json()
    assert one["agency"] == "JPN" and 0 < one["count"] < len(body["data"])
    assert {r["agency_code"] for r in one["data"]} == {"JPN"}
    answer = client(demo, "viewer").get("/api/v1/systems?stage=production&format=csv")
    assert 'filename="naio-ai-systems-2026Q3.csv"' in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.data.decode("utf-8-sig"))))
    assert len(rows) == by_stage["production"] and {r["stage"] for r in rows} == {"production"}


@pytest.mark.parametrize(("query", "words"), [("stage=live", "stage='live' is not accepted"),
                                              ("risk=severe", "risk='severe' is not accepted"),
                                              ("ministry=MOH;DROP", "is not a code"),
                                              ("agency=JPN'--", "is not a code"),
                                              ("period=2026Q9", "2026Q9")])
def test_the_register_refuses_bad_parameters(demo, query, words):
    answer = client(demo, "viewer").get(f"/api/v1/systems?{query}")
    assert answer.status_code == 400 and words in answer.get_json()["error"]


# ---- /api/v1/submissions/status ---------------------------------------------------------------
def test_an_api_route_that_does_not_exist_is_a_json_404_not_a_page(demo):
    c = client(demo, "viewer")
    for path in ("/api/v1/kpi", "/api/", "/api/v2/kpis?period=2026Q3"):
        answer = c.get(path)
        assert answer.status_code == 404 and answer.get_json()["error"].startswith("no such API route: /api/"), path
    assert client(demo).get("/api/v1/kpi").status_code == 401  # signed out: sign in first


def test_viewers_see_no_submission_status(demo):
    answer = client(demo, "viewer").get("/api/v1/submissions/status")
    assert answer.status_code == 403 and answer.get_json() == {"error": "not allowed: read submission status"}


def test_an_analyst_sees_only_their_agency(demo):
    c = client(demo, "analyst.jpn")
    body = c.get("/api/v1/submissions/status").get_json()
    assert body["agency"] == "JPN" and [r["agency_code"] for r in body["data"]] == ["JPN"]
    row = body["data"][0]
    assert row["state"] == "on_time" and row["received"] == row["expected"]
    assert isinstance(row["latest_submission"], int) and row["latest_submission"] == row["published_submission"]
    refused = c.get("/api/v1/submissions/status?agency=LHDN")
    assert refused.status_code == 403 and refused.get_json()["error"] == "not allowed: submission status of LHDN"
    assert refused.headers["Cache-Control"] == "private, no-store"
    assert c.get("/api/v1/submissions/status?agency=jpn").status_code == 200


def test_an_admin_sees_every_agency(demo):
    c = client(demo, "admin")
    body = c.get("/api/v1/submissions/status?period=2026Q3").get_json()
    agencies = {r["agency_code"] for r in body["data"]}
    assert {"JPN", "LHDN"} <= agencies and len(agencies) > 12
    assert {r["state"] for r in body["data"]} >= {"on_time", "missing"}
    only = c.get("/api/v1/submissions/status?agency=LHDN&format=csv")
    rows = list(csv.DictReader(io.StringIO(only.data.decode("utf-8-sig"))))
    assert [r["agency_code"] for r in rows] == ["LHDN"]


def test_a_disabled_account_is_refused(demo):
    store = demo[1]
    add_user(store, "gone.viewer", "a-long-password", "viewer")
    c = client(demo, "gone.viewer")
    assert c.get("/api/v1/kpis").status_code == 200
    set_active(store, "gone.viewer", False)
    assert c.get("/api/v1/kpis").status_code == 401


def test_a_return_accepted_after_publish_shows(demo):
    from etl.ingest import Ingestor

    settings, store, _ = demo
    data = b"agency_code,period,indicator_code,value\nMDEC,2026Q2,HC_TOTAL,500\n"
    assert Ingestor(store, settings).ingest_bytes(data, "mdec.csv", reason="correction").status == "accepted"
    body = client(demo, "admin").get("/api/v1/submissions/status?period=2026Q2&agency=MDEC").get_json()
    assert body["data"][0]["state"] == "received_after_publish"


# ---- /healthz ---------------------------------------------------------------------------------
def test_healthz_reports_stores_age_and_jobs_without_secrets(demo):
    settings, store, server = demo
    answer = server.test_client().get("/healthz")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["stores"]["system_of_record"] == {"ok": True, "backend": "sqlite"}
    assert body["stores"]["archive"]["ok"] and body["stores"]["warehouse"]["ok"]
    assert body["stores"]["warehouse"]["age_seconds"] >= 0 and body["stores"]["warehouse"]["current_period"] == "2026Q3"
    assert body["jobs"]["publish"]["status"] == "ok" and body["jobs"]["demo"]["status"] == "ok"
    text = answer.get_data(as_text=True)
    assert str(settings.data_dir) not in text and "sqlite:///" not in text
    assert (settings.data_dir / "secret.key").read_text().strip() not in text


def test_healthz_says_degraded_after_a_failed_run(demo):
    from datetime import datetime

    demo[1].record_run("pull_sources", "failed", "schedule", datetime.now(UTC), error="HTTPError 404")
    body = demo[2].test_client().get("/healthz").get_json()
    assert body["status"] == "degraded" and body["jobs"]["pull_sources"]["status"] == "failed"
    assert "HTTPError" not in json.dumps(body)


def test_healthz_without_a_warehouse_is_503(tmp_path):
    from dashboard.server import create_app
    from etl.store import Store

    settings = make_settings(tmp_path)
    settings.data_dir.mkdir(parents=True)
    store = Store.open(settings.database_url, settings.reference_dir)
    try:
        answer = create_app(settings, store).server.test_client().get("/healthz")
    finally:
        store.dispose()
    assert answer.status_code == 503 and answer.get_json()["status"] == "down"
