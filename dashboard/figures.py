"""Plotly figures from plain DataFrames (no SQL, no Dash): every colour comes from theme.

Each function expects data to draw; callers show the empty state instead of an empty axis.
Titles and axis labels arrive already translated.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dashboard import theme
from etl import periods as P

TEMPLATE = theme.TEMPLATE_NAME


def _layout(fig: go.Figure, title: str, height: int, **extra: Any) -> go.Figure:
    fig.update_layout(template=TEMPLATE, title=dict(text=title), height=height, **extra)
    return fig


def sparkline(periods: Sequence[str], values: Sequence[float]) -> go.Figure:
    fig = go.Figure(
        go.Scatter(
            x=list(periods),
            y=list(values),
            mode="lines+markers",
            line=dict(color=theme.PRIMARY, width=2),
            marker=dict(size=4),
            hoverinfo="skip",
        )
    )
    fig.update_layout(
        template=TEMPLATE,
        height=44,
        margin=dict(l=2, r=2, t=2, b=2),
        showlegend=False,
        xaxis=dict(visible=False),
        yaxis=dict(visible=False),
    )
    return fig


def trend(
    series: pd.DataFrame,
    *,
    title: str,
    x_title: str,
    y_title: str,
    names: dict[str, str],
    target_label: str | None = None,
    projection: pd.DataFrame | None = None,
    projection_label: str = "",
    period_label: Callable[[str], str] | None = None,
) -> go.Figure:
    """Lines of ``value`` by ``period`` per ``entity_code`` (labelled by ``names``), with the target
    trajectory of the first entity and an optional projection to the target date."""
    fig = go.Figure()
    for i, (code, part) in enumerate(series.groupby("entity_code", sort=False)):
        fig.add_trace(
            go.Scatter(
                x=part["period"],
                y=part["value"],
                name=names.get(code, code),
                mode="lines+markers",
                line=dict(color=theme.SERIES[i % len(theme.SERIES)], width=2.5),
            )
        )
    first = series[series["entity_code"] == series["entity_code"].iloc[0]]
    if target_label and "trajectory" in first and first["trajectory"].notna().any():
        fig.add_trace(
            go.Scatter(
                x=first["period"],
                y=first["trajectory"],
                name=target_label,
                mode="lines",
                line=dict(color=theme.TARGET_LINE, width=1.5, dash="dot"),
            )
        )
    if projection is not None and len(projection):
        _add_projection(fig, first, projection, projection_label)
    xaxis = dict(title=dict(text=x_title), type="category")
    if period_label:
        xaxis.update(_quarter_axis({str(x) for trace in fig.data for x in trace.x if x is not None}, period_label))
    return _layout(
        fig, title, 340, xaxis=xaxis, yaxis=dict(title=dict(text=y_title), rangemode="tozero"), hovermode="x unified"
    )


def _quarter_axis(seen: set[str], period_label: Callable[[str], str]) -> dict:
    """Every quarter from the first to the last shown (so a projection years ahead keeps its true
    distance), labelled in the page's language, with at most about a dozen ticks."""
    try:
        quarters = P.span(min(seen), max(seen))
    except ValueError:
        quarters = sorted(seen)
    step = max(1, -(-len(quarters) // 12))
    ticks = quarters[::step]
    return dict(
        categoryorder="array",
        categoryarray=quarters,
        tickmode="array",
        tickvals=ticks,
        ticktext=[period_label(q) for q in ticks],
    )


def _add_projection(fig: go.Figure, first: pd.DataFrame, projection: pd.DataFrame, label: str) -> None:
    known = first.dropna(subset=["value"])
    if not len(known):
        return
    row = projection.iloc[0]
    if pd.isna(row.get("projected_value")) or not row.get("target_period"):
        return
    xs = [known["period"].iloc[-1], row["target_period"]]
    ys = [known["value"].iloc[-1], row["projected_value"]]
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            name=label,
            mode="lines+markers",
            line=dict(color=theme.CONTEXT_LINE, width=2, dash="dash"),
            marker=dict(symbol="circle-open"),
        )
    )
    if not pd.isna(row.get("target_value")):
        fig.add_trace(
            go.Scatter(
                x=[row["target_period"]],
                y=[row["target_value"]],
                mode="markers",
                showlegend=False,
                name=label,
                marker=dict(symbol="star", size=12, color=theme.TARGET_LINE),
            )
        )


