"""Print the pack's HTML document to PDF with Chromium (Playwright), and check it first.

No web server is involved (a server that printed its own pages would need spare threads to
answer itself). One Chromium serves the whole process: ``Printer`` drives it from a thread of
its own (Playwright's synchronous API stays on the thread that started it), one document at
a time, launches it on first use, launches it again if it died, and closes it after
``IDLE_SECONDS`` without work. It keeps a page in which plotly.js is already loaded; a pack
``Document`` is put into that page (style, body, figures) and drawn there, so plotly.js is
read and compiled once per browser rather than once per pack. ``warm_up`` starts the browser
and loads that page while the caller is still reading the warehouse.

Before printing, the printer waits until every chart has drawn its SVG and checks that every
expected section is in the page; anything missing stops the build with ``PackRenderError``
instead of a PDF with blank charts.
"""

from __future__ import annotations

import atexit
import queue
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import plotly

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                 "--font-render-hinting=none", "--disable-extensions", "--disable-default-apps",
                 "--mute-audio", "--disable-breakpad"]
MARGIN = {"top": "14mm", "bottom": "16mm", "left": "14mm", "right": "14mm"}
PRINTABLE_WIDTH = "182mm"  # A4's 210 mm less the left and right margins
TIMEOUT_MS = 90_000
IDLE_SECONDS = 600.0  # an idle browser is closed after this long
ANSWER_SECONDS = 300.0  # a printer that has not finished a job by then (queue included) is given up
PAGE_USES = 40  # a fresh warm page after this many documents
PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"  # every trace type
PLOTLY_BASIC = Path(__file__).resolve().parent / "vendor" / "plotly-basic.min.js"  # scatter, bar and pie only
BASIC_TRACES = frozenset({"scatter", "bar", "pie"})
SHELL = ('<!doctype html><html><head><meta charset="utf-8"></head><body>'
         '<script src="{script}"></script></body></html>')


def plotly_bundle(trace_types: set[str]) -> Path:
    """The smallest plotly.js that draws these trace types (the basic bundle when it is there)."""
    return PLOTLY_BASIC if trace_types <= BASIC_TRACES and PLOTLY_BASIC.exists() else PLOTLY_JS

# True when every chart has drawn (or the page reported a drawing error).
CHARTS_DRAWN = """(n) => {
  if ((window.__packErrors || []).length) return true;
  const charts = Array.from(document.querySelectorAll('.pack-chart'));
  return charts.length === n && window.__packDrawn === n && document.fonts.status === 'loaded'
    && charts.every(g => g._fullData && g._fullData.length > 0 && g.querySelector('svg.main-svg'));
}"""
PAGE_PROBLEMS = """(sections) => {
  const problems = (window.__packErrors || []).map(e => 'chart error: ' + e);
  sections.filter(id => !document.getElementById(id)).forEach(id => problems.push('missing section: ' + id));
  document.querySelectorAll('.pack-chart').forEach(g => {
    if (!g.querySelector('svg.main-svg .trace')) problems.push('chart without a drawn trace: ' + g.id);
    if (g.querySelector('canvas, image')) problems.push('chart drawn as a raster image: ' + g.id);
  });
  if (/Loading\\.\\.\\.|Error loading/i.test(document.body.innerText)) problems.push('the page says it is loading');
  return problems;
}"""
# Chromium shrinks every page of a print to fit its widest element: an element wider than the
# printable width (A4 less the margins) would make the whole pack smaller. Measured with the
# body at that width, in print media.
TOO_WIDE = """(width) => {
  const body = document.body, before = body.style.width;
  body.style.width = width;
  const wide = Array.from(document.querySelectorAll('section'))
    .filter(s => s.scrollWidth > s.clientWidth + 1)
    .map(s => 'wider than the page: ' + s.id + ' (' + s.scrollWidth + ' px in ' + s.clientWidth + ' px)');
  body.style.width = before;
  return wide;
}"""
# Put a document into the warm page: the previous charts are released and the previous
# document's style and script removed, the fonts of the new style are loaded before anything
# is drawn (text is measured with the fonts it prints with).
PUT_DOCUMENT = """async (doc) => {
  document.querySelectorAll('.pack-chart').forEach(g => { try { Plotly.purge(g); } catch (e) {} });
  window.__packErrors = []; window.__packDrawn = 0;
  document.documentElement.lang = doc.lang;
  document.title = doc.title;
  document.querySelectorAll('style.pack-style, script.pack-script').forEach(e => e.remove());
  const style = document.createElement('style');  // plotly.js keeps its own style element in the head
  style.className = 'pack-style';
  style.textContent = doc.style;
  document.head.appendChild(style);
  document.body.innerHTML = doc.body;
  window.scrollTo(0, 0);
  await Promise.all(Array.from(document.fonts).map(f => f.load().catch(() => null)));
  return typeof Plotly === 'object';
}"""


