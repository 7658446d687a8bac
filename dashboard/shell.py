"""The frame around every page: skip link, header, navigation by role, language switch, PDF
link, a loud banner when the latest run of a job failed or was missed, and the footer.

Filters live in the URL: every filter control has the id ``{"type": "url-filter", "key": K}``
and a clientside function (assets/naio.js) mirrors its value into ``?K=value`` with
``history.replaceState``, so the address bar can always be shared or bookmarked; opening it
again rebuilds the page from the query string. The language switch is a pair of links that
keep every other filter. ``<html lang>`` follows the language, on the server for the first
load and in the browser afterwards.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs

import dash
from dash import ALL, ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html
from flask import has_request_context, request

from dashboard import context, i18n, queries
from dashboard.auth import current_user
from dashboard.components import FILTER, href
from dashboard.i18n import t

log = logging.getLogger("naio.dashboard")

NAV = (
    ("/", "nav_overview"),
    ("/sectors", "nav_sectors"),
    ("/agencies", "nav_agencies"),
    ("/deliverables", "nav_deliverables"),
    ("/map", "nav_map"),
    ("/systems", "nav_systems"),
    ("/kpis", "nav_kpis"),
    ("/data", "nav_data"),
)
ROLE_NAV = (("/submit", "nav_submit", ("analyst", "admin")), ("/submissions", "nav_submissions", ("analyst", "admin")),
            ("/admin", "nav_admin", ("admin",)))


@dash.hooks.index()
def _html_lang(index: str) -> str:
    """Serve ``<html lang=..>`` for the requested language from the first byte."""
    lang = i18n.lang_of(request.args.get("lang")) if has_request_context() else i18n.DEFAULT_LANG
    index = index.replace("<html>", f'<html lang="{lang}">', 1)
    # Dash wraps its config and scripts in a <footer>; the page has its own footer landmark.
    return index.replace("<footer>", "<div>", 1).replace("</footer>", "</div>", 1)


def _current_period() -> str:
    try:
        return queries.meta(context.warehouse()).get("current_period", "")
    except Exception:  # no warehouse yet: the pages say so themselves
        return ""


def layout() -> html.Div:
    return html.Div(
        className="app",
        children=[
            dcc.Location(id="url", refresh="callback-nav"),
            dcc.Store(id="current-period", data=_current_period()),
            dcc.Store(id="url-sync"),
            html.A(t("skip", "en"), href="#main", className="skip-link", id="skip-link"),
            _header(),
            html.Div(id="run-banner", className="banner-slot"),
            html.Main(dash.page_container, id="main", className="content", tabIndex="-1"),
            html.Footer(id="footer", className="app-footer"),
        ],
    )


def _header() -> html.Header:
    brand = dcc.Link(
        [html.Span("NAIO", className="brand-mark"), html.Span(id="brand-text", className="brand-text")],
        href="/",
        id="brand",
        className="brand",
    )
    tools = html.Div(
        className="tools",
        children=[
            html.Div(
                className="lang-switch",
                children=[_lang_link("en", "EN", "English"), _lang_link("ms", "BM", "Bahasa Malaysia")],
            ),
            html.A(id="pdf-link", href="/pack", className="btn btn-secondary pdf-link"),
            html.Span(id="user-name", className="user"),
            # A form, not a link: signing out changes the session, so it is a POST (which
            # another site cannot make with this browser's cookie: SameSite=Lax).
            html.Form(html.Button(id="signout", type="submit", className="signout"),
                      method="post", action="/logout", className="signout-form"),
        ],
    )
    nav = html.Nav(id="nav", className="nav", **{"aria-label": "NAIO"})
    return html.Header(
        className="app-header", children=html.Div(className="header-inner", children=[brand, nav, tools])
    )


def _lang_link(lang: str, short: str, name: str) -> dcc.Link:
    """A language choice: the short code on screen, the language's own name for screen readers."""
    return dcc.Link(
        [html.Span(short, **{"aria-hidden": "true"}), html.Span(name, lang=lang, className="sr-only")],
        href="/" if lang == "en" else "/?lang=ms",
        id=f"lang-{lang}",
        className="lang-opt",
    )


