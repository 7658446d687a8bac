"""DDL of the warehouse's input tables and views: the contract between publish and its readers.

``publish`` creates these in a fresh DuckDB file and fills them from the system of record;
the KPI engine and its tests start from the same statements.
"""

from __future__ import annotations

# How this release builds the warehouse: raised whenever the same data would be published
# otherwise (new columns, names written differently), so that a server started on an older
# warehouse publishes again (``publish.source_fingerprint``).
# 1: as first released; 2: ministry names in title case; 3: fact_return a view
WAREHOUSE_FORMAT = 3

INPUT_TABLES: dict[str, str] = {
    "meta": "key VARCHAR PRIMARY KEY, value VARCHAR",
    "dim_ministry": "ministry_code VARCHAR PRIMARY KEY, name_en VARCHAR, name_ms VARCHAR, sort_order INTEGER",
    "dim_agency": (
        "agency_code VARCHAR PRIMARY KEY, name_en VARCHAR, name_ms VARCHAR, ministry_code VARCHAR, "
        "peer_group VARCHAR, org_type VARCHAR, submits_returns BOOLEAN, synthetic BOOLEAN"
    ),
    "dim_indicator": (
        "indicator_code VARCHAR PRIMARY KEY, name_en VARCHAR, name_ms VARCHAR, unit VARCHAR, kind VARCHAR, "
        "temporal VARCHAR, min_value DOUBLE, max_value DOUBLE, allow_blank BOOLEAN, required BOOLEAN"
    ),
    "dim_sector": "section VARCHAR PRIMARY KEY, name_en VARCHAR, name_ms VARCHAR, in_eurostat_scope VARCHAR",
    "dim_state": (
        "state_code INTEGER PRIMARY KEY, iso_3166_2 VARCHAR, geojson_name VARCHAR, name_en VARCHAR, "
        "name_ms VARCHAR, region VARCHAR"
    ),
    "dim_period": (
        "period VARCHAR PRIMARY KEY, year INTEGER, quarter INTEGER, quarter_start DATE, quarter_end DATE, "
        "deadline DATE"
    ),
    "dim_deliverable": (
        "deliverable_code VARCHAR PRIMARY KEY, name_en VARCHAR, name_ms VARCHAR, description VARCHAR, "
        "evidence VARCHAR, status VARCHAR, description_ms VARCHAR, evidence_ms VARCHAR"
    ),
    "fact_milestone": (
        "milestone_id VARCHAR PRIMARY KEY, deliverable_code VARCHAR, title_en VARCHAR, title_ms VARCHAR, "
        "planned_date DATE, actual_date DATE, status VARCHAR, evidence VARCHAR, evidence_ms VARCHAR"
    ),
    "fact_return_history": (
        "submission_id INTEGER, agency_code VARCHAR, period VARCHAR, indicator_code VARCHAR, "
        "breakdown_type VARCHAR, breakdown_code VARCHAR, value DOUBLE, value_status VARCHAR, "
        "received_at TIMESTAMP, superseded_by INTEGER"
    ),
    "fact_register": (
        "submission_id INTEGER, agency_code VARCHAR, period VARCHAR, system_id VARCHAR, title VARCHAR, "
        "function VARCHAR, focus_sector VARCHAR, msic_section VARCHAR, stage VARCHAR, risk_tier VARCHAR, "
        "impact_assessment BOOLEAN, human_oversight BOOLEAN, citizen_facing BOOLEAN, build_mode VARCHAR, "
        "uses_genai BOOLEAN, sandbox BOOLEAN, states_served VARCHAR, pilot_start_period VARCHAR, "
        "production_period VARCHAR, est_hours_saved DOUBLE, est_cost_saved_rm DOUBLE"
    ),
    "fact_sector": (
        "submission_id INTEGER, sector_code VARCHAR, period VARCHAR, indicator_code VARCHAR, value DOUBLE, "
        "state_code INTEGER, geo VARCHAR, source VARCHAR"
    ),
    "fact_benchmark": (
        "series VARCHAR, geo VARCHAR, geo_name VARCHAR, sector_code VARCHAR, year INTEGER, value DOUBLE, "
        "unit VARCHAR, source VARCHAR"
    ),
    "submissions": (
        "submission_id INTEGER PRIMARY KEY, kind VARCHAR, file_name VARCHAR, sha256 VARCHAR, source VARCHAR, "
        "submitted_by VARCHAR, agency_code VARCHAR, periods VARCHAR, received_at TIMESTAMP, status VARCHAR, "
        "reason VARCHAR, n_rows INTEGER, n_errors INTEGER, n_warnings INTEGER"
    ),
    "submission_pairs": "submission_id INTEGER, agency_code VARCHAR, period VARCHAR",
    "etl_runs": (
        "run_id INTEGER, job VARCHAR, started_at TIMESTAMP, ended_at TIMESTAMP, status VARCHAR, "
        "counts_json VARCHAR, error VARCHAR, trigger VARCHAR"
    ),
}


# Input views: the current return values are the rows of ``fact_return_history`` that no
# later file replaced (1.2 million rows at national scale, not stored twice).
INPUT_VIEWS: dict[str, str] = {
    "fact_return": "SELECT * EXCLUDE (superseded_by) FROM fact_return_history WHERE superseded_by IS NULL",
}


def create_input_tables(con) -> None:
    """Create every input table (empty) and view on a DuckDB connection."""
    for name, columns in INPUT_TABLES.items():
        con.execute(f"CREATE TABLE {name} ({columns})")
    for name, select in INPUT_VIEWS.items():
        con.execute(f"CREATE VIEW {name} AS {select}")
