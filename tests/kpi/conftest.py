"""Fixtures of the KPI tests: the project's definitions and small in-memory warehouses."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from etl.kpi.definitions import KpiDefinition, load_definitions
from etl.kpi.engine import materialise
from tests.kpi.builders import add_agency, add_periods, new_warehouse

KPI_DIR = Path(__file__).resolve().parents[2] / "kpi_definitions"
TODAY = date(2026, 2, 1)


@pytest.fixture(scope="session")
def definitions() -> dict[str, KpiDefinition]:
    loaded, problems = load_definitions(KPI_DIR)
    assert not problems, [str(p) for p in problems]
    return {d.id: d for d in loaded}


@pytest.fixture
def warehouse():
    """An empty warehouse with the quarters 2025Q1-2025Q4 and no agencies."""
    con = new_warehouse()
    add_periods(con, "2025Q1", "2025Q4")
    yield con
    con.close()


@pytest.fixture
def two_agencies(warehouse):
    """Agencies A1 (ministry MOF) and A2 (ministry MOH), both submitting returns, and inactive X9."""
    add_agency(warehouse, "A1", "MOF")
    add_agency(warehouse, "A2", "MOH")
    add_agency(warehouse, "X9", "MOF", active=False)
    return warehouse


@pytest.fixture
def run(definitions):
    """Materialise the given KPI ids (all by default) on a warehouse; return a value lookup."""
    def _run(con, *ids: str, today: date = TODAY):
        chosen = [definitions[i] for i in ids] if ids else list(definitions.values())
        materialise(con, chosen, today)
        return Values(con)
    return _run


class Values:
    """Look up rows of ``kpi_value`` by KPI, period, level and entity."""

    def __init__(self, con):
        self.con = con

    def row(self, kpi_id: str, period: str, level: str = "national", entity: str = "MY",
            period_type: str = "quarter") -> dict:
        cur = self.con.execute(
            "SELECT * FROM kpi_value WHERE kpi_id = ? AND period = ? AND level = ? AND entity_code = ?"
            " AND period_type = ?", [kpi_id, period, level, entity, period_type])
        names = [c[0] for c in cur.description]
        found = cur.fetchall()
        assert len(found) == 1, (kpi_id, period, level, entity, period_type, found)
        return dict(zip(names, found[0], strict=True))

    def value(self, *args, **kwargs) -> float | None:
        return self.row(*args, **kwargs)["value"]
