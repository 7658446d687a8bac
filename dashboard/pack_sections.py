"""The minister pack's body sections: one per pillar, sectors, ministries, the register of AI
systems, deliverables, completeness.

Charts come from ``dashboard.figures`` (the pages' builders, as figure dicts: no ``go.Figure``
validation) and are sized for A4 by ``pack_html.Charts``; every chart sits beside the numbers
it draws.
"""

from __future__ import annotations

import pandas as pd

from dashboard import figures, i18n, theme
from dashboard.pack_data import PackData, completeness_by, headline_ids, projection_for
from dashboard.pack_html import (
    CONTENT_PX,
    HALF_PX,
    Charts,
    Section,
    change_html,
    coverage_text,
    empty,
    esc,
    kpi_label,
    merged,
    status_html,
    table,
    value_short,
    value_text,
)
from dashboard.pack_text import tr
from dashboard.queries import REGISTER_COUNTS
from etl import periods as P

MAX_MINISTRY_KPIS = 5


def _label(period: str, lang: str) -> str:
    return i18n.period_label(period, lang)


def _edit(spec: dict, **layout) -> dict:
    """The figure dict with ``layout`` merged into its layout (the dict given is not changed)."""
    return {**spec, "layout": merged(spec["layout"], layout)}


# ---- pillars ----------------------------------------------------------------------------------
def pillar(data: PackData, code: str, lang: str, charts: Charts) -> Section:
    rows = data.kpis_of(code).to_dict("records")
    blocks = "".join(_kpi_block(data, r, lang, charts) for r in rows)
    body = f'<p class="lead">{esc(tr("kpis_in_pillar", lang, n=len(rows)))}</p><div class="grid2">{blocks}</div>'
    return Section(f"pillar-{code}", tr("pillar", lang, name=i18n.pillar_word(code, lang)), body)


def _kpi_block(data: PackData, row: dict, lang: str, charts: Charts) -> str:
    facts = [f"{tr('value', lang)}: <b>{esc(value_text(row.get('value'), row, lang))}</b>",
             f"{tr('target', lang)}: {esc(value_text(row.get('target'), row, lang))}",
             status_html(row.get("status"), lang), change_html(row, lang), esc(coverage_text(row, lang)),
             esc(_projection_text(data, row, lang))]
    spans = "".join(f"<span>{f}</span>" for f in facts if f)
    return (f'<div class="kpi-block"><h3>{esc(kpi_label(row, lang))}</h3>{_trend_chart(data, row, lang, charts)}'
            f'<div class="facts">{spans}</div></div>')


def _trend_chart(data: PackData, row: dict, lang: str, charts: Charts) -> str:
    """National value by quarter with the target trajectory (the projection is given in words:
    on a quarter-by-quarter axis a jump to a target years away would mislead)."""
    series = data.series[data.series["kpi_id"] == row["kpi_id"]].copy()
    if not series["value"].notna().any():
        return empty(lang)
    series["period"] = series["period"].map(lambda p: _label(p, lang))
    y_title = "%" if row.get("unit") in i18n.PERCENT_UNITS else ""
    fig = figures.trend_spec(series, title="", x_title="", y_title=y_title, names={"MY": tr("malaysia", lang)},
                             target_label=tr("trajectory", lang))
    fig = _edit(fig, xaxis={"range": [-0.4, len(series) - 0.6], "tickangle": 0, "nticks": 5, "tickfont": {"size": 8}})
    return charts.add(fig, f"{kpi_label(row, lang)}: {tr('national_trend', lang)}", HALF_PX, 180)


def _projection_text(data: PackData, row: dict, lang: str) -> str:
    p = projection_for(data, row["kpi_id"])
    if not p or i18n.is_missing(p.get("target_value")):
        return ""
    target = value_text(p["target_value"], row, lang)
    if i18n.is_missing(p.get("target_period")) or not p.get("target_period"):  # a target for every quarter
        last = _label(p.get("last_period"), lang)
        if p.get("note") == "reached":
            return f"{tr('projection', lang)}: {tr('standing_met', lang, target=target, period=last)}"
        return f"{tr('projection', lang)}: {tr('standing_not_met', lang, target=target, period=last)}"
    if not i18n.is_missing(p.get("attainment_period")) and p.get("attainment_period"):
        return f"{tr('projection', lang)}: {tr('reached_by', lang, target=target, period=_label(p['attainment_period'], lang))}"
    return f"{tr('projection', lang)}: {tr('not_reached', lang, target=target, period=_label(p['target_period'], lang))}"


