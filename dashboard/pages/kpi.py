"""One KPI: definition, formula and compiled SQL, targets and trajectory, projection, values by
level, and the lineage of a value down to the submissions it was computed from."""

from __future__ import annotations

import json

import dash
import pandas as pd
from dash import Input, Output, State, callback, html

from dashboard import components as C
from dashboard import context, figures, i18n, queries
from dashboard.auth import current_user
from dashboard.i18n import t

dash.register_page(__name__, path_template="/kpi/<kpi_id>", name="KPI", title="KPI · NAIO")

CHART_ENTITIES = 30


BY_LEVELS = ("ministry", "agency", "sector", "state")


def layout(
    kpi_id: str | None = None,
    period: str | None = None,
    level: str | None = None,
    entity: str | None = None,
    by: str | None = None,
    lang: str | None = None,
    **_ignored,
) -> html.Div:
    lang = i18n.lang_of(lang)
    kpi_id = str(kpi_id or "").strip().upper()
    state = {"level": level, "entity": entity, "by": C.pick(by, BY_LEVELS, "ministry")}
    return C.page(lang, lambda d: _body(d, kpi_id, period, state, lang), kpi_id=kpi_id)


ENTITY_TABLES = {"ministry": "ministries", "agency": "agencies", "sector": "sectors", "state": "states"}


def entity_options(d: queries.Dimensions, level: str, lang: str) -> list[dict]:
    table = ENTITY_TABLES.get(level)
    if table is None:
        return [{"label": t("national", lang), "value": "MY"}]
    return [{"label": f"{code} · {name}", "value": code} for code, name in d.names(table, lang).items()]


def entity_names(d: queries.Dimensions, level: str, lang: str) -> dict[str, str]:
    """Code -> label of the entities of a level (as ``entity_options`` labels them)."""
    table = ENTITY_TABLES.get(level)
    if table is None:
        return {"MY": t("national", lang)}
    return {code: f"{code} · {name}" for code, name in d.names(table, lang).items()}


def _body(d: queries.Dimensions, kpi_id: str, period, state: dict, lang: str) -> list:
    definition = d.kpi(kpi_id)
    if definition is None:
        return [C.page_header(t("kpi_not_found", lang, kpi=kpi_id)), C.link(t("back_kpis", lang), "/kpis", lang)]
    period = C.pick_period(period, d)
    level = C.pick(state["level"], C.LEVEL_CODES, "national")
    options = entity_options(d, level, lang)
    entity = C.pick(state["entity"], [o["value"] for o in options], options[0]["value"] if options else "MY")
    levels = [{"label": i18n.level_word(v, lang), "value": v} for v in C.LEVEL_CODES]
    by_levels = [o for o in levels if o["value"] in BY_LEVELS]
    return [
        C.page_header(f"{kpi_id} {i18n.name_of(definition, lang)}", i18n.name_of(definition, lang, "description")),
        C.section(t("definition", lang), _definition(definition, lang), id="kpi-def-h"),
        C.filters(
            C.dropdown("period", t("period", lang), C.period_options(d.periods, lang), period),
            C.dropdown("level", t("level", lang), levels, level, searchable=False),
            C.dropdown("entity", t("entity", lang), options, entity),
        ),
        C.section(t("trajectory_title", lang), C.loading("kpi-trend"), id="kpi-trend-h"),
        C.section(
            t("values_by_level", lang),
            C.filters(C.dropdown("by", t("by_level", lang), by_levels, state["by"], searchable=False)),
            C.loading("kpi-levels"),
            id="kpi-levels-h",
        ),
        C.section(t("lineage_title", lang), C.loading("kpi-lineage"), id="kpi-lineage-h"),
    ]


def _target_rows(targets: list[dict], lang: str) -> pd.DataFrame:
    """One row per target of the definition: when it applies (a quarter or a year; a target
    with no date applies every quarter), its value (or growth a year, or count a year), source."""
    rows = []
    for target in targets:
        period, value = target.get("period"), target.get("value")
        if target.get("growth_per_year") is not None:
            value = t("target_growth", lang, pct=i18n.fmt_signed(target["growth_per_year"], ".0f"))
        elif target.get("per_year") and value is not None:
            value = t("target_per_year", lang, n=f"{value:g}")
        rows.append({"period": i18n.period_label(period, lang) if period else t("target_every_quarter", lang),
                     "value": value, "source": i18n.target_source(target.get("source"), lang)})
    return pd.DataFrame(rows, columns=["period", "value", "source"])


