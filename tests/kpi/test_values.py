"""Every KPI on a small hand-computed world (``tests/kpi/scenario.py``), at every level."""

from __future__ import annotations

from datetime import date

import pytest

from etl.kpi.compile import standalone
from etl.kpi.engine import materialise
from tests.kpi import scenario
from tests.kpi.builders import add_periods, new_warehouse
from tests.kpi.conftest import TODAY, Values


@pytest.fixture(scope="module")
def world(definitions):
    """The scenario, materialised once for this module (the tests only read it)."""
    con = new_warehouse()
    add_periods(con, "2025Q1", "2025Q4")
    scenario.build(con)
    materialise(con, list(definitions.values()), TODAY)
    yield Values(con)
    con.close()


# (kpi, value, numerator, denominator, reported) nationally in 2025Q2, worked out by hand
NATIONAL_2025Q2 = [
    ("K01", 20.0, 80, 400, 2),  # A3 reported no headcount, X9 does not submit returns
    ("K02", 1.5, 6, 400, 2),
    ("K03", 5.0, 2, 400, 2),
    ("K04", 50.0, 200, 400, 2),
    ("K05", 50.0, 100, 200, 2),
    ("K06", 3.0, 30, 10, 1),
    ("K07", 90.0, 9, 10, 1),
    ("K08", 2.0, 2, None, 2),  # S1 (A1's Q1 register, still in force) and S5
    ("K09", 100.0, 2, 2, 2),
    ("K10", 50.0, 1, 2, 2),  # S1 and S2 started 2024Q2; S1 reached production in 2025Q1
    ("K11", 7.5, 3, 40, 2),
    ("K12", 50.0, 20, 40, 2),
    ("K13", 50.0, 1, 2, 2),
    ("K14", 1.0, 1, None, 2),  # S3; S4 is retired
    ("K15", 100 * 2 / 3, 2, 3, 3),
    ("K16", 100.0, 2, 2, 2),
    ("K17", 100.0, 2, 2, 2),
    ("K18", 200.0, 4, 2, 2),
    ("K19", 2.5, 100, 4000, 2),
    ("K20", 50.0, 25, 50, 1),
    ("K21", 10.0, 10, None, 2),
    ("K22", 3.0, 3, None, 2),
    ("K23", 17.5, 70, 400, 2),  # (0.4 x 100 + 0.1 x 300) / 400
    ("K24", 1200.0, 1200, None, 2),
    ("K25", 4.0, 80, 20, 1),
    ("K26", 5.0, 5, None, 2),
]


@pytest.mark.parametrize("kpi_id, value, numerator, denominator, reported", NATIONAL_2025Q2)
def test_national_values(world, kpi_id, value, numerator, denominator, reported):
    row = world.row(kpi_id, "2025Q2")
    assert row["value"] == pytest.approx(value)
    assert row["numerator"] == pytest.approx(numerator)
    assert row["denominator"] == (pytest.approx(denominator) if denominator is not None else None)
    assert (row["reported"], row["expected"]) == (reported, 3)


@pytest.mark.parametrize("period, value", [("2025Q1", 100.0), ("2025Q2", 50.0), ("2025Q3", 100.0),
                                           ("2025Q4", 200 / 3)])
def test_milestones_done_by_each_quarter_end(world, period, value):
    row = world.row("K27", period)
    assert row["value"] == pytest.approx(value)
    assert row["reported"] is None and row["expected"] is None


def test_milestones_stop_at_today(warehouse, run):
    scenario.build(warehouse)
    values = run(warehouse, "K27", today=date(2025, 11, 15))
    assert values.value("K27", "2025Q4") == 100.0  # D2-M1 is not due yet on 15 November


def test_ministry_agency_sector_and_state_levels(world):
    mof = world.row("K01", "2025Q2", "ministry", "MOF")
    assert (mof["value"], mof["reported"], mof["expected"]) == (50.0, 1, 2)  # A1 and A3; X9 is inactive
    assert world.value("K01", "2025Q2", "agency", "A2") == 10.0
    assert world.row("K01", "2025Q2", "agency", "A3")["status"] == "awaiting_data"
    sector = world.row("K01", "2025Q2", "sector", "C")
    assert (sector["value"], sector["reported"], sector["expected"]) == (40.0, 2, 2)
    assert world.value("K01", "2025Q2", "state", "14") == 10.0
    assert world.value("K08", "2025Q2", "sector", "O") == 2.0
    assert world.value("K08", "2025Q2", "sector", "C") == 0.0  # S2 is a pilot
    assert world.value("K08", "2025Q2", "state", "1") == 2.0  # S1 serves 1 and 2, S5 all states
    assert world.value("K08", "2025Q2", "state", "5") == 1.0


def test_inactive_agencies_are_outside_the_population(world):
    cur = world.con.execute("SELECT count(*) FROM kpi_value WHERE entity_code = 'X9'")
    assert cur.fetchall() == [(0,)]


def test_register_in_force_is_the_latest_snapshot(world):
    # A1 filed its register in 2025Q1 only: it still counts in 2025Q4; A2's starts in 2025Q2
    assert world.value("K08", "2025Q1") == 1.0
    assert world.value("K08", "2025Q4") == 2.0
    assert world.row("K08", "2025Q1", "agency", "A2")["status"] == "no_target"
    assert world.value("K08", "2025Q1", "agency", "A2") is None


def test_year_to_date_sums_flows_and_keeps_stocks(world):
    assert world.value("K06", "2025Q2", period_type="ytd") == pytest.approx(50 / 20)
    assert world.value("K26", "2025Q2", period_type="ytd") == 7.0  # A1: 2 + 3, A2: 2
    assert world.value("K01", "2025Q2", period_type="ytd") == 20.0  # stocks: the quarter's
    assert world.value("K18", "2025Q2", period_type="ytd") == pytest.approx(100 * 4 / 2)


def test_lineage_lists_the_submissions_behind_each_value(world):
    assert world.row("K01", "2025Q2")["submission_ids"] == "12,22"
    assert world.row("K18", "2025Q2")["submission_ids"] == "12,22,101,202"
    assert world.row("K06", "2025Q2", period_type="ytd")["submission_ids"] == "11,12"
    assert world.row("K01", "2025Q2", "agency", "A3")["submission_ids"] == ""


def test_show_count_beside_is_the_numerator(world, definitions):
    assert definitions["K04"].show_count_beside.part == "numerator"
    assert world.row("K04", "2025Q2")["numerator"] == 200


def test_explained_sql_gives_the_materialised_values(world, definitions):
    """The standalone SQL that `kpis explain` prints reproduces every materialised value."""
    for kpi_id, d in definitions.items():
        sql, params = standalone(d, date(2026, 2, 1))
        got = world.con.execute(f"SELECT level, entity_code, period, period_type, value, reported,"
                                f" array_to_string(submission_ids, ',') FROM ({sql})", params).fetchall()
        stored = world.con.execute(
            "SELECT level, entity_code, period, period_type, value, reported, submission_ids FROM kpi_value"
            " WHERE kpi_id = ? AND (reported > 0 OR (reported IS NULL AND value IS NOT NULL))", [kpi_id]).fetchall()
        assert sorted(got, key=str) == sorted(stored, key=str), kpi_id