# ---- sectors ----------------------------------------------------------------------------------
def sectors(data: PackData, lang: str, charts: Charts) -> Section:
    names = {r["section"]: i18n.name_of(r, lang) for r in data.dims.sectors.to_dict("records")}
    return Section("sectors", tr("sectors", lang), _benchmark(data, names, lang, charts) + _sector_matrix(data, names, lang, charts))


def _short(code: str, names: dict[str, str], width: int = 34) -> str:
    name = names.get(code, "")
    return f"{code} {name[:width - 1] + '…' if len(name) > width else name}".strip()


def _benchmark(data: PackData, names: dict[str, str], lang: str, charts: Charts) -> str:
    frame = data.sector_benchmark.dropna(subset=["my_value", "eu_value"], how="all")
    frame = frame[frame["sector_code"].isin(names)]  # MSIC sections only (no Eurostat aggregates)
    title = tr("sector_c1", lang)
    if not len(frame):
        return f"<h3>{esc(title)}</h3>{empty(lang)}"
    cats = [_short(c, names) for c in frame["sector_code"]]
    fig = figures.grouped_bars_spec(cats, {tr("malaysia", lang): list(frame["my_value"]),
                                           tr("eu27", lang): list(frame["eu_value"])},
                                    title="", x_title=tr("percent_enterprises", lang), y_title="", horizontal=True)
    chart = charts.add(fig, title, CONTENT_PX, 24 * len(cats) + 70)
    return f"<figure><h3>{esc(title)}</h3>{chart}</figure>"


def _sector_matrix(data: PackData, names: dict[str, str], lang: str, charts: Charts) -> str:
    """KPI x MSIC section as a table shaded by attainment of the target (vector, values written out)."""
    title = tr("sector_kpis", lang, period=_label(data.period, lang))
    frame = data.sector_matrix
    if not len(frame) or frame["value"].notna().sum() == 0:
        return f"<h3>{esc(title)}</h3>{empty(lang)}"
    defs = data.dims.kpis.set_index("kpi_id")
    frame = frame[frame["kpi_id"].isin(defs.index) & frame["value"].notna()].copy()
    frame["score"] = figures.attainment(frame["value"], frame["target"], frame["kpi_id"].map(defs["direction"]))
    ids = sorted(set(frame["kpi_id"]))
    cells = {(r["entity_code"], r["kpi_id"]): r for r in frame.to_dict("records")}
    index = dict(zip(data.sector_index["entity_code"], data.sector_index["index_value"], strict=True))
    rows = [[esc(_short(code, names, 30)), esc(i18n.fmt_number(index.get(code), "0.0"))]
            + [_shaded(cells.get((code, k)), defs.loc[k].to_dict(), lang) for k in ids]
            for code in sorted(set(frame["entity_code"]))]
    legend = "; ".join(f"{k} {i18n.name_of(defs.loc[k].to_dict(), lang)}" for k in ids)
    headers = [tr("section", lang), tr("index", lang)] + ids
    return (f'<figure><h3>{esc(title)}</h3><div class="matrix">{table(headers, rows, range(1, len(ids) + 2))}'
            f'</div><figcaption>{esc(tr("shading", lang))} {esc(legend)}</figcaption></figure>')


def _shaded(cell: dict | None, definition: dict, lang: str) -> str:
    if cell is None:
        return "–"
    text = esc(value_short(cell["value"], definition, lang))
    score = cell.get("score")
    if i18n.is_missing(score):
        return text
    step = min(len(theme.BLUE_RAMP) - 1, max(0, int(float(score) / 100 * (len(theme.BLUE_RAMP) - 1))))
    ink = theme.WHITE if step >= 5 else theme.HEADING
    return f'<span class="shade" style="background:{theme.BLUE_RAMP[step]};color:{ink}">{text}</span>'


# ---- ministries -------------------------------------------------------------------------------
def ministries(data: PackData, lang: str, charts: Charts) -> Section:
    names = {r["ministry_code"]: i18n.name_of(r, lang) for r in data.dims.ministries.to_dict("records")}
    index = data.ministry_index.dropna(subset=["index_value"]).sort_values("index_value", ascending=False)
    title = tr("ministry_index", lang, period=_label(data.period, lang))
    if len(index):
        fig = figures.grouped_bars_spec(list(index["entity_code"]), {tr("index", lang): list(index["index_value"])},
                                        title="", x_title=tr("index_axis", lang), y_title="", horizontal=True)
        fig = _edit(fig, showlegend=False, xaxis={"range": [0, 100]})
        chart = charts.add(fig, title, CONTENT_PX, 15 * len(index) + 60)
    else:
        chart = empty(lang)
    body = (f'<figure><h3>{esc(title)}</h3>{chart}<figcaption>{esc(tr("ministry_index_note", lang))}</figcaption>'
            f"</figure>" + _ministry_table(data, names, index, lang))
    return Section("ministries", tr("ministries", lang), body)


