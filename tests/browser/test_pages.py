"""The leadership pages in a real Chromium over the published demo data: every page in both
languages, the numbers on the overview against the KPI export, the language switch, drill-down
by clicking, state restored from the URL, the map, and axe-core accessibility checks."""

from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from etl.kpi.export import export_rows, to_csv
from etl.warehouse import Warehouse
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
AGENCY = "JPN"
PAGES = ["/", "/sectors", "/agencies", f"/agency/{AGENCY}", "/deliverables", "/map", "/systems", "/kpis", "/kpi/K01",
         "/kpi/K21", "/data"]  # K21: a target of growth a year, with no date
SETTLE_MS = 90_000

ALL_GRAPHS_DRAWN = """() => {
  const spinners = document.querySelectorAll('.dash-spinner, ._dash-loading, [data-dash-is-loading="true"]');
  const pending = document.querySelectorAll('.dash-graph--pending');
  const graphs = Array.from(document.querySelectorAll('.js-plotly-plot'));
  const main = document.querySelector('#main .page');
  return main !== null && spinners.length === 0 && pending.length === 0
    && graphs.every(g => g._fullData && g._fullLayout);
}"""


def track(page) -> None:
    """Count the page's callback requests in flight (see ``settle``)."""
    page.naio_inflight = 0

    def started(request) -> None:
        if "_dash-update-component" in request.url:
            page.naio_inflight += 1

    def ended(request) -> None:
        if "_dash-update-component" in request.url:
            page.naio_inflight -= 1

    page.on("request", started)
    page.on("requestfinished", ended)
    page.on("requestfailed", ended)


def settle(page) -> None:
    """Wait until no callback has been in flight for a moment and every chart has drawn."""
    deadline = time.monotonic() + SETTLE_MS / 1000
    quiet_since = None
    while time.monotonic() < deadline:
        if getattr(page, "naio_inflight", 0) <= 0:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since > 0.7:
                break
        else:
            quiet_since = None
        page.wait_for_timeout(100)
    page.wait_for_function(ALL_GRAPHS_DRAWN, timeout=SETTLE_MS)


def open_page(page, base: str, path: str) -> None:
    page.goto(base + path, timeout=SETTLE_MS)
    page.wait_for_load_state("networkidle", timeout=SETTLE_MS)
    settle(page)


def navigate(page, path: str) -> None:
    """Move to ``path`` inside the running app, as a click on a link does (no page reload)."""
    def routed(response) -> bool:
        return "_dash-update-component" in response.url and "_pages_content" in (response.request.post_data or "")

    with page.expect_response(routed, timeout=SETTLE_MS):
        page.evaluate(
            """path => {
          window.history.pushState({}, '', path);
          window.dispatchEvent(new CustomEvent('_dashprivate_pushstate'));
        }""",
            path,
        )
    settle(page)


@pytest.fixture
def viewer_page(page, live_server):
    track(page)
    sign_in(page, live_server, "viewer")
    return page


def _warehouse(demo_settings) -> Warehouse:
    return Warehouse(demo_settings.warehouse_path)


def _current_period(demo_settings) -> str:
    return dict(_warehouse(demo_settings).rows("SELECT key, value FROM meta"))["current_period"]


@pytest.mark.parametrize("lang", ["en", "ms"])
def test_every_page_loads_without_console_errors(viewer_page, live_server, lang):
    page = viewer_page
    open_page(page, live_server, f"{PAGES[0]}?lang={lang}")
    for i, path in enumerate(PAGES):
        if i:
            navigate(page, f"{path}?lang={lang}")
        assert page.evaluate("document.documentElement.lang") == lang, path
        assert page.locator(".callout-danger").count() == 0, path
        assert page.locator("h1").count() >= 1, path
    assert page.console_errors == []


def test_overview_tiles_equal_the_kpi_export(viewer_page, live_server, demo_settings):
    period = _current_period(demo_settings)
    exported = {
        r["kpi_id"]: r
        for r in csv.DictReader(io.StringIO(to_csv(export_rows(_warehouse(demo_settings), period, "national"))))
        if r["entity_code"] == "MY"
    }
    open_page(viewer_page, live_server, f"/?period={period}")
    tiles = viewer_page.eval_on_selector_all(
        ".tile", "els => els.map(e => [e.dataset.kpi, e.querySelector('.tile-value').dataset.value])"
    )
    assert len(tiles) >= 6
    for kpi_id, raw in tiles:
        expected = exported[kpi_id]["value"]
        if expected == "":
            assert raw == "", kpi_id
        else:
            assert float(raw) == pytest.approx(float(expected), rel=1e-9), kpi_id