def _definition(r: dict, lang: str) -> html.Div:
    target_rows = _target_rows(_json_list(r.get("targets_json")), lang)
    return html.Div(
        className="definition",
        children=[
            C.definition_list(
                [
                    (t("pillar", lang), i18n.pillar_word(r.get("pillar"), lang)),
                    (t("deliverables_col", lang), ", ".join(i18n.parse_list(r.get("deliverables"))) or "–"),
                    (t("unit", lang), i18n.unit_word(r.get("unit"), lang) or "–"),
                    (
                        t("direction", lang),
                        t("direction_down" if r.get("direction") == "down" else "direction_up", lang),
                    ),
                    (t("rollup", lang), i18n.rollup_word(r.get("rollup"), lang)),
                    (t("formula", lang), html.Code(r.get("formula") or "–")),
                    (t("source_file", lang), html.Code(r.get("source_file") or "–")),
                    (t("thresholds", lang),
                     i18n.thresholds_text(r.get("thresholds_json"), r.get("unit"), lang, r.get("direction"))),
                ]
            ),
            html.H3(t("targets", lang)),
            C.data_table(
                target_rows,
                {"period": t("period", lang), "value": t("target", lang), "source": t("source", lang)},
                lang,
            )
            if len(target_rows)
            else C.empty(lang, t("no_targets", lang)),
            html.Details(
                [
                    html.Summary(t("compiled_sql", lang)),
                    html.Pre(html.Code(r.get("sql") or "–"), className="sql", tabIndex="0"),
                ]
            ),
        ],
    )


def _json_list(text) -> list:
    try:
        value = json.loads(text or "[]")
    except (TypeError, ValueError):
        return []
    return value if isinstance(value, list) else []


@callback(
    Output(C.filter_id("entity"), "options"),
    Output(C.filter_id("entity"), "value"),
    Input(C.filter_id("level"), "value"),
    State(C.filter_id("entity"), "value"),
    State("page-lang", "data"),
    prevent_initial_call=True,
)
def pick_level(level: str, entity: str, lang: str) -> tuple:
    """Changing the level offers that level's entities (keeping the current one when it belongs)."""
    options = entity_options(queries.dims(context.warehouse()), level, i18n.lang_of(lang))
    values = [o["value"] for o in options]
    return options, entity if entity in values else (values[0] if values else None)


def _key(key: dict | None) -> str:
    return str((key or {}).get("kpi_id") or "")


@callback(
    Output("kpi-trend", "children"),
    Input("page-lang", "data"),
    Input("page-key", "data"),
    Input(C.filter_id("period"), "value"),
    Input(C.filter_id("level"), "value"),
    Input(C.filter_id("entity"), "value"),
)
@C.guarded
def render_trend(lang: str, key: dict, period: str, level: str, entity: str) -> list:
    return _trend(lang, _key(key), period, level, entity)


@C.per_snapshot
def _trend(lang: str, kpi_id: str, period: str, level: str, entity: str) -> list:
    wh = context.warehouse()
    d = queries.dims(wh)
    definition = d.kpi(kpi_id)
    frame, proj = queries.kpi_trend(wh, kpi_id, level, entity or "", d.periods[0] if d.periods else period, period)
    if definition is None or frame["value"].notna().sum() == 0:
        return C.empty(lang)
    names = entity_names(d, level, lang)
    frame["point"] = C.point_texts(frame, definition, lang)
    fig = figures.trend_spec(
        frame,
        title=f"{kpi_id} · {names.get(entity, entity)}",
        x_title=t("quarter", lang),
        period_label=C.period_fn(lang),
        y_title=i18n.unit_word(definition["unit"], lang) or t("value", lang),
        names=names,
        target_label=t("trajectory", lang),
        projection=proj,
        projection_label=t("projection", lang),
        hover="point",
    )
    frame["status_word"] = frame["status"].map(lambda s: i18n.status_word(s, lang))
    table = C.data_table(
        frame.assign(period=frame["period"].map(C.period_fn(lang))),
        {
            "period": t("quarter", lang),
            "value": t("value", lang),
            "trajectory": t("trajectory", lang),
            "target": t("target", lang),
            "status_word": t("status", lang),
            "reported": t("reported", lang),
            "expected": t("expected", lang),
        },
        lang,
    )
    return [
        html.P(_projection_text(proj, definition, lang), className="projection"),
        C.figure_block("kpi-trend-graph", fig, t("trajectory_caption", lang), table, lang),
    ]


