"""Building blocks the pages share: URL state, filters, KPI tiles, status badges, figure blocks
with caption and data table, and the empty / error / loading states every visual owns."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache, wraps
from typing import Any
from urllib.parse import urlencode

import numpy as np
import pandas as pd
from dash import dcc, html
from dash.development.base_component import Component
from plotly.io.json import to_json_plotly

from dashboard import context, i18n, queries, theme
from dashboard.i18n import t
from etl.warehouse import WarehouseMissing

log = logging.getLogger("naio.dashboard")

LEVEL_CODES = ("national", "ministry", "agency", "sector", "state")
FILTER = "url-filter"


# ---- light components -----------------------------------------------------------------------
def _light(cls: type) -> type:
    """``cls`` built and serialised without Dash's per-property checks.

    A Dash component checks every keyword against its ~40 possible properties when built and
    looks each of them up again when sent, about 0.1 ms per element: a national-scale table
    of a few thousand cells spent more time there than in its query. The light class is a
    subclass (same type, namespace and JSON, so the browser sees no difference) for the
    elements the shared builders make in bulk with fixed, known properties."""

    def __init__(self: Any, children: Any = None, **props: Any) -> None:
        self.children = children
        for key, value in props.items():
            setattr(self, key, value)

    def to_plotly_json(self: Any) -> dict:
        props = {k: v for k, v in self.__dict__.items() if k[0] != "_" and k != "to_plotly_json"}
        return {"props": props, "type": self._type, "namespace": self._namespace}

    proto = cls(href="/") if cls is dcc.Link else cls()  # the property lists each instance keeps: shared
    shared = {k: v for k, v in vars(proto).items() if k not in ("children", "href")}
    body = {
        "__init__": __init__,
        "to_plotly_json": to_plotly_json,
        "__module__": __name__,
        "__doc__": cls.__doc__,
        "_children_props": list(getattr(cls, "_children_props", [])),
    }
    return type(cls)(cls.__name__, (cls,), {**shared, **body})


class fast:  # a namespace, used like ``html``
    """Light versions of the elements built in bulk (tables, lists, badges, links)."""

    Table, Caption, Thead, Tbody, Tr, Th, Td = (
        _light(c) for c in (html.Table, html.Caption, html.Thead, html.Tbody, html.Tr, html.Th, html.Td)
    )
    Div, Span, Strong, Code, P, Br = (_light(c) for c in (html.Div, html.Span, html.Strong, html.Code, html.P, html.Br))
    Ul, Li, Dl, Dt, Dd = (_light(c) for c in (html.Ul, html.Li, html.Dl, html.Dt, html.Dd))
    Article, Details, Summary = (_light(c) for c in (html.Article, html.Details, html.Summary))
    Link = _light(dcc.Link)


# ---- URL state ------------------------------------------------------------------------------
def href(path: str, lang: str, **params: Any) -> str:
    """A link inside the dashboard that keeps the language (and any given filters)."""
    query = {k: v for k, v in params.items() if v not in (None, "")}
    if lang != i18n.DEFAULT_LANG:
        query["lang"] = lang
    return path + ("?" + urlencode(query) if query else "")


ALL = "all"  # the value of a filter's "all ..." choice


def pick(value: Any, allowed: Iterable[str], default: str) -> str:
    """``value`` if it is one of ``allowed``, else ``default`` (stray query strings never crash a page)."""
    text = str(value).strip() if value is not None else ""
    return text if text in set(allowed) else default


def pick_period(value: Any, d: queries.Dimensions) -> str:
    """The quarter asked for in the URL if the snapshot has it, else the current quarter."""
    return pick(value, d.periods, d.current_period)


def pick_kpi(value: Any, d: queries.Dimensions, choices: list[str] | None = None) -> str:
    """The KPI asked for if it is one of ``choices`` (default: every KPI), else the first of them."""
    choices = list(d.kpis["kpi_id"]) if choices is None else choices
    return pick(value, choices, choices[0] if choices else "")


def filter_id(key: str) -> dict:
    return {"type": FILTER, "key": key}


def dropdown(
    key: str, label: str, options: list[dict], value: Any, *, clearable: bool = False, searchable: bool = True
) -> html.Div:
    """A filter whose value is mirrored into the URL query string (``key=value``)."""
    return html.Div(
        className="filter",
        role="group",
        **{"aria-labelledby": f"label-{key}"},
        children=[
            html.Span(label, className="filter-label", id=f"label-{key}"),
            dcc.Dropdown(
                id=filter_id(key),
                options=options,
                value=value,
                clearable=clearable,
                searchable=searchable,
                className="filter-control",
            ),
        ],
    )


def period_fn(lang: str) -> Callable[[str], str]:
    return lambda period: i18n.period_label(period, lang)


def period_options(periods: Iterable[str], lang: str) -> list[dict]:
    return [{"label": i18n.period_label(p, lang), "value": p} for p in sorted(periods, reverse=True)]


def kpi_options(d: queries.Dimensions, lang: str, only: Iterable[str] | None = None) -> list[dict]:
    keep = set(only) if only is not None else None
    return [
        {"label": f"{r['kpi_id']} · {i18n.name_of(r, lang)}", "value": r["kpi_id"]}
        for r in d.rows("kpis")
        if keep is None or r["kpi_id"] in keep
    ]


def ministry_options(d: queries.Dimensions, lang: str) -> list[dict]:
    """"All ministries" (value ``ALL``) and each ministry, as the ministry filters offer them."""
    return [{"label": t("all_ministries", lang), "value": ALL}] + [
        {"label": f"{r['ministry_code']} · {i18n.name_of(r, lang)}", "value": r["ministry_code"]}
        for r in d.rows("ministries")
    ]


def filters(*children: Any) -> html.Div:
    return html.Div(list(children), className="filters", role="group")


# ---- page frame -----------------------------------------------------------------------------
def page_header(title: str, lead: str | None = None, *extra: Any) -> html.Div:
    return html.Div([html.H1(title), html.P(lead, className="lead") if lead else None, *extra], className="page-header")


def section(title: str, *children: Any, id: str | None = None) -> html.Section:
    heading_id = f"h-{id}" if id else None
    return html.Section(
        [html.H2(title, id=heading_id), *children],
        className="section",
        **({"aria-labelledby": heading_id} if heading_id else {}),
    )


def card(*children: Any, class_name: str = "") -> html.Div:
    return html.Div(list(children), className=f"card {class_name}".strip())


def loading(target_id: str, class_name: str = "") -> dcc.Loading:
    """A container a callback fills, with a spinner while it loads."""
    return dcc.Loading(html.Div(id=target_id, className=class_name), type="circle", color=theme.PRIMARY, delay_show=0)


def lang_store(lang: str, **state: Any) -> list:
    """Stores a page's callbacks read: its language and any path variables."""
    return [dcc.Store(id="page-lang", data=lang), dcc.Store(id="page-key", data=state or None)]


