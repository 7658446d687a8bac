"""Every page's layout and callbacks, called as plain functions on a contract warehouse."""

from __future__ import annotations

import json
import logging
from datetime import datetime

import pytest

from dashboard import i18n, queries
from tests.dashboard.harness import has_error, page_modules, request_as, text_of, tile_values

agencies = agency = data_status = deliverables = kpi = kpis = overview = sectors = map_page = systems = None


@pytest.fixture(scope="module", autouse=True)
def _pages(contract_app):
    """The page modules as Dash loaded them for the app (Dash runs them once per app)."""
    globals().update(page_modules())


PERIOD = "2026Q3"


def renders(lang: str, period: str = PERIOD) -> dict:
    """Every render callback of every page with typical inputs."""
    P = page_modules()
    agencies, agency, data_status, deliverables = P["agencies"], P["agency"], P["data_status"], P["deliverables"]
    kpi, kpis, overview, sectors, map_page = P["kpi"], P["kpis"], P["overview"], P["sectors"], P["map_page"]
    systems = P["systems"]
    return {
        "overview.tiles": lambda: overview.render_tiles(lang, period),
        "overview.pillars": lambda: overview.render_pillars(lang, period),
        "overview.composite": lambda: overview.render_composite(lang, period),
        "overview.deliverables": lambda: overview.render_deliverables(lang, period),
        "overview.freshness": lambda: overview.render_freshness(lang, period),
        "sectors.heatmap": lambda: sectors.render_heatmap(lang, period),
        "sectors.trend": lambda: sectors.render_trend(lang, period, "C", "K01"),
        "sectors.agencies": lambda: sectors.render_agencies(lang, period, "O"),
        "sectors.benchmark": lambda: sectors.render_benchmark(lang),
        "agencies.ranking": lambda: agencies.render_ranking(lang, period, "all", "all"),
        "agencies.ministries": lambda: agencies.render_ministries(lang, period, "K01"),
        "agency.index": lambda: agency.render_index(lang, {"code": "AADK"}, period),
        "agency.kpis": lambda: agency.render_kpis(lang, {"code": "AADK"}, period),
        "agency.trend": lambda: agency.render_trend(lang, {"code": "AADK"}, period, "K01"),
        "agency.register": lambda: agency.render_register(lang, {"code": "AADK"}, period),
        "agency.submissions": lambda: agency.render_submissions(lang, {"code": "AADK"}),
        "deliverables.k27": lambda: deliverables.render_k27(lang, period),
        "deliverables.cards": lambda: deliverables.render_cards(lang),
        "deliverables.timeline": lambda: deliverables.render_timeline(lang),
        "deliverables.milestones": lambda: deliverables.render_milestones(lang),
        "map": lambda: map_page.render_map(lang, period, "K01"),
        "kpis.catalogue": lambda: kpis.render_catalogue(lang, period, "all"),
        "kpi.trend": lambda: kpi.render_trend(lang, {"kpi_id": "K01"}, period, "national", "MY"),
        "kpi.levels": lambda: kpi.render_levels(lang, {"kpi_id": "K01"}, period, "ministry"),
        "kpi.lineage": lambda: kpi.render_lineage(lang, {"kpi_id": "K01"}, period, "national", "MY"),
        "data.runs": lambda: data_status.render_runs(lang),
        "data.completeness": lambda: data_status.render_completeness(lang, period, "all"),
        "data.sources": lambda: data_status.render_sources(lang),
        "systems.summary": lambda: systems.render_summary(lang, period, "all", "all", "all", "all"),
        "systems.list": lambda: systems.render_list(lang, {"page": 1}, period, "all", "all", "all", "all"),
    }


LAYOUTS = {
    "overview": lambda **kw: overview.layout(**kw),
    "sectors": lambda **kw: sectors.layout(**kw),
    "agencies": lambda **kw: agencies.layout(**kw),
    "agency": lambda **kw: agency.layout(code="AADK", **kw),
    "deliverables": lambda **kw: deliverables.layout(**kw),
    "map": lambda **kw: map_page.layout(**kw),
    "kpis": lambda **kw: kpis.layout(**kw),
    "kpi": lambda **kw: kpi.layout(kpi_id="K01", **kw),
    "data": lambda **kw: data_status.layout(**kw),
    "systems": lambda **kw: systems.layout(**kw),
}