def heatmap(
    z: pd.DataFrame,
    text: pd.DataFrame,
    *,
    title: str,
    x_title: str,
    y_title: str,
    colorbar: str,
    hover: str,
    zmin: float = 0,
    zmax: float = 100,
) -> go.Figure:
    """A matrix (rows = y labels, columns = x labels) coloured by ``z``, annotated with ``text``."""
    fig = go.Figure(
        go.Heatmap(
            z=z.values,
            x=list(z.columns),
            y=list(z.index),
            text=text.values,
            texttemplate="%{text}",
            textfont=dict(size=11),
            colorscale=theme.SEQUENTIAL,
            zmin=zmin,
            zmax=zmax,
            xgap=2,
            ygap=2,
            hovertemplate=hover + "<extra></extra>",
            colorbar=dict(title=dict(text=colorbar), thickness=12),
        )
    )
    height = max(260, 28 * len(z.index) + 140)
    return _layout(
        fig,
        title,
        height,
        xaxis=dict(title=dict(text=x_title), side="top", type="category"),
        yaxis=dict(title=dict(text=y_title), autorange="reversed", type="category"),
        margin=dict(l=8, r=8, t=96, b=8),
    )


def grouped_bars(
    categories: Sequence[str],
    series: dict[str, Sequence[float]],
    *,
    title: str,
    x_title: str,
    y_title: str,
    horizontal: bool = False,
) -> go.Figure:
    fig = go.Figure()
    for i, (name, values) in enumerate(series.items()):
        colour = theme.PRIMARY if i == 0 else theme.SERIES[(i + 1) % len(theme.SERIES)] if i > 1 else theme.MUTED
        kw = (
            dict(y=list(categories), x=list(values), orientation="h")
            if horizontal
            else dict(x=list(categories), y=list(values))
        )
        fig.add_trace(go.Bar(name=name, marker_color=colour, **kw))
    axes = dict(xaxis=dict(title=dict(text=x_title)), yaxis=dict(title=dict(text=y_title)))
    if horizontal:
        axes["yaxis"].update(autorange="reversed", type="category")
    height = max(300, 24 * len(categories) + 120) if horizontal else 360
    legend = dict(orientation="h", x=1, xanchor="right", y=1.0, yanchor="bottom")
    return _layout(fig, title, height, barmode="group", legend=legend, showlegend=len(series) > 1, **axes)


@lru_cache(maxsize=4)
def states_geojson(path: str) -> dict:
    """Malaysia's 16 states, loaded once per process. Coordinates are rounded to 0.01 degree
    (about 1 km, under a pixel at page scale) and repeated points dropped, to keep pages light."""
    with open(Path(path), encoding="utf-8") as fh:
        data = json.load(fh)
    for feature in data["features"]:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        simplified = [[_ring(ring) for ring in polygon] for polygon in polygons]
        geometry["coordinates"] = simplified if geometry["type"] == "MultiPolygon" else simplified[0]
    return data


def _ring(ring: list) -> list:
    out: list = []
    for lon, lat, *_ in ring:
        point = [round(lon, 2), round(lat, 2)]
        if not out or out[-1] != point:
            out.append(point)
    return out if len(out) >= 4 else [[round(x, 4) for x in pt[:2]] for pt in ring]


