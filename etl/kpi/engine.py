"""Materialise the KPI layer into the warehouse being built by publish.

``materialise`` runs on publish's DuckDB connection after the input tables are filled and
writes the output tables of the warehouse contract (``docs/architecture.md``). All heavy
work is set-based SQL; Python only loops over KPIs. Working tables are TEMP tables, so
they never reach the published file.
"""

from __future__ import annotations

import json
from datetime import date

import pandas as pd

from etl.kpi import staging, targets
from etl.kpi.compile import CompiledKpi, compile_kpi, explain
from etl.kpi.completeness import COMPLETENESS_SQL
from etl.kpi.composite import COMPOSITE_SQL
from etl.kpi.definitions import KpiDefinition

OUTPUT_TABLES: dict[str, str] = {
    "kpi_definition": (
        "kpi_id VARCHAR PRIMARY KEY, name_en VARCHAR, name_ms VARCHAR, description_en VARCHAR, "
        "description_ms VARCHAR, pillar VARCHAR, deliverables VARCHAR, unit VARCHAR, display_format VARCHAR, "
        "direction VARCHAR, formula VARCHAR, rollup VARCHAR, sql VARCHAR, targets_json VARCHAR, "
        "thresholds_json VARCHAR, source_file VARCHAR, levels VARCHAR, target_levels VARCHAR, "
        "min_coverage DOUBLE, in_composite BOOLEAN, show_count_beside_json VARCHAR"
    ),
    "kpi_value": (
        "kpi_id VARCHAR, period VARCHAR, period_type VARCHAR, level VARCHAR, entity_code VARCHAR, "
        "value DOUBLE, numerator DOUBLE, denominator DOUBLE, target DOUBLE, trajectory DOUBLE, status VARCHAR, "
        "reported INTEGER, expected INTEGER, submission_ids VARCHAR"
    ),
    "kpi_projection": (
        "kpi_id VARCHAR, level VARCHAR, entity_code VARCHAR, target_period VARCHAR, target_value DOUBLE, "
        "projected_value DOUBLE, attainment_period VARCHAR, note VARCHAR, points INTEGER, "
        "slope_per_quarter DOUBLE, last_period VARCHAR, last_value DOUBLE"
    ),
    "composite_index": (
        "level VARCHAR, entity_code VARCHAR, period VARCHAR, peer_group VARCHAR, index_value DOUBLE, "
        "rank INTEGER, rank_min INTEGER, rank_max INTEGER, n_peers INTEGER, components_json VARCHAR"
    ),
    "completeness": (
        "agency_code VARCHAR, period VARCHAR, expected INTEGER, received INTEGER, on_time INTEGER, "
        "late INTEGER, missing_indicators VARCHAR"
    ),
}

WORK_TABLES: dict[str, str] = {
    "_kpi_def": (
        "kpi_id VARCHAR, pillar VARCHAR, direction VARCHAR, levels VARCHAR[], target_levels VARCHAR[], "
        "min_coverage DOUBLE, on_track_within DOUBLE, at_risk_within DOUBLE, threshold_mode VARCHAR, "
        "milestones BOOLEAN, in_composite BOOLEAN, composite_target DOUBLE"
    ),
    "_kpi_segment": (
        "kpi_id VARCHAR, period VARCHAR, period_type VARCHAR, kind VARCHAR, target DOUBLE, end_qidx INTEGER, "
        "end_value DOUBLE, start_qidx INTEGER, start_value DOUBLE, growth DOUBLE, fixed DOUBLE"
    ),
    "_kpi_target_point": "kpi_id VARCHAR, kind VARCHAR, period VARCHAR, qidx INTEGER, value DOUBLE",
    "_kpi_first_kept": "kpi_id VARCHAR, level VARCHAR, entity_code VARCHAR, first_qidx INTEGER, first_value DOUBLE",
    "_kpi_result": (
        "kpi_id VARCHAR, period VARCHAR, period_type VARCHAR, level VARCHAR, entity_code VARCHAR, value DOUBLE, "
        "numerator DOUBLE, denominator DOUBLE, reported BIGINT, submission_ids INTEGER[]"
    ),
}