def _lang_from(search: str | None) -> str:
    values = parse_qs((search or "").lstrip("?")).get("lang", [""])
    return i18n.lang_of(values[-1])


def nav_links(pathname: str | None, lang: str, role: str | None) -> list:
    """Main navigation in ``lang``; Submit and Admin appear only for the roles that may use them."""
    path = pathname or "/"
    items = [(p, key) for p, key in NAV] + [(p, key) for p, key, roles in ROLE_NAV if role in roles]
    links = []
    for p, key in items:
        active = (
            path == p
            or (p != "/" and path.startswith(p))
            or (p == "/agencies" and path.startswith("/agency/"))
            or (p == "/kpis" and path.startswith("/kpi/"))
        )
        links.append(dcc.Link(t(key, lang), href=href(p, lang), className="nav-link active" if active else "nav-link"))
    return links


def chrome(pathname: str | None, search: str | None) -> tuple:
    lang = _lang_from(search)
    user = current_user()
    return (
        nav_links(pathname, lang, user.role if user else None),
        t("brand", lang),
        t("skip", lang),
        t("download_pdf", lang),
        user.username if user else "",
        t("sign_out", lang),
        footer(lang),
    )


def frame(pathname: str | None, search: str | None) -> tuple:
    """Everything the page frame shows around a page, in one request per page view: the
    navigation, the labels and the footer (``chrome``), and the banner of failed runs."""
    return (*chrome(pathname, search), run_banner(pathname, search))


def footer(lang: str) -> list:
    try:
        m = queries.meta(context.warehouse())
    except Exception:
        return [html.P(t("no_warehouse_title", lang))]
    return [
        html.P(
            t(
                "footer_snapshot",
                lang,
                snapshot=m.get("snapshot_id", "–"),
                published=i18n.local_time(m.get("published_at")),
            )
        ),
        html.P(t("footer_source", lang), className="muted"),
    ]


def run_banner(pathname: str | None, search: str | None) -> list:
    lang = _lang_from(search)
    try:
        bad = queries.loud_runs_now(context.store(), context.warehouse())
    except Exception:
        log.exception("reading the runs for the banner failed")
        return []
    if not bad:
        return []
    items = [
        html.Li(
            t(
                "banner_item",
                lang,
                job=i18n.job_word(r["job"], lang),
                status=i18n.run_word(r["status"], lang),
                when=i18n.local_time(r["started_at"]),
                error=(r.get("error") or "–")[:160],
            )
        )
        for r in bad
    ]
    return [
        html.Div(
            role="alert",
            className="banner banner-danger",
            children=[
                html.Span("✖", className="banner-icon", **{"aria-hidden": "true"}),
                html.Div(
                    [
                        html.Strong(t("banner_title", lang)),
                        html.Ul(items),
                        dcc.Link(t("banner_link", lang), href=href("/data", lang)),
                    ]
                ),
            ],
        )
    ]


def register_callbacks() -> None:
    """Register the frame's callbacks. Dash runs page modules once for every app it builds, so
    the overview page calls this: each app gets exactly one set."""
    callback(
        Output("nav", "children"),
        Output("brand-text", "children"),
        Output("skip-link", "children"),
        Output("pdf-link", "children"),
        Output("user-name", "children"),
        Output("signout", "children"),
        Output("footer", "children"),
        Output("run-banner", "children"),
        Input("url", "pathname"),
        Input("url", "search"),
    )(frame)
    clientside_callback(
        ClientsideFunction(namespace="naio", function_name="syncUrl"),
        Output("url-sync", "data"),
        Output("lang-en", "href"),
        Output("lang-ms", "href"),
        Output("lang-en", "className"),
        Output("lang-ms", "className"),
        Output("pdf-link", "href"),
        Input("url", "pathname"),
        Input("url", "search"),
        Input({"type": FILTER, "key": ALL}, "value"),
        State({"type": FILTER, "key": ALL}, "id"),
        State("current-period", "data"),
    )
