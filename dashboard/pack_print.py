"""Print the pack's HTML document to PDF with Chromium (Playwright), and check it first.

The document is opened from a ``file://`` URL, so no web server is involved (a server that
printed its own pages would need spare threads to answer itself). Before printing, the
printer waits until every chart has drawn its SVG and checks that every expected section is
in the page; anything missing stops the build with ``PackRenderError`` instead of a PDF
with blank charts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                 "--font-render-hinting=none"]
MARGIN = {"top": "14mm", "bottom": "16mm", "left": "14mm", "right": "14mm"}
TIMEOUT_MS = 90_000

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


class PackRenderError(RuntimeError):
    """The document did not render completely; nothing was printed."""


def print_pdf(html_path: Path, *, chromium: str, sections: Sequence[str], charts: int, footer: str,
              timeout_ms: int = TIMEOUT_MS) -> bytes:
    """The A4 PDF of ``html_path`` once ``charts`` charts have drawn (within ``timeout_ms``) and
    ``sections`` are present."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    if not Path(chromium).exists():
        raise PackRenderError(f"Chromium not found at {chromium} (set NAIO_CHROMIUM)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page()
            try:
                page.goto(Path(html_path).resolve().as_uri(), wait_until="load", timeout=TIMEOUT_MS)
            except PlaywrightError as exc:
                raise PackRenderError(f"the document did not load: {exc}") from exc
            try:
                page.wait_for_function(CHARTS_DRAWN, arg=charts, timeout=timeout_ms)
            except PlaywrightError as exc:
                drawn = page.evaluate("window.__packDrawn || 0")
                raise PackRenderError(f"charts did not finish drawing: {drawn} of {charts} drawn") from exc
            problems = page.evaluate(PAGE_PROBLEMS, list(sections))
            if problems:
                raise PackRenderError("the pack is incomplete: " + "; ".join(problems[:10]))
            page.emulate_media(media="print")
            return page.pdf(format="A4", print_background=True, display_header_footer=True,
                            header_template="<span></span>", footer_template=footer, margin=MARGIN)
        finally:
            browser.close()


def page_count(pdf: bytes) -> int:
    """Pages of a PDF printed by Chromium (its page objects are not compressed)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))
