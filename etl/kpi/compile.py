"""Compile a KPI definition into one readable SQL query over the warehouse input tables.

``compile_kpi`` gives the query that ``materialise`` runs after creating the shared staging
tables (``etl.kpi.staging``); ``standalone`` and ``explain`` inline that staging as CTEs.
The query returns, for every period, period type (``quarter``, ``ytd``), level and entity:
``kpi_id, period, period_type, level, entity_code, value, numerator, denominator, reported,
submission_ids``. Values travel as bound parameters (``$p1``...); column and table names
come only from the fixed tables of ``etl.kpi.render``. Sums over units are exact
(``etl.kpi.exact``), so a value does not depend on the order of the rows. ``explain`` shows
the SQL with its parameters, as ``python app.py kpis explain K01`` prints it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from etl.kpi import staging
from etl.kpi.definitions import KpiDefinition
from etl.kpi.exact import exact_sum
from etl.kpi.formula import parse
from etl.kpi.render import Atoms, Params, Renderer

JOIN_KEYS = "agency_code, breakdown_type, breakdown_code, period, period_type"


@dataclass(frozen=True)
class CompiledKpi:
    kpi_id: str
    sql: str
    params: dict[str, object]
    scopes: frozenset[str]  # returns, register, milestones


def compile_kpi(d: KpiDefinition) -> CompiledKpi:
    """Compile ``d``. ``sql`` reads the staging tables (``etl.kpi.staging``); ``explain`` inlines them."""
    params, atoms = Params(), Atoms()
    params.named("kpi_id", d.id)
    renderer = Renderer(params, atoms)
    parts = {role: renderer.render(parse(expr))[0] for role, expr in d.formula.parts().items()}
    scopes = atoms.scopes()
    ctes = []
    if "returns" in scopes:
        ctes.extend(_returns(atoms, params))
    if "register" in scopes:
        ctes.extend(_register(atoms))
    if "milestones" in scopes:
        ctes.append(_milestones(atoms))
    ctes.append(_units(d, parts, scopes))
    ctes.append(_counted(d, scopes))
    ctes.append(_placed(d.levels, "milestones" in scopes))
    sql = "WITH\n" + ",\n".join(ctes) + "\n" + _select(d, params, "milestones" in scopes)
    return CompiledKpi(d.id, sql, dict(params.values), frozenset(scopes))


def standalone(kpi: KpiDefinition, today: date | None = None) -> tuple[str, dict[str, object]]:
    """The KPI's SQL with its staging inlined as CTEs: it runs as it is over the input tables."""
    compiled = compile_kpi(kpi)
    names = staging.parts_for(compiled.scopes)
    inlined = ",\n".join(staging.as_cte(name) for name in names)
    sql = compiled.sql.replace("WITH\n", f"WITH\n{inlined},\n", 1)
    params = dict(compiled.params)
    if "kpi_periods" in names:
        params["today"] = today
    return sql, params


def explain(kpi: KpiDefinition) -> str:
    """The standalone SQL of ``kpi``, with its parameters listed in a comment header."""
    sql, params = standalone(kpi)
    lines = [f"-- {kpi.id} {kpi.name_en}", f"-- formula: {kpi.formula.describe()}", f"-- rollup: {kpi.rollup}",
             "-- parameters:"]
    for name, value in params.items():
        shown = "the date the KPIs are computed for" if name == "today" else _show(value)
        lines.append(f"--   ${name} = {shown}")
    return "\n".join(lines) + "\n" + sql + "\n"


