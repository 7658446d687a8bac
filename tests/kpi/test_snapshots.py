"""The compiled SQL of every KPI, compared with its snapshot in ``tests/kpi/snapshots``.

Regenerate after an intended change with ``NAIO_UPDATE_SNAPSHOTS=1 pytest tests/kpi``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from etl.kpi.compile import explain
from tests.kpi.conftest import KPI_DIR

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
IDS = sorted(p.stem for p in KPI_DIR.glob("K*.yaml"))


@pytest.mark.parametrize("kpi_id", IDS)
def test_compiled_sql_matches_snapshot(definitions, kpi_id):
    text = explain(definitions[kpi_id])
    path = SNAPSHOTS / f"{kpi_id}.sql"
    if os.environ.get("NAIO_UPDATE_SNAPSHOTS") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no snapshot {path.name}: run with NAIO_UPDATE_SNAPSHOTS=1"
    assert text == path.read_text(encoding="utf-8"), f"{kpi_id} SQL changed: review, then NAIO_UPDATE_SNAPSHOTS=1"


def test_no_snapshot_without_a_kpi():
    assert sorted(p.stem for p in SNAPSHOTS.glob("*.sql")) == IDS


def test_explained_sql_binds_values(definitions):
    text = explain(definitions["K13"])
    sql = text.split("\nWITH\n", 1)[1]
    assert "'high'" not in sql and "'production'" not in sql
    assert "--   $p1 = 'high'" in text
