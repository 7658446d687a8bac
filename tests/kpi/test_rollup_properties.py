"""Properties of the roll-up: ratios of sums over the agencies that reported both parts."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.kpi.definitions import load_definitions
from etl.kpi.engine import materialise
from tests.kpi.builders import add_agency, add_periods, add_return, new_warehouse
from tests.kpi.conftest import KPI_DIR

DEFINITIONS = {d.id: d for d in load_definitions(KPI_DIR)[0]}

# per agency: ministry, and (headcount, trained) where either may be missing
agency = st.tuples(
    st.sampled_from(["M1", "M2"]),
    st.one_of(st.none(), st.integers(1, 5000)),
    st.one_of(st.none(), st.floats(0, 1)),
    st.one_of(st.none(), st.sampled_from([0, 1])),
)


def build(rows) -> object:
    con = new_warehouse()
    add_periods(con, "2025Q1", "2025Q1")
    for i, (ministry, total, share, flag) in enumerate(rows):
        code = f"A{i}"
        add_agency(con, code, ministry)
        values = {}
        if total is not None:
            values["HC_TOTAL"] = total
        if share is not None:
            values["HC_AI_LIT"] = round(share * (total or 1000))
        if flag is not None:
            values["GOV_AI_POLICY"] = flag
        add_return(con, code, "2025Q1", values, submission_id=i + 1)
    return con


def fetch(con, kpi_id: str, level: str, entity: str):
    found = con.execute("SELECT value, numerator, denominator, reported, expected FROM kpi_value WHERE kpi_id = ?"
                        " AND level = ? AND entity_code = ? AND period_type = 'quarter'",
                        [kpi_id, level, entity]).fetchall()
    return found[0]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(agency, min_size=1, max_size=8))
def test_ratio_of_sums_over_agencies_reporting_both(rows):
    con = build(rows)
    materialise(con, [DEFINITIONS["K01"], DEFINITIONS["K15"]], date(2025, 6, 1))
    for level, entity, members in [("national", "MY", rows)] + [
            ("ministry", m, [r for r in rows if r[0] == m]) for m in {r[0] for r in rows}]:
        both = [(round(s * (t or 1000)), t) for _, t, s, _ in members if t is not None and s is not None]
        value, numerator, denominator, reported, expected = fetch(con, "K01", level, entity)
        assert (reported, expected) == (len(both), len(members))
        if both and sum(t for _, t in both) > 0:
            assert numerator == sum(n for n, _ in both) and denominator == sum(t for _, t in both)
            assert value == pytest.approx(100 * numerator / denominator)
        else:
            assert value is None
        flags = [f for *_, f in members if f is not None]
        share = fetch(con, "K15", level, entity)
        assert share[3] == len(flags)
        assert share[0] == (pytest.approx(100 * sum(flags) / len(flags)) if flags else None)
    con.close()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(agency, min_size=2, max_size=6))
def test_national_is_never_the_mean_of_agency_ratios(rows):
    """The national value lies between the agencies' own values and equals their weighted mean."""
    con = build(rows)
    materialise(con, [DEFINITIONS["K01"]], date(2025, 6, 1))
    agencies = con.execute("SELECT value, denominator FROM kpi_value WHERE kpi_id = 'K01' AND level = 'agency'"
                           " AND period_type = 'quarter' AND value IS NOT NULL").fetchall()
    national = fetch(con, "K01", "national", "MY")[0]
    if agencies:
        weighted = sum(v * d for v, d in agencies) / sum(d for _, d in agencies)
        assert national == pytest.approx(weighted)
    con.close()
