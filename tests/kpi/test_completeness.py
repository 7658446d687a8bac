"""Completeness of returns: expected, received, on time, late and missing indicators."""

from __future__ import annotations

from datetime import datetime

from tests.kpi.builders import add_return

REQUIRED = 19  # indicators with required = yes in data/reference/indicators.csv


def completeness(con) -> dict[tuple[str, str], tuple]:
    rows = con.execute("SELECT agency_code, period, expected, received, on_time, late, missing_indicators"
                       " FROM completeness").fetchall()
    return {(r[0], r[1]): r[2:] for r in rows}


def test_expected_received_on_time_and_late(two_agencies, run):
    con = two_agencies
    required = [r[0] for r in con.execute("SELECT indicator_code FROM dim_indicator WHERE required"
                                           " ORDER BY indicator_code").fetchall()]
    assert len(required) == REQUIRED
    # A1: 2025Q1 complete and on time (deadline 30 April); 2025Q2 two indicators, late
    add_return(con, "A1", "2025Q1", {code: 1 for code in required}, received=datetime(2025, 4, 30, 23, 0))
    add_return(con, "A1", "2025Q2", {"HC_TOTAL": 10, "HC_AI_LIT": 1, "SRV_N": 3}, received=datetime(2025, 8, 2))
    # a breakdown row does not count as the agency's total
    add_return(con, "A1", "2025Q2", {"DS_OPEN": 1}, breakdown=("MSIC", "C"), received=datetime(2025, 7, 1))
    run(con, "K01")
    found = completeness(con)
    assert found[("A1", "2025Q1")] == (REQUIRED, REQUIRED, REQUIRED, 0, "")
    expected, received, on_time, late, missing = found[("A1", "2025Q2")]
    assert (expected, received, on_time, late) == (REQUIRED, 2, 0, 2)
    assert "HC_TOTAL" not in missing and missing.split(",") == sorted(set(required) - {"HC_TOTAL", "HC_AI_LIT"})
    assert found[("A2", "2025Q3")][:4] == (REQUIRED, 0, 0, 0)
    assert not any(agency == "X9" for agency, _ in found)  # does not submit returns
    assert len(found) == 2 * 4


def test_a_late_correction_keeps_an_on_time_return_on_time(two_agencies, run):
    con = two_agencies
    con.execute("INSERT INTO fact_return_history VALUES (1, 'A1', '2025Q1', 'HC_TOTAL', '', '', 90, 'A',"
                " TIMESTAMP '2025-04-10 09:00:00', 2)")
    add_return(con, "A1", "2025Q1", {"HC_TOTAL": 100}, submission_id=2, received=datetime(2025, 6, 1))
    run(con, "K01")
    assert completeness(con)[("A1", "2025Q1")][1:4] == (1, 1, 0)
