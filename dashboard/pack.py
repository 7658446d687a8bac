"""The ministers' PDF pack: one quarter, one language, from one frozen warehouse snapshot.

``build_pack`` pins the snapshot (``etl.publish.pin``: publish never prunes it), reads it
read-only from ``data/snapshots/<id>.duckdb``, builds the printable HTML document, prints it
with the process's Chromium (``dashboard.pack_print``: started while the data is read, kept
for the next pack) and checks it on the way (every chart drawn, every section present). The
same snapshot, quarter and language always give the same content, so finished packs are
kept in ``data/packs/`` and served again; the scheduler builds the current quarter's packs
after each publish (``etl.jobs.prebuild_packs``). One build of a pack runs at a time, across
processes. Every build leaves a run row (job ``pack``) with its seconds by step.
"""

from __future__ import annotations

import fcntl
import hashlib
import html
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from dashboard import i18n, pack_html, pack_sections
from dashboard.pack_data import gather, snapshot_periods
from dashboard.pack_print import Document, page_count, print_pdf, warm_up
from dashboard.pack_text import tr
from etl import periods
from etl.publish import pin, snapshot_path
from etl.settings import Settings
from etl.store import Store
from etl.warehouse import Warehouse

LANGS = ("ms", "en")
SNAPSHOT_ID = re.compile(r"^\d{8}T\d{6}-[0-9a-f]{6}$")
MAX_BUILDS = 2  # packs built at once in a process (their printing takes turns in one Chromium)
RETRY_AFTER_SECONDS = 10
_builds = threading.BoundedSemaphore(MAX_BUILDS)


class PackError(ValueError):
    """The request cannot make a pack (unknown language, quarter or snapshot)."""


class PackBusy(RuntimeError):
    """A build that was asked not to wait: this pack is being built already (``same``), or the
    process is building as many packs as it may (``busy``)."""

    def __init__(self, reason: str, retry_after: int = RETRY_AFTER_SECONDS):
        super().__init__("this pack is being built" if reason == "same" else "other packs are being built")
        self.reason = reason
        self.retry_after = retry_after


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


@lru_cache(maxsize=1)
def _layout_version() -> str:
    """Changes whenever the pack's code, style or fonts change, or the pages' code it reads and
    draws with (queries, figures, words, colours): finished packs are then rebuilt."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    shared = [here / f"{name}.py" for name in ("queries", "figures", "i18n", "theme")]
    for path in (sorted(here.glob("pack*.py")) + shared + [here / "pack.css"] + sorted(pack_html.FONTS_DIR.glob("*"))
                 + sorted(here.glob("vendor/*.js"))):
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
               snapshot_id: str | None = None, trigger: str = "manual", use_cache: bool = True,
               wait: bool = True) -> Pack:
    """The pack's PDF (built, or served from ``data/packs`` when already built).

    One build of a given pack runs at a time, across processes (a file lock beside the packs):
    a caller that finds it running waits and then takes the finished file, or, with
    ``wait=False``, gets ``PackBusy`` at once (also when ``MAX_BUILDS`` packs are being built)."""
    snapshot_id, frozen = resolve_snapshot(settings, snapshot_id)
    pin(settings.snapshots_dir, snapshot_id)
    wh = Warehouse(frozen)
    period = check_request(wh, period, lang)
    meta = wh.meta()
    target = settings.data_dir / "packs" / f"{snapshot_id}-{period}-{lang}-{_layout_version()}.pdf"
    if use_cache and target.exists():
        return _kept(target, snapshot_id, meta, period, lang)
    with _one_build(target, wait):
        if use_cache and target.exists():  # built by another request while this one waited
            return _kept(target, snapshot_id, meta, period, lang)
        pdf = _recorded_build(settings, store, wh, period, lang, trigger)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(pdf)
        os.replace(tmp, target)
    return Pack(pdf, target, snapshot_id, meta["content_hash"], period, lang, page_count(pdf), False)


@contextmanager
def _one_build(target: Path, wait: bool) -> Iterator[None]:
    """Hold the pack's build lock (``data/packs/.building/<pack>.lock``) and a build slot."""
    path = target.parent / ".building" / f"{target.stem}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise PackBusy("same") from None
        try:
            if not _builds.acquire(blocking=wait):
                raise PackBusy("busy")
            try:
                yield
            finally:
                _builds.release()
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _kept(target: Path, snapshot_id: str, meta: dict, period: str, lang: str) -> Pack:
    pdf = target.read_bytes()
    return Pack(pdf, target, snapshot_id, meta["content_hash"], period, lang, page_count(pdf), True)


def _recorded_build(settings: Settings, store: Store, wh: Warehouse, period: str, lang: str, trigger: str) -> bytes:
    run_id = store.start_run("pack", trigger)
    started = time.perf_counter()
    try:
        pdf, n_charts, sections, timings = render_pdf(settings, wh, period, lang)
    except Exception as exc:
        store.finish_run(run_id, "failed", {"period": period, "lang": lang}, f"{type(exc).__name__}: {exc}")
        raise
    store.finish_run(run_id, "ok", {"snapshot_id": wh.meta()["snapshot_id"], "period": period, "lang": lang,
                                    "pages": page_count(pdf), "charts": n_charts, "sections": sections,
                                    "bytes": len(pdf), "seconds": round(time.perf_counter() - started, 1),
                                    "timings": timings})
    return pdf


def render_html(wh: Warehouse, period: str, lang: str, timings: dict | None = None) -> tuple[Document, list[str], int]:
    """The pack's document, its section ids and its number of charts (``timings`` gets the
    seconds spent reading the data and building the document)."""
    started = time.perf_counter()
    data = gather(wh, period)
    read = time.perf_counter()
    charts = pack_html.Charts()
    body = [pack_html.summary(data, lang)]
    body += [pack_sections.pillar(data, p, lang, charts) for p in data.pillars()]
    body += [pack_sections.sectors(data, lang, charts), pack_sections.ministries(data, lang, charts),
             pack_sections.register(data, lang, charts), pack_sections.deliverables(data, lang, charts),
             pack_sections.completeness(data, lang, charts),
             pack_html.appendix(data, lang)]
    sections = [pack_html.cover(data, lang, body), *body]
    document = pack_html.document(sections, charts, lang, f"{tr('title', lang)}, {i18n.period_label(period, lang)}")
    if timings is not None:
        timings.update(data=round(read - started, 2), html=round(time.perf_counter() - read, 2))
    return document, [s.id for s in sections], len(charts.figures)


def render_pdf(settings: Settings, wh: Warehouse, period: str, lang: str) -> tuple[bytes, int, int, dict]:
    """Print the document (no server involved); returns (pdf, charts, sections, seconds by step).

    The browser starts (or is found running) while the data is read and the document built."""
    warm_up(settings.chromium)
    timings: dict = {}
    document, sections, n_charts = render_html(wh, period, lang, timings)
    started = time.perf_counter()
    pdf = print_pdf(document, chromium=settings.chromium, sections=sections, charts=n_charts,
                    footer=footer(wh.meta()["snapshot_id"], period, lang))
    timings["print"] = round(time.perf_counter() - started, 2)
    return pdf, n_charts, len(sections), timings


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
