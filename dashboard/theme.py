"""MYDS design tokens for charts, in one place (pages use the same values through myds.css).

Status colours are for status only and always come with an icon and a word; charts use
the primary blue ramp and a muted grey for context series.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

PRIMARY = "#2563EB"
PRIMARY_HOVER = "#1D4ED8"
HEADING = "#18181B"
BODY = "#3F3F46"
MUTED = "#6B6B74"
BORDER = "#E4E4E7"
WASHED = "#F4F4F5"
WHITE = "#FFFFFF"
SUCCESS, SUCCESS_TEXT = "#16A34A", "#15803D"
WARNING, WARNING_TEXT = "#EAB308", "#A16207"
DANGER, DANGER_TEXT = "#DC2626", "#B91C1C"

FONT_BODY = "Inter, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
FONT_HEADING = "Poppins, Inter, system-ui, sans-serif"

# Primary blue ramp (light to dark) for sequential scales: heatmaps, choropleths.
BLUE_RAMP = ["#EFF6FF", "#DBEAFE", "#BFDBFE", "#93C5FD", "#60A5FA", "#3B82F6", "#2563EB", "#1D4ED8", "#1E3A8A"]
SEQUENTIAL = [[i / (len(BLUE_RAMP) - 1), c] for i, c in enumerate(BLUE_RAMP)]
# Categorical series: primary first, then well-separated hues that pass contrast on white.
SERIES = [PRIMARY, "#0F766E", "#7C3AED", "#C2410C", "#0369A1", "#BE185D", MUTED]
TARGET_LINE = HEADING
CONTEXT_LINE = MUTED

# status word -> (token colour for text, icon glyph); the word itself comes from i18n.
STATUS_STYLE: dict[str, tuple[str, str]] = {
    "on_track": (SUCCESS_TEXT, "✔"),
    "at_risk": (WARNING_TEXT, "▲"),
    "off_track": (DANGER_TEXT, "✖"),
    "no_target": (MUTED, "–"),
    "awaiting_data": (MUTED, "…"),
}
# Milestone status -> marker colour and symbol (shape carries the meaning as well as colour).
MILESTONE_STYLE: dict[str, tuple[str, str]] = {
    "done": (SUCCESS_TEXT, "circle"),
    "in_progress": (PRIMARY, "diamond"),
    "planned": (MUTED, "circle-open"),
    "overdue": (DANGER_TEXT, "x"),
}
RUN_STYLE: dict[str, str] = {
    "ok": SUCCESS_TEXT,
    "failed": DANGER_TEXT,
    "missed": DANGER_TEXT,
    "running": PRIMARY,
    "skipped": MUTED,
}

TEMPLATE_NAME = "myds"


def _template() -> go.layout.Template:
    axis = dict(
        gridcolor=BORDER,
        linecolor=BORDER,
        zerolinecolor=BORDER,
        tickfont=dict(color=BODY, size=12),
        # An explicit standoff: with plotly's default, a title beside category labels of
        # different lengths was drawn over the longer ones.
        title=dict(font=dict(color=BODY, size=12), standoff=10),
        automargin=True,
    )
    return go.layout.Template(
        layout=dict(
            font=dict(family=FONT_BODY, color=BODY, size=13),
            title=dict(font=dict(family=FONT_HEADING, color=HEADING, size=16), x=0, xanchor="left"),
            paper_bgcolor=WHITE,
            plot_bgcolor=WHITE,
            colorway=SERIES,
            xaxis=axis,
            yaxis=axis,
            legend=dict(orientation="h", yref="container", yanchor="bottom", y=0, x=0, font=dict(size=12)),
            hoverlabel=dict(font=dict(family=FONT_BODY, size=12), bgcolor=WHITE, bordercolor=BORDER),
            margin=dict(l=8, r=8, t=48, b=8),
            colorscale=dict(sequential=SEQUENTIAL),
        )
    )


pio.templates[TEMPLATE_NAME] = _template()
# Maps draw only the states' own GeoJSON (base layers hidden), but plotly.js still loads a world
# topojson for geo plots: an empty one is served locally, so no page ever calls a CDN.
GRAPH_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "topojsonURL": "/assets/topojson/",
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines"],
}
