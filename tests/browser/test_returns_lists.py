"""The long lists in a real Chromium: no serious or critical axe-core violations on the
administration, submissions and submit pages (signed in as an admin); the submissions pager
is reached from the keyboard and keeps the page in the URL; the completeness grid links each
agency to its profile and is filtered on the server; the links in the grids (completeness,
agency ranking) are reached with Tab and followed with Enter."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest

from tests.browser.conftest import sign_in
from tests.browser.test_pages import axe_violations, open_page, track

pytestmark = pytest.mark.browser


@pytest.fixture
def admin_page(page, live_server):
    track(page)
    sign_in(page, live_server, "admin")
    return page


def test_returns_pages_have_no_serious_accessibility_violations(admin_page, live_server):
    page = admin_page
    open_page(page, live_server, "/admin")
    page.wait_for_selector("#admin-matrix .ag-row")
    paths = ["/admin", "/submissions", "/submissions?page=2", "/submit", "/admin?lang=ms", "/submissions?lang=ms"]
    assert axe_violations(page, paths) == {}
    assert not [e for e in page.console_errors if "favicon" not in e]


def test_the_submissions_pager_is_reached_by_keyboard_and_held_in_the_url(admin_page, live_server):
    page = admin_page
    open_page(page, live_server, "/submissions")
    pager = page.locator("#history-pager")
    if pager.count() == 0:
        pytest.skip("the demo data fits on one page")
    first_ids = page.locator("#history-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.submission)")
    assert len(first_ids) == 50
    link = page.locator("#history-pager a", has_text="Next page")
    for _ in range(400):  # Tab until the link has the focus
        page.keyboard.press("Tab")
        if link.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("the next-page link is not reachable with Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/submissions\?page=2"))
    page.wait_for_function("() => document.querySelector('#history-pager').dataset.page === '2'")
    second_ids = page.locator("#history-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.submission)")
    assert second_ids and not set(second_ids) & set(first_ids)
    assert int(max(second_ids, key=int)) < int(min(first_ids, key=int))  # newest first, page after page
    page.reload()
    page.wait_for_selector("#history-pager[data-page='2']")


def _choose(page, label: str) -> list[dict]:
    """Choose ``label`` in the matrix filter; the rows the server sent back."""
    with page.expect_response(lambda r: "_dash-update-component" in r.url
                              and "admin-matrix-show" in (r.request.post_data or "")) as info:
        page.click("#admin-matrix-show")
        page.locator("[role=option]", has_text=label).click()
    return info.value.json()["response"]["admin-matrix"]["rowData"]


def test_the_completeness_grid_links_agencies_and_filters_on_the_server(admin_page, live_server):
    page = admin_page
    open_page(page, live_server, "/admin")
    page.wait_for_selector("#admin-matrix .ag-row")
    href = page.locator("#admin-matrix .ag-row a").first.get_attribute("href")
    assert href.startswith("/agency/")
    missing = int(re.search(r"\((\d+) of \d+ agencies\)", page.inner_text("#h-missing")).group(1))
    every = _choose(page, "All agencies")
    assert len(every) >= missing and all(r["agency"].startswith("[") for r in every)
    gaps = _choose(page, "Agencies with a gap")
    assert missing <= len(gaps) <= len(every)
    assert len(_choose(page, "No return for")) == missing


def _tab_to_link(page, grid: str) -> str:
    """Focus the first agency cell of ``grid``, press Tab, and return the focused link's href."""
    page.locator(f"{grid} .ag-row .ag-cell[col-id=agency]").first.focus()
    page.keyboard.press("Tab")
    return page.evaluate("() => document.activeElement.tagName === 'A' ? document.activeElement.getAttribute('href') : ''")


def test_grid_links_are_reached_and_followed_from_the_keyboard(page, live_server):
    track(page)
    sign_in(page, live_server, "admin")
    open_page(page, live_server, "/admin")
    page.wait_for_selector("#admin-matrix .ag-row")
    assert _tab_to_link(page, "#admin-matrix").startswith("/agency/")
    open_page(page, live_server, "/agencies")
    page.wait_for_selector("#ranking-grid .ag-row")
    href = _tab_to_link(page, "#ranking-grid")
    assert href.startswith("/agency/")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/agency/[A-Z0-9]+"))
    assert urlparse(page.url).path == href.split("?")[0]