def materialise(con, definitions: list[KpiDefinition], today: date,
                carry_before: str | None = None) -> dict[str, int | str]:
    """Compute every KPI, status, projection, composite index and completeness row.

    Returns the row count of each output table, and under ``recomputed_from`` the first
    quarter whose KPI values were computed (``all``: every quarter's). ``today`` bounds
    milestone KPIs. Without ``carry_before`` the output tables are created afresh. With it
    (a quarter), they hold what a warehouse built from the same data for the quarters before
    it holds (publish builds on a copy of the warehouse serving: ``publish.Previous``), and
    only what can have changed is computed again: the returns and registers KPIs' values of
    the quarters from ``carry_before`` on (unless a KPI mixes milestones, counted at each
    quarter's end over every quarter, with returns or registers: then everything is), their
    judged rows and those of every entity whose first quarter with enough data is not before
    it (``targets.STATUS_SQL``), the composite index and completeness of those quarters (each
    made of its own quarter's values and returns), milestones and projections.
    """
    compiled = {d.id: compile_kpi(d) for d in definitions}
    if any("milestones" in c.scopes and len(c.scopes) > 1 for c in compiled.values()):
        carry_before = None
    since = {"since": carry_before}
    for name, columns in OUTPUT_TABLES.items():
        if not carry_before:
            con.execute(f"CREATE OR REPLACE TABLE {name} ({columns})")
        elif name in CARRIED_BY_QUARTER:
            con.execute(f"DELETE FROM {name} WHERE period >= $since", since)
        elif name != "kpi_value":  # its rows to judge again are known once the values are
            con.execute(f"DELETE FROM {name}")
    for name, columns in WORK_TABLES.items():
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({columns})")
    try:
        staging.create_all(con, today, since=carry_before)
        _load_definitions(con, definitions, compiled)
        con.execute(EXPECTED_SQL)  # from every quarter's data: when each agency entered a sector or state
        if carry_before:
            staging.keep_from(con, carry_before)
            con.execute(targets.KEPT_FIRST_SQL, since)
            con.execute(CARRY_SQL, since)
        for d in definitions:
            # Each KPI's values in ``_kpi_result``; the status statement judges them all.
            con.execute(f"INSERT INTO _kpi_result {compiled[d.id].sql}", compiled[d.id].params)
        con.execute(targets.FIRST_DATA_SQL)
        if carry_before:
            con.execute(targets.REJUDGED_DELETE_SQL, since)
        con.execute(targets.STATUS_SQL, since)
        con.execute(targets.PROJECTION_SQL)
        con.execute(COMPOSITE_SQL, since)
        con.execute(COMPLETENESS_SQL, since)
    finally:
        for name in (*WORK_TABLES, "_kpi_expected", "_kpi_first"):
            con.execute(f"DROP TABLE IF EXISTS {name}")
        staging.drop_all(con)
    counts: dict[str, int | str] = {
        name: con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0] for name in OUTPUT_TABLES}
    counts["recomputed_from"] = carry_before or "all"
    return counts


def _load_definitions(con, definitions: list[KpiDefinition], compiled: dict[str, CompiledKpi]) -> None:
    period_list = [r[0] for r in con.execute("SELECT period FROM dim_period ORDER BY period").fetchall()]
    _insert_rows(con, "kpi_definition", OUTPUT_TABLES, [definition_row(d) for d in definitions])
    _insert_rows(con, "_kpi_def", WORK_TABLES, [_def_row(d, compiled[d.id]) for d in definitions])
    _insert_rows(con, "_kpi_segment", WORK_TABLES,
                 [row for d in definitions for row in targets.segment_rows(d, period_list)])
    _insert_rows(con, "_kpi_target_point", WORK_TABLES,
                 [row for d in definitions for row in targets.target_point_rows(d)])


def _insert_rows(con, table: str, specs: dict[str, str], rows: list[tuple]) -> None:
    """Insert Python rows in one statement (``executemany`` runs one statement per row)."""
    if not rows:
        return
    columns = [c.strip().split()[0] for c in specs[table].split(", ")]
    frame = pd.DataFrame(rows, columns=columns, dtype=object)
    con.register("_rows", frame)
    try:
        con.execute(f"INSERT INTO {table} SELECT * FROM _rows")
    finally:
        con.unregister("_rows")


