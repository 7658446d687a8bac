"""Shared staging of the KPI queries: each a SELECT over the warehouse input tables.

``materialise`` creates each part once as a TEMP table of the same name; ``explain``
inlines the parts a KPI needs as CTEs, so the SQL it prints runs as it is over the input
tables and gives the same values. Parts refer to each other by name, so both work.
Only ``kpi_periods`` takes a parameter (``$today``).
"""

from __future__ import annotations

from etl import periods
from etl.kpi.exact import exact_sum


def quarter_index_sql(column: str) -> str:
    """SQL turning a ``YYYYQn`` text into quarters since year 0 (NULL when not a quarter)."""
    return (f"CASE WHEN regexp_full_match({column}, '\\d{{4}}Q[1-4]')\n"
            f"                THEN CAST(substr({column}, 1, 4) AS INTEGER) * 4"
            f" + CAST(substr({column}, 6, 1) AS INTEGER) - 1 END")


KPI_PERIODS = """
    -- every quarter of the warehouse; qidx counts quarters, so differences are in quarters;
    -- period_end is the quarter's end, or today if the quarter has not ended
    SELECT period, year, quarter, year * 4 + quarter - 1 AS qidx,
           least(quarter_end, $today) AS period_end
    FROM dim_period
"""

KPI_AGENCIES = """
    -- the KPI population: agencies that submit returns
    SELECT agency_code, ministry_code
    FROM dim_agency
    WHERE submits_returns
"""

_YEAR_TO_DATE = """OVER (
               PARTITION BY agency_code, breakdown_type, breakdown_code, indicator_code, year
               ORDER BY qidx ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"""

KPI_OBSERVATIONS = f"""
    -- accepted return values per agency (or breakdown), period and indicator; ytd_value is
    -- the year-to-date value: flows summed (exactly) over the quarters of the year to date,
    -- stocks and cumulative indicators as reported in the quarter. Sorted by indicator, so
    -- that each KPI reads only the row groups of its own indicators.
    WITH reported AS (
        SELECT f.agency_code,
               coalesce(f.breakdown_type, '') AS breakdown_type,
               coalesce(f.breakdown_code, '') AS breakdown_code,
               f.period, p.year, p.qidx, f.indicator_code, f.value, i.temporal
        FROM fact_return AS f
        JOIN kpi_agencies AS a ON a.agency_code = f.agency_code
        JOIN kpi_periods AS p ON p.period = f.period
        JOIN dim_indicator AS i ON i.indicator_code = f.indicator_code
        WHERE f.value IS NOT NULL
    )
    SELECT agency_code, breakdown_type, breakdown_code, period, indicator_code, value, value AS ytd_value
    FROM reported
    WHERE temporal <> 'flow'
    UNION ALL
    SELECT agency_code, breakdown_type, breakdown_code, period, indicator_code, value,
           {exact_sum("value", _YEAR_TO_DATE)}
    FROM reported
    WHERE temporal = 'flow'
    ORDER BY indicator_code
"""

# Every (agency, quarter) the agency gave a register for: the quarters of its systems, and the
# quarters of its register files (an empty register says it has no system). An agency's register
# in force in a quarter is its latest snapshot up to it; the AI systems page reads it the same way
# (dashboard/queries.py).
REGISTER_SNAPSHOTS = """
        SELECT DISTINCT agency_code, period FROM fact_register
        UNION
        SELECT sp.agency_code, sp.period
        FROM submission_pairs AS sp
        JOIN submissions AS s ON s.submission_id = sp.submission_id
        WHERE s.kind = 'register'
    """

KPI_REGISTER_UNITS = f"""
    -- each agency's register in force in each period (that period's snapshot, else its
    -- latest earlier one), as agency totals and breakdowns by the system's MSIC section and
    -- by the states it serves
    WITH snapshots AS ({REGISTER_SNAPSHOTS}),
    in_force AS (
        SELECT a.agency_code, p.period, p.qidx, max(s.period) AS snapshot_period
        FROM kpi_agencies AS a
        JOIN snapshots AS s ON s.agency_code = a.agency_code
        JOIN kpi_periods AS p ON s.period <= p.period
        GROUP BY a.agency_code, p.period, p.qidx
    ),
    systems AS (
        SELECT r.agency_code, r.period AS snapshot_period, r.submission_id, r.system_id, r.title,
               r."function", r.focus_sector, upper(trim(coalesce(r.msic_section, ''))) AS msic_section,
               lower(trim(r.stage)) AS stage, lower(trim(r.risk_tier)) AS risk_tier,
               r.impact_assessment, r.human_oversight, r.citizen_facing, r.build_mode, r.uses_genai,
               r.sandbox, r.est_hours_saved, r.est_cost_saved_rm,
               {quarter_index_sql('r.pilot_start_period')} AS pilot_start_qidx,
               {quarter_index_sql('r.production_period')} AS production_qidx,
               (SELECT list(CAST(d.state_code AS VARCHAR)) FROM dim_state AS d
                WHERE upper(trim(r.states_served)) = 'ALL'
                   OR list_contains(list_transform(regexp_split_to_array(r.states_served, '[^0-9]+'),
                                                   lambda x: TRY_CAST(x AS INTEGER)), d.state_code))
                   AS states
        FROM fact_register AS r
    ),
    in_force_systems AS (
        SELECT f.agency_code, f.period, f.qidx, s.* EXCLUDE (agency_code, snapshot_period)
        FROM in_force AS f
        LEFT JOIN systems AS s ON s.agency_code = f.agency_code AND s.snapshot_period = f.snapshot_period
    )
    SELECT '' AS breakdown_type, '' AS breakdown_code, * EXCLUDE (states) FROM in_force_systems
    UNION ALL
    SELECT 'MSIC', msic_section, * EXCLUDE (states) FROM in_force_systems WHERE msic_section <> ''
    UNION ALL
    SELECT 'STATE', unnest(states), * EXCLUDE (states) FROM in_force_systems
"""

