"""Small builders of warehouse input tables for the KPI tests (in-memory DuckDB)."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import duckdb

from etl import periods
from etl.warehouse_ddl import create_input_tables

REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference"


def new_warehouse() -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse with empty input tables and the indicator catalogue loaded."""
    con = duckdb.connect()
    create_input_tables(con)
    with open(REFERENCE / "indicators.csv", newline="", encoding="utf-8") as fh:
        rows = [(r["indicator_code"], r["name_en"], r["name_ms"], r["unit"], r["kind"], r["temporal"],
                 float(r["min"]) if r["min"] else None, float(r["max"]) if r["max"] else None,
                 r["allow_blank"] == "yes", r["required"] == "yes") for r in csv.DictReader(fh)]
    con.executemany("INSERT INTO dim_indicator VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.executemany("INSERT INTO dim_state VALUES (?, ?, ?, ?, ?, ?)",
                    [(i, f"MY-{i:02d}", f"S{i}", f"State {i}", f"Negeri {i}", "x") for i in range(1, 17)])
    return con


def add_periods(con, first: str, last: str) -> None:
    rows = [(p, *periods.split(p), periods.quarter_start(p), periods.quarter_end(p), periods.deadline(p))
            for p in periods.span(first, last)]
    con.executemany("INSERT INTO dim_period VALUES (?, ?, ?, ?, ?, ?)", rows)


def add_agency(con, code: str, ministry: str = "MOF", peer_group: str = "department", active: bool = True) -> None:
    con.execute("INSERT INTO dim_agency VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [code, f"Agency {code}", f"Agensi {code}", ministry, peer_group, "federal_agency", active, True])


def add_return(con, agency: str, period: str, values: dict[str, float | None], *, submission_id: int = 1,
               breakdown: tuple[str, str] = ("", ""), received: datetime | None = None) -> None:
    """Insert one agency's values for one period (and breakdown)."""
    received = received or datetime.combine(periods.quarter_end(period), datetime.min.time())
    if not values:
        return
    con.executemany("INSERT INTO fact_return_history VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                    [(submission_id, agency, period, code, breakdown[0], breakdown[1], value, "A", received)
                     for code, value in values.items()])


REGISTER_DEFAULTS = dict(title="A system", function="service", focus_sector="public", msic_section="O",
                         stage="production", risk_tier="minimal", impact_assessment=False, human_oversight=True,
                         citizen_facing=False, build_mode="buy", uses_genai=False, sandbox=False,
                         states_served="", pilot_start_period=None, production_period=None,
                         est_hours_saved=0.0, est_cost_saved_rm=0.0)
REGISTER_COLUMNS = ["submission_id", "agency_code", "period", "system_id", *REGISTER_DEFAULTS]


def add_system(con, agency: str, period: str, system_id: str, *, submission_id: int = 100, **fields) -> None:
    row = {**REGISTER_DEFAULTS, **fields}
    unknown = set(fields) - set(REGISTER_DEFAULTS)
    assert not unknown, unknown
    values = [submission_id, agency, period, system_id, *row.values()]
    con.execute(f"INSERT INTO fact_register ({', '.join(REGISTER_COLUMNS)}) VALUES ({', '.join('?' * len(values))})",
                values)


def add_milestone(con, milestone_id: str, planned: date, actual: date | None, status: str = "planned") -> None:
    con.execute("INSERT INTO fact_milestone VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [milestone_id, milestone_id[:2], milestone_id, milestone_id, planned, actual, status, "", ""])


def rows(con, sql: str, params: list | dict | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()