def test_language_switch_turns_the_page_into_malay(viewer_page, live_server):
    page = viewer_page
    open_page(page, live_server, "/")
    assert page.locator("h1").inner_text() == "National picture"
    page.click("#lang-ms")
    page.wait_for_function("document.documentElement.lang === 'ms'", timeout=SETTLE_MS)
    page.wait_for_function(
        "document.querySelector('h1') && document.querySelector('h1').innerText === 'Gambaran kebangsaan'",
        timeout=SETTLE_MS,
    )
    settle(page)
    assert "lang=ms" in page.url
    page.wait_for_function("document.title === 'Gambaran kebangsaan · NAIO'", timeout=SETTLE_MS)  # the tab too
    nav = page.locator("#nav").inner_text()
    assert "Kementerian dan agensi" in nav and "Overview" not in nav
    words = page.locator(".tile .status span:last-child").all_inner_texts()
    assert words and all(
        w.strip() in ("Di landasan", "Berisiko", "Tersasar", "Tiada sasaran", "Menunggu data") for w in words
    )
    page.click("#lang-en")
    page.wait_for_function("document.documentElement.lang === 'en'", timeout=SETTLE_MS)
    page.wait_for_function("document.querySelector('h1').innerText === 'National picture'", timeout=SETTLE_MS)
    page.wait_for_function("document.title === 'National picture · NAIO'", timeout=SETTLE_MS)


def _sector_with_agencies(demo_settings) -> str:
    rows = _warehouse(demo_settings).rows(
        "SELECT msic_section, count(*) FROM fact_register WHERE coalesce(msic_section, '') <> '' "
        "GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
    )
    return rows[0][0]


def test_drill_down_from_sector_to_agency_to_kpi_by_clicking(viewer_page, live_server, demo_settings):
    page = viewer_page
    sector = _sector_with_agencies(demo_settings)
    open_page(page, live_server, f"/sectors?entity={sector}")
    page.locator("#sector-agency-table a").first.click()
    page.wait_for_url(re.compile(r"/agency/[A-Z0-9]+"), timeout=SETTLE_MS)
    settle(page)
    code = urlparse(page.url).path.rsplit("/", 1)[1]
    assert page.locator("h1").inner_text().strip() != ""
    page.locator("#agency-kpi-table a").first.click()
    page.wait_for_url(re.compile(r"/kpi/K\d+"), timeout=SETTLE_MS)
    settle(page)
    query = parse_qs(urlparse(page.url).query)
    assert query["level"] == ["agency"] and query["entity"] == [code]
    assert page.locator("#kpi-trend .js-plotly-plot, #kpi-trend .state-empty").count() >= 1


def _dropdown_text(page, key: str) -> str:
    return page.locator(f'[id=\'{{"key":"{key}","type":"url-filter"}}\']').inner_text()


def test_the_url_restores_a_view(viewer_page, live_server, demo_settings):
    page = viewer_page
    periods = [r[0] for r in _warehouse(demo_settings).rows("SELECT period FROM dim_period ORDER BY period")]
    earlier = periods[-2]
    open_page(page, live_server, f"/sectors?period={earlier}&kpi=K05&entity=C&lang=ms&utm=ignored")
    assert f"ST{earlier[-1]} {earlier[:4]}" in _dropdown_text(page, "period")
    assert "K05" in _dropdown_text(page, "kpi") and _dropdown_text(page, "entity").startswith("C")
    title = page.evaluate("document.querySelector('#sec-trend-graph .js-plotly-plot')._fullLayout.title.text")
    assert title.startswith("K05")


def test_choosing_a_filter_writes_it_into_the_url(viewer_page, live_server):
    page = viewer_page
    open_page(page, live_server, "/map")
    page.click('[id=\'{"key":"kpi","type":"url-filter"}\']')
    options = page.locator("[role=option]")
    target = options.nth(1)
    chosen = target.inner_text().split(" ")[0]
    target.click()
    page.wait_for_function(f"window.location.search.includes('kpi={chosen}')", timeout=SETTLE_MS)
    settle(page)
    page.reload()
    settle(page)
    assert _dropdown_text(page, "kpi").startswith(chosen)
    title = page.evaluate("document.querySelector('#map-graph .js-plotly-plot')._fullLayout.title.text")
    assert title.startswith(chosen)


