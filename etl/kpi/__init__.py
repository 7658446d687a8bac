"""The KPI layer: definitions (YAML), the formula language, SQL compilation and materialisation.

Public API::

    load_definitions(directory) -> (definitions, problems)
    explain(kpi) -> str
    materialise(con, definitions, today) -> {table: row count}
"""

from etl.kpi.compile import compile_kpi, explain, standalone
from etl.kpi.definitions import KpiDefinition, load_definitions
from etl.kpi.engine import OUTPUT_TABLES, materialise

__all__ = ["KpiDefinition", "OUTPUT_TABLES", "compile_kpi", "explain", "load_definitions", "materialise",
           "standalone"]