class PackRenderError(RuntimeError):
    """The document did not render completely; nothing was printed."""


@dataclass(frozen=True)
class Document:
    """A pack document in parts: ``html()`` is the whole page (the ``plotly`` bundle to be put
    beside it as ``plotly.min.js``); the printer puts the parts into a page that already has it."""

    lang: str
    title: str
    style: str
    body: str  # sections and the figures' JSON (a ``<script type="application/json">``)
    script: str  # draws the figures
    plotly: Path = PLOTLY_JS

    def html(self) -> str:
        import html as _html

        return (f'<!doctype html><html lang="{self.lang}"><head><meta charset="utf-8">'
                f"<title>{_html.escape(self.title)}</title><style>{self.style}</style></head><body>{self.body}"
                f'<script src="plotly.min.js"></script><script>{self.script}</script></body></html>')


# ---- the browser thread -----------------------------------------------------------------------
class _Session:
    """Playwright, the browser and the warm page; used only on the printer's thread."""

    def __init__(self, chromium: str, folder: Path):
        self.chromium = chromium
        self.folder = folder
        self.pw = None
        self.browser = None
        self.page = None
        self.page_bundle: Path | None = None
        self.page_uses = 0

    def browser_ready(self):
        if self.browser is not None and not self.browser.is_connected():
            self.close()
        if self.browser is None:
            from playwright.sync_api import sync_playwright

            if self.pw is None:
                self.pw = sync_playwright().start()
            self.browser = self.pw.chromium.launch(executable_path=self.chromium, args=CHROMIUM_ARGS, headless=True)
        return self.browser

    def warm_page(self, bundle: Path = PLOTLY_BASIC):
        """The page with this plotly.js bundle loaded, ready for a document."""
        browser = self.browser_ready()
        if self.page is not None and (self.page.is_closed() or self.page_uses >= PAGE_USES
                                      or self.page_bundle != bundle):
            self.drop_page()
        if self.page is None:
            shell = self.folder / f"{bundle.stem}.html"
            if not shell.exists():
                shutil.copyfile(bundle, self.folder / bundle.name)
                shell.write_text(SHELL.format(script=bundle.name), encoding="utf-8")
            page = browser.new_page()
            try:
                page.goto(shell.as_uri(), wait_until="load", timeout=TIMEOUT_MS)
                if not page.evaluate("typeof Plotly === 'object'"):
                    raise PackRenderError("plotly.js did not load in the printing page")
            except BaseException:
                page.close()
                raise
            self.page, self.page_bundle, self.page_uses = page, bundle, 0
        return self.page

    def drop_page(self) -> None:
        page, self.page = self.page, None
        if page is not None:
            try:
                page.close()
            except Exception:  # the browser may be gone already
                pass

    def close(self) -> None:
        self.page = None
        browser, pw, self.browser, self.pw = self.browser, self.pw, None, None
        for stop in (browser and browser.close, pw and pw.stop):
            try:
                if stop:
                    stop()
            except Exception:  # already gone
                pass


class Printer:
    """One Chromium for the process, driven by its own thread; jobs run one at a time."""

    def __init__(self, chromium: str, idle_seconds: float = IDLE_SECONDS):
        self.chromium = chromium
        self.idle_seconds = idle_seconds
        self._jobs: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, job: Callable[[_Session], Any]) -> Future:
        future: Future = Future()
        with self._lock:
            self._jobs.put((future, job))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="naio-pack-printer", daemon=True)
                self._thread.start()
        return future

    def call(self, job: Callable[[_Session], Any], timeout: float | None = None) -> Any:
        return self.submit(job).result(timeout)

    def warm_up(self, bundle: Path) -> Future:
        """Start the browser and load plotly.js now (returns at once)."""
        return self.submit(lambda s: s.warm_page(bundle) and None)

    def close(self, timeout: float = 10.0) -> None:
        with self._lock:
            thread = self._thread
            if thread is None or not thread.is_alive():
                return
            self._jobs.put(None)
        thread.join(timeout)

    def _run(self) -> None:
        folder = Path(tempfile.mkdtemp(prefix="naio-printer-"))
        session = _Session(self.chromium, folder)
        try:
            while True:
                try:
                    item = self._jobs.get(timeout=self.idle_seconds)
                except queue.Empty:
                    item = None
                if item is None:  # idle, or asked to close: stop unless a job came in meanwhile
                    with self._lock:
                        if self._jobs.empty():
                            self._thread = None
                            return
                    continue
                future, job = item
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    future.set_result(job(session))
                except BaseException as exc:  # the caller gets it; the next job starts clean
                    session.drop_page()
                    if session.browser is not None and not session.browser.is_connected():
                        session.close()
                    future.set_exception(exc)
        finally:
            session.close()
            shutil.rmtree(folder, ignore_errors=True)


