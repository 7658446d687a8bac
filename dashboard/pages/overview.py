"""Overview: the national picture at a glance."""

from __future__ import annotations

import dash
from dash import html

from dashboard import context

dash.register_page(__name__, path="/", name="Overview", order=0)


def layout(**_kwargs):
    wh = context.warehouse()
    meta = wh.meta()
    period = meta.get("current_period")
    rows = wh.rows(
        "SELECT d.kpi_id, d.name_en, v.value, v.status, v.reported, v.expected FROM kpi_value v "
        "JOIN kpi_definition d USING (kpi_id) WHERE v.level = 'national' AND v.period = ? "
        "AND v.period_type = 'quarter' ORDER BY d.kpi_id", [period])
    return html.Div([
        html.H1(f"National picture, {period}"),
        html.Ul([html.Li(f"{k} {name}: {'-' if v is None else round(v, 1)} ({status}; {rep} of {exp})",
                         **{"data-kpi": k}) for k, name, v, status, rep, exp in rows]),
    ])