def page(lang: str, build: Callable[[queries.Dimensions], list], **state: Any) -> html.Div:
    """A page body built from the snapshot's dimensions; a missing warehouse or a failure
    becomes a callout in place of the page (logged on the server)."""
    try:
        body = build(queries.dims(context.warehouse()))
    except WarehouseMissing:
        body = [missing_warehouse(lang)]
    except Exception:
        log.exception("building the page failed")
        body = [error_callout(lang)]
    return html.Div(lang_store(lang, **state) + list(body), className="page")


def notice(text: str) -> html.Div:
    return html.Div(text, className="callout callout-info", role="note")


def may_see_lineage(user: Any, agency_code: Any) -> bool:
    """Who may see which submissions stood behind a number (id, file name, agency, received):
    viewers and admins for every agency; an analyst only for their own agency. The name of
    the person who submitted is never shown on these pages."""
    if user is None:
        return False
    if user.role in ("viewer", "admin"):
        return True
    return user.role == "analyst" and bool(agency_code) and agency_code == user.agency_code


# ---- the four states ------------------------------------------------------------------------
def empty(lang: str, text: str | None = None) -> html.Div:
    return html.Div(
        [html.Span("○", className="state-icon", **{"aria-hidden": "true"}), html.Span(text or t("empty", lang))],
        className="state-empty",
        role="status",
    )


def error_callout(lang: str) -> html.Div:
    return html.Div(
        [html.Strong(t("error_title", lang)), html.P(t("error_body", lang))],
        className="callout callout-danger",
        role="alert",
    )


def missing_warehouse(lang: str) -> html.Div:
    return html.Div(
        [html.Strong(t("no_warehouse_title", lang)), html.P(t("no_warehouse_body", lang))],
        className="callout callout-warning",
        role="status",
    )


