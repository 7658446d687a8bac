"""Every view over the demo data: each KPI at each level, in each sector, agency and quarter."""

from __future__ import annotations

import pytest

from dashboard import queries
from tests.dashboard.harness import has_error, page_modules, request_as


@pytest.mark.parametrize("lang", ["en", "ms"])
def test_every_kpi_level_sector_agency_and_quarter_renders(demo_app, lang):
    P = page_modules()
    kpi, sectors, agency, agencies, overview = P["kpi"], P["sectors"], P["agency"], P["agencies"], P["overview"]
    data_status, deliverables, kpis = P["data_status"], P["deliverables"], P["kpis"]
    with request_as(demo_app, "admin"):
        wh = queries.Warehouse(demo_app.server.config["NAIO_SETTINGS"].warehouse_path)
        d = queries.dims(wh)
        ids = [r[0] for r in wh.rows("SELECT kpi_id FROM kpi_definition ORDER BY kpi_id")]
        quarters = [r[0] for r in wh.rows("SELECT period FROM dim_period ORDER BY period")]
        sector_codes = [r[0] for r in wh.rows("SELECT section FROM dim_sector ORDER BY 1")]
        agency_codes = [r[0] for r in wh.rows("SELECT agency_code FROM dim_agency ORDER BY 1")]
        ministries = [r[0] for r in wh.rows("SELECT ministry_code FROM dim_ministry ORDER BY 1")]
        entities = {level: [r[0] for r in wh.rows(
            "SELECT DISTINCT entity_code FROM kpi_value WHERE level = ? ORDER BY 1", [level])]
            for level in ("national", "ministry", "agency", "sector", "state")}
        views = {}
        for q in quarters:
            views[f"overview {q}"] = lambda q=q: [overview.render_tiles(lang, q), overview.render_pillars(lang, q),
                                                 overview.render_composite(lang, q)]
            views[f"ranking {q}"] = lambda q=q: agencies.render_ranking(lang, q, "all", "all")
            views[f"completeness {q}"] = lambda q=q: data_status.render_completeness(lang, q, "all")
            views[f"catalogue {q}"] = lambda q=q: kpis.render_catalogue(lang, q, "all")
            views[f"k27 {q}"] = lambda q=q: deliverables.render_k27(lang, q)
        for k in ids:
            for level, codes in entities.items():
                for e in codes[:3]:
                    views[f"{k} trend {level} {e}"] = lambda k=k, level=level, e=e: kpi.render_trend(
                        lang, {"kpi_id": k}, d.current_period, level, e)
                views[f"{k} levels {level}"] = lambda k=k, level=level: kpi.render_levels(
                    lang, {"kpi_id": k}, d.current_period, level)
            for s in sector_codes:
                views[f"{k} sector {s}"] = lambda k=k, s=s: sectors.render_trend(lang, d.current_period, s, k)
            for a in agency_codes[:6]:
                views[f"{k} agency {a}"] = lambda k=k, a=a: agency.render_trend(lang, {"code": a}, d.current_period, k)
        for a in agency_codes:
            views[f"agency {a}"] = lambda a=a: [agency.render_index(lang, {"code": a}, d.current_period),
                                                agency.render_kpis(lang, {"code": a}, d.current_period),
                                                agency.render_register(lang, {"code": a}, d.current_period)]
        for s in sector_codes:
            views[f"sector agencies {s}"] = lambda s=s: sectors.render_agencies(lang, d.current_period, s)
        for m in ministries:
            views[f"ministry ranking {m}"] = lambda m=m: agencies.render_ranking(lang, d.current_period, m, "all")
            views[f"ministry completeness {m}"] = lambda m=m: data_status.render_completeness(lang, d.current_period, m)
        failures = [name for name, view in views.items() if has_error(view())]
    assert len(views) > 1000 and failures == []