def definition_row(d: KpiDefinition) -> tuple:
    """One row of ``kpi_definition``."""
    count = json.dumps(d.show_count_beside.as_dict()) if d.show_count_beside else None
    thresholds = json.dumps(d.thresholds.as_dict()) if d.thresholds else None
    return (d.id, d.name_en, d.name_ms, d.description_en, d.description_ms, d.pillar, ",".join(d.deliverables),
            d.unit, d.display_format, d.direction, d.formula.describe(), d.rollup, explain(d),
            json.dumps([t.as_dict() for t in d.targets]), thresholds, d.source_file, ",".join(d.levels),
            ",".join(d.target_levels), d.min_coverage, d.in_composite, count)


def _def_row(d: KpiDefinition, compiled: CompiledKpi) -> tuple:
    th = d.thresholds
    milestones = "milestones" in compiled.scopes
    return (d.id, d.pillar, d.direction, list(d.levels), list(d.target_levels), d.min_coverage,
            th.on_track_within if th else None, th.at_risk_within if th else None, th.mode if th else None,
            milestones, d.in_composite, d.composite_target)


# Output tables whose rows of a quarter are made of that quarter's values and returns alone.
CARRIED_BY_QUARTER = ("composite_index", "completeness")

CARRY_SQL = """
INSERT INTO _kpi_result
-- values of the quarters before $since as kpi_value holds them (kpi_value keeps the computed
-- rows, reported > 0, beside the grid's empty ones; a value that was not finite is kept as
-- NULL, which is judged the same; lineage lists are kept as text), of the entities whose rows
-- of those quarters are judged again: those without a quarter with enough data before it
SELECT v.kpi_id, v.period, v.period_type, v.level, v.entity_code, v.value, v.numerator, v.denominator, v.reported,
       CASE WHEN v.submission_ids = '' THEN CAST([] AS INTEGER[])
            ELSE list_transform(string_split(v.submission_ids, ','), lambda x: CAST(x AS INTEGER)) END
FROM kpi_value AS v
JOIN _kpi_def AS d ON d.kpi_id = v.kpi_id AND NOT d.milestones
ANTI JOIN _kpi_first_kept AS k ON k.kpi_id = v.kpi_id AND k.level = v.level AND k.entity_code = v.entity_code
WHERE v.period < $since AND v.reported > 0
"""

EXPECTED_SQL = """
CREATE OR REPLACE TEMP TABLE _kpi_expected AS
WITH
breakdown_members AS (
    -- an agency is expected in a sector or state from the first quarter it has data for it
    SELECT breakdown_type, breakdown_code, agency_code, period
    FROM kpi_observations
    WHERE breakdown_type IN ('MSIC', 'STATE')
    UNION ALL
    SELECT breakdown_type, breakdown_code, agency_code, period
    FROM kpi_register_units
    WHERE breakdown_type IN ('MSIC', 'STATE') AND system_id IS NOT NULL
),
members AS (
    SELECT 'national' AS level, 'MY' AS entity_code, agency_code, CAST(NULL AS INTEGER) AS first_qidx
    FROM kpi_agencies
    UNION ALL
    SELECT 'ministry', ministry_code, agency_code, NULL FROM kpi_agencies WHERE ministry_code IS NOT NULL
    UNION ALL
    SELECT 'agency', agency_code, agency_code, NULL FROM kpi_agencies
    UNION ALL
    SELECT CASE b.breakdown_type WHEN 'MSIC' THEN 'sector' ELSE 'state' END, b.breakdown_code, b.agency_code,
           min(p.qidx)
    FROM breakdown_members AS b
    JOIN kpi_periods AS p ON p.period = b.period
    GROUP BY b.breakdown_type, b.breakdown_code, b.agency_code
)
SELECT m.level, m.entity_code, p.period, p.qidx, count(DISTINCT m.agency_code) AS expected
FROM members AS m
JOIN kpi_periods AS p ON m.first_qidx IS NULL OR m.first_qidx <= p.qidx
GROUP BY m.level, m.entity_code, p.period, p.qidx
"""
