"""The frame (navigation by role, banner, footer), the language layer, figures and components."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from dashboard import components as C
from dashboard import figures, i18n, queries, shell
from tests.dashboard.harness import request_as, text_of

ROOT = Path(__file__).resolve().parents[2]


def _hrefs(links) -> list[str]:
    return [link.href.split("?")[0] for link in links]


def test_navigation_shows_submit_and_admin_only_to_their_roles():
    viewer = _hrefs(shell.nav_links("/", "en", "viewer"))
    analyst = _hrefs(shell.nav_links("/", "en", "analyst"))
    admin = _hrefs(shell.nav_links("/", "en", "admin"))
    assert "/submit" not in viewer and "/admin" not in viewer
    assert "/submit" in analyst and "/admin" not in analyst
    assert "/submit" in admin and "/admin" in admin
    assert {"/", "/sectors", "/agencies", "/deliverables", "/map", "/kpis", "/data"} <= set(viewer)


def test_navigation_keeps_the_language_and_marks_the_current_page():
    links = shell.nav_links("/agency/JPN", "ms", "viewer")
    assert all(link.href.endswith("lang=ms") for link in links)
    active = [link for link in links if "active" in link.className]
    assert [link.href for link in active] == ["/agencies?lang=ms"]
    assert "Kementerian dan agensi" in text_of(links)


def test_chrome_follows_the_language_of_the_url(contract_app):
    with request_as(contract_app, "admin"):
        nav, brand, skip, pdf, user, signout, footer = shell.chrome("/sectors", "?period=2026Q2&lang=ms")
    assert brand == "Papan Pemuka Penerimagunaan AI Kebangsaan" and skip == "Langkau ke kandungan utama"
    assert pdf == "Muat turun PDF" and signout == "Log keluar" and user == "admin"
    assert "Petikan data" in text_of(footer)
    assert "/admin?lang=ms" in [link.href for link in nav]


def test_the_frame_and_the_run_banner_come_in_one_request_per_page_view(contract_app):
    shared = [k for k in contract_app.callback_map if "run-banner.children" in k]
    assert len(shared) == 1 and "..nav.children..." in shared[0] and "..footer.children..." in shared[0]
    store = contract_app.server.config["NAIO_STORE"]
    store.record_run("scheduler-test", "failed", "schedule", datetime(2026, 11, 26, 5, 0), error="disk full")
    try:
        with request_as(contract_app, "viewer"):
            nav, brand, *_labels, banner = shell.frame("/map", "?lang=ms")
        assert brand == "Papan Pemuka Penerimagunaan AI Kebangsaan" and len(_labels) == 5
        assert [link.href for link in nav if "active" in link.className] == ["/map?lang=ms"]
        assert "role='alert'" in str(banner) and "disk full" in text_of(banner)
    finally:
        store.record_run("scheduler-test", "ok", "schedule", datetime(2026, 11, 26, 6, 0))


def test_banner_is_loud_when_the_latest_run_of_a_job_failed(contract_app):
    store = contract_app.server.config["NAIO_STORE"]
    with request_as(contract_app):
        assert shell.run_banner("/", "") == []
        store.record_run("inbox", "missed", "schedule", datetime(2026, 11, 26, 3, 0), error="server was down")
        banner = shell.run_banner("/", "?lang=ms")
        store.record_run("inbox", "ok", "schedule", datetime(2026, 11, 26, 4, 0))
        cleared = shell.run_banner("/", "")
    assert "role='alert'" in str(banner) and "Terlepas" in text_of(banner) and "server was down" in text_of(banner)
    assert cleared == []


def test_banner_follows_a_run_that_ends_after_it_was_shown(contract_app):
    store = contract_app.server.config["NAIO_STORE"]
    with request_as(contract_app):
        run_id = store.start_run("publish", "schedule")
        while_running = shell.run_banner("/", "")
        store.finish_run(run_id, "failed", error="disk full")
        failed = shell.run_banner("/", "")
        again = shell.run_banner("/", "")  # read from the cache: the run log has not changed
        store.record_run("publish", "ok", "schedule", datetime(2030, 1, 1))
        cleared = shell.run_banner("/", "")
    assert while_running == [] and cleared == []
    assert "disk full" in text_of(failed) and text_of(again) == text_of(failed)


def test_run_log_is_read_again_only_when_it_changes(contract_app):
    store = contract_app.server.config["NAIO_STORE"]
    wh = contract_app.server.config["NAIO_WAREHOUSE"]
    first = queries.runs(store, wh)
    first.loc[:, "status"] = "changed by the caller"
    again = queries.runs(store, wh)
    assert "changed by the caller" not in set(again["status"])  # each caller gets its own frame
    run_id = store.record_run("inbox", "ok", "schedule", datetime(2030, 1, 2))
    assert queries.runs(store, wh)["run_id"].iloc[0] == run_id


def test_every_string_has_both_languages():
    for key, (en, ms) in i18n.STRINGS.items():
        assert en.strip() and ms.strip(), key
        assert set(re.findall(r"{(\w+)}", en)) == set(re.findall(r"{(\w+)}", ms)), key


def test_a_count_of_one_takes_the_singular_where_there_is_one():
    assert i18n.t("systems_in_force", "en", n="1", period="Q3 2026") == "1 AI system in force in Q3 2026."
    assert i18n.t("systems_in_force", "en", n="12", period="Q3 2026") == "12 AI systems in force in Q3 2026."
    assert i18n.t("lineage_lead", "en", n=1) == "Computed from 1 accepted submission."
    assert i18n.t("systems_in_force", "ms", n="1", period="ST3 2026") == "1 sistem AI berkuat kuasa pada ST3 2026."
    assert i18n.t("coverage", "en", n=1, m=5) == "1 of 5 agencies"  # no singular form: the text as it is
    for key in i18n.STRINGS:  # a singular form belongs to a text with a count
        if key.endswith("_one"):
            assert "{n}" in i18n.STRINGS[key.removesuffix("_one")][0], key


def test_every_key_the_pages_use_exists():
    used = set()
    for path in list((ROOT / "dashboard").glob("*.py")) + list((ROOT / "dashboard" / "pages").glob("*.py")):
        used |= set(re.findall(r'\bt\("([a-z0-9_]+)"', path.read_text()))
    assert used - set(i18n.STRINGS) == set()


def test_status_words():
    words = {s: (i18n.status_word(s, "en"), i18n.status_word(s, "ms")) for s in i18n.STATUS}
    assert words == {
        "on_track": ("On track", "Di landasan"),
        "at_risk": ("At risk", "Berisiko"),
        "off_track": ("Off track", "Tersasar"),
        "no_target": ("No target", "Tiada sasaran"),
        "awaiting_data": ("Awaiting data", "Menunggu data"),
    }
    assert i18n.status_word(None, "ms") == "Menunggu data"


def test_a_proposed_target_is_named_in_the_language_and_its_citation_kept():
    cited = "proposal (KPI catalogue); the AI at Work pilot reached 91% (policy_targets.csv AI@WORK-1)"
    assert i18n.target_source(cited, "ms") == (
        "cadangan (katalog KPI); the AI at Work pilot reached 91% (policy_targets.csv AI@WORK-1)")
    assert i18n.target_source(cited, "en") == cited
    assert i18n.target_source("Budget 2025 speech", "ms") == "Budget 2025 speech"
    assert i18n.target_source(None, "ms") == ""


def test_formats():
    assert i18n.fmt_number(1234.5678, ".1f") == "1,234.6"
    assert i18n.fmt_number(1234.5678, ",.0f") == "1,235"
    assert i18n.fmt_number(3.14159, "0.00") == "3.14"
    assert i18n.fmt_number(float("nan"), ".1f") == "–"
    assert i18n.period_label("2026Q3", "en") == "Q3 2026" and i18n.period_label("2026Q3", "ms") == "ST3 2026"
    assert i18n.lang_of("MS") == "ms" and i18n.lang_of("fr") == "en" and i18n.lang_of(None) == "en"
    assert i18n.parse_list("D1,D2") == ["D1", "D2"] and i18n.parse_list('["a", "b"]') == ["a", "b"]


def test_status_badge_never_speaks_by_colour_alone():
    badge = C.status_badge("off_track", "ms")
    assert "Tersasar" in text_of(badge) and "✖" in text_of(badge)


def test_change_knows_which_direction_is_good():
    up = C.change(50, 40, "up", ".1f", "percent", "en")
    down = C.change(50, 40, "down", ".1f", "count", "en")
    assert "change-good" in up.className and "+10.0 pp" in text_of(up)
    assert "change-bad" in down.className and "worse" in text_of(down)
    assert "unchanged" in text_of(C.change(2.0, 2.3, "down", ",.0f", "count", "en"))


def test_href_keeps_language_and_drops_empty_filters():
    assert C.href("/kpi/K01", "ms", period="2026Q3", level=None) == "/kpi/K01?period=2026Q3&lang=ms"
    assert C.href("/", "en") == "/"
    assert C.pick("2026Q9", ["2026Q3"], "2026Q3") == "2026Q3"


def test_attainment_scores_like_the_composite_index():
    got = figures.attainment(
        pd.Series([30, 90, 5, 0, None]), pd.Series([60, 60, 2, 0, 10]), pd.Series(["up", "up", "down", "down", "up"])
    )
    assert got.tolist()[:4] == [50.0, 100.0, 40.0, 100.0] and pd.isna(got.iloc[4])


def test_geojson_is_loaded_once_and_keeps_sixteen_states():
    path = str(ROOT / "data" / "reference" / "my_states.geojson")
    first = figures.states_geojson(path)
    assert figures.states_geojson(path) is first
    assert sorted(f["properties"]["code_state"] for f in first["features"]) == list(range(1, 17))


def test_trend_labels_quarters_in_the_language():
    series = pd.DataFrame(
        {"entity_code": "MY", "period": ["2026Q1", "2026Q2"], "value": [1.0, 2.0], "trajectory": [1.5, 2.5]}
    )
    fig = figures.trend(
        series,
        title="t",
        x_title="x",
        y_title="y",
        names={"MY": "Kebangsaan"},
        target_label="Sasaran",
        period_label=C.period_fn("ms"),
    )
    assert list(fig.layout.xaxis.ticktext) == ["ST1 2026", "ST2 2026"]


@pytest.mark.parametrize("path", sorted((ROOT / "dashboard" / "pages").glob("*.py")))
def test_pages_hold_no_sql_and_no_colours(path):
    if path.name.startswith(("submit", "admin", "history")):
        pytest.skip("returns pages")
    text = path.read_text()
    assert not re.search(r"#[0-9A-Fa-f]{6}\b", text), path.name
    assert not re.search(r"\b(SELECT|FROM kpi_|JOIN)\b", text), path.name


def test_the_server_caps_malloc_arenas_unless_the_environment_does(monkeypatch):
    from dashboard import server

    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert server.limit_malloc_arenas() is False  # the environment's choice stands
    monkeypatch.delenv("MALLOC_ARENA_MAX")
    assert server.limit_malloc_arenas() in (True, False)  # False where the C library is not glibc


def test_server_threads_are_one_per_core_from_two_to_sixteen():
    from dashboard import server

    assert [server.default_threads(n) for n in (1, 2, 3, 4, 8, 32)] == [2, 2, 3, 4, 8, 16]
    assert server.default_threads() >= 2  # this machine's cores


def test_waitress_queue_notes_are_held_to_one_per_interval(caplog):
    import logging

    from waitress.task import ThreadedTaskDispatcher

    from dashboard import server

    now = [0.0]
    logger = logging.getLogger("waitress.queue")
    notes = server.QueueNotes(60.0, clock=lambda: now[0])
    logger.addFilter(notes)
    try:
        dispatcher = ThreadedTaskDispatcher()  # no request threads: every task waits in the queue
        with caplog.at_level(logging.WARNING, logger="waitress.queue"):
            for _ in range(500):
                dispatcher.add_task(object())
            now[0] = 59.0
            dispatcher.add_task(object())
            now[0] = 60.0
            dispatcher.add_task(object())
        written = [r.getMessage() for r in caplog.records if r.name == "waitress.queue"]
        assert written == ["Task queue depth is 1", "Task queue depth reached 502 (501 notes since the last one written)"]
    finally:
        logger.removeFilter(notes)
    server.quiet_queue_notes()
    server.quiet_queue_notes()
    try:
        assert sum(isinstance(f, server.QueueNotes) for f in logger.filters) == 1
    finally:
        for f in list(logger.filters):
            logger.removeFilter(f)


def test_the_start_up_heap_is_left_out_of_full_collections():
    import gc

    from dashboard import server

    try:
        frozen = server.settle_heap()
        # the modules and objects built so far; a thread of an earlier test may still free a few
        assert frozen > 10_000 and 0 <= frozen - gc.get_freeze_count() < 100
        before = len(gc.get_objects())
        garbage = [[n] for n in range(1000)]
        garbage.append(garbage)  # a cycle made after start-up is still found and freed
        del garbage
        assert gc.collect() >= 1000 and len(gc.get_objects()) <= before + 10
    finally:
        gc.unfreeze()


def test_run_counts_are_named_in_the_language_known_first_numbers_grouped():
    counts = json.dumps({"zeta": 2, "timings": {"html": 0.4}, "kpi_value": 2203920, "period": "2026Q3",
                         "lang": "ms", "fact_return": 1000, "snapshot_id": "20261127T070645-4d77ec"})
    assert i18n.run_counts(counts, "en", limit=10) == (
        "current return values: 1,000; KPI values: 2,203,920; quarter: Q3 2026; language: BM; "
        "snapshot: 20261127T070645-4d77ec; zeta: 2")
    assert i18n.run_counts(counts, "ms", limit=3) == (
        "nilai penyata semasa: 1,000; nilai KPI: 2,203,920; suku tahun: ST3 2026; … (+3)")
    assert i18n.run_counts("{}", "ms") == "–" and i18n.run_counts(None, "en") == "–"
    assert i18n.run_counts("not json", "en") == "not json"
    carried = json.dumps({"fact_return_history": 12, "reused_return_rows": 11, "recomputed_from": "2026Q2"})
    assert i18n.run_counts(carried, "en") == (
        "return values incl. replaced: 12; of them copied from the previous snapshot: 11; "
        "KPI values computed from: Q2 2026")
    assert i18n.run_counts(json.dumps({"recomputed_from": "all"}), "ms") == "nilai KPI dikira mulai: setiap suku tahun"


def test_every_job_of_the_schedule_has_a_name_in_both_languages():
    from etl.scheduler import job_specs

    jobs = {spec.name for spec in job_specs()} | {"ingest", "publish", "pack", "demo"}
    assert jobs <= set(i18n.JOBS)
    assert i18n.job_word("publish_if_new", "ms") == "Terbit selepas data baharu"
    assert i18n.job_word("something_new", "ms") == "something_new"



def test_thresholds_are_a_sentence_for_each_mode():
    relative = json.dumps({"on_track_within": 5.0, "at_risk_within": 15.0, "mode": "relative"})
    absolute = json.dumps({"on_track_within": 0.1, "at_risk_within": 0.25, "mode": "absolute"})
    zero = json.dumps({"on_track_within": 0, "at_risk_within": 0, "mode": "absolute"})
    assert i18n.thresholds_text(relative, "%", "en") == (
        "On track when at most 5% behind the target trajectory; at risk when at most 15% behind; off track beyond.")
    assert "0.1" in i18n.thresholds_text(absolute, "score_1_5", "en")
    assert "0.25" in i18n.thresholds_text(absolute, "score_1_5", "ms")
    for none in (zero, None, "", "not json", "[]"):
        assert i18n.thresholds_text(none, "count", "en") == i18n.t("thresholds_none", "en")
    assert i18n.rollup_word("share_of_agencies", "ms") == "peratus agensi"
    assert i18n.rollup_word("new_rollup", "en") == "new_rollup"


def test_names_in_capitals_are_shown_in_title_case():
    from etl.publish import proper_name

    assert proper_name("MINISTRY OF SCIENCE, TECHNOLOGY AND INNOVATION") == "Ministry of Science, Technology and Innovation"
    assert proper_name("PRIME MINISTER'S DEPARTMENT") == "Prime Minister's Department"
    assert proper_name("KEMENTERIAN PERTANIAN DAN KETERJAMINAN MAKANAN") == "Kementerian Pertanian dan Keterjaminan Makanan"
    assert proper_name("Jabatan Perangkaan Malaysia (DOSM)") == "Jabatan Perangkaan Malaysia (DOSM)"  # left as written
    assert proper_name(None) is None


def test_times_are_shown_in_malaysian_time_and_marked():
    from datetime import UTC, datetime

    # stored instants are UTC; a value without an offset is UTC too
    assert i18n.local_time("2026-11-27T09:40:44+00:00") == "2026-11-27 17:40 MYT"
    assert i18n.local_time("2026-11-27 09:40:44") == "2026-11-27 17:40 MYT"
    assert i18n.local_time(pd.Timestamp("2026-12-31 16:30:05")) == "2027-01-01 00:30 MYT"  # the next day in Malaysia
    assert i18n.local_time(datetime(2026, 11, 27, 9, 40, 44, tzinfo=UTC), seconds=True) == "2026-11-27 17:40:44 MYT"
    assert [i18n.local_time(v) for v in (None, "", pd.NaT, float("nan"))] == ["–"] * 4
    assert i18n.local_time("not a time") == "not a time"