def _show(value: object) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _returns(atoms: Atoms, params: Params) -> list[str]:
    bound = {code: params.bind(code) for code in atoms.indicators}
    columns = []
    for code, alias in atoms.indicators.items():
        columns.append(f"max(value) FILTER (WHERE indicator_code = {bound[code]}) AS {alias}")
        columns.append(f"max(ytd_value) FILTER (WHERE indicator_code = {bound[code]}) AS ytd_{alias}")
    aliases = list(atoms.indicators.values())
    keys = "agency_code, breakdown_type, breakdown_code, period"
    return [f"""returns_by_period AS (
    -- one row per agency (or breakdown) and period; quarter and year-to-date value of each indicator
    SELECT {keys},
           {_join(columns)}
    FROM kpi_observations
    WHERE indicator_code IN ({', '.join(bound.values())})
    GROUP BY {keys}
)""", f"""returns AS (
    SELECT {keys}, 'quarter' AS period_type,
           {_join(aliases)}
    FROM returns_by_period
    UNION ALL
    SELECT {keys}, 'ytd',
           {_join(f"ytd_{a}" for a in aliases)}
    FROM returns_by_period
)"""]


def _join(items, sep: str = ",\n           ") -> str:
    return sep.join(items)


def _register(atoms: Atoms) -> list[str]:
    columns = [f"{sql} AS {alias}" for alias, sql in atoms.register.values()]
    return [f"""register_by_period AS (
    -- one row per agency (or breakdown) and period, from the register in force
    SELECT u.agency_code, u.breakdown_type, u.breakdown_code, u.period,
           {_join(columns)}
    FROM kpi_register_units AS u
    GROUP BY u.agency_code, u.breakdown_type, u.breakdown_code, u.period
)""", """register AS (
    -- the register is a snapshot: its year-to-date value is the quarter's
    SELECT *, 'quarter' AS period_type FROM register_by_period
    UNION ALL
    SELECT *, 'ytd' AS period_type FROM register_by_period
)"""]


def _milestones(atoms: Atoms) -> str:
    columns = [f"{sql} AS {alias}" for alias, sql in atoms.milestones.values()]
    return f"""milestones AS (
    -- NAIO milestones, counted at each quarter's end (or today, if the quarter has not ended)
    SELECT CAST(NULL AS VARCHAR) AS agency_code, '' AS breakdown_type, '' AS breakdown_code,
           p.period, t.period_type,
           {_join(columns)}
    FROM kpi_periods AS p
    CROSS JOIN (VALUES ('quarter'), ('ytd')) AS t(period_type)
    LEFT JOIN fact_milestone AS m ON TRUE
    GROUP BY p.period, p.qidx, p.period_end, t.period_type
)"""


def _units(d: KpiDefinition, parts: dict[str, str], scopes: set[str]) -> str:
    if d.rollup == "share_of_agencies":
        columns = [f"CAST({parts['condition']} AS INTEGER) AS holds"]
    else:
        columns = [f"{sql} AS {role}" for role, sql in parts.items()]
    source = next(iter(scopes))
    if scopes == {"returns", "register"}:
        source = f"returns\n    FULL JOIN register USING ({JOIN_KEYS})"
    return f"""units AS (
    -- each agency (or breakdown) in each period, with the parts of the KPI
    SELECT {JOIN_KEYS},
           {_join(columns)}
    FROM {source}
)"""


def _counted(d: KpiDefinition, scopes: set[str]) -> str:
    where = ROLLUPS[d.rollup].reported
    if "milestones" in scopes:
        return f"""counted AS (
    SELECT *, CAST([] AS INTEGER[]) AS submission_ids FROM units WHERE {where}
)"""
    joins, lists = [], []
    for scope, table in (("returns", "kpi_return_lineage"), ("register", "kpi_register_lineage")):
        if scope in scopes:
            alias = table.removeprefix("kpi_")
            joins.append(f"    LEFT JOIN {table} AS {alias}\n"
                         f"           ON {alias}.agency_code = u.agency_code AND {alias}.period = u.period"
                         f" AND {alias}.period_type = u.period_type")
            lists.append(f"coalesce({alias}.submission_ids, [])")
    ids = lists[0] if len(lists) == 1 else f"list_concat({', '.join(lists)})"
    return f"""counted AS (
    -- the units that reported every part, with the submissions behind them
    SELECT u.*, {ids} AS submission_ids
    FROM units AS u
{chr(10).join(joins)}
    WHERE {where}
)"""