LINEAGE = """
    -- the {source} submissions behind each agency's values: those of the quarter, and for
    -- year-to-date values those of the quarters of the year to date
    WITH filed AS (
        {filed}
    )
    SELECT f.agency_code, p.period, t.period_type, list_sort(list(DISTINCT f.submission_id)) AS submission_ids
    FROM kpi_periods AS p
    CROSS JOIN (VALUES ('quarter'), ('ytd')) AS t(period_type)
    JOIN filed AS f ON f.year = p.year AND f.qidx <= p.qidx AND (t.period_type = 'ytd' OR f.qidx = p.qidx)
    GROUP BY f.agency_code, p.period, t.period_type
"""
KPI_RETURN_LINEAGE = LINEAGE.format(source="return", filed="""SELECT DISTINCT f.agency_code, p.year, p.qidx, f.submission_id
        FROM fact_return AS f
        JOIN kpi_agencies AS a ON a.agency_code = f.agency_code
        JOIN kpi_periods AS p ON p.period = f.period
        WHERE f.value IS NOT NULL""")
KPI_REGISTER_LINEAGE = LINEAGE.format(source="register", filed="""SELECT DISTINCT u.agency_code, p.year, p.qidx, u.submission_id
        FROM kpi_register_units AS u
        JOIN kpi_periods AS p ON p.period = u.period
        WHERE u.breakdown_type = '' AND u.submission_id IS NOT NULL""")

# name -> SELECT, in dependency order
PARTS: dict[str, str] = {
    "kpi_periods": KPI_PERIODS,
    "kpi_agencies": KPI_AGENCIES,
    "kpi_observations": KPI_OBSERVATIONS,
    "kpi_return_lineage": KPI_RETURN_LINEAGE,
    "kpi_register_units": KPI_REGISTER_UNITS,
    "kpi_register_lineage": KPI_REGISTER_LINEAGE,
}
NEEDS = {"returns": ("kpi_periods", "kpi_agencies", "kpi_observations", "kpi_return_lineage"),
         "register": ("kpi_periods", "kpi_agencies", "kpi_register_units", "kpi_register_lineage"),
         "milestones": ("kpi_periods",)}
def parts_for(scopes: set[str] | frozenset[str]) -> list[str]:
    """The staging parts a KPI reading ``scopes`` needs, in dependency order."""
    wanted = {name for scope in scopes for name in NEEDS[scope]}
    return [name for name in PARTS if name in wanted]


def as_cte(name: str) -> str:
    return f"{name} AS ({PARTS[name].rstrip()}\n)"


# How the parts over returns read them, and what they need of them to compute the quarters
# from ``$since`` on: that year's values and later ones (year-to-date sums), and every
# breakdown value (when an agency entered a sector or state: ``engine.EXPECTED_SQL``).
RETURNS_READ = "FROM fact_return AS f"
RETURN_PARTS = ("kpi_observations", "kpi_return_lineage")
RETURNS_NEEDED_SINCE = """FROM (
            SELECT * FROM fact_return
            WHERE period >= $year_start OR breakdown_type IN ('MSIC', 'STATE')
        ) AS f"""


def create_all(con, today, since: str | None = None) -> None:
    """Create every staging part as a TEMP table on ``con``; with ``since`` (a quarter), the
    parts over returns read only what computing the quarters from ``since`` on needs (the
    rows of earlier quarters are then dropped: ``keep_from``)."""
    for name, select in PARTS.items():
        params = {"today": today} if "$today" in select else {}
        if since and name in RETURN_PARTS:
            assert RETURNS_READ in select, name
            select = select.replace(RETURNS_READ, RETURNS_NEEDED_SINCE)
            params["year_start"] = f"{periods.split(since)[0]}Q1"
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {select}", params or None)


# The parts holding rows of each quarter, which the returns and registers KPIs read.
BY_QUARTER = ("kpi_observations", "kpi_return_lineage", "kpi_register_units", "kpi_register_lineage")


def keep_from(con, period: str) -> None:
    """Keep only the rows of ``period`` and later in the parts read by quarter (their values
    of earlier quarters are not computed again). Year-to-date sums and the register in force
    were worked out over every quarter when the parts were created."""
    for name in BY_QUARTER:
        con.execute(f"DELETE FROM {name} WHERE period < ?", [period])


def drop_all(con) -> None:
    for name in reversed(PARTS):
        con.execute(f"DROP TABLE IF EXISTS {name}")