def guarded(render: Callable) -> Callable:
    """Wrap a render callback (first argument: language) so a failure shows a callout in place
    and is logged with its stack trace on the server, never in the page."""

    @wraps(render)
    def inner(lang: Any, *args: Any, **kwargs: Any) -> Any:
        lang = i18n.lang_of(lang)
        try:
            return render(lang, *args, **kwargs)
        except WarehouseMissing:
            return missing_warehouse(lang)
        except Exception:  # the page must stay usable; the server log keeps the details
            log.exception("rendering %s failed", render.__name__)
            return error_callout(lang)

    return inner


# ---- status and numbers ---------------------------------------------------------------------
def status_badge(status: Any, lang: str) -> html.Span:
    """Status by icon and word (the colour only repeats what both already say)."""
    code = status if status in theme.STATUS_STYLE else "awaiting_data"
    _colour, icon = theme.STATUS_STYLE[code]
    return fast.Span(
        [fast.Span(icon, className="status-icon", **{"aria-hidden": "true"}), fast.Span(i18n.status_word(code, lang))],
        className=f"status status-{code}",
    )


def run_badge(status: Any, lang: str) -> html.Span:
    icon = {"ok": "✔", "failed": "✖", "missed": "✖", "running": "…", "skipped": "–"}.get(str(status), "–")
    return fast.Span(
        [fast.Span(icon, className="status-icon", **{"aria-hidden": "true"}), fast.Span(i18n.run_word(status, lang))],
        className=f"status run-{status}",
    )


def milestone_badge(status: Any, lang: str) -> html.Span:
    icon = {"done": "✔", "in_progress": "◆", "planned": "○", "overdue": "✖"}.get(str(status), "–")
    return fast.Span(
        [
            fast.Span(icon, className="status-icon", **{"aria-hidden": "true"}),
            fast.Span(i18n.milestone_word(status, lang)),
        ],
        className=f"status milestone-{status}",
    )


def change(value: Any, previous: Any, direction: Any, fmt: Any, unit: Any, lang: str) -> html.Span:
    """Signed change against the previous quarter, marked better or worse by the KPI's direction."""
    if i18n.is_missing(value) or i18n.is_missing(previous):
        return fast.Span(t("no_previous", lang), className="change change-none")
    delta = float(value) - float(previous)
    if i18n.fmt_number(abs(delta), fmt, unit).strip("0.,") == "":
        delta = 0.0
    good = delta == 0 or (delta > 0) == (str(direction) != "down")
    arrow = "▲" if delta > 0 else "▼" if delta < 0 else "■"
    verdict = t("better", lang) if good and delta else t("worse", lang) if delta else t("unchanged", lang)
    unit_text = " pp" if unit in i18n.PERCENT_UNITS else ""
    return fast.Span(
        [
            fast.Span(arrow, **{"aria-hidden": "true"}),
            f" {i18n.fmt_signed(delta, fmt, unit)}{unit_text} ",
            fast.Span(f"({verdict}) {t('vs_previous', lang)}", className="change-note"),
        ],
        className=f"change change-{'good' if good else 'bad'}",
    )


def coverage(reported: Any, expected: Any, lang: str) -> str:
    if i18n.is_missing(expected) or not expected:
        return ""
    return t("coverage", lang, n=0 if i18n.is_missing(reported) else int(reported), m=int(expected))


def value_text(row: Mapping[str, Any], lang: str) -> str:
    text = i18n.fmt_number(row.get("value"), row.get("display_format"), row.get("unit"), lang)
    unit = row.get("unit")
    if text == "–" or unit in i18n.PERCENT_UNITS:
        return text if text == "–" else f"{text}%"
    word = i18n.unit_word(unit, lang)
    return f"{text} {word}" if word and unit != "RM" else text


def yes_no(value: Any, lang: str) -> str:
    """A yes/no field of a record in the page's language ("–" when not given)."""
    return "–" if i18n.is_missing(value) else t("yes" if bool(value) else "no", lang)


def register_table(frame: pd.DataFrame, lang: str, *, with_agency: bool = False, **attrs: Any) -> html.Div:
    """AI systems of the register (rows as ``queries.register_page`` gives them) as a table in the page's language; ``with_agency`` starts each row with a link to
    the agency's page."""
    flags = ("impact_assessment", "human_oversight", "uses_genai", "citizen_facing")
    frame = frame.assign(**{c: frame[c].map(lambda v: yes_no(v, lang)) for c in flags},
                         **{c: frame[c].map(lambda s: i18n.register_word(s, lang)) for c in ("stage", "risk_tier")},
                         period=frame["period"].map(lambda p: i18n.period_label(p, lang)))
    cols = {}
    if with_agency:
        frame["agency_code"] = [fast.Link(a, href=href(f"/agency/{a}", lang)) for a in frame["agency_code"]]
        cols["agency_code"] = t("agency", lang)
    cols |= {"system_id": t("system_id", lang), "title": t("system", lang), "msic_section": t("sector", lang),
             "stage": t("stage", lang), "risk_tier": t("risk_tier", lang),
             **{c: i18n.register_heading(c, lang) for c in flags}, "period": t("register_of", lang)}
    return html.Div(data_table(frame, cols, lang), className="table-wrap", tabIndex="0", **attrs)