def _projection_text(proj: pd.DataFrame, definition: dict, lang: str) -> str:
    if not len(proj):
        return t("projection_none", lang)
    r = proj.iloc[0].to_dict()
    fmt, unit = definition.get("display_format"), definition.get("unit")
    reach = (
        i18n.period_label(r.get("attainment_period"), lang) if r.get("attainment_period") else t("not_reached", lang)
    )
    if i18n.is_missing(r.get("target_period")) or not r.get("target_period"):  # a target for every quarter
        key = ("standing_met" if r.get("note") == "reached"
               else "standing_not_met_later" if r.get("attainment_period") else "standing_not_met")
        return t(key, lang, target=i18n.fmt_number(r.get("target_value"), fmt, unit),
                 value=i18n.fmt_number(r.get("last_value"), fmt, unit),
                 period=i18n.period_label(r.get("last_period"), lang), reach=reach)
    return t(
        "projection_text",
        lang,
        value=i18n.fmt_number(r.get("projected_value"), fmt, unit),
        period=i18n.period_label(r.get("target_period"), lang),
        target=i18n.fmt_number(r.get("target_value"), fmt, unit),
        reach=reach,
    )


@callback(
    Output("kpi-levels", "children"),
    Input("page-lang", "data"),
    Input("page-key", "data"),
    Input(C.filter_id("period"), "value"),
    Input(C.filter_id("by"), "value"),
)
@C.guarded
def render_levels(lang: str, key: dict, period: str, level: str) -> list:
    return _levels(lang, _key(key), period, level)


@C.per_snapshot
def _levels(lang: str, kpi_id: str, period: str, level: str) -> list:
    wh = context.warehouse()
    d = queries.dims(wh)
    definition = d.kpi(kpi_id)
    frame = queries.kpi_level_values(wh, kpi_id, level, period)
    if definition is None or frame["value"].notna().sum() == 0:
        return C.empty(lang)
    names = entity_names(d, level, lang)
    frame["name"] = frame["entity_code"].map(names).fillna(frame["entity_code"]).str.slice(0, 60)
    frame["status_word"] = frame["status"].map(lambda s: i18n.status_word(s, lang))
    frame["coverage"] = [C.coverage(r, e, lang) for r, e in zip(frame["reported"], frame["expected"], strict=False)]
    known = frame.dropna(subset=["value"])
    shown = (
        known
        if len(known) <= CHART_ENTITIES
        else pd.concat([known.head(CHART_ENTITIES // 2), known.tail(CHART_ENTITIES // 2)])
    )
    fig = figures.grouped_bars_spec(
        shown["name"],
        {i18n.name_of(definition, lang): shown["value"]},
        horizontal=True,
        title=t("levels_chart", lang, level=i18n.level_word(level, lang), period=i18n.period_label(period, lang)),
        x_title=i18n.unit_word(definition["unit"], lang) or t("value", lang),
        y_title=i18n.level_word(level, lang),
    )
    caption = (
        t("levels_caption_cut", lang, n=CHART_ENTITIES, total=len(known))
        if len(known) > CHART_ENTITIES
        else t("levels_caption", lang)
    )
    table = C.data_table(
        frame,
        {
            "name": i18n.level_word(level, lang),
            "value": t("value", lang),
            "status_word": t("status", lang),
            "coverage": t("coverage_col", lang),
        },
        lang,
    )
    return [C.figure_block("kpi-levels-graph", fig, caption, table, lang)]


@callback(
    Output("kpi-lineage", "children"),
    Input("page-lang", "data"),
    Input("page-key", "data"),
    Input(C.filter_id("period"), "value"),
    Input(C.filter_id("level"), "value"),
    Input(C.filter_id("entity"), "value"),
)
@C.guarded
def render_lineage(lang: str, key: dict, period: str, level: str, entity: str) -> list:
    frame = queries.value_lineage(context.warehouse(), _key(key), level, entity or "", period)
    if not len(frame):
        return C.empty(lang, t("lineage_none", lang))
    user = current_user()
    visible = frame[[C.may_see_lineage(user, a) for a in frame["agency_code"]]]
    hidden = len(frame) - len(visible)
    visible = visible.assign(status=visible["status"].map(lambda s: i18n.submission_word(s, lang)),
                             periods=visible["periods"].map(lambda p: i18n.periods_label(p, lang)))
    cols = {
        "submission_id": t("submission_id", lang),
        "file_name": t("file_name", lang),
        "agency_code": t("agency", lang),
        "periods": t("periods", lang),
        "received_at": t("received", lang),
        "status": t("status", lang),
    }
    return [
        html.P(t("lineage_lead", lang, n=len(frame)), className="muted"),
        html.Div(C.data_table(visible, cols, lang), className="table-wrap", tabIndex="0", id="lineage-table"),
        C.notice(t("lineage_hidden", lang, n=hidden)) if hidden else None,
    ]