@pytest.mark.parametrize("lang", ["en", "ms"])
def test_every_callback_renders_without_error(viewer, lang):
    for name, render in renders(lang).items():
        out = render()
        assert not has_error(out), name
        assert "No data for this selection" not in text_of(out) or name in ("sectors.agencies",), name


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_layouts_ignore_unknown_and_junk_query_strings(viewer, name):
    page = LAYOUTS[name](
        lang="ms",
        period="not-a-quarter",
        level="galaxy",
        entity="'; DROP TABLE x;--",
        kpi="K999",
        utm_source="mail",
        **{"x-y": "1"},
    )
    assert not has_error(page)
    assert "page-lang" in str(page)


def test_layout_restores_filters_from_the_url(viewer):
    page = sectors.layout(period="2026Q1", kpi="K05", entity="J", lang="ms")
    text = str(page)
    assert "'value': '2026Q1'" in text and "'value': 'K05'" in text and "'value': 'J'" in text


def test_tiles_show_the_materialised_national_values(viewer):
    wh = queries.Warehouse(viewer.server.config["NAIO_SETTINGS"].warehouse_path)
    expected = dict(
        wh.rows(
            "SELECT kpi_id, value FROM kpi_value WHERE level = 'national' AND period = ? AND period_type = 'quarter'",
            [PERIOD],
        )
    )
    shown = tile_values(overview.render_tiles("en", PERIOD))
    assert set(shown) >= {"K01", "K04", "K08"}
    for kpi_id, value in shown.items():
        assert value == pytest.approx(expected[kpi_id], rel=1e-12)


def test_status_words_follow_the_language(viewer):
    en, ms = text_of(overview.render_pillars("en", PERIOD)), text_of(overview.render_pillars("ms", PERIOD))
    assert any(w in en for w in ("On track", "At risk", "Off track"))
    assert any(w in ms for w in ("Di landasan", "Berisiko", "Tersasar"))
    assert not any(w in ms for w in ("On track", "At risk", "Off track"))


def test_kpi_names_come_from_the_definition_in_each_language(viewer):
    assert "AI literacy coverage" in text_of(overview.render_tiles("en", PERIOD))
    assert "Liputan literasi AI" in text_of(overview.render_tiles("ms", PERIOD))


def test_empty_selection_shows_the_empty_state(viewer):
    for out in (
        overview.render_tiles("ms", "1999Q1"),
        map_page.render_map("en", "1999Q1", "K01"),
        sectors.render_trend("en", PERIOD, "C", "NOPE"),
        agency.render_kpis("en", {"code": "NOPE"}, PERIOD),
    ):
        assert "No data for this selection" in text_of(out) or "Tiada data untuk pilihan ini" in text_of(out)
        assert not has_error(out)


