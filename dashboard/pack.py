"""The ministers' PDF pack: one quarter, one language, from one frozen warehouse snapshot.

``build_pack`` pins the snapshot (``etl.publish.pin``: publish never prunes it), reads it
read-only from ``data/snapshots/<id>.duckdb``, writes the printable HTML document, prints it
with Chromium and checks it on the way (every chart drawn, every section present). The same
snapshot, quarter and language always give the same content, so finished packs are kept in
``data/packs/`` and served again. Every build leaves a run row (job ``pack``).
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import plotly

from dashboard import pack_html, pack_sections
from dashboard.pack_data import gather, snapshot_periods
from dashboard.pack_print import page_count, print_pdf
from dashboard.pack_text import tr
from etl import periods
from etl.publish import pin, snapshot_path
from etl.settings import Settings
from etl.store import Store
from etl.warehouse import Warehouse

LANGS = ("ms", "en")
SNAPSHOT_ID = re.compile(r"^\d{8}T\d{6}-[0-9a-f]{6}$")
PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
_build_lock = threading.Lock()  # one Chromium at a time per process


class PackError(ValueError):
    """The request cannot make a pack (unknown language, quarter or snapshot)."""


@dataclass
class Pack:
    pdf: bytes
    path: Path
    snapshot_id: str
    content_hash: str
    period: str
    lang: str
    pages: int
    cached: bool

    @property
    def file_name(self) -> str:
        return f"naio-pack-{self.period}-{self.lang}.pdf"


def _layout_version() -> str:
    """Changes whenever the pack's code, style or fonts change (finished packs are rebuilt)."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for path in sorted(here.glob("pack*.py")) + [here / "pack.css"] + sorted(pack_html.FONTS_DIR.glob("*")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def resolve_snapshot(settings: Settings, snapshot_id: str | None = None) -> tuple[str, Path]:
    """The snapshot to build from (the one published now unless named) and its frozen file."""
    if snapshot_id:
        if not SNAPSHOT_ID.match(snapshot_id) or not snapshot_path(settings, snapshot_id).exists():
            raise PackError(f"no published snapshot {snapshot_id[:40]!r} in {settings.snapshots_dir}")
        return snapshot_id, snapshot_path(settings, snapshot_id)
    current = Warehouse(settings.warehouse_path)
    if not current.exists():
        raise PackError("no warehouse has been published yet: run `python app.py publish`")
    snapshot_id = current.meta()["snapshot_id"]
    frozen = snapshot_path(settings, snapshot_id)
    if not frozen.exists():  # a warehouse copied in from elsewhere: freeze a copy of it
        frozen.parent.mkdir(parents=True, exist_ok=True)
        tmp = frozen.with_name(f".{frozen.name}.copy")
        shutil.copyfile(settings.warehouse_path, tmp)
        os.replace(tmp, frozen)
    return snapshot_id, frozen


def check_request(wh: Warehouse, period: str | None, lang: str) -> str:
    """The canonical quarter of a request; raises ``PackError`` for what the snapshot cannot show."""
    if lang not in LANGS:
        raise PackError(f"language {lang!r} is not offered; use one of {', '.join(LANGS)}")
    try:
        period = periods.normalise_period(period) if period else wh.meta()["current_period"]
    except ValueError as exc:
        raise PackError(str(exc)) from exc
    held = snapshot_periods(wh)
    if period not in held:
        span = f"{held[0]} to {held[-1]}" if held else "none"
        raise PackError(f"the snapshot holds no quarter {period} (quarters held: {span})")
    return period


def build_pack(settings: Settings, store: Store, *, period: str | None = None, lang: str = "en",
               snapshot_id: str | None = None, trigger: str = "manual", use_cache: bool = True) -> Pack:
    """The pack's PDF (built, or served from ``data/packs`` when already built)."""
    snapshot_id, frozen = resolve_snapshot(settings, snapshot_id)
    pin(settings.snapshots_dir, snapshot_id)
    wh = Warehouse(frozen)
    period = check_request(wh, period, lang)
    meta = wh.meta()
    target = settings.data_dir / "packs" / f"{snapshot_id}-{period}-{lang}-{_layout_version()}.pdf"
    if use_cache and target.exists():
        return _kept(target, snapshot_id, meta, period, lang)
    with _build_lock:
        if use_cache and target.exists():  # built by another request while this one waited
            return _kept(target, snapshot_id, meta, period, lang)
        pdf = _recorded_build(settings, store, wh, period, lang, trigger)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(pdf)
        os.replace(tmp, target)
    return Pack(pdf, target, snapshot_id, meta["content_hash"], period, lang, page_count(pdf), False)