def _ministry_table(data: PackData, names: dict[str, str], index: pd.DataFrame, lang: str) -> str:
    matrix = data.ministry_matrix
    ids = [k for k in headline_ids(data) if k in set(matrix["kpi_id"])][:MAX_MINISTRY_KPIS]
    defs = data.dims.kpis.set_index("kpi_id")
    values = matrix[matrix["kpi_id"].isin(ids)].pivot(index="entity_code", columns="kpi_id", values="value")
    by_code = index.set_index("entity_code").to_dict("index")
    rows = []
    for code in [c for c in names if c in values.index or c in by_code]:
        r = by_code.get(code, {})
        rank = f"{int(r['rank'])} / {int(r['n_peers'])}" if not i18n.is_missing(r.get("rank")) else "–"
        fake = {"value": r.get("index_value"), "previous": r.get("previous"), "direction": "up", "display_format": "0.0"}
        cells = [esc(f"{names[code]} ({code})"), esc(i18n.fmt_number(r.get("index_value"), "0.0")), esc(rank),
                 change_html(fake, lang, compact=True)]
        cells += [esc(value_short(values.at[code, k] if code in values.index else None, defs.loc[k].to_dict(), lang))
                  for k in ids]
        rows.append(cells)
    headers = [tr("ministry", lang), tr("index", lang), tr("rank", lang), tr("change_short", lang)] + ids
    legend = "; ".join(f"{k} {i18n.name_of(defs.loc[k].to_dict(), lang)}" for k in ids)
    return (f'<h3>{esc(tr("ministry_kpis", lang, period=_label(data.period, lang)))}</h3>'
            + table(headers, rows, numeric=range(1, 4 + len(ids)), css="ministries")
            + f'<p class="muted">{esc(legend)}</p>')


# ---- the register of AI systems -----------------------------------------------------------------
def register(data: PackData, lang: str, charts: Charts) -> Section:
    """The AI systems in force in the quarter (each agency's latest register), by stage: the
    table the dashboard's AI systems page shows unfiltered."""
    frame = data.register
    if not len(frame):
        return Section("register", tr("register", lang), empty(lang))
    by = frame.set_index("stage")
    production = int(by["systems"].get("production", 0))
    lead = tr("register_lead", lang, n=f"{int(frame['systems'].sum()):,}", period=_label(data.period, lang),
              production=f"{production:,}", high=f"{int(by['high_risk'].get('production', 0)):,}",
              assessed=f"{int(by['impact_assessment'].get('production', 0)):,}")
    headers = [i18n.t("stage", lang)] + [i18n.register_heading(c, lang) for c in REGISTER_COUNTS]
    rows = [[esc(i18n.register_word(r["stage"], lang))] + [f"{int(r[c]):,}" for c in REGISTER_COUNTS]
            for r in frame.to_dict("records")]
    shown = ("systems", "high_risk", "impact_assessment", "uses_genai")
    fig = figures.grouped_bars_spec([i18n.register_word(s, lang) for s in frame["stage"]],
                                    {i18n.register_heading(c, lang): list(frame[c]) for c in shown},
                                    title="", x_title="", y_title=i18n.register_heading("systems", lang))
    chart = charts.add(fig, tr("register_by_stage", lang), CONTENT_PX, 240)
    body = (f'<p class="lead">{esc(lead)}</p><figure><h3>{esc(tr("register_by_stage", lang))}</h3>{chart}</figure>'
            + table(headers, rows, numeric=range(1, len(headers)), css="register"))
    return Section("register", tr("register", lang), body)