LEVEL_SQL = {
    "national": "SELECT 'national' AS level, 'MY' AS entity_code, c.* FROM counted AS c WHERE c.breakdown_type = ''",
    "ministry": ("SELECT 'ministry' AS level, a.ministry_code AS entity_code, c.* FROM counted AS c\n"
                 "    JOIN kpi_agencies AS a ON a.agency_code = c.agency_code\n"
                 "    WHERE c.breakdown_type = '' AND a.ministry_code IS NOT NULL"),
    "sector": ("SELECT 'sector' AS level, c.breakdown_code AS entity_code, c.* FROM counted AS c"
               " WHERE c.breakdown_type = 'MSIC'"),
    "state": ("SELECT 'state' AS level, c.breakdown_code AS entity_code, c.* FROM counted AS c"
              " WHERE c.breakdown_type = 'STATE'"),
}


def _placed(levels: tuple[str, ...], milestones: bool) -> str:
    if milestones:
        body = "SELECT 'national' AS level, 'MY' AS entity_code, c.* FROM counted AS c"
    else:
        selects = [LEVEL_SQL[level] for level in LEVEL_SQL if level in levels]
        body = "\n    UNION ALL\n    ".join(selects) or "SELECT NULL AS level, NULL AS entity_code, c.* FROM counted AS c WHERE FALSE"
    return f"""placed AS (
    -- each counted unit at every level above the agency that it counts for
    {body}
)"""


@dataclass(frozen=True)
class Rollup:
    reported: str  # which units count
    value: str  # "{S[x]}" is the sum of x over the units, or x for one agency; "{N}" the number of units
    numerator: str
    denominator: str


ROLLUPS = {
    "ratio_of_sums": Rollup("numerator IS NOT NULL AND denominator IS NOT NULL",
                            "{scale} * {S[numerator]} / nullif({S[denominator]}, 0)", "{S[numerator]}",
                            "{S[denominator]}"),
    "sum": Rollup("value IS NOT NULL", "{scale} * {S[value]}", "{S[value]}", "CAST(NULL AS DOUBLE)"),
    "share_of_agencies": Rollup("holds IS NOT NULL", "{scale} * {S[holds]} / {N}", "{S[holds]}", "{N}"),
    "weighted_mean": Rollup("value IS NOT NULL AND weight IS NOT NULL",
                            "{scale} * {S[value * weight]} / nullif({S[weight]}, 0)", "{S[value * weight]}",
                            "{S[weight]}"),
}


class _Sums:
    """``{S[x]}`` in a rollup: the exact sum of ``x`` over the units, or ``(x)`` for one unit."""

    def __init__(self, grouped: bool):
        self.grouped = grouped

    def __getitem__(self, expr: str) -> str:
        return exact_sum(expr) if self.grouped else f"({expr})"


def _select(d: KpiDefinition, params: Params, milestones: bool) -> str:
    r = ROLLUPS[d.rollup]
    scale = params.named("scale", d.formula.scale)
    grouped = {"S": _Sums(True), "N": "count(*)", "scale": scale}
    single = {"S": _Sums(False), "N": "1", "scale": scale}
    reported = "CAST(NULL AS INTEGER)" if milestones else "count(*)"
    sql = f"""-- {d.rollup} over the units that reported every part in the period
SELECT $kpi_id AS kpi_id, period, period_type, level, entity_code,
       {r.value.format(**grouped)} AS value,
       {r.numerator.format(**grouped)} AS numerator,
       {r.denominator.format(**grouped)} AS denominator,
       {reported} AS reported,
       list_sort(list_distinct(flatten(list(submission_ids)))) AS submission_ids
FROM placed
GROUP BY period, period_type, level, entity_code"""
    if "agency" in d.levels and not milestones:
        sql += f"""
UNION ALL
-- agency level: each agency's own value
SELECT $kpi_id, period, period_type, 'agency', agency_code,
       {r.value.format(**single)},
       {r.numerator.format(**single)},
       {r.denominator.format(**single)},
       1,
       submission_ids
FROM counted
WHERE breakdown_type = ''"""
    return sql
