"""Compile a KPI definition into one readable SQL query over the warehouse input tables.

The query returns, for every period, period type (``quarter``, ``ytd``), level and entity:
``kpi_id, period, period_type, level, entity_code, value, numerator, denominator, reported,
submission_ids``. Values travel as bound parameters (``$p1``...); column and table names
come only from the fixed tables of ``etl.kpi.render``. ``explain`` shows the SQL with its
parameters, as ``python app.py kpis explain K01`` prints it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from etl.kpi.definitions import KpiDefinition
from etl.kpi.formula import parse
from etl.kpi.render import Atoms, Params, Renderer

JOIN_KEYS = "agency_code, breakdown_type, breakdown_code, period, period_type"


@dataclass(frozen=True)
class CompiledKpi:
    kpi_id: str
    sql: str
    params: dict[str, object]  # ``today`` is set by materialise when the KPI reads milestones
    scopes: frozenset[str]


def compile_kpi(d: KpiDefinition, today: date | None = None) -> CompiledKpi:
    """Compile ``d``; ``today`` bounds milestone KPIs (None when only showing the SQL)."""
    params, atoms = Params(), Atoms()
    params.named("kpi_id", d.id)
    renderer = Renderer(params, atoms)
    parts = {role: renderer.render(parse(expr))[0] for role, expr in d.formula.parts().items()}
    scopes = atoms.scopes()
    ctes = [_periods(params, today, "milestones" in scopes)]
    if scopes & {"returns", "register"}:
        ctes.append(AGENCIES)
    if "returns" in scopes:
        ctes.extend(_returns(atoms, params))
    if "register" in scopes:
        ctes.extend(_register(atoms, d.levels))
    if "milestones" in scopes:
        ctes.append(_milestones(atoms))
    ctes.append(_units(d, parts, scopes))
    ctes.append(_placed(d.levels, "milestones" in scopes))
    final = _aggregate(d, params, "milestones" in scopes)
    sql = "WITH\n" + ",\n".join(ctes) + "\n" + final
    return CompiledKpi(d.id, sql, dict(params.values), frozenset(scopes))


def explain(kpi: KpiDefinition) -> str:
    """The SQL of ``kpi``, with its parameters listed in a comment header."""
    compiled = compile_kpi(kpi)
    lines = [f"-- {kpi.id} {kpi.name_en}", f"-- formula: {kpi.formula.describe()}", f"-- rollup: {kpi.rollup}",
             "-- parameters:"]
    for name, value in compiled.params.items():
        shown = "the date the KPIs are computed for" if name == "today" else _show(value)
        lines.append(f"--   ${name} = {shown}")
    return "\n".join(lines) + "\n" + compiled.sql + "\n"


def _show(value: object) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def quarter_index_sql(column: str) -> str:
    """SQL turning a ``YYYYQn`` text into quarters since year 0 (NULL when not a quarter)."""
    return (f"CASE WHEN regexp_full_match({column}, '\\d{{4}}Q[1-4]')\n"
            f"                THEN CAST(substr({column}, 1, 4) AS INTEGER) * 4"
            f" + CAST(substr({column}, 6, 1) AS INTEGER) - 1 END")


def _periods(params: Params, today: date | None, with_end: bool) -> str:
    end = ""
    if with_end:
        end = f",\n           least(quarter_end, {params.named('today', today)}) AS period_end"
    return f"""periods AS (
    -- every quarter of the warehouse; qidx counts quarters, so differences are in quarters
    SELECT period, year, year * 4 + quarter - 1 AS qidx{end}
    FROM dim_period
)"""


AGENCIES = """agencies AS (
    -- the KPI population: agencies that submit returns
    SELECT agency_code, ministry_code
    FROM dim_agency
    WHERE submits_returns
)"""


def _returns(atoms: Atoms, params: Params) -> list[str]:
    bound = {code: params.bind(code) for code in atoms.indicators}
    columns = ",\n".join(f"           max(value) FILTER (WHERE indicator_code = {bound[code]}) AS {alias}"
                         for code, alias in atoms.indicators.items())
    return [f"""observations AS (
    -- accepted return values of the indicators this KPI reads
    SELECT f.submission_id, f.agency_code,
           coalesce(f.breakdown_type, '') AS breakdown_type,
           coalesce(f.breakdown_code, '') AS breakdown_code,
           f.period, p.year, p.qidx, f.indicator_code, f.value, i.temporal
    FROM fact_return AS f
    JOIN agencies AS a ON a.agency_code = f.agency_code
    JOIN periods AS p ON p.period = f.period
    JOIN dim_indicator AS i ON i.indicator_code = f.indicator_code
    WHERE f.indicator_code IN ({', '.join(bound.values())})
      AND f.value IS NOT NULL
)""", """by_period_type AS (
    -- quarter: as reported; ytd: flows summed over the quarters of the year to date,
    -- stocks and cumulative indicators as reported in the quarter
    SELECT agency_code, breakdown_type, breakdown_code, period, 'quarter' AS period_type,
           indicator_code, value, [submission_id] AS submission_ids
    FROM observations
    UNION ALL
    SELECT agency_code, breakdown_type, breakdown_code, period, 'ytd' AS period_type, indicator_code,
           CASE WHEN temporal = 'flow' THEN sum(value) OVER year_to_date ELSE value END,
           CASE WHEN temporal = 'flow' THEN list(submission_id) OVER year_to_date ELSE [submission_id] END
    FROM observations
    WINDOW year_to_date AS (
        PARTITION BY agency_code, breakdown_type, breakdown_code, indicator_code, year
        ORDER BY qidx ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)""", f"""returns AS (
    -- one row per agency (or breakdown), period and period type; one column per indicator
    SELECT agency_code, breakdown_type, breakdown_code, period, period_type,
{columns},
           flatten(list(submission_ids)) AS submission_ids
    FROM by_period_type
    GROUP BY {JOIN_KEYS}
)"""]


def _register(atoms: Atoms, levels: tuple[str, ...]) -> list[str]:
    columns = ",\n".join(f"           {sql} AS {alias}" for alias, sql in atoms.register.values())
    breakdowns = ""
    if "sector" in levels:
        breakdowns += """
    UNION ALL
    SELECT 'MSIC', msic_section, * FROM register_rows WHERE msic_section <> ''"""
    if "state" in levels:
        breakdowns += """
    UNION ALL
    SELECT 'STATE', CAST(d.state_code AS VARCHAR), r.*
    FROM register_rows AS r
    JOIN dim_state AS d
      ON upper(trim(r.states_served)) = 'ALL'
      OR list_contains(list_transform(regexp_split_to_array(r.states_served, '[^0-9]+'),
                                      lambda x: TRY_CAST(x AS INTEGER)), d.state_code)"""
    return [REGISTER_SNAPSHOTS, f"""register_rows AS (
    -- the systems of each agency's register in force in each period
    SELECT f.agency_code, f.period, f.qidx, r.submission_id, r.system_id, r.title, r."function",
           r.focus_sector, upper(trim(coalesce(r.msic_section, ''))) AS msic_section,
           lower(trim(r.stage)) AS stage, lower(trim(r.risk_tier)) AS risk_tier,
           r.impact_assessment, r.human_oversight, r.citizen_facing, r.build_mode, r.uses_genai,
           r.sandbox, r.states_served, r.est_hours_saved, r.est_cost_saved_rm,
           {quarter_index_sql('r.pilot_start_period')} AS pilot_start_qidx,
           {quarter_index_sql('r.production_period')} AS production_qidx
    FROM register_in_force AS f
    LEFT JOIN fact_register AS r ON r.agency_code = f.agency_code AND r.period = f.snapshot_period
)""", f"""register_units AS (
    -- agency totals, and breakdowns by the system's MSIC section and by the states it serves
    SELECT '' AS breakdown_type, '' AS breakdown_code, * FROM register_rows{breakdowns}
)""", f"""register_quarter AS (
    SELECT u.agency_code, u.breakdown_type, u.breakdown_code, u.period, 'quarter' AS period_type,
{columns},
           coalesce(list(DISTINCT u.submission_id) FILTER (WHERE u.submission_id IS NOT NULL), [])
               AS submission_ids
    FROM register_units AS u
    GROUP BY u.agency_code, u.breakdown_type, u.breakdown_code, u.period
)""", """register AS (
    -- the register is a snapshot: its year-to-date value is the quarter's
    SELECT * FROM register_quarter
    UNION ALL
    SELECT * REPLACE ('ytd' AS period_type) FROM register_quarter
)"""]


REGISTER_SNAPSHOTS = """register_snapshots AS (
    -- the periods in which each agency filed its register (an accepted empty register counts)
    SELECT DISTINCT agency_code, period FROM fact_register
    UNION
    SELECT sp.agency_code, sp.period
    FROM submission_pairs AS sp
    JOIN submissions AS s ON s.submission_id = sp.submission_id
    WHERE s.kind = 'register'
),
register_in_force AS (
    -- the snapshot in force in each period: that period's, else the agency's latest earlier one
    SELECT a.agency_code, p.period, p.qidx, max(s.period) AS snapshot_period
    FROM agencies AS a
    JOIN register_snapshots AS s ON s.agency_code = a.agency_code
    JOIN periods AS p ON s.period <= p.period
    GROUP BY a.agency_code, p.period, p.qidx
)"""


def _milestones(atoms: Atoms) -> str:
    columns = ",\n".join(f"           {sql} AS {alias}" for alias, sql in atoms.milestones.values())
    return f"""milestones AS (
    -- NAIO milestones, counted at each quarter's end (or today, if the quarter has not ended)
    SELECT CAST(NULL AS VARCHAR) AS agency_code, '' AS breakdown_type, '' AS breakdown_code,
           p.period, t.period_type,
{columns},
           CAST([] AS INTEGER[]) AS submission_ids
    FROM periods AS p
    CROSS JOIN (VALUES ('quarter'), ('ytd')) AS t(period_type)
    LEFT JOIN fact_milestone AS m ON TRUE
    GROUP BY p.period, p.qidx, p.period_end, t.period_type
)"""


def _units(d: KpiDefinition, parts: dict[str, str], scopes: set[str]) -> str:
    if d.rollup == "share_of_agencies":
        columns = [f"CAST({parts['condition']} AS INTEGER) AS holds"]
    else:
        columns = [f"{sql} AS {role}" for role, sql in parts.items()]
    if scopes == {"returns", "register"}:
        source = f"returns\n    FULL JOIN register USING ({JOIN_KEYS})"
        ids = "list_concat(coalesce(returns.submission_ids, []), coalesce(register.submission_ids, []))"
    else:
        source, ids = next(iter(scopes)), "submission_ids"
    body = ",\n           ".join([*columns, f"{ids} AS submission_ids"])
    return f"""units AS (
    -- each agency (or breakdown) in each period, with the parts of the KPI
    SELECT {JOIN_KEYS},
           {body}
    FROM {source}
)"""


LEVEL_SQL = {
    "national": "SELECT 'national' AS level, 'MY' AS entity_code, u.* FROM units AS u WHERE u.breakdown_type = ''",
    "ministry": ("SELECT 'ministry' AS level, a.ministry_code AS entity_code, u.* FROM units AS u\n"
                 "    JOIN agencies AS a ON a.agency_code = u.agency_code\n"
                 "    WHERE u.breakdown_type = '' AND a.ministry_code IS NOT NULL"),
    "agency": "SELECT 'agency' AS level, u.agency_code AS entity_code, u.* FROM units AS u WHERE u.breakdown_type = ''",
    "sector": ("SELECT 'sector' AS level, u.breakdown_code AS entity_code, u.* FROM units AS u"
               " WHERE u.breakdown_type = 'MSIC'"),
    "state": ("SELECT 'state' AS level, u.breakdown_code AS entity_code, u.* FROM units AS u"
              " WHERE u.breakdown_type = 'STATE'"),
}


def _placed(levels: tuple[str, ...], milestones: bool) -> str:
    if milestones:
        body = "SELECT 'national' AS level, 'MY' AS entity_code, u.* FROM units AS u"
    else:
        body = "\n    UNION ALL\n    ".join(LEVEL_SQL[level] for level in LEVEL_SQL if level in levels)
    return f"""placed AS (
    -- each unit at every level it counts for
    {body}
)"""


AGGREGATES = {
    "ratio_of_sums": ("{scale} * sum(numerator) / nullif(sum(denominator), 0)", "sum(numerator)",
                      "sum(denominator)", "numerator IS NOT NULL AND denominator IS NOT NULL"),
    "sum": ("{scale} * sum(value)", "sum(value)", "CAST(NULL AS DOUBLE)", "value IS NOT NULL"),
    "share_of_agencies": ("{scale} * sum(holds) / nullif(count(holds), 0)", "sum(holds)", "count(holds)",
                          "holds IS NOT NULL"),
    "weighted_mean": ("{scale} * sum(value * weight) / nullif(sum(weight), 0)", "sum(value * weight)",
                      "sum(weight)", "value IS NOT NULL AND weight IS NOT NULL"),
}


def _aggregate(d: KpiDefinition, params: Params, milestones: bool) -> str:
    value, numerator, denominator, where = AGGREGATES[d.rollup]
    value = value.format(scale=params.named("scale", d.formula.scale))
    reported = "CAST(NULL AS INTEGER)" if milestones else "count(DISTINCT agency_code)"
    return f"""-- {d.rollup}: over the entities that reported every part in the period
SELECT $kpi_id AS kpi_id, period, period_type, level, entity_code,
       {value} AS value,
       {numerator} AS numerator,
       {denominator} AS denominator,
       {reported} AS reported,
       list_sort(list_distinct(flatten(list(submission_ids)))) AS submission_ids
FROM placed
WHERE {where}
GROUP BY period, period_type, level, entity_code"""