def point_texts(frame: pd.DataFrame, definition: Mapping[str, Any], lang: str) -> list[str]:
    """Each KPI value of ``frame`` as a chart shows it on hover, with the agencies behind it
    ("33.2% · 3 of 5 agencies"): a move that comes from who reported is seen where it shows."""
    shown = {"display_format": definition.get("display_format"), "unit": definition.get("unit")}
    counted = {"reported", "expected", "level"} <= set(frame.columns)
    out = []
    for i, value in enumerate(frame["value"].tolist()):
        text = value_text({**shown, "value": value}, lang)
        behind = ""
        if counted and frame["level"].iat[i] != "agency":  # an agency's own value: 1 of 1
            behind = coverage(frame["reported"].iat[i], frame["expected"].iat[i], lang)
        out.append(f"{text} · {behind}" if behind and text != "–" else text)
    return out


def kpi_tile(row: Mapping[str, Any], lang: str, spark: Any = None) -> html.Article:
    """A headline tile: name, value and unit, status word and icon, change, coverage, sparkline."""
    name = i18n.name_of(row, lang)
    return fast.Article(
        className="tile",
        **{"data-kpi": row["kpi_id"], "aria-label": f"{row['kpi_id']} {name}"},
        children=[
            fast.Div(
                [
                    fast.Span(row["kpi_id"], className="tile-id"),
                    fast.Link(name, href=href(f"/kpi/{row['kpi_id']}", lang), className="tile-name"),
                ],
                className="tile-head",
            ),
            fast.Div(value_text(row, lang), className="tile-value", **{"data-value": _raw(row.get("value"))}),
            status_badge(row.get("status"), lang),
            change(
                row.get("value"),
                row.get("previous"),
                row.get("direction"),
                row.get("display_format"),
                row.get("unit"),
                lang,
            ),
            fast.Div(coverage(row.get("reported"), row.get("expected"), lang), className="tile-coverage"),
            spark,
        ],
    )


def _raw(value: Any) -> str:
    return "" if i18n.is_missing(value) else repr(float(value))


# ---- figures with caption and data table ----------------------------------------------------
def data_table(frame: pd.DataFrame, columns: Mapping[str, str], lang: str, max_rows: int = 500) -> html.Table:
    """An accessible table of ``frame``; ``columns`` maps column -> header text."""
    head = fast.Thead(fast.Tr([fast.Th(label, scope="col") for label in columns.values()]))
    shown = frame.head(max_rows)
    cells = [_cells(shown[c]) if c in shown.columns else [_td(None)] * len(shown) for c in columns]
    rows = [fast.Tr(list(row)) for row in zip(*cells, strict=True)] if cells else []
    note = [fast.Caption(t("rows_shown", lang, n=max_rows, total=len(frame)))] if len(frame) > max_rows else []
    return fast.Table(note + [head, fast.Tbody(rows)], className="data-table")


def _cells(column: pd.Series) -> list:
    """The cells of one column (numbers, timestamps and dates right-aligned as ``num``)."""
    return [_td(_native(v)) for v in column.astype(object).tolist()]


def _native(value: Any) -> Any:
    """A plain Python value, as ``DataFrame.to_dict`` gives (``pd.NA`` -> None, numpy scalars unboxed)."""
    if value is pd.NA:
        return None
    if isinstance(value, (np.number, np.bool_)):
        return value.item()
    return value


def _td(value: Any) -> html.Td:
    if type(value) is str:  # the common case first: text, right-aligned when it is a date
        return fast.Td(value, className="num") if _DATE.match(value) else fast.Td(value)
    text = _cell(value)
    plain = isinstance(value, (int, float, pd.Timestamp)) or (isinstance(text, str) and _DATE.match(text))
    return fast.Td(text, className="num") if plain else fast.Td(text)


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _cell(value: Any) -> Any:
    if isinstance(value, (html.A, dcc.Link, html.Span, html.Div, html.Code)):
        return value
    if i18n.is_missing(value) or value is pd.NaT:
        return "–"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) < 1e15 else str(value)
    if isinstance(value, pd.Timestamp):  # the warehouse's timestamps are instants in UTC
        return i18n.local_time(value)
    return str(value)


