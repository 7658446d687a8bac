"""The ministers' PDF pack, checked with poppler: language, fonts, pages, vector charts, sameness."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, make_settings, post_sign_in
from tests.smtp_sink import SmtpSink

CHROMIUM = "/usr/bin/chromium"
SECTION_TITLES = {"en": ["Executive summary", "Pillar: Talent", "Economic sectors", "Ministries",
                         "AI systems in the national register", "NAIO deliverables and milestones", "Data completeness", "Appendix: definitions and methodology"],
                  "ms": ["Ringkasan eksekutif", "Tunjang: Bakat", "Sektor ekonomi", "Kementerian",
                         "Sistem AI dalam daftar kebangsaan", "Hasil dan batu tanda NAIO", "Kelengkapan data", "Lampiran: definisi dan metodologi"]}
PERIOD_LABEL = {"en": "Q3 2026", "ms": "ST3 2026"}


def poppler(*args: str) -> str:
    return subprocess.run(list(args), capture_output=True, text=True, check=True, timeout=60).stdout


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A published demo warehouse (12 agencies, 4 quarters): settings and store."""
    from etl.demo_loader import load_demo
    from etl.publish import publish
    from etl.store import Store

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make test` (installs Debian's chromium)")
    settings = make_settings(tmp_path_factory.mktemp("pack"))
    settings.data_dir.mkdir(parents=True)
    store = Store.open(settings.database_url, settings.reference_dir)
    load_demo(settings, store, n_agencies=12, n_quarters=4)
    publish(store, settings)
    yield settings, store
    store.dispose()


@pytest.fixture(scope="module")
def packs(published, tmp_path_factory):
    """Both languages built once: {lang: (Pack, path of the PDF, pdftotext of it)}."""
    from dashboard.pack import build_pack

    settings, store = published
    out = tmp_path_factory.mktemp("pdf")
    built = {}
    for lang in ("ms", "en"):
        pack = build_pack(settings, store, period="2026Q3", lang=lang, use_cache=False)
        path = out / f"pack-{lang}.pdf"
        path.write_bytes(pack.pdf)
        built[lang] = (pack, path, poppler("pdftotext", "-layout", str(path), "-"))
    return built


def kpi_names(settings, lang: str) -> list[str]:
    from etl.warehouse import Warehouse

    return [r[0] for r in Warehouse(settings.warehouse_path).rows(f"SELECT name_{lang} FROM kpi_definition ORDER BY kpi_id")]


@pytest.mark.parametrize("lang", ["ms", "en"])
def test_the_whole_text_is_in_the_chosen_language(packs, published, lang):
    _, _, text = packs[lang]
    flat = words(text)
    names = kpi_names(published[0], lang)
    assert len(names) == 27
    missing = [n for n in names if words(n) not in flat]
    assert not missing, f"KPI names missing from the {lang} pack: {missing}"
    assert PERIOD_LABEL[lang] in flat and all(t in flat for t in SECTION_TITLES[lang])
    other = "en" if lang == "ms" else "ms"
    assert not [t for t in SECTION_TITLES[other] if t in flat and t not in SECTION_TITLES[lang]]
    others = set(kpi_names(published[0], other)) - set(names)
    assert not [n for n in others if words(n) in flat]


@pytest.mark.parametrize("lang", ["ms", "en"])
def test_the_register_section_counts_what_the_ai_systems_page_counts(packs, published, lang):
    from dashboard.queries import register_summary
    from etl.warehouse import Warehouse

    summary = register_summary(Warehouse(published[0].warehouse_path), "2026Q3").set_index("stage")
    flat = words(packs[lang][2])
    total, production = int(summary["systems"].sum()), int(summary.loc["production", "systems"])
    lead = {"en": f"{total} AI systems are in force in Q3 2026, from each agency's latest register: {production} "
                  "in production",
            "ms": f"{total} sistem AI berkuat kuasa pada ST3 2026, daripada daftar terkini setiap agensi: "
                  f"{production} dalam pengeluaran"}[lang]
    assert words(lead) in flat


@pytest.mark.parametrize("lang", ["ms", "en"])
def test_fonts_are_embedded(packs, lang):
    lines = poppler("pdffonts", str(packs[lang][1])).splitlines()[2:]
    assert lines, "no fonts listed"
    assert all(line.split()[-5] == "yes" for line in lines), "\n".join(lines)
    assert any("Inter" in line for line in lines)


@pytest.mark.parametrize("lang", ["ms", "en"])
def test_a4_pages_numbered(packs, lang):
    pack, path, text = packs[lang]
    info = poppler("pdfinfo", str(path))
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages == pack.pages and 14 <= pages <= 40
    assert "(A4)" in info
    title = re.search(r"Title:\s+(.*)", info).group(1)  # in the pack's language, the quarter as on its pages
    assert title == ("Pek KPI Penerimagunaan AI Negara, ST3 2026" if lang == "ms" else
                     "National AI Adoption KPI Pack, Q3 2026")
    last = "Halaman {0} daripada {0}" if lang == "ms" else "Page {0} of {0}"
    assert last.format(pages) in words(text)


@pytest.mark.parametrize("lang", ["ms", "en"])
def test_charts_are_vector_not_images(packs, lang):
    pack, path, text = packs[lang]
    listing = poppler("pdfimages", "-list", str(path)).splitlines()
    assert len(listing) == 2, "raster images in the pack:\n" + "\n".join(listing)
    axis = "ST4 2025" if lang == "ms" else "Q4 2025"
    assert words(text).count(axis) >= 10  # quarter labels of the trend charts are text in the PDF


def test_cover_names_the_snapshot_and_its_hash(packs, published):
    from etl.publish import pinned
    from etl.warehouse import Warehouse

    settings, store = published
    meta = Warehouse(settings.warehouse_path).meta()
    pack, path, _ = packs["en"]
    cover = words(poppler("pdftotext", "-f", "1", "-l", "1", str(path), "-"))
    assert meta["snapshot_id"] in cover and meta["content_hash"] in cover.replace(" ", "")
    assert pack.snapshot_id == meta["snapshot_id"] and pack.content_hash == meta["content_hash"]
    assert meta["snapshot_id"] in pinned(settings.snapshots_dir)


def test_the_same_snapshot_gives_the_same_content(packs, published):
    from dashboard.pack import build_pack

    settings, store = published
    again = build_pack(settings, store, period="2026Q3", lang="en", use_cache=False)
    first = packs["en"][0]
    path = packs["en"][1].with_name("again.pdf")
    path.write_bytes(again.pdf)
    assert poppler("pdftotext", "-layout", str(path), "-") == packs["en"][2]
    assert again.pages == first.pages
    cached = build_pack(settings, store, period="2026Q3", lang="en")
    assert cached.cached and cached.pdf == again.pdf


def test_each_build_leaves_a_run(packs, published):
    import json

    runs = published[1].runs(job="pack", limit=10)
    ok = runs[runs["status"] == "ok"]
    assert len(ok) >= 2
    counts = json.loads(ok.iloc[0]["counts_json"])
    assert counts["period"] == "2026Q3" and counts["pages"] >= 14 and counts["charts"] >= 20


def test_a_chart_that_does_not_draw_stops_the_build(published, monkeypatch):
    from functools import partial

    from dashboard import pack, pack_html
    from dashboard.pack_print import PackRenderError, print_pdf

    settings, store = published
    monkeypatch.setattr(pack_html, "RENDER_SCRIPT", pack_html.RENDER_SCRIPT.replace("figures.map(", "figures.slice(1).map("))
    monkeypatch.setattr(pack, "print_pdf", partial(print_pdf, timeout_ms=4000))
    with pytest.raises(PackRenderError, match=r"charts did not finish drawing: \d+ of \d+ drawn"):
        pack.build_pack(settings, store, period="2026Q3", lang="en", use_cache=False)
    run = store.runs(job="pack", limit=1).iloc[0]
    assert run["status"] == "failed" and "charts did not finish drawing" in run["error"]


def test_a_missing_section_stops_the_print(tmp_path):
    from dashboard.pack_print import PackRenderError, print_pdf

    page = tmp_path / "doc.html"
    page.write_text('<html><body><section id="cover">Loading...</section>'
                    "<script>window.__packDrawn = 0;</script></body></html>")
    with pytest.raises(PackRenderError) as caught:
        print_pdf(page, chromium=CHROMIUM, sections=["cover", "summary"], charts=0, footer="<span></span>")
    assert "missing section: summary" in str(caught.value) and "loading" in str(caught.value)


def test_a_section_wider_than_the_page_stops_the_print(tmp_path):
    """Chromium would shrink every page to fit it: the pack is refused, naming the section."""
    from dashboard.pack_print import PackRenderError, print_pdf

    page = tmp_path / "doc.html"
    cells = "".join(f'<th style="white-space: nowrap">a heading that does not wrap {i}</th>' for i in range(9))
    page.write_text('<html><body><section id="cover">Cover</section><section id="register">'
                    f'<table><tr>{cells}</tr></table></section><script>window.__packDrawn = 0;</script></body></html>')
    with pytest.raises(PackRenderError, match=r"wider than the page: register \(\d+ px in \d+ px\)") as caught:
        print_pdf(page, chromium=CHROMIUM, sections=["cover", "register"], charts=0, footer="<span></span>")
    assert "cover" not in str(caught.value)


def test_unknown_quarter_language_or_snapshot_are_refused(published):
    from dashboard.pack import PackError, build_pack

    settings, store = published
    for options, message in (({"period": "2019Q1"}, "holds no quarter 2019Q1"), ({"lang": "fr"}, "not offered"),
                             ({"snapshot_id": "../../etc/passwd"}, "no published snapshot")):
        with pytest.raises(PackError, match=re.escape(message)):
            build_pack(settings, store, **{"period": "2026Q3", "lang": "en", **options})


def test_snapshot_command_writes_the_pdf(packs, published, tmp_path):
    settings, _ = published
    env = {**os.environ, "NAIO_DATA_DIR": str(settings.data_dir), "NAIO_TODAY": settings.today}
    out = tmp_path / "pack.pdf"
    done = subprocess.run([sys.executable, "app.py", "snapshot", "--period", "2026Q3", "--lang", "en", "-o", str(out),
                           "--snapshot", packs["en"][0].snapshot_id], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert poppler("pdftotext", "-layout", str(out), "-") == packs["en"][2] and f"wrote {out}" in done.stdout
    bad = subprocess.run([sys.executable, "app.py", "snapshot", "--period", "2031Q1", "-o", str(out)], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "no pack: the snapshot holds no quarter 2031Q1" in bad.stderr


def test_the_quarterly_job_mails_both_languages(packs, published):
    from datetime import datetime

    from dashboard.pack import build_pack, render_pack
    from etl import jobs
    from etl.scheduler import TZ, run_job

    settings, store = published
    with SmtpSink() as sink:
        s = settings.with_(smtp_host=sink.host, smtp_port=sink.port, pack_recipients=("menteri@digital.gov.my",))
        status = run_job("mail_pack", lambda *a: jobs.mail_pack(*a, builder=render_pack), s, store,
                         now=datetime(2026, 11, 10, 8, tzinfo=TZ))
    assert status == "ok"
    (_, rcpts, msg), = sink.messages
    attached = {a.get_filename(): a.get_content() for a in msg.iter_attachments()}
    assert rcpts == ["menteri@digital.gov.my"]
    for lang in ("ms", "en"):
        kept = build_pack(settings, store, period="2026Q3", lang=lang)
        assert kept.cached and attached[f"naio-pack-2026Q3-{lang}.pdf"] == kept.pdf


# ---- GET /pack --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server(published):
    from dashboard.server import create_app

    app = create_app(*published)
    app.server.config["TESTING"] = True
    return app.server


def signed_in(server, user: str, password: str):
    c = server.test_client()
    assert post_sign_in(c, user, password).status_code == 302
    return c


def test_pack_route_needs_a_session(server):
    answer = server.test_client().get("/pack?period=2026Q3&lang=en")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")


@pytest.mark.parametrize("user, password", [("viewer", "viewer-demo-2026"), ("analyst.jpn", "analyst-demo-2026"),
                                            ("admin", "admin-demo-2026")])
def test_every_signed_in_role_downloads_the_pack(server, packs, published, user, password):
    answer = signed_in(server, user, password).get("/pack?period=2026Q3&lang=ms")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert answer.data[:5] == b"%PDF-" and answer.data == packs["ms"][0].path.read_bytes()
    assert 'filename="naio-pack-2026Q3-ms.pdf"' in answer.headers["Content-Disposition"]
    audit = published[1].table("audit_log")
    assert ((audit["actor"] == user) & (audit["action"] == "download pack")).any()


def test_pack_route_refuses_bad_requests(server):
    c = signed_in(server, "viewer", "viewer-demo-2026")
    assert c.get("/pack?period=2026Q3&lang=de").status_code == 400
    bad = c.get("/pack?period=nonsense&lang=en")
    assert bad.status_code == 400 and "not a quarter" in bad.get_data(as_text=True)


def test_pack_route_refuses_a_disabled_account(server, published):
    from etl.accounts import add_user, set_active

    add_user(published[1], "leaving.viewer", "a-long-password", "viewer")
    c = signed_in(server, "leaving.viewer", "a-long-password")
    set_active(published[1], "leaving.viewer", False)
    answer = c.get("/pack?period=2026Q3&lang=en")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")


def test_the_warm_page_prints_what_a_fresh_page_prints(published, tmp_path):
    """The printer draws each document in a page that already has plotly.js; the same document
    opened on its own in a fresh page gives the same text."""
    from dashboard import pack
    from dashboard.pack_print import PLOTLY_JS, print_pdf
    from etl.warehouse import Warehouse

    settings, _ = published
    wh = Warehouse(settings.warehouse_path)
    document, sections, charts = pack.render_html(wh, "2026Q3", "ms")
    page = tmp_path / "pack.html"
    page.write_text(document.html(), encoding="utf-8")
    (tmp_path / "plotly.min.js").write_bytes(PLOTLY_JS.read_bytes())
    options = dict(chromium=CHROMIUM, sections=sections, charts=charts, footer=pack.footer("x", "2026Q3", "ms"))
    texts = []
    for doc in (page, document, document):
        out = tmp_path / f"{len(texts)}.pdf"
        out.write_bytes(print_pdf(doc, **options))
        texts.append(poppler("pdftotext", "-layout", str(out), "-"))
    assert texts[0] == texts[1] == texts[2]


def test_the_printer_starts_again_when_chromium_died(published):
    from dashboard import pack
    from dashboard.pack_print import printer

    settings, store = published
    browser = printer(CHROMIUM).call(lambda session: session.browser_ready())
    printer(CHROMIUM).call(lambda session: session.browser.close())
    again = pack.build_pack(settings, store, period="2026Q3", lang="en", use_cache=False)
    assert again.pdf.startswith(b"%PDF-") and again.pages >= 14
    assert printer(CHROMIUM).call(lambda session: session.browser) is not browser


def test_prebuild_job_builds_both_languages_once(packs, published):
    from datetime import datetime

    from dashboard.pack import build_pack, render_pack
    from etl import jobs
    from etl.scheduler import TZ, run_job

    settings, store = published
    for old in (settings.data_dir / "packs").glob("*.pdf"):
        old.unlink()
    now = datetime(2026, 11, 26, 10, tzinfo=TZ)
    before = len(store.runs(job="pack", limit=100))
    assert run_job("prebuild_packs", lambda *a: jobs.prebuild_packs(*a, builder=render_pack), settings, store,
                   now=now) == "ok"
    assert len(store.runs(job="pack", limit=100)) == before + 2
    for lang in ("ms", "en"):
        assert build_pack(settings, store, period="2026Q3", lang=lang).cached
    assert run_job("prebuild_packs", lambda *a: jobs.prebuild_packs(*a, builder=render_pack), settings, store,
                   now=now) == "ok"
    assert len(store.runs(job="pack", limit=100)) == before + 2  # kept, not printed again
    counts = json.loads(store.runs(job="prebuild_packs", limit=1).iloc[0]["counts_json"])
    assert counts["period"] == "2026Q3" and counts["packs"] == 2


def test_a_pack_being_built_is_answered_503_at_once(server, packs, published):
    import fcntl

    from dashboard import pack

    settings, store = published
    built = pack.build_pack(settings, store, period="2026Q3", lang="en")
    built.path.unlink()
    lock = built.path.parent / ".building" / f"{built.path.stem}.lock"
    c = signed_in(server, "viewer", "viewer-demo-2026")
    with open(lock, "a+b") as held:  # another request or process is building this pack
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        answer = c.get("/pack?period=2026Q3&lang=en")
    assert answer.status_code == 503 and int(answer.headers["Retry-After"]) > 0
    text = answer.get_data(as_text=True)
    assert "This pack is being built" in text and "Pek ini sedang dibina" in text
    for _ in range(pack.MAX_BUILDS):  # the server is building as many packs as it may
        pack._builds.acquire()
    try:
        busy = c.get("/pack?period=2026Q3&lang=en")
        cached = c.get("/pack?period=2026Q3&lang=ms")  # a finished pack is still served
    finally:
        for _ in range(pack.MAX_BUILDS):
            pack._builds.release()
    assert busy.status_code == 503 and "other packs" in busy.get_data(as_text=True)
    assert cached.status_code == 200 and cached.data.startswith(b"%PDF-")
    answer = c.get("/pack?period=2026Q3&lang=en")
    assert answer.status_code == 200 and answer.data == built.path.read_bytes()


def test_the_vendored_plotly_bundle_matches_the_installed_plotly():
    from dashboard.pack_print import BASIC_TRACES, PLOTLY_BASIC, PLOTLY_JS, plotly_bundle

    def version(path):
        return re.search(rb"plotly\.js (?:\(basic - minified\) )?v(\d+\.\d+\.\d+)", path.read_bytes()[:400]).group(1)

    assert version(PLOTLY_BASIC) == version(PLOTLY_JS)
    assert plotly_bundle({"scatter", "bar"}) == PLOTLY_BASIC and plotly_bundle({"choropleth"}) == PLOTLY_JS
    assert BASIC_TRACES == {"scatter", "bar", "pie"}


def test_an_idle_printer_stops_its_thread_and_starts_again_when_asked():
    import time

    from dashboard.pack_print import Printer

    p = Printer(CHROMIUM, idle_seconds=0.2)
    assert p.call(lambda session: session.browser, timeout=30) is None  # no browser started for nothing
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and p._thread is not None:
        time.sleep(0.05)
    assert p._thread is None
    assert p.call(lambda session: 42, timeout=30) == 42
    p.close()
    assert p.call(lambda session: "after close", timeout=30) == "after close"
    p.close()