def test_the_register_pages_through_links_and_a_filter_starts_it_again(viewer_page, live_server):
    page = viewer_page
    open_page(page, live_server, "/systems?page=2")
    pager = page.locator("#sys-pager")
    assert pager.get_attribute("data-page") == "2" and "page=2" in page.url  # the URL keeps the page
    pages = int(pager.get_attribute("data-pages"))
    page.locator("#sys-pager a", has_text="Last").click()
    page.wait_for_function(f"document.querySelector('#sys-pager')?.dataset.page === '{pages}'", timeout=SETTLE_MS)
    page.click('[id=\'{"key":"stage","type":"url-filter"}\']')
    page.locator("[role=option]", has_text="Production").click()
    page.wait_for_function("window.location.search.includes('stage=production')", timeout=SETTLE_MS)
    settle(page)
    assert "page=" not in page.url
    rows = page.locator("#sys-table tbody tr")
    assert rows.count() > 0 and all("Production" in t for t in rows.all_inner_texts())
    assert page.locator("#sys-pager").count() == 0 or page.get_attribute("#sys-pager", "data-page") == "1"
    with page.expect_download() as download:  # the list as filtered, whole, as CSV
        page.click("#sys-csv")
    with open(download.value.path(), encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert rows and {r["stage"] for r in rows} == {"production"}
    assert f"{len(rows):,}" in page.inner_text("#sys-csv")
    assert page.console_errors == []



def test_an_agency_shows_its_register_in_force_and_leads_to_its_ministrys(viewer_page, live_server, demo_settings):
    page = viewer_page
    wh = _warehouse(demo_settings)
    first, n_first = wh.rows("SELECT period, count(*) FROM fact_register WHERE agency_code = ? "
                             "GROUP BY period ORDER BY period LIMIT 1", [AGENCY])[0]
    ministry = wh.rows("SELECT ministry_code FROM dim_agency WHERE agency_code = ?", [AGENCY])[0][0]
    open_page(page, live_server, f"/agency/{AGENCY}")
    page.click('[id=\'{"key":"period","type":"url-filter"}\']')
    label = f"Q{first[-1]} {first[:4]}"
    page.locator("[role=option]", has_text=label).first.click()
    page.wait_for_function(f"window.location.search.includes('period={first}')", timeout=SETTLE_MS)
    settle(page)
    lead = page.inner_text("#agy-register p")
    assert lead.startswith(f"{n_first} AI system") and f"in force in {label}, from the agency's register of {label}" in lead
    assert page.locator("#agy-register tbody tr").count() == n_first
    page.locator("#agy-register a", has_text="All AI systems of its ministry").click()
    page.wait_for_url(re.compile(r"/systems\?"), timeout=SETTLE_MS)
    settle(page)
    query = parse_qs(urlparse(page.url).query)
    assert query["ministry"] == [ministry] and query["period"] == [first]
    assert f"in force in {label}." in page.inner_text("#sys-summary")
    assert page.console_errors == []

def test_map_draws_the_sixteen_states(viewer_page, live_server):
    open_page(viewer_page, live_server, "/map")
    n = viewer_page.evaluate(
        "Array.from(document.querySelector('#map-graph .js-plotly-plot')._fullData[0].locations).length"
    )
    paths = viewer_page.locator("#map-graph .choroplethlocation").count()
    assert n == 16 and paths == 16


AXE_SERIOUS = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.impact} ${v.id}: ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')}`);
}"""


def axe_violations(page, paths: list[str]) -> dict[str, list[str]]:
    """Serious and critical axe-core violations of each path (the page shows ``paths[0]``)."""
    page.add_script_tag(path=str(AXE))
    found = {}
    for i, path in enumerate(paths):
        if i:
            navigate(page, path)
        violations = page.evaluate(AXE_SERIOUS)
        if violations:
            found[path] = violations
    return found


def test_no_serious_or_critical_accessibility_violations(viewer_page, live_server):
    page = viewer_page
    open_page(page, live_server, "/")
    assert axe_violations(page, PAGES + ["/?lang=ms", "/sectors?lang=ms", "/kpi/K01?lang=ms"]) == {}


def test_skip_link_moves_focus_to_the_content(viewer_page, live_server):
    page = viewer_page
    open_page(page, live_server, "/kpis")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_submit_and_admin_links_follow_the_role(page, live_server):
    track(page)
    sign_in(page, live_server, "viewer")
    open_page(page, live_server, "/")
    hrefs = page.eval_on_selector_all("#nav a", "els => els.map(e => e.getAttribute('href'))")
    assert not any(h.startswith(("/submit", "/admin")) for h in hrefs)
    pdf = page.get_attribute("#pdf-link", "href")
    assert pdf.startswith("/pack?period=") and "lang=en" in pdf
    page.context.clear_cookies()
    sign_in(page, live_server, "admin")
    open_page(page, live_server, "/?lang=ms")
    hrefs = page.eval_on_selector_all("#nav a", "els => els.map(e => e.getAttribute('href'))")
    assert "/submit?lang=ms" in hrefs and "/admin?lang=ms" in hrefs