def figure_block(
    graph_id: str, figure: Any, caption: str, table: html.Table, lang: str, height: int | None = None
) -> html.Figure:
    """A chart with its caption and, behind a disclosure, the same numbers as a table."""
    if height and isinstance(figure, dict):
        figure["layout"]["height"] = height
    elif height and hasattr(figure, "update_layout"):
        figure.update_layout(height=height)
    return html.Figure(
        className="chart",
        children=[
            dcc.Graph(id=graph_id, figure=figure, config=theme.GRAPH_CONFIG, className="graph"),
            html.Figcaption(caption),
            html.Details(
                [html.Summary(t("show_table", lang)), html.Div(table, className="table-wrap", tabIndex="0")],
                className="chart-table",
            ),
        ],
    )


def short(text: Any, limit: int = 34) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (chart labels; tables keep the full text)."""
    value = str(text or "")
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def link(text: str, path: str, lang: str, **params: Any) -> dcc.Link:
    return fast.Link(text, href=href(path, lang, **params))


def definition_list(pairs: Iterable[tuple[str, Any]]) -> html.Dl:
    items: list = []
    for term, value in pairs:
        items += [fast.Dt(term), fast.Dd(value if value not in (None, "") else "–")]
    return fast.Dl(items, className="deflist")


# ---- light links and navigation, results kept per snapshot ------------------------------------
fast.A = _light(html.A)
fast.Nav = _light(html.Nav)


def per_snapshot(render: Callable) -> Callable:
    """``render`` run once per published snapshot and arguments (language and URL filters).

    For render functions whose result depends on nothing but the warehouse snapshot and their
    arguments (never on the user; on the system of record only through an argument that changes
    with what is read, such as the run log's version): the components are built once and later
    views get the same tree, which Dash only serialises (``queries.per_snapshot``)."""

    @queries.per_snapshot(16)  # bounded: a national ranking's tree is a few MB
    def kept(_wh: Any, *args: Any) -> Any:
        return frozen(render(*args))

    @wraps(render)
    def inner(*args: Any) -> Any:
        return kept(context.warehouse(), *args)

    inner.cache_clear = kept.cache_clear  # type: ignore[attr-defined]
    return inner


def frozen(result: Any) -> Any:
    """``result`` (a component, or a list or tuple of them and other values) with the JSON of
    each component worked out now, once, instead of on every response that sends it.

    Dash serialises a response with plotly's encoder, which calls back into Python for every
    component of the tree (``to_plotly_json``, then its ``default`` hook): for a kept view that
    was most of the time of a callback. A frozen component answers with its JSON as plain dicts
    and lists, which the encoder writes without calling back. The tree itself is left as it was,
    so it can still be read; it must not be changed afterwards (kept views never are)."""
    if isinstance(result, (list, tuple)):
        return type(result)(frozen(item) for item in result)
    if isinstance(result, Component) and "to_plotly_json" not in vars(result):
        plain = json.loads(to_json_plotly(result))
        result.to_plotly_json = lambda: plain  # an instance attribute: only this object's JSON
    return result


def per_run_log(render: Callable) -> Callable:
    """``render`` kept like ``per_snapshot``, and also per version of the run log: for views of
    the system of record's run log, which a run that starts or ends must change on the next view."""
    kept = per_snapshot(lambda *args: render(*args[:-1]))  # the last argument only keys the memo

    @wraps(render)
    def inner(*args: Any) -> Any:
        return kept(*args, queries.runs_version(context.store()))

    inner.cache_clear = kept.cache_clear  # type: ignore[attr-defined]
    return inner


def per_submissions(render: Callable) -> Callable:
    """``render`` run once per version of the submissions (the highest id: they are only ever
    added, never changed) and arguments, its JSON worked out once: for lists of submissions,
    which a recorded file must change on the next view. Who may see what is the caller's to
    check, on every request, before."""

    @lru_cache(maxsize=64)
    def kept(_store_url: str, _version: int, *args: Any) -> Any:
        return frozen(render(*args))

    @wraps(render)
    def inner(*args: Any) -> Any:
        store = context.store()
        return kept(store.url, store.submissions_version(), *args)

    inner.cache_clear = kept.cache_clear  # type: ignore[attr-defined]
    return inner