_printers: dict[str, Printer] = {}
_printers_lock = threading.Lock()


def printer(chromium: str) -> Printer:
    """The process's printer for this Chromium."""
    with _printers_lock:
        if chromium not in _printers:
            _printers[chromium] = Printer(chromium)
        return _printers[chromium]


@atexit.register
def close_printers() -> None:
    with _printers_lock:
        found = list(_printers.values())
    for p in found:
        p.close(timeout=5.0)


# ---- printing ---------------------------------------------------------------------------------
def warm_up(chromium: str, bundle: Path | None = None) -> None:
    """Start the browser in the background (nothing happens when Chromium is missing)."""
    if Path(chromium).exists():
        printer(chromium).warm_up(bundle or plotly_bundle(BASIC_TRACES))


def print_pdf(document: Document | Path, *, chromium: str, sections: Sequence[str], charts: int, footer: str,
              timeout_ms: int = TIMEOUT_MS) -> bytes:
    """The A4 PDF of ``document`` (a ``Document``, or an HTML file opened in a page of its own)
    once ``charts`` charts have drawn (within ``timeout_ms``) and ``sections`` are present."""
    if not Path(chromium).exists():
        raise PackRenderError(f"Chromium not found at {chromium} (set NAIO_CHROMIUM)")
    options = dict(sections=list(sections), charts=charts, footer=footer, timeout_ms=timeout_ms)
    if isinstance(document, Document):
        job = partial(_print_document, document=document, **options)
    else:
        job = partial(_print_file, path=Path(document), **options)
    chosen = printer(chromium)
    try:
        return chosen.call(job, timeout=ANSWER_SECONDS)
    except FutureTimeout:
        with _printers_lock:  # a wedged browser: the next pack gets a new printer
            if _printers.get(chromium) is chosen:
                del _printers[chromium]
        raise PackRenderError(f"Chromium did not finish the pack within {ANSWER_SECONDS:.0f} s") from None


def _print_document(session: _Session, *, document: Document, **options) -> bytes:
    from playwright.sync_api import Error as PlaywrightError

    page = session.warm_page(document.plotly)
    session.page_uses += 1
    try:
        page.emulate_media(media="screen")
        page.evaluate(PUT_DOCUMENT, {"lang": document.lang, "title": document.title, "style": document.style,
                                     "body": document.body})
        page.add_script_tag(content=document.script).evaluate("e => { e.className = 'pack-script'; }")
    except PlaywrightError as exc:
        raise PackRenderError(f"the document did not load: {exc}") from exc
    return _check_and_print(page, **options)


def _print_file(session: _Session, *, path: Path, **options) -> bytes:
    from playwright.sync_api import Error as PlaywrightError

    page = session.browser_ready().new_page()
    try:
        try:
            page.goto(path.resolve().as_uri(), wait_until="load", timeout=TIMEOUT_MS)
        except PlaywrightError as exc:
            raise PackRenderError(f"the document did not load: {exc}") from exc
        return _check_and_print(page, **options)
    finally:
        page.close()


def _check_and_print(page, *, sections: list[str], charts: int, footer: str, timeout_ms: int) -> bytes:
    from playwright.sync_api import Error as PlaywrightError

    try:
        page.wait_for_function(CHARTS_DRAWN, arg=charts, timeout=timeout_ms)
    except PlaywrightError as exc:
        drawn = page.evaluate("window.__packDrawn || 0")
        raise PackRenderError(f"charts did not finish drawing: {drawn} of {charts} drawn") from exc
    problems = page.evaluate(PAGE_PROBLEMS, sections)
    if problems:
        raise PackRenderError("the pack is incomplete: " + "; ".join(problems[:10]))
    page.emulate_media(media="print")
    wide = page.evaluate(TOO_WIDE, PRINTABLE_WIDTH)
    if wide:
        raise PackRenderError("the pack would print smaller than its size: " + "; ".join(wide[:10]))
    return page.pdf(format="A4", print_background=True, display_header_footer=True,
                    header_template="<span></span>", footer_template=footer, margin=MARGIN)


def page_count(pdf: bytes) -> int:
    """Pages of a PDF printed by Chromium (its page objects are not compressed)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))