def choropleth(
    geojson: dict,
    codes: Sequence[int],
    values: Sequence[float],
    labels: Sequence[str],
    texts: Sequence[str],
    *,
    title: str,
    colorbar: str,
) -> dict:
    """A choropleth as a figure dict: the GeoJSON is attached after validation, so the cached
    copy is neither deep-copied nor validated on every call."""
    fig = go.Figure(
        go.Choropleth(
            featureidkey="properties.code_state",
            locations=list(codes),
            z=list(values),
            text=list(labels),
            customdata=list(texts),
            colorscale=theme.SEQUENTIAL,
            marker_line_color=theme.WHITE,
            marker_line_width=0.8,
            colorbar=dict(title=dict(text=colorbar), thickness=12),
            hovertemplate="%{text}: %{customdata}<extra></extra>",
        )
    )
    fig.update_geos(fitbounds="locations", visible=False, projection_type="mercator")
    _layout(fig, title, 440, margin=dict(l=0, r=0, t=48, b=0))
    figure = fig.to_plotly_json()
    figure["data"][0]["geojson"] = geojson
    return figure


def milestone_timeline(
    frame: pd.DataFrame,
    *,
    title: str,
    planned: str,
    actual: str,
    today: date,
    today_label: str,
    status_words: dict[str, str],
) -> go.Figure:
    """Planned (open marker) and actual (filled, shape by status) dates of each milestone per deliverable."""
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=frame["planned_date"],
            y=frame["deliverable_code"],
            mode="markers",
            name=planned,
            marker=dict(symbol="line-ns-open", size=18, color=theme.MUTED, line=dict(width=3, color=theme.MUTED)),
            text=frame["label"],
            hovertemplate="%{text}<br>" + planned + ": %{x}<extra></extra>",
        )
    )
    for status, (colour, symbol) in theme.MILESTONE_STYLE.items():
        part = frame[frame["status"] == status]
        if not len(part):
            continue
        x = part["actual_date"].where(part["actual_date"].notna(), part["planned_date"])
        fig.add_trace(
            go.Scatter(
                x=x,
                y=part["deliverable_code"],
                mode="markers",
                name=status_words[status],
                marker=dict(symbol=symbol, size=12, color=colour, line=dict(width=2, color=colour)),
                text=part["label"],
                hovertemplate="%{text}<br>" + actual + ": %{x}<extra></extra>",
            )
        )
    fig.add_vline(x=today.isoformat(), line=dict(color=theme.HEADING, width=1, dash="dot"))
    fig.add_annotation(
        x=today.isoformat(),
        y=1.02,
        yref="paper",
        text=today_label,
        showarrow=False,
        font=dict(size=11, color=theme.HEADING),
    )
    return _layout(fig, title, 360, xaxis=dict(type="date"), yaxis=dict(type="category", autorange="reversed"))


def runs_bars(frame: pd.DataFrame, *, title: str, x_title: str, y_title: str) -> go.Figure:
    """Duration of recent runs by job; failed and missed runs drawn in the danger colour and marked ✖."""
    colours = [theme.RUN_STYLE.get(s, theme.MUTED) for s in frame["status"]]
    fig = go.Figure(
        go.Bar(
            x=frame["label"],
            y=frame["seconds"],
            marker_color=colours,
            text=frame["mark"],
            textposition="outside",
            hovertext=frame["hover"],
            hoverinfo="text",
        )
    )
    return _layout(
        fig,
        title,
        300,
        xaxis=dict(title=dict(text=x_title), type="category"),
        yaxis=dict(title=dict(text=y_title), rangemode="tozero"),
    )


def attainment(value: pd.Series, target: pd.Series, direction: pd.Series) -> pd.Series:
    """Progress to target on 0-100, scored as the composite index scores components:
    up is good: min(value / target, 1) x 100; down is good: 100 at or under target, else target / value x 100."""
    v, tg = pd.to_numeric(value, errors="coerce"), pd.to_numeric(target, errors="coerce")
    up = (v.clip(lower=0) / tg.where(tg > 0)).clip(upper=1) * 100
    up = up.where(~(tg <= 0), 100.0)
    down = (tg / v.where(v > 0) * 100).clip(upper=100).where(v > tg, 100.0).where(~((tg <= 0) & (v > tg)), 0.0)
    out = up.where(direction.astype(str) != "down", down)
    return out.where(v.notna() & tg.notna()).round(1)
