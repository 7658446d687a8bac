"""Exports of KPI values from the published warehouse, as CSV or JSON.

CSV text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return) are prefixed with a single quote; numbers are
written as numbers, never quoted or prefixed.
"""

from __future__ import annotations

import csv
import io
import json
import math

from etl.safe_export import neutralise  # noqa: F401  (re-exported: one rule for every export)
from etl.warehouse import Warehouse

EXPORT_COLUMNS = ("kpi_id", "name_en", "name_ms", "unit", "period", "period_type", "level", "entity_code",
                  "value", "numerator", "denominator", "target", "trajectory", "status", "reported", "expected",
                  "submission_ids")

EXPORT_SQL = """
SELECT v.kpi_id, d.name_en, d.name_ms, d.unit, v.period, v.period_type, v.level, v.entity_code,
       v.value, v.numerator, v.denominator, v.target, v.trajectory, v.status, v.reported, v.expected,
       v.submission_ids
FROM kpi_value AS v
JOIN kpi_definition AS d USING (kpi_id)
WHERE v.period = $period AND v.level = $level AND v.period_type = $period_type
  AND ($entity IS NULL OR v.entity_code = $entity)
ORDER BY v.kpi_id, v.entity_code
"""


def export_rows(warehouse: Warehouse, period: str, level: str, period_type: str = "quarter",
                entity: str | None = None) -> list[dict]:
    """KPI values of one period and level (optionally one entity), as dicts."""
    params = {"period": period, "level": level, "period_type": period_type, "entity": entity}
    with warehouse.connect() as con:
        rows = con.execute(EXPORT_SQL, params).fetchall()
    return [dict(zip(EXPORT_COLUMNS, (_clean(v) for v in row), strict=True)) for row in rows]


def _clean(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def to_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        writer.writerow(["" if row[c] is None else neutralise(row[c]) for c in EXPORT_COLUMNS])
    return out.getvalue()


def to_json(rows: list[dict]) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=1)
