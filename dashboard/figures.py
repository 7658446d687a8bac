"""Plotly figures from plain DataFrames (no SQL, no Dash): every colour comes from theme.

Each chart is built as a plain figure dict (``*_spec``), the JSON plotly.js draws, with the
MYDS template attached: pages send it as it is. Building a ``go.Figure`` validates every
property and copies the template on each layout update, which cost more than the queries
behind a chart; the functions without ``_spec`` return the same figure as a ``go.Figure``
for callers that edit it (the PDF pack).

Each function expects data to draw; callers show the empty state instead of an empty axis.
Titles and axis labels arrive already translated.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from dashboard import theme
from etl import periods as P

TEMPLATE = theme.TEMPLATE_NAME


@lru_cache(maxsize=1)
def template() -> dict:
    """The MYDS template as plotly.js reads it (``layout.template``), built once; never mutate."""
    return pio.templates[TEMPLATE].to_plotly_json()


def _spec(data: list[dict], title: str | None, height: int, **layout: Any) -> dict:
    """A figure dict with the template, a title and a height."""
    out: dict[str, Any] = {"template": template(), "height": height}
    if title is not None:
        out["title"] = {"text": title}
    out.update(layout)
    return {"data": data, "layout": out}


def _figure(spec: dict) -> go.Figure:
    return go.Figure(spec)


def _values(values: Any) -> list:
    """Plain JSON values: NaN and NaT become null, numpy scalars Python numbers."""
    out = []
    for v in values.tolist() if hasattr(values, "tolist") else list(values):
        if v is None or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
            out.append(None)
        else:
            out.append(v)
    return out


def _dates(values: Any) -> list:
    """ISO dates (``YYYY-MM-DD``) of datetimes or dates; missing ones become null."""
    return [None if pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d") for v in values]


def sparkline_spec(periods: Sequence[str], values: Sequence[float]) -> dict:
    trace = {
        "type": "scatter",
        "x": _values(periods),
        "y": _values(values),
        "mode": "lines+markers",
        "line": {"color": theme.PRIMARY, "width": 2},
        "marker": {"size": 4},
        "hoverinfo": "skip",
    }
    return _spec(
        [trace],
        None,
        44,
        margin={"l": 2, "r": 2, "t": 2, "b": 2},
        showlegend=False,
        xaxis={"visible": False},
        yaxis={"visible": False},
    )


def sparkline(periods: Sequence[str], values: Sequence[float]) -> go.Figure:
    return _figure(sparkline_spec(periods, values))


# A target trajectory or a projection is a path, not a reported value: four digits are enough.
PATH_HOVER = "%{y:,.4~r}"


def trend_spec(
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
    hover: str | None = None,
) -> dict:
    """Lines of ``value`` by ``period`` per ``entity_code`` (labelled by ``names``), with the target
    trajectory of the first entity and an optional projection to the target date. ``hover`` names
    a column of ``series`` whose text each point shows on hover instead of the bare value."""
    data: list[dict] = []
    codes = list(dict.fromkeys(series["entity_code"]))
    for i, code in enumerate(codes):
        part = series[series["entity_code"] == code] if len(codes) > 1 else series
        trace = {
            "type": "scatter",
            "x": _values(part["period"]),
            "y": _values(part["value"]),
            "name": names.get(code, code),
            "mode": "lines+markers",
            "line": {"color": theme.SERIES[i % len(theme.SERIES)], "width": 2.5},
        }
        if hover:
            trace.update(customdata=_values(part[hover]), hovertemplate="%{customdata}")
        data.append(trace)
    first = series[series["entity_code"] == codes[0]] if len(codes) > 1 else series
    if target_label and "trajectory" in first and first["trajectory"].notna().any():
        data.append(
            {
                "type": "scatter",
                "x": _values(first["period"]),
                "y": _values(first["trajectory"]),
                "name": target_label,
                "mode": "lines",
                "line": {"color": theme.TARGET_LINE, "width": 1.5, "dash": "dot"},
                "hovertemplate": PATH_HOVER,
            }
        )
    if projection is not None and len(projection):
        data += _projection(first, projection, projection_label)
    xaxis: dict[str, Any] = {"title": {"text": x_title}, "type": "category"}
    if period_label:
        seen = {str(x) for trace in data for x in trace["x"] if x is not None}
        xaxis.update(_quarter_axis(seen, period_label))
    return _spec(
        data,
        title,
        340,
        xaxis=xaxis,
        yaxis={"title": {"text": y_title}, "rangemode": "tozero"},
        hovermode="x unified",
    )


def trend(series: pd.DataFrame, **kwargs: Any) -> go.Figure:
    """``trend_spec`` as a ``go.Figure`` (for callers that edit it)."""
    return _figure(trend_spec(series, **kwargs))


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


def _projection(first: pd.DataFrame, projection: pd.DataFrame, label: str) -> list[dict]:
    known = first.dropna(subset=["value"])
    if not len(known):
        return []
    row = projection.iloc[0]
    if pd.isna(row.get("projected_value")) or not row.get("target_period"):
        return []
    traces = [
        {
            "type": "scatter",
            "x": _values([known["period"].iloc[-1], row["target_period"]]),
            "y": _values([known["value"].iloc[-1], row["projected_value"]]),
            "name": label,
            "mode": "lines+markers",
            "line": {"color": theme.CONTEXT_LINE, "width": 2, "dash": "dash"},
            "marker": {"symbol": "circle-open"},
            "hovertemplate": PATH_HOVER,
        }
    ]
    if not pd.isna(row.get("target_value")):
        traces.append(
            {
                "type": "scatter",
                "x": _values([row["target_period"]]),
                "y": _values([row["target_value"]]),
                "mode": "markers",
                "showlegend": False,
                "name": label,
                "marker": {"symbol": "star", "size": 12, "color": theme.TARGET_LINE},
            }
        )
    return traces


def heatmap_spec(
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
) -> dict:
    """A matrix (rows = y labels, columns = x labels) coloured by ``z``, annotated with ``text``."""
    trace = {
        "type": "heatmap",
        "z": [_values(row) for row in z.to_numpy(dtype=float, na_value=float("nan"))],
        "x": _values(z.columns),
        "y": _values(z.index),
        "text": [_values(row) for row in text.to_numpy()],
        "texttemplate": "%{text}",
        "textfont": {"size": 11},
        "colorscale": theme.SEQUENTIAL,
        "zmin": zmin,
        "zmax": zmax,
        "xgap": 2,
        "ygap": 2,
        "hovertemplate": hover + "<extra></extra>",
        "colorbar": {"title": {"text": colorbar}, "thickness": 12},
    }
    height = max(260, 28 * len(z.index) + 140)
    return _spec(
        [trace],
        title,
        height,
        xaxis={"title": {"text": x_title}, "side": "top", "type": "category"},
        yaxis={"title": {"text": y_title}, "autorange": "reversed", "type": "category"},
        margin={"l": 8, "r": 8, "t": 96, "b": 8},
    )


def heatmap(z: pd.DataFrame, text: pd.DataFrame, **kwargs: Any) -> go.Figure:
    return _figure(heatmap_spec(z, text, **kwargs))


def grouped_bars_spec(
    categories: Sequence[str],
    series: dict[str, Sequence[float]],
    *,
    title: str,
    x_title: str,
    y_title: str,
    horizontal: bool = False,
) -> dict:
    data = []
    cats = _values(categories)
    for i, (name, values) in enumerate(series.items()):
        colour = theme.PRIMARY if i == 0 else theme.SERIES[(i + 1) % len(theme.SERIES)] if i > 1 else theme.MUTED
        kw = {"y": cats, "x": _values(values), "orientation": "h"} if horizontal else {"x": cats, "y": _values(values)}
        data.append({"type": "bar", "name": name, "marker": {"color": colour}, **kw})
    xaxis: dict[str, Any] = {"title": {"text": x_title}}
    yaxis: dict[str, Any] = {"title": {"text": y_title}}
    if horizontal:
        yaxis.update(autorange="reversed", type="category")
    numbers = [v for d in data for v in (d["x"] if horizontal else d["y"]) if isinstance(v, (int, float))]
    if numbers and min(numbers) >= 0:  # no bar below zero: no negative half of the axis (all zero: 0 to 1)
        (xaxis if horizontal else yaxis)["rangemode"] = "nonnegative"
    height = max(300, 24 * len(cats) + 120) if horizontal else 360
    # The template's legend (below the plot, in the figure's own box): placed above the plot in
    # that box it fell outside the figure and was never seen.
    return _spec(data, title, height, barmode="group", showlegend=len(series) > 1, xaxis=xaxis, yaxis=yaxis)


def grouped_bars(categories: Sequence[str], series: dict[str, Sequence[float]], **kwargs: Any) -> go.Figure:
    return _figure(grouped_bars_spec(categories, series, **kwargs))


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


@lru_cache(maxsize=4)
def states_geojson_body(path: str) -> tuple[bytes, str]:
    """The simplified GeoJSON of ``states_geojson`` as compact JSON bytes, and a short digest of
    them (the asset's version: its URL changes when the boundaries do)."""
    body = json.dumps(states_geojson(path), separators=(",", ":")).encode()
    return body, hashlib.sha256(body).hexdigest()[:16]


STATES_GEOJSON = "my_states.geojson"  # in the reference folder
GEOJSON_ROUTE = "/geo/states-<digest>.geojson"


def states_geojson_url(path: str) -> str:
    """Where the browser fetches the boundaries once (served by ``dashboard.server``, cached by
    the browser for good: the digest in the name changes with the file)."""
    return GEOJSON_ROUTE.replace("<digest>", states_geojson_body(path)[1])


def _ring(ring: list) -> list:
    out: list = []
    for lon, lat, *_ in ring:
        point = [round(lon, 2), round(lat, 2)]
        if not out or out[-1] != point:
            out.append(point)
    return out if len(out) >= 4 else [[round(x, 4) for x in pt[:2]] for pt in ring]


MALAYSIA_LON = (99.4, 119.6)  # degrees east
MALAYSIA_LAT = (0.6, 7.6)  # degrees north


def choropleth(
    geojson: dict | str,
    codes: Sequence[int],
    values: Sequence[float],
    labels: Sequence[str],
    texts: Sequence[str],
    *,
    title: str,
    colorbar: str,
) -> dict:
    """A choropleth as a figure dict. ``geojson`` is the boundaries themselves or the URL plotly.js
    fetches them from (the dashboard sends the URL, so each response carries only the values)."""
    trace = {
        "type": "choropleth",
        "geojson": geojson,
        "featureidkey": "properties.code_state",
        "locations": _values(codes),
        "z": _values(values),
        "text": _values(labels),
        "customdata": _values(texts),
        "colorscale": theme.SEQUENTIAL,
        "marker": {"line": {"color": theme.WHITE, "width": 0.8}},
        "colorbar": {"title": {"text": colorbar}, "thickness": 12},
        "hovertemplate": "%{text}: %{customdata}<extra></extra>",
    }
    # Malaysia from Perlis to Sabah's east coast: the frame is set rather than fitted, because
    # plotly's fitbounds leaves the two land masses small in a wide plot
    geo = {"visible": False, "projection": {"type": "mercator"},
           "lonaxis": {"range": list(MALAYSIA_LON)}, "lataxis": {"range": list(MALAYSIA_LAT)}}
    return _spec([trace], title, 440, geo=geo, margin={"l": 0, "r": 0, "t": 48, "b": 0})


def milestone_timeline_spec(
    frame: pd.DataFrame,
    *,
    title: str,
    planned: str,
    actual: str,
    today: date,
    today_label: str,
    status_words: dict[str, str],
    months: Sequence[str] | None = None,
) -> dict:
    """Planned (open marker) and actual (filled, shape by status) dates of each milestone per deliverable.

    ``months``: the twelve month abbreviations of the page's language; the date axis is then
    marked at the start of each quarter with them (plotly.js would write English ones)."""
    data = [
        {
            "type": "scatter",
            "x": _dates(frame["planned_date"]),
            "y": _values(frame["deliverable_code"]),
            "mode": "markers",
            "name": planned,
            "marker": {
                "symbol": "line-ns-open",
                "size": 18,
                "color": theme.MUTED,
                "line": {"width": 3, "color": theme.MUTED},
            },
            "text": _values(frame["label"]),
            "hovertemplate": "%{text}<br>" + planned + ": %{x}<extra></extra>",
        }
    ]
    for status, (colour, symbol) in theme.MILESTONE_STYLE.items():
        part = frame[frame["status"] == status]
        if not len(part):
            continue
        x = part["actual_date"].where(part["actual_date"].notna(), part["planned_date"])
        data.append(
            {
                "type": "scatter",
                "x": _dates(x),
                "y": _values(part["deliverable_code"]),
                "mode": "markers",
                "name": status_words[status],
                "marker": {"symbol": symbol, "size": 12, "color": colour, "line": {"width": 2, "color": colour}},
                "text": _values(part["label"]),
                "hovertemplate": "%{text}<br>" + actual + ": %{x}<extra></extra>",
            }
        )
    day = today.isoformat()
    line = {
        "type": "line",
        "x0": day,
        "x1": day,
        "xref": "x",
        "y0": 0,
        "y1": 1,
        "yref": "y domain",
        "line": {"color": theme.HEADING, "width": 1, "dash": "dot"},
    }
    note = {
        "x": day,
        "y": 1.02,
        "yref": "paper",
        "text": today_label,
        "showarrow": False,
        "font": {"size": 11, "color": theme.HEADING},
    }
    xaxis: dict[str, Any] = {"type": "date"}
    if months is not None:
        seen = [pd.Timestamp(v) for v in (*frame["planned_date"], *frame["actual_date"], today) if not pd.isna(v)]
        xaxis.update(_quarter_starts(min(seen), max(seen), months))
    return _spec(
        data,
        title,
        360,
        xaxis=xaxis,
        yaxis={"type": "category", "autorange": "reversed"},
        shapes=[line],
        annotations=[note],
    )


def _quarter_starts(first: pd.Timestamp, last: pd.Timestamp, months: Sequence[str]) -> dict:
    """Ticks at the first day of each quarter around ``first`` .. ``last``, labelled ``Okt 2025``."""
    tick = pd.Timestamp(first.year, 3 * ((first.month - 1) // 3) + 1, 1)
    values, labels = [], []
    while tick <= last + pd.DateOffset(months=3):
        values.append(tick.strftime("%Y-%m-%d"))
        labels.append(f"{months[tick.month - 1]} {tick.year}")
        tick += pd.DateOffset(months=3)
    return {"tickmode": "array", "tickvals": values, "ticktext": labels}


def milestone_timeline(frame: pd.DataFrame, **kwargs: Any) -> go.Figure:
    return _figure(milestone_timeline_spec(frame, **kwargs))


def runs_bars_spec(frame: pd.DataFrame, *, title: str, x_title: str, y_title: str) -> dict:
    """Duration of recent runs by job; failed and missed runs drawn in the danger colour and marked ✖."""
    trace = {
        "type": "bar",
        "x": _values(frame["label"]),
        "y": _values(frame["seconds"]),
        "marker": {"color": [theme.RUN_STYLE.get(s, theme.MUTED) for s in frame["status"]]},
        "text": _values(frame["mark"]),
        "textposition": "outside",
        "hovertext": _values(frame["hover"]),
        "hoverinfo": "text",
    }
    return _spec(
        [trace],
        title,
        300,
        xaxis={"title": {"text": x_title}, "type": "category"},
        yaxis={"title": {"text": y_title}, "rangemode": "tozero"},
    )


def runs_bars(frame: pd.DataFrame, **kwargs: Any) -> go.Figure:
    return _figure(runs_bars_spec(frame, **kwargs))


def attainment(value: pd.Series, target: pd.Series, direction: pd.Series) -> pd.Series:
    """Progress to target on 0-100, scored as the composite index scores components:
    up is good: min(value / target, 1) x 100; down is good: 100 at or under target, else target / value x 100."""
    v, tg = pd.to_numeric(value, errors="coerce"), pd.to_numeric(target, errors="coerce")
    up = (v.clip(lower=0) / tg.where(tg > 0)).clip(upper=1) * 100
    up = up.where(~(tg <= 0), 100.0)
    down = (tg / v.where(v > 0) * 100).clip(upper=100).where(v > tg, 100.0).where(~((tg <= 0) & (v > tg)), 0.0)
    out = up.where(direction.astype(str) != "down", down)
    return out.where(v.notna() & tg.notna()).round(1)