def test_a_failing_query_shows_a_callout_and_logs(viewer, monkeypatch, caplog):
    def broken(*_a, **_k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(queries, "kpi_snapshot_and_series", broken)
    overview.render_tiles.cache_clear()  # tiles kept from an earlier view of this snapshot would hide the failure
    with caplog.at_level(logging.ERROR, logger="naio.dashboard"):
        out = overview.render_tiles("ms", PERIOD)
    assert has_error(out) and "Paparan ini tidak dapat dimuatkan" in text_of(out)
    assert "disk on fire" not in str(out)
    assert "disk on fire" in caplog.text


def test_missing_warehouse_is_explained(contract_app, monkeypatch):
    from etl.warehouse import Warehouse

    with request_as(contract_app):
        monkeypatch.setitem(
            contract_app.server.config,
            "NAIO_WAREHOUSE",
            Warehouse(contract_app.server.config["NAIO_SETTINGS"].data_dir / "nothing-here.duckdb"),
        )
        page = overview.layout()
        out = overview.render_pillars("en", PERIOD)
    assert "No data has been published yet" in text_of(page) and "No data has been published yet" in text_of(out)


def test_map_draws_sixteen_states(viewer):
    out = map_page.render_map("en", PERIOD, "K01")
    figure = out[0].children[0].figure
    assert len(figure["data"][0]["locations"]) == 16
    url = figure["data"][0]["geojson"]  # the boundaries are fetched once, not sent in every response
    assert isinstance(url, str) and url.startswith("/geo/states-") and url.endswith(".geojson")
    server = viewer.server
    adapter = server.url_map.bind("localhost")
    endpoint, args = adapter.match(url)
    with server.test_request_context(url):
        response = server.view_functions[endpoint](**args)
    assert response.status_code == 200 and "immutable" in response.headers["Cache-Control"]
    body = json.loads(response.get_data())
    assert sorted(f["properties"]["code_state"] for f in body["features"]) == list(range(1, 17))
    with server.test_request_context(url, headers={"If-None-Match": f'"{response.headers["ETag"].strip(chr(34))}"'}):
        assert server.view_functions[endpoint](**args).status_code == 304
    stale = url.replace("/geo/states-", "/geo/states-0")
    with server.test_request_context(stale):
        assert server.view_functions[endpoint](**adapter.match(stale)[1]).status_code == 404


def test_the_state_boundaries_need_a_signed_in_user(contract_app):
    from dashboard import figures

    url = figures.GEOJSON_ROUTE.replace("<digest>", "x")
    assert contract_app.server.test_client().get(url).status_code in (302, 401)


def test_agency_submissions_follow_the_roles(contract_app):
    with request_as(contract_app, "analyst"):
        own = text_of(agency.render_submissions("en", {"code": "AADK"}))
        other = text_of(agency.render_submissions("en", {"code": "BNM"}))
    with request_as(contract_app, "viewer"):
        viewer_sees = text_of(agency.render_submissions("en", {"code": "BNM"}))
    assert "aadk_2026Q3.csv" in own
    assert "bnm_" not in other and "shown to its own analysts" in other
    assert "bnm_2026Q3.csv" in viewer_sees
    assert "analyst.bnm" not in viewer_sees  # who submitted is never shown
    with request_as(contract_app, "analyst"):  # the list a viewer's view kept is not the analyst's to see
        assert "bnm_" not in text_of(agency.render_submissions("en", {"code": "BNM"}))


def test_lineage_lists_the_submissions_behind_a_value(viewer):
    out = text_of(kpi.render_lineage("en", {"kpi_id": "K01"}, PERIOD, "national", "MY"))
    assert "_2026Q3.csv" in out and "Accepted" in out


def test_lineage_hides_other_agencies_from_an_analyst(contract_app):
    """Also after another user's view of the same value (the lineage is read once per snapshot,
    then filtered for each user)."""
    with request_as(contract_app, "viewer"):
        assert "audit_2026Q3.csv" in text_of(kpi.render_lineage("en", {"kpi_id": "K01"}, PERIOD, "national", "MY"))
    with request_as(contract_app, "analyst"):
        out = text_of(kpi.render_lineage("en", {"kpi_id": "K01"}, PERIOD, "national", "MY"))
    assert "aadk_2026Q3.csv" in out and "audit_2026Q3.csv" not in out and "not shown to you" in out


def test_level_change_offers_that_levels_entities(viewer):
    options, value = kpi.pick_level("state", "MY", "ms")
    assert len(options) == 16 and value == "1"
    options, value = kpi.pick_level("agency", "AADK", "en")
    assert value == "AADK"


def test_heatmap_click_selects_sector_and_kpi(viewer):
    assert sectors.pick_cell({"points": [{"y": "J Information and communication", "x": "K05"}]}) == ("J", "K05")
    assert sectors.pick_cell(None)[0] is not None  # no_update


def test_unknown_kpi_and_agency_pages_say_so(viewer):
    assert "No KPI with the id K999" in text_of(kpi.layout(kpi_id="K999"))
    assert "Tiada agensi dengan kod ZZZ" in text_of(agency.layout(code="zzz", lang="ms"))


def test_demo_pipeline_warehouse_renders_every_callback(demo_app):
    with request_as(demo_app, "admin"):
        period = queries.dims(queries.Warehouse(demo_app.server.config["NAIO_SETTINGS"].warehouse_path)).current_period
        failures = [name for name, render in renders("ms", period).items() if has_error(render())]
    assert failures == []


def test_kept_run_log_views_show_a_new_run_on_the_next_view(viewer):
    store = viewer.server.config["NAIO_STORE"]
    before = text_of(data_status.render_runs("en")), text_of(overview.render_freshness("en", PERIOD))
    assert "remind" not in before[0] and "remind" not in before[1]
    store.record_run("remind", "ok", "schedule", datetime(2026, 11, 26, 9, 0), {"reminded": 3})
    after = text_of(data_status.render_runs("en")), text_of(overview.render_freshness("en", PERIOD))
    assert "remind" in after[0] and "reminded" in after[0] and "remind" in after[1]


@pytest.mark.parametrize("lang", ["en", "ms"])
def test_every_kpi_page_renders_in_both_languages(demo_app, lang):
    """The page of each of the 27 KPIs (dated, standing, growth and per-year targets, every
    level it has), and each KPI on the pages that take one, with no error state."""
    with request_as(demo_app, "admin"):
        wh = queries.Warehouse(demo_app.server.config["NAIO_SETTINGS"].warehouse_path)
        period = queries.dims(wh).current_period
        ids = [r[0] for r in wh.rows("SELECT kpi_id FROM kpi_definition ORDER BY kpi_id")]
        assert len(ids) == 27
        failures = []
        for kpi_id in ids:
            views = {
                "layout": lambda k=kpi_id: kpi.layout(kpi_id=k, lang=lang),
                "trend": lambda k=kpi_id: kpi.render_trend(lang, {"kpi_id": k}, period, "national", "MY"),
                "levels": lambda k=kpi_id: kpi.render_levels(lang, {"kpi_id": k}, period, "ministry"),
                "lineage": lambda k=kpi_id: kpi.render_lineage(lang, {"kpi_id": k}, period, "national", "MY"),
                "map": lambda k=kpi_id: map_page.render_map(lang, period, k),
                "ministries": lambda k=kpi_id: agencies.render_ministries(lang, period, k),
            }
            failures += [f"{kpi_id} {name}" for name, view in views.items() if has_error(view())]
        assert failures == []
        standing = text_of(kpi.layout(kpi_id="K05", lang=lang))
        growth = text_of(kpi.layout(kpi_id="K21", lang=lang))
        yearly = text_of(kpi.layout(kpi_id="K26", lang=lang))
    assert ("Every quarter" if lang == "en" else "Setiap suku tahun") in standing
    assert ("+25% a year" if lang == "en" else "+25% setahun") in growth
    assert ("12 a year" if lang == "en" else "12 setahun") in yearly


def test_source_kinds_are_named_in_the_page_language(viewer):
    assert "penyata" in text_of(data_status.render_sources("ms"))
    assert "return" in text_of(data_status.render_sources("en"))


def test_agency_tables_write_quarters_and_kinds_in_the_page_language(viewer):

    malay = text_of(agency.render_submissions("ms", {"code": "AADK"}))
    assert "aadk_2026Q3.csv ST3 2026" in malay and "penyata aadk_2026Q3.csv" in malay
    assert "Q3 2026" in text_of(agency.render_submissions("en", {"code": "AADK"}))
    assert i18n.periods_label("2026Q2,2026Q3", "ms") == "ST2 2026, ST3 2026"
    assert i18n.periods_label(None, "en") == "–"


def test_the_milestone_timeline_names_months_in_the_page_language(viewer):
    def ticks(lang):
        found = []

        def walk(c):
            if isinstance(c, (list, tuple)):
                for x in c:
                    walk(x)
            elif getattr(c, "figure", None):
                found.append(c.figure["layout"]["xaxis"])
            else:
                walk(getattr(c, "children", None) or [])
        walk(deliverables.render_timeline(lang))
        return found[0]

    malay, english = ticks("ms"), ticks("en")
    assert malay["tickvals"] == english["tickvals"] and all(v[8:] == "01" for v in malay["tickvals"])
    assert any(x.startswith("Okt ") for x in malay["ticktext"]) and any(x.startswith("Oct ") for x in english["ticktext"])


def test_what_started_each_run_is_said_in_the_page_language(viewer):
    assert "data demo" in text_of(data_status.render_runs("ms"))
    assert "demo data" in text_of(data_status.render_runs("en"))


def test_the_run_log_names_jobs_and_counts_in_the_page_language(viewer):
    ms, en = text_of(data_status.render_runs("ms")), text_of(data_status.render_runs("en"))
    assert "Penerbitan" in ms and "diterima:" in ms and "nilai KPI:" in ms
    assert "Publish" in en and "accepted:" in en and "KPI values:" in en
    for raw in ("kpi_value", "dim_agency", "fact_return", "accepted 1"):
        assert raw not in ms and raw not in en
    store = viewer.server.config["NAIO_STORE"]
    for job in ("publish", "demo"):
        counts = json.loads(store.runs(job=job, limit=1).iloc[0]["counts_json"])
        assert set(counts) <= set(i18n.RUN_COUNTS), job


def test_deliverables_are_described_in_the_page_language(viewer):
    ms = text_of(deliverables.render_cards("ms")) + text_of(deliverables.render_milestones("ms"))
    en = text_of(deliverables.render_cards("en")) + text_of(deliverables.render_milestones("en"))
    assert "Penilaian impak untuk mengukur transformasi AI" in ms and "tarikh ialah cadangan" in ms
    assert "date is a proposal" not in ms and "Impact assessments to measure" not in ms
    assert "Impact assessments to measure AI transformation" in en and "date is a proposal" in en
    assert "tarikh ialah cadangan" not in en


def test_a_kpi_definition_says_its_roll_up_and_thresholds_in_words(viewer):
    en, ms = text_of(kpi.layout(kpi_id="K01", lang="en")), text_of(kpi.layout(kpi_id="K01", lang="ms"))
    assert "ratio of sums" in en and "nisbah jumlah" in ms
    assert "On track when at most 5% behind the target trajectory; at risk when at most 15% behind" in en
    assert "Di landasan jika ketinggalan tidak lebih 5% daripada trajektori sasaran" in ms
    assert "on_track_within" not in en + ms and "ratio_of_sums" not in en + ms



@pytest.mark.parametrize("lang", ["en", "ms"])
def test_a_target_for_every_quarter_is_projected_in_words_that_fit_it(viewer, lang):
    """A target for every quarter (no prohibited system in use) has no date: the projection
    says whether the last quarter met it, never "by <nothing>"."""
    import pandas as pd

    definition = {"display_format": ",.0f", "unit": "count"}

    def said(**row):
        base = {"target_period": None, "target_value": 0.0, "projected_value": None, "last_period": "2026Q3",
                "last_value": 0.0, "attainment_period": "2026Q3", "note": "reached"}
        return kpi._projection_text(pd.DataFrame([{**base, **row}]), definition, lang)

    met, later, never = said(), said(last_value=2.0, attainment_period="2027Q2", note="on_pace"), said(
        last_value=2.0, attainment_period=None, note="not_at_this_pace")
    if lang == "en":
        assert met == "Target 0 every quarter: met in Q3 2026 (0)."
        assert later == "Target 0 every quarter: not met in Q3 2026 (2); at the recent trend, met by Q2 2027."
        assert never == "Target 0 every quarter: not met in Q3 2026 (2), and not on the current trend."
    else:
        assert met == "Sasaran 0 setiap suku tahun: dicapai pada ST3 2026 (0)."
        assert "menjelang ST2 2027" in later and "tidak pada trend semasa" in never
    dated = said(target_period="2026Q4", target_value=80.0, projected_value=70.0, attainment_period=None,
                 note="not_at_this_pace")
    assert ("against a target of 80" if lang == "en" else "berbanding sasaran 80") in dated


@pytest.mark.parametrize("lang", ["en", "ms"])
def test_trend_tables_name_quarters_in_the_page_language(viewer, lang):
    period = "2026Q3"
    label = "Q3 2026" if lang == "en" else "ST3 2026"
    tables = {
        "kpi": kpi.render_trend(lang, {"kpi_id": "K01"}, period, "national", "MY"),
        "sector": sectors.render_trend(lang, period, "C", "K01"),
        "agency index": agency.render_index(lang, {"code": "AADK"}, period),
        "agency trend": agency.render_trend(lang, {"code": "AADK"}, period, "K01"),
    }
    for name, out in tables.items():
        text = text_of(out)
        assert label in text and "2026Q3" not in text, name


@pytest.mark.parametrize("lang", ["en", "ms"])
def test_trend_points_say_how_many_agencies_are_behind_them(viewer, lang):
    """A sector's or ministry's value moves when agencies stop or start reporting: each point
    says on hover how many of the expected agencies are behind it; an agency's own point does not."""
    def traces(out) -> dict:
        graph = next(c for c in _walk(out) if getattr(c, "figure", None))
        return {tr["name"]: tr for tr in graph.figure["data"]}

    wh = queries.Warehouse(viewer.server.config["NAIO_SETTINGS"].warehouse_path)
    (reported, expected), = wh.rows("SELECT reported, expected FROM kpi_value WHERE kpi_id = 'K01' AND level = 'sector' "
                                    "AND entity_code = 'C' AND period = ? AND period_type = 'quarter'", [PERIOD])
    of = "of" if lang == "en" else "daripada"
    out = sectors.render_trend(lang, PERIOD, "C", "K01")
    sector = next(tr for name, tr in traces(out).items() if name.startswith("C "))
    assert sector["hovertemplate"] == "%{customdata}"
    assert sector["customdata"][-1].endswith(f" · {reported} {of} {expected} " + ("agencies" if lang == "en" else "agensi"))
    assert f"{reported} {of} {expected}" in text_of(out)  # and the table beside it
    agency_lines = traces(agency.render_trend(lang, {"code": "AADK"}, PERIOD, "K01"))
    assert not any(f" {of} " in str(t) for t in agency_lines["AADK"]["customdata"])
    assert any(f" {of} " in str(t) for t in agency_lines[i18n.t("national", lang)]["customdata"])


def _walk(component):
    if isinstance(component, (list, tuple)):
        for c in component:
            yield from _walk(c)
    elif component is not None and not isinstance(component, (str, int, float)):
        yield component
        yield from _walk(getattr(component, "children", None))


def test_the_register_counts_the_systems_the_kpis_count(demo_app):
    """The AI systems page reads each agency's register in force as the KPI layer does: its
    systems in production are K08's national value, quarter by quarter."""
    with request_as(demo_app, "viewer"):
        wh = queries.Warehouse(demo_app.server.config["NAIO_SETTINGS"].warehouse_path)
        k08 = dict(wh.rows("SELECT period, value FROM kpi_value WHERE kpi_id = 'K08' AND level = 'national' "
                           "AND entity_code = 'MY' AND period_type = 'quarter' AND value IS NOT NULL"))
        assert len(k08) >= 4
        for period, value in k08.items():
            by_stage = queries.register_summary(wh, period).set_index("stage")["systems"]
            assert by_stage.get("production", 0) == value, period
        period = max(k08)
        systems = page_modules()["systems"]
        text = text_of(systems.render_summary("en", period, "all", "all", "all", "all"))
        total = int(queries.register_summary(wh, period)["systems"].sum())
        assert f"{total:,} AI systems in force in Q" in text


def test_the_register_list_is_filtered_and_paged_on_the_server(demo_app):
    with request_as(demo_app, "viewer"):
        wh = queries.Warehouse(demo_app.server.config["NAIO_SETTINGS"].warehouse_path)
        period = queries.meta(wh)["current_period"]
        total = int(queries.register_summary(wh, period)["systems"].sum())
        first, n = queries.register_page(wh, period, limit=50)
        second, _ = queries.register_page(wh, period, limit=50, offset=50)
        assert n == total > 50 and len(first) == 50 and not set(first["system_id"]) & set(second["system_id"])
        high, n_high = queries.register_page(wh, period, ministry="MOH", risk="high", limit=500)
        assert 0 < n_high < total and set(high["risk_tier"]) == {"high"} and set(high["ministry_code"]) == {"MOH"}
        past, n_past = queries.register_page(wh, period, limit=50, offset=10 * total)
        assert len(past) == 0 and n_past == total
        systems = page_modules()["systems"]
        pages = -(-total // 50)
        out = systems.render_list("ms", {"page": 999}, period, "all", "all", "all", "all")  # past the end: the last
        assert f"Halaman {pages} daripada {pages}" in text_of(out)
        shown = text_of(systems.render_list("en", {"page": 1}, period, "MOH", "all", "all", "high"))
        assert all(sid in shown for sid in high["system_id"][:50])
        assert not any(sid in shown for sid in set(first["system_id"]) - set(high["system_id"]))


def test_ministries_are_named_in_title_case_on_pages(demo_app):
    """The government directory lists ministries in capitals; the warehouse, and so the pages,
    name them in title case."""
    with request_as(demo_app, "admin"):
        wh = queries.Warehouse(demo_app.server.config["NAIO_SETTINGS"].warehouse_path)
        assert wh.rows("SELECT count(*) FROM dim_ministry WHERE name_en = upper(name_en)")[0][0] == 0
        d = queries.dims(wh)
        text = text_of(kpi.render_levels("en", {"kpi_id": "K01"}, d.current_period, "ministry"))
    assert not any(str(n).isupper() for n in d.ministries["name_en"]) and not any(
        str(n).isupper() for n in d.ministries["name_ms"])
    assert "Ministry of Home Affairs" in set(d.ministries["name_en"])
    assert "MINISTRY OF" not in text and "Ministry of" in text


def test_an_agency_shows_its_register_in_force_in_the_chosen_quarter(demo_app):
    """The agency page lists the systems of the agency's register in force in its quarter (the
    latest register up to it), as the AI systems page and K08 count them, not each system's last
    report: an earlier quarter shows fewer systems."""
    agency = page_modules()["agency"]
    with request_as(demo_app, "viewer"):
        wh = queries.Warehouse(demo_app.server.config["NAIO_SETTINGS"].warehouse_path)
        current = queries.meta(wh)["current_period"]
        # an agency whose register grew: fewer systems in its first register than in its latest
        code, ministry, first, early, latest, n_latest = wh.rows("""
            WITH n AS (SELECT agency_code, period, count(*) AS n FROM fact_register GROUP BY ALL),
            ends AS (SELECT agency_code, arg_min(period, period) AS first, arg_min(n, period) AS early,
                            arg_max(period, period) AS latest, arg_max(n, period) AS n_latest FROM n GROUP BY ALL)
            SELECT e.agency_code, a.ministry_code, first, early, latest, n_latest
            FROM ends AS e JOIN dim_agency AS a USING (agency_code)
            WHERE early < n_latest AND latest <= ? ORDER BY agency_code LIMIT 1""", [current])[0]
        now = agency.render_register("en", {"code": code}, current)
        assert (f"{n_latest} AI systems in force in {i18n.period_label(current, 'en')}, from the agency's register "
                f"of {i18n.period_label(latest, 'en')}.") in text_of(now)
        then = text_of(agency.render_register("ms", {"code": code}, first))
        assert f"{early} sistem AI berkuat kuasa pada {i18n.period_label(first, 'ms')}" in then
        links = [c.href for c in _walk(now) if getattr(c, "href", None)]
        assert f"/systems?ministry={ministry}&period={current}" in links
        assert "No AI system of this agency is in force in Q4 2016." in text_of(
            agency.render_register("en", {"code": code}, "2016Q4"))
        # every agency's register in force adds up to the national register of that quarter
        total = int(queries.register_summary(wh, current)["systems"].sum())
        codes = [a for (a,) in wh.rows("SELECT DISTINCT agency_code FROM fact_register")]
        assert sum(queries.register_page(wh, current, agency=a, limit=None)[1] for a in codes) == total