def _kept(target: Path, snapshot_id: str, meta: dict, period: str, lang: str) -> Pack:
    pdf = target.read_bytes()
    return Pack(pdf, target, snapshot_id, meta["content_hash"], period, lang, page_count(pdf), True)


def _recorded_build(settings: Settings, store: Store, wh: Warehouse, period: str, lang: str, trigger: str) -> bytes:
    run_id = store.start_run("pack", trigger)
    started = time.perf_counter()
    try:
        pdf, n_charts, sections = render_pdf(settings, wh, period, lang)
    except Exception as exc:
        store.finish_run(run_id, "failed", {"period": period, "lang": lang}, f"{type(exc).__name__}: {exc}")
        raise
    store.finish_run(run_id, "ok", {"snapshot_id": wh.meta()["snapshot_id"], "period": period, "lang": lang,
                                    "pages": page_count(pdf), "charts": n_charts, "sections": sections,
                                    "bytes": len(pdf), "seconds": round(time.perf_counter() - started, 1)})
    return pdf


def render_html(wh: Warehouse, period: str, lang: str) -> tuple[str, list[str], int]:
    """The pack's HTML document, its section ids and its number of charts."""
    data = gather(wh, period)
    charts = pack_html.Charts()
    body = [pack_html.summary(data, lang)]
    body += [pack_sections.pillar(data, p, lang, charts) for p in data.pillars()]
    body += [pack_sections.sectors(data, lang, charts), pack_sections.ministries(data, lang, charts),
             pack_sections.deliverables(data, lang, charts), pack_sections.completeness(data, lang, charts),
             pack_html.appendix(data, lang)]
    sections = [pack_html.cover(data, lang, body), *body]
    document = pack_html.document(sections, charts, lang, f"{tr('title', lang)} {period}")
    return document, [s.id for s in sections], len(charts.figures)


def render_pdf(settings: Settings, wh: Warehouse, period: str, lang: str) -> tuple[bytes, int, int]:
    """Print the document from a temporary folder (no server involved); returns (pdf, charts, sections)."""
    document, sections, n_charts = render_html(wh, period, lang)
    with tempfile.TemporaryDirectory(prefix="naio-pack-") as tmp:
        page = Path(tmp) / "pack.html"
        page.write_text(document, encoding="utf-8")
        shutil.copyfile(PLOTLY_JS, Path(tmp) / "plotly.min.js")
        pdf = print_pdf(page, chromium=settings.chromium, sections=sections, charts=n_charts,
                        footer=footer(wh.meta()["snapshot_id"], period, lang))
    return pdf, n_charts, len(sections)


def footer(snapshot_id: str, period: str, lang: str) -> str:
    from dashboard.i18n import period_label

    left = html.escape(tr("footer", lang, period=period_label(period, lang), snapshot=snapshot_id))
    right = html.escape(tr("page_of", lang, page="\0", pages="\1")).replace(
        "\0", '<span class="pageNumber"></span>').replace("\1", '<span class="totalPages"></span>')
    return ('<div style="font-family: \'DejaVu Sans\', sans-serif; font-size: 8px; color: #6B6B74; width: 100%; '
            f'margin: 0 14mm; display: flex; justify-content: space-between;"><span>{left}</span><span>{right}</span></div>')


def render_pack(settings: Settings, store: Store, period: str, lang: str, trigger: str) -> tuple[bytes, str]:
    """The scheduler's pack builder (``etl.jobs.PackBuilder``): PDF bytes and snapshot id."""
    pack = build_pack(settings, store, period=period, lang=lang, trigger=trigger)
    return pack.pdf, pack.snapshot_id
