"""The printable HTML document of the minister pack: shared parts, cover, summary, appendix.

Charts are plotly figures drawn as SVG by plotly.js: the basic bundle in ``dashboard/vendor``
when every chart is a scatter, bar or pie chart, else the one shipped with the installed plotly
package (never from a CDN); fonts are embedded as data URLs from
``dashboard/assets/fonts`` (Inter, Poppins), with DejaVu Sans for symbols and as the fallback.
The other sections are in ``dashboard/pack_sections.py``.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from plotly.io.json import to_json_plotly

from dashboard import i18n, theme
from dashboard.pack_data import PackData, headline_ids
from dashboard.pack_print import Document, plotly_bundle
from dashboard.pack_text import long_date, methodology, tr
from etl import periods as P

HERE = Path(__file__).resolve().parent
FONTS_DIR = HERE / "assets" / "fonts"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
FONT_STACK = "Inter, 'DejaVu Sans', sans-serif"
CONTENT_PX = 688  # A4 width minus 14 mm margins each side, in CSS pixels
HALF_PX = 332
FONT_FILE = re.compile(r"^(?P<family>[a-z]+)-.*?(?P<weight>[1-9]00)-(?P<style>normal|italic)\.(woff2|woff|ttf|otf)$")


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


@dataclass
class Section:
    id: str
    title: str
    body: str


@dataclass
class Charts:
    """The figures of one document (as JSON); ``add`` returns the placeholder the page script draws into."""

    figures: list[str] = field(default_factory=list)
    trace_types: set[str] = field(default_factory=set)

    def add(self, fig: go.Figure | dict, label: str, width: int = HALF_PX, height: int = 190) -> str:
        """``fig``: a ``go.Figure`` or a figure dict (``dashboard.figures.*_spec``, left as it is)."""
        spec = fig.to_dict() if isinstance(fig, go.Figure) else {**fig}
        spec["layout"] = merged(spec.get("layout") or {}, {
            "width": width, "height": height, "autosize": False, "title": {"text": ""}, "hovermode": False,
            "font": {"family": FONT_STACK, "size": 9}, "legend": {"font": {"size": 8}},
            "margin": {"l": 6, "r": 6, "t": 6, "b": 6}})
        self.figures.append(to_json_plotly(spec))
        self.trace_types.update(trace.get("type", "scatter") for trace in spec.get("data", []))
        i = len(self.figures) - 1
        return (f'<div class="pack-chart" id="chart-{i}" role="img" aria-label="{esc(label)}" '
                f'style="width:{width}px;height:{height}px"></div>')

    def json(self) -> str:
        return "[" + ",".join(self.figures) + "]"


def merged(base: dict, update: dict) -> dict:
    """A copy of ``base`` with ``update`` merged in as plotly's ``update_layout`` merges (nested
    dicts key by key); ``base`` and the dicts in it are left as they were."""
    out = dict(base)
    for key, value in update.items():
        out[key] = merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


# ---- small parts ------------------------------------------------------------------------------
def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], numeric: Iterable[int] = (), css: str = "") -> str:
    """A table of already-escaped cell HTML; ``numeric`` columns are right-aligned."""
    num = set(numeric)
    head = "".join(f'<th{" class=num" if i in num else ""}>{esc(h)}</th>' for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f'<td{" class=num" if i in num else ""}>{c}</td>' for i, c in enumerate(r))
                   + "</tr>" for r in rows)
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def status_html(status: Any, lang: str) -> str:
    code = status if status in theme.STATUS_STYLE else "awaiting_data"
    icon = theme.STATUS_STYLE[code][1]
    return f'<span class="status status-{code}">{icon} {esc(i18n.status_word(code, lang))}</span>'


def value_text(value: Any, row: dict, lang: str) -> str:
    text = i18n.fmt_number(value, row.get("display_format"), row.get("unit"), lang)
    unit = row.get("unit")
    if text == "–" or unit in i18n.PERCENT_UNITS:
        return text if text == "–" else f"{text}%"
    word = i18n.unit_word(unit, lang)
    return f"{text} {word}" if word and unit != "RM" else text


def value_short(value: Any, row: dict, lang: str) -> str:
    """A value for a table cell whose column names the KPI: the number, with % or RM only."""
    text = i18n.fmt_number(value, row.get("display_format"), row.get("unit"), lang)
    return f"{text}%" if text != "–" and row.get("unit") in i18n.PERCENT_UNITS else text


def change_html(row: dict, lang: str, compact: bool = False) -> str:
    value, previous = row.get("value"), row.get("previous")
    if i18n.is_missing(value) or i18n.is_missing(previous):
        return "–" if compact else f'<span class="change-none">{esc(tr("no_previous", lang))}</span>'
    delta = float(value) - float(previous)
    good = (delta > 0) == (str(row.get("direction")) != "down")
    arrow = "▲" if delta > 0 else "▼" if delta < 0 else "■"
    word = tr("unchanged", lang) if not delta else tr("better", lang) if good else tr("worse", lang)
    unit = (" mp" if lang == "ms" else " pp") if row.get("unit") in i18n.PERCENT_UNITS else ""
    css = "none" if not delta else "good" if good else "bad"
    signed = i18n.fmt_signed(delta, row.get("display_format"), row.get("unit"))
    return f'<span class="change-{css}">{arrow} {esc(signed)}{unit} ({esc(word)})</span>'


def coverage_text(row: dict, lang: str) -> str:
    expected = row.get("expected")
    if i18n.is_missing(expected) or not expected:
        return "–"
    return tr("of_agencies", lang, n=int(row.get("reported") or 0), m=int(expected))


def kpi_label(row: dict, lang: str) -> str:
    return f"{row['kpi_id']} {i18n.name_of(row, lang)}"


def unit_note(row: dict, lang: str) -> str:
    """The unit in words where the number alone does not say it (not for % or RM)."""
    unit = row.get("unit")
    if not unit or unit in i18n.PERCENT_UNITS or unit == "RM":
        return ""
    return i18n.unit_word(unit, lang)


def empty(lang: str) -> str:
    return f'<p class="empty">{esc(tr("no_data", lang))}</p>'


# ---- cover, summary, appendix -----------------------------------------------------------------
def cover(data: PackData, lang: str, contents: Sequence[Section]) -> Section:
    period, meta = data.period, data.meta
    published = i18n.local_time(meta.get("published_at"))[:10]  # the day in Malaysia
    published_text = long_date(date.fromisoformat(published), lang) if published[:1].isdigit() else "–"
    span = f"{long_date(P.quarter_start(period), lang)} – {long_date(P.quarter_end(period), lang)}"
    items = "".join(f"<li>{esc(s.title)}</li>" for s in contents)
    body = (f'<div class="cover-band"><h1>{esc(tr("title", lang))}</h1><p class="subtitle">{esc(tr("subtitle", lang))}'
            f' · {esc(tr("office", lang))}</p></div>'
            f'<div class="cover-period">{esc(i18n.period_label(period, lang))}</div>'
            f'<div class="cover-range">{esc(tr("covers", lang))}: {esc(span)}</div>'
            f'<div class="contents"><h3>{esc(tr("contents", lang))}</h3><ol>{items}</ol></div>'
            f'<dl class="cover-meta"><dt>{esc(tr("published", lang))}</dt><dd>{esc(published_text)}</dd>'
            f'<dt>{esc(tr("snapshot", lang))}</dt><dd class="mono" id="snapshot-id">{esc(meta.get("snapshot_id"))}</dd>'
            f'<dt>{esc(tr("content_hash", lang))}</dt><dd class="mono" id="content-hash">{esc(meta.get("content_hash"))}</dd>'
            f'<dd class="muted">{esc(tr("reproducible", lang))}</dd></dl>')
    return Section("cover", tr("title", lang), body)


def summary(data: PackData, lang: str) -> Section:
    nat = data.national.to_dict("records")
    counts = {code: sum(1 for r in nat if (r.get("status") or "awaiting_data") == code) for code in theme.STATUS_STYLE}
    tally = "".join(f"<div><strong>{n}</strong>{status_html(code, lang)}</div>" for code, n in counts.items())
    heads = headline_ids(data)
    cards = "".join(_card(r, lang) for r in nat if r["kpi_id"] in heads)
    period = i18n.period_label(data.period, lang)
    body = (_index_box(data, lang) + f'<div class="tally">{tally}</div>'
            f'<h3>{esc(tr("headline", lang, period=period))}</h3><div class="cards">{cards}</div>'
            f'<h3>{esc(tr("all_kpis", lang, period=period))}</h3>{_kpi_table(data, lang)}')
    return Section("summary", tr("summary", lang), body)


def _index_box(data: PackData, lang: str) -> str:
    if not len(data.national_index):
        return ""
    row = data.national_index.iloc[0].to_dict()
    fake = {"value": row.get("index_value"), "previous": row.get("previous"), "direction": "up", "unit": "index",
            "display_format": "0.0"}
    return (f'<div class="index-box">{esc(tr("index_national", lang))}: <strong>'
            f'{esc(i18n.fmt_number(row.get("index_value"), "0.0"))}</strong> / 100 · {change_html(fake, lang)}</div>')


def _card(row: dict, lang: str) -> str:
    return (f'<div class="card"><div class="name">{esc(kpi_label(row, lang))}</div>'
            f'<div class="big">{esc(value_short(row.get("value"), row, lang))}</div>'
            f'<div class="muted">{esc(unit_note(row, lang))}</div>'
            f'<div>{status_html(row.get("status"), lang)}</div><div>{change_html(row, lang)}</div>'
            f'<div class="muted">{esc(coverage_text(row, lang))}</div></div>')


def _kpi_table(data: PackData, lang: str) -> str:
    headers = [tr("kpi", lang), tr("value", lang), tr("target", lang), tr("status", lang), tr("change", lang),
               tr("coverage", lang)]
    rows: list[list[str]] = []
    for pillar in data.pillars():
        rows.append([f'<b>{esc(i18n.pillar_word(pillar, lang))}</b>', "", "", "", "", ""])
        for r in data.kpis_of(pillar).to_dict("records"):
            note = unit_note(r, lang)
            rows.append([esc(kpi_label(r, lang)) + (f' <span class="muted">({esc(note)})</span>' if note else ""),
                         esc(value_short(r.get("value"), r, lang)),
                         esc(value_short(r.get("target"), r, lang)), status_html(r.get("status"), lang),
                         change_html(r, lang), esc(coverage_text(r, lang))])
    return table(headers, rows, numeric=(1, 2), css="kpis")


def appendix(data: PackData, lang: str) -> Section:
    blocks = "".join(_definition(r, lang) for r in data.dims.kpis.to_dict("records"))
    paras = "".join(f"<p>{esc(p)}</p>" for p in methodology(lang))
    body = f'{blocks}<div class="methodology"><h3>{esc(tr("methodology", lang))}</h3>{paras}</div>'
    return Section("appendix", tr("appendix", lang), body)


def _definition(row: dict, lang: str) -> str:
    direction = tr("down_good", lang) if str(row.get("direction")) == "down" else tr("up_good", lang)
    pairs = [(tr("description", lang), i18n.name_of(row, lang, "description")),
             (tr("pillar_word", lang), i18n.pillar_word(row.get("pillar"), lang)),
             (tr("deliverables_word", lang), ", ".join(i18n.parse_list(row.get("deliverables")))),
             (tr("formula", lang), row.get("formula")),
             (tr("unit", lang), i18n.unit_word(row.get("unit"), lang) or row.get("unit")),
             (tr("direction", lang), direction), (tr("rollup", lang), i18n.rollup_word(row.get("rollup"), lang)),
             (tr("targets", lang), _targets(row.get("targets_json"), row, lang))]
    items = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v if v not in (None, '') else '–')}</dd>" for k, v in pairs)
    return f'<div class="definition"><h3>{esc(kpi_label(row, lang))}</h3><dl>{items}</dl></div>'


def _targets(raw: Any, row: dict, lang: str) -> str:
    try:
        targets = json.loads(raw) if isinstance(raw, str) and raw else []
    except ValueError:
        return ""
    parts = []
    for t in targets if isinstance(targets, list) and all(isinstance(x, dict) for x in targets) else []:
        notes = [i18n.period_label(str(t["period"]), lang)] if t.get("period") else []
        notes += [tr("proposal", lang)] if t.get("proposal") else []
        text = value_text(t.get("value"), row, lang)
        parts.append(f"{text} ({', '.join(notes)})" if notes else text)
    return "; ".join(parts)


# ---- the document -----------------------------------------------------------------------------
@lru_cache(maxsize=1)
def font_faces() -> str:
    """@font-face rules with the fonts as data URLs (assets/fonts, else DejaVu Sans); read once."""
    rules = []
    for path in sorted(FONTS_DIR.glob("*")) if FONTS_DIR.is_dir() else []:
        m = FONT_FILE.match(path.name.lower())
        if m:
            rules.append(_face(m["family"].capitalize(), int(m["weight"]), m["style"], path))
    if not rules:
        for weight, name in ((400, "DejaVuSans.ttf"), (600, "DejaVuSans-Bold.ttf")):
            if (DEJAVU / name).exists():
                rules.append(_face("DejaVu Sans", weight, "normal", DEJAVU / name))
    return "\n".join(rules)


def _face(family: str, weight: int, style: str, path: Path) -> str:
    fmt = {"woff2": "woff2", "woff": "woff", "ttf": "truetype", "otf": "opentype"}[path.suffix.lstrip(".").lower()]
    data = base64.b64encode(path.read_bytes()).decode()
    return (f"@font-face {{ font-family: '{family}'; font-weight: {weight}; font-style: {style}; "
            f"src: url(data:font/{fmt};base64,{data}) format('{fmt}'); }}")


RENDER_SCRIPT = """
window.__packErrors = []; window.__packDrawn = 0;
try {
  const figures = JSON.parse(document.getElementById('pack-figures').textContent);
  document.fonts.ready.then(() => Promise.all(figures.map((f, i) =>
    Plotly.newPlot('chart-' + i, f.data, f.layout, {staticPlot: true, displayModeBar: false})
      .then(() => { window.__packDrawn += 1; })
      .catch(e => window.__packErrors.push('chart-' + i + ': ' + e)))));
} catch (e) { window.__packErrors.push(String(e)); }
"""


def document(sections: Sequence[Section], charts: Charts, lang: str, title: str) -> Document:
    css = (HERE / "pack.css").read_text(encoding="utf-8")
    body = "\n".join(f'<section class="pack-section" id="{s.id}">'
                     + (f"<h2>{esc(s.title)}</h2>" if s.id != "cover" else "") + s.body + "</section>"
                     for s in sections)
    figures = charts.json().replace("</", "<\\/")
    return Document(lang=lang, title=title, style=f"{font_faces()}\n{css}",
                    body=f'{body}<script id="pack-figures" type="application/json">{figures}</script>',
                    script=RENDER_SCRIPT, plotly=plotly_bundle(charts.trace_types))