# ---- deliverables and milestones --------------------------------------------------------------
def deliverables(data: PackData, lang: str, charts: Charts) -> Section:
    frame = data.milestones.copy()
    if not len(frame):
        return Section("deliverables", tr("deliverables", lang), empty(lang))
    for col in ("planned_date", "actual_date"):
        frame[col] = pd.to_datetime(frame[col], errors="coerce")
    frame["label"] = [f"{r['milestone_id']} {i18n.name_of(r, lang, 'title')}" for r in frame.to_dict("records")]
    words = {s: i18n.milestone_word(s, lang) for s in i18n.MILESTONE_STATUS}
    fig = figures.milestone_timeline_spec(frame, title="", planned=tr("planned", lang), actual=tr("actual", lang),
                                          today=P.quarter_end(data.period), today_label=tr("quarter_end", lang),
                                          status_words=words, months=i18n.months(lang))
    chart = charts.add(fig, tr("timeline", lang), CONTENT_PX, 250)
    body = (f'<figure><h3>{esc(tr("timeline", lang))}</h3>{chart}</figure>' + _deliverable_table(data, frame, lang)
            + _milestone_table(frame, lang))
    return Section("deliverables", tr("deliverables", lang), body)


def _deliverable_table(data: PackData, frame: pd.DataFrame, lang: str) -> str:
    rows = []
    for d in data.dims.deliverables.to_dict("records"):
        mine = frame[frame["deliverable_code"] == d["deliverable_code"]]
        done, overdue = int((mine["status"] == "done").sum()), int((mine["status"] == "overdue").sum())
        rows.append([esc(d["deliverable_code"]), esc(i18n.name_of(d, lang)),
                     esc(tr("milestones_done", lang, done=done, n=len(mine), overdue=overdue))])
    return table([tr("deliverable", lang), "", tr("status", lang)], rows)


def _milestone_table(frame: pd.DataFrame, lang: str) -> str:
    icons = {"done": "✔", "in_progress": "◆", "planned": "○", "overdue": "✖"}
    rows = [[esc(r["milestone_id"]), esc(i18n.name_of(r, lang, "title")), esc(_date(r["planned_date"])),
             esc(_date(r["actual_date"])), esc(f"{icons.get(r['status'], '–')} {i18n.milestone_word(r['status'], lang)}")]
            for r in frame.to_dict("records")]
    return table([tr("milestone", lang), "", tr("planned", lang), tr("actual", lang), tr("status", lang)], rows)


def _date(value) -> str:
    return "–" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


# ---- completeness -----------------------------------------------------------------------------
def completeness(data: PackData, lang: str, charts: Charts) -> Section:
    by_period = completeness_by(data.completeness, "period")
    now = by_period[by_period["period"] == data.period]
    if not len(now):
        return Section("completeness", tr("completeness", lang), empty(lang))
    r = now.iloc[0]
    lead = tr("completeness_lead", lang, received=f"{int(r['received']):,}", expected=f"{int(r['expected']):,}",
              pct=f"{r['pct']:.1f}%", late=f"{int(r['late']):,}")
    cats = [_label(p, lang) for p in by_period["period"]]
    fig = figures.grouped_bars_spec(cats, {tr("on_time", lang): list(by_period["on_time"]),
                                           tr("late", lang): list(by_period["late"]),
                                           tr("missing", lang): list(by_period["missing"])},
                                    title="", x_title="", y_title=tr("values", lang))
    fig = _edit(fig, barmode="stack")
    chart = charts.add(fig, tr("completeness_trend", lang), CONTENT_PX, 220)
    body = (f'<p class="lead">{esc(lead)}</p><figure><h3>{esc(tr("completeness_trend", lang))}</h3>{chart}</figure>'
            + _completeness_table(data, lang))
    return Section("completeness", tr("completeness", lang), body)


def _completeness_table(data: PackData, lang: str) -> str:
    frame = data.completeness[data.completeness["period"] == data.period]
    grouped = completeness_by(frame, "ministry_code")
    names = {r["ministry_code"]: i18n.name_of(r, lang) for r in data.dims.ministries.to_dict("records")}
    rows = [[esc(f"{names.get(g['ministry_code'], g['ministry_code'] or '–')}"), f"{int(g['agencies'])}",
             f"{int(g['expected']):,}", f"{int(g['received']):,}", f"{int(g['on_time']):,}", f"{int(g['late']):,}",
             f"{int(g['missing']):,}", "–" if pd.isna(g["pct"]) else f"{g['pct']:.1f}%"]
            for g in grouped.sort_values("pct").to_dict("records")]
    headers = [tr("ministry", lang), tr("agencies", lang), tr("expected", lang), tr("received", lang),
               tr("on_time", lang), tr("late", lang), tr("missing", lang), tr("complete_pct", lang)]
    return f'<h3>{esc(tr("completeness_by_ministry", lang, period=_label(data.period, lang)))}</h3>' + table(
        headers, rows, numeric=range(1, 8))
