"""The frame around every page: header, navigation, language switch, the page container."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard.auth import current_user


def layout():
    user = current_user()
    return html.Div([
        dcc.Location(id="url", refresh="callback-nav"),
        html.Header(className="app-header", children=[
            html.A("NAIO · AI Adoption", href="/", className="brand"),
            html.Nav([html.A(p["name"], href=p["relative_path"]) for p in dash.page_registry.values()
                      if not p.get("path_template")], className="nav"),
            html.Span(user.username if user else "", className="user"),
            html.A("Sign out", href="/logout", className="signout"),
        ]),
        html.Main(dash.page_container, id="main", className="content"),
    ])
