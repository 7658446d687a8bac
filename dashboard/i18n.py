"""English and Bahasa Malaysia: every label the pages show, status words, number and period formats.

``t(key, lang)`` returns the text; a missing key is a programming error and raises KeyError
(tests walk every key in both languages). KPI and entity names come from the warehouse
(``name_en``/``name_ms``), picked with ``name_of``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from etl.problems import KINDS_MS
from etl.settings import MALAYSIA

LANGS = ("en", "ms")
DEFAULT_LANG = "en"

STATUS = {
    "on_track": ("On track", "Di landasan"),
    "at_risk": ("At risk", "Berisiko"),
    "off_track": ("Off track", "Tersasar"),
    "no_target": ("No target", "Tiada sasaran"),
    "awaiting_data": ("Awaiting data", "Menunggu data"),
}
MILESTONE_STATUS = {
    "done": ("Done", "Selesai"),
    "in_progress": ("In progress", "Dalam pelaksanaan"),
    "planned": ("Planned", "Dirancang"),
    "overdue": ("Overdue", "Lewat"),
}
RUN_STATUS = {
    "ok": ("Succeeded", "Berjaya"),
    "failed": ("Failed", "Gagal"),
    "missed": ("Missed", "Terlepas"),
    "running": ("Running", "Sedang berjalan"),
    "skipped": ("Skipped", "Dilangkau"),
}
TRIGGERS = {  # what started a run
    "manual": ("manual", "manual"),
    "cli": ("command line", "baris arahan"),
    "demo": ("demo data", "data demo"),
    "ingest": ("after new data", "selepas data baharu"),
    "schedule": ("schedule", "jadual"),
    "startup": ("server start", "permulaan pelayan"),
    "upload": ("upload", "muat naik"),
    "web": ("dashboard", "papan pemuka"),
}
JOBS = {  # the jobs that leave a row in the run log
    "ingest": ("Ingest", "Pengambilan data"),
    "publish": ("Publish", "Penerbitan"),
    "pack": ("PDF pack", "Pek PDF"),
    "demo": ("Demo data", "Data demo"),
    "poll_inbox": ("Inbox folder", "Folder peti masuk"),
    "pull_sources": ("HTTP sources", "Sumber HTTP"),
    "publish_if_new": ("Publish after new data", "Terbit selepas data baharu"),
    "prebuild_packs": ("Prepare PDF packs", "Sediakan pek PDF"),
    "mail_pack": ("E-mail the minister pack", "E-mel pek menteri"),
    "remind_missing": ("Remind missing returns", "Peringatan penyata tiada"),
}
# What a run counted (``etl_runs.counts_json``), in the order they are shown; keys not listed
# here follow under their own name.
RUN_COUNTS = {
    # files and rows (ingest, demo data, inbox, sources)
    "files": ("files", "fail"),
    "accepted": ("accepted", "diterima"),
    "rejected": ("rejected", "ditolak"),
    "duplicate": ("already received", "telah diterima"),
    "checked": ("checked only", "disemak sahaja"),
    "errors": ("errors", "ralat"),
    "rows": ("rows", "baris"),
    "sources": ("sources", "sumber"),
    "unchanged": ("unchanged", "tidak berubah"),
    "still-rejected": ("still rejected", "masih ditolak"),
    "failed": ("failed", "gagal"),
    # publish: what the new warehouse holds
    "published": ("published", "diterbitkan"),
    "fact_return": ("current return values", "nilai penyata semasa"),
    "kpi_value": ("KPI values", "nilai KPI"),
    "fact_register": ("AI systems", "sistem AI"),
    "reused_register_rows": ("of them copied from the previous snapshot", "daripadanya disalin daripada petikan sebelumnya"),
    "fact_sector": ("sector report rows", "baris laporan sektor"),
    "submissions": ("submissions", "penyerahan"),
    "dim_agency": ("agencies", "agensi"),
    "dim_ministry": ("ministries", "kementerian"),
    "dim_indicator": ("indicators", "penunjuk"),
    "kpi_definition": ("KPIs", "KPI"),
    "fact_return_history": ("return values incl. replaced", "nilai penyata termasuk yang diganti"),
    "reused_return_rows": ("of them copied from the previous snapshot", "daripadanya disalin daripada petikan sebelumnya"),
    "recomputed_from": ("KPI values computed from", "nilai KPI dikira mulai"),
    "composite_index": ("index values", "nilai indeks"),
    "kpi_projection": ("projections", "unjuran"),
    "completeness": ("completeness rows", "baris kelengkapan"),
    "dim_period": ("quarters", "suku tahun"),
    "dim_sector": ("sectors", "sektor"),
    "dim_state": ("states", "negeri"),
    "dim_deliverable": ("deliverables", "hasil utama"),
    "fact_milestone": ("milestones", "batu tanda"),
    "fact_benchmark": ("benchmark values", "nilai penanda aras"),
    "submission_pairs": ("agency quarters", "suku tahun agensi"),
    "etl_runs": ("runs", "larian"),
    # packs, e-mail and reminders
    "period": ("quarter", "suku tahun"),
    "lang": ("language", "bahasa"),
    "pages": ("pages", "halaman"),
    "charts": ("charts", "carta"),
    "sections": ("sections", "bahagian"),
    "bytes": ("bytes", "bait"),
    "seconds": ("seconds", "saat"),
    "packs": ("packs", "pek"),
    "recipients": ("recipients", "penerima"),
    "mails": ("e-mails", "e-mel"),
    "missing": ("missing", "tiada"),
    "to_remind": ("to remind", "untuk diingatkan"),
    "no_contact": ("no contact", "tiada kenalan"),
    "emailed": ("e-mailed", "dihantar e-mel"),
    "snapshot_id": ("snapshot", "petikan"),
}
ROLLUPS = {  # how a KPI's agency values add up to a ministry, sector or the nation
    "ratio_of_sums": ("ratio of sums", "nisbah jumlah"),
    "sum": ("sum", "jumlah"),
    "share_of_agencies": ("share of agencies", "peratus agensi"),
    "weighted_mean": ("weighted mean", "purata berwajaran"),
}
FILE_KINDS = {  # what a submitted file is
    "return": ("return", "penyata"),
    "register": ("register", "daftar"),
    "sector": ("sector report", "laporan sektor"),
}
LEVELS = {
    "national": ("National", "Kebangsaan"),
    "ministry": ("Ministry", "Kementerian"),
    "agency": ("Agency", "Agensi"),
    "sector": ("MSIC sector", "Sektor MSIC"),
    "state": ("State", "Negeri"),
}
PILLARS = {
    "GOV": ("Governance and trust", "Tadbir urus dan kepercayaan"),
    "TAL": ("Talent", "Bakat"),
    "ADO": ("Adoption", "Penerimagunaan"),
    "DAT": ("Data and infrastructure", "Data dan infrastruktur"),
    "IMP": ("Impact", "Impak"),
    "ECO": ("Ecosystem", "Ekosistem"),
    "DEL": ("NAIO delivery", "Penyampaian NAIO"),
}
PEER_GROUPS = {
    "ministry": ("Ministries", "Kementerian"),
    "department": ("Departments", "Jabatan"),
    "statutory_body": ("Statutory bodies", "Badan berkanun"),
}
UNITS = {
    "percent": ("%", "%"),
    "%": ("%", "%"),
    "count": ("", ""),
    "hours": ("hours", "jam"),
    "hours_per_user_week": ("hours per user a week", "jam seorang pengguna seminggu"),
    "per_1000_staff": ("per 1,000 staff", "bagi setiap 1,000 kakitangan"),
    "per_100_systems": ("per 100 systems", "bagi setiap 100 sistem"),
    "score_1_5": ("out of 5", "daripada 5"),
    "persons": ("persons", "orang"),
    "RM": ("RM", "RM"),
    "index": ("index 0-100", "indeks 0-100"),
}
PERCENT_UNITS = ("percent", "%")
REGISTER = {
    "idea": ("Idea", "Idea"),
    "pilot": ("Pilot", "Rintis"),
    "production": ("Production", "Pengeluaran"),
    "retired": ("Retired", "Ditamatkan"),
    "prohibited": ("Prohibited", "Dilarang"),
    "high": ("High", "Tinggi"),
    "limited": ("Limited", "Terhad"),
    "minimal": ("Minimal", "Minimum"),
}
SUBMISSION_STATUS = {
    "accepted": ("Accepted", "Diterima"),
    "rejected": ("Rejected", "Ditolak"),
    "duplicate": ("Duplicate", "Pendua"),
    "checked": ("Checked only", "Disemak sahaja"),
}


# The data grids' own words (pager, filter menu, empty and loading overlays), by AG Grid's
# locale keys; English pages keep the grid's built-in English.
GRID_TEXT_MS = {
    "page": "Halaman", "to": "hingga", "of": "daripada", "more": "lagi",
    "pageSizeSelectorLabel": "Saiz halaman:", "ariaPageSizeSelectorLabel": "Saiz halaman",
    "firstPage": "Halaman pertama", "previousPage": "Halaman sebelumnya", "nextPage": "Halaman seterusnya",
    "lastPage": "Halaman terakhir", "noRowsToShow": "Tiada baris untuk dipaparkan", "loadingOoo": "Memuatkan...",
    "filterOoo": "Tapis...", "empty": "Pilih satu", "equals": "Sama dengan", "notEqual": "Tidak sama dengan",
    "lessThan": "Kurang daripada", "greaterThan": "Lebih daripada", "inRange": "Antara", "inRangeStart": "Dari",
    "inRangeEnd": "Hingga", "lessThanOrEqual": "Kurang daripada atau sama dengan",
    "greaterThanOrEqual": "Lebih daripada atau sama dengan", "contains": "Mengandungi",
    "notContains": "Tidak mengandungi", "startsWith": "Bermula dengan", "endsWith": "Berakhir dengan",
    "blank": "Kosong", "notBlank": "Tidak kosong", "before": "Sebelum", "after": "Selepas",
    "andCondition": "DAN", "orCondition": "ATAU", "applyFilter": "Guna", "resetFilter": "Set semula",
    "clearFilter": "Kosongkan", "cancelFilter": "Batal", "columnFilter": "Penapis lajur",
    "sortAscending": "Isih menaik", "sortDescending": "Isih menurun", "sortUnSort": "Kosongkan isihan",
}


def grid_locale(lang: str) -> dict[str, str]:
    """AG Grid's ``localeText`` for a page in ``lang``."""
    return dict(GRID_TEXT_MS) if lang == "ms" else {}


def lang_of(value: Any) -> str:
    """A supported language code; anything else means English."""
    text = str(value or "").strip().lower()
    return text if text in LANGS else DEFAULT_LANG


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "ms" else pair[0]


def counted(key: str, table: Mapping[str, Any], values: Mapping[str, Any]) -> str:
    """``key``, or ``key + "_one"`` when the count ``n`` among ``values`` is one and ``table``
    has that text ("1 AI system", not "1 AI systems")."""
    return key + "_one" if str(values.get("n", "")) == "1" and key + "_one" in table else key


def t(key: str, lang: str, **values: Any) -> str:
    """The text of ``key`` in ``lang`` with ``values`` put in (a count of one: ``counted``)."""
    text = _pick(STRINGS[counted(key, STRINGS, values)], lang)
    return text.format(**values) if values else text


# The register's columns whose heading has a key of another name (the others are their own key).
_REGISTER_HEADINGS = {"uses_genai": "genai", "systems": "systems_count", "agencies": "agencies_count"}


def register_heading(column: str, lang: str) -> str:
    """The heading of a column of the register of AI systems, or of its counts by stage."""
    return t(_REGISTER_HEADINGS.get(column, column), lang)


def _word(table: Mapping[str, tuple[str, str]], code: Any, lang: str) -> str:
    pair = table.get(str(code or ""))
    return _pick(pair, lang) if pair else str(code or "–")


def status_word(status: Any, lang: str) -> str:
    return _word(STATUS, status or "awaiting_data", lang)


def milestone_word(status: Any, lang: str) -> str:
    return _word(MILESTONE_STATUS, status, lang)


def run_word(status: Any, lang: str) -> str:
    return _word(RUN_STATUS, status, lang)


def problem_heading(code: str, lang: str) -> str:
    """The kind of a check's problem in ``lang`` ("" in English: the check's sentence says it)."""
    return KINDS_MS.get(code, "") if lang == "ms" else ""


def trigger_word(trigger: Any, lang: str) -> str:
    return _word(TRIGGERS, trigger, lang)


def rollup_word(code: Any, lang: str) -> str:
    return _word(ROLLUPS, code, lang)


def thresholds_text(thresholds_json: Any, unit: Any, lang: str, direction: Any = "up") -> str:
    """A KPI's status thresholds as a sentence: how far short of the target trajectory a value
    may be and still be on track or at risk (relative: % of the trajectory; absolute: units)."""
    try:
        th = json.loads(thresholds_json) if isinstance(thresholds_json, str) and thresholds_json else {}
    except ValueError:
        th = {}
    none = "thresholds_none_down" if direction == "down" else "thresholds_none"
    if not isinstance(th, dict) or th.get("on_track_within") is None:
        return t(none, lang)
    on, risk = float(th.get("on_track_within") or 0), float(th.get("at_risk_within") or 0)
    if on == risk == 0:
        return t(none, lang)
    if th.get("mode") == "absolute":
        return t("thresholds_absolute", lang, on=f"{on:g}", risk=f"{risk:g}", unit=unit_word(unit, lang) or "–")
    return t("thresholds_relative", lang, on=f"{on:g}", risk=f"{risk:g}")


def job_word(job: Any, lang: str) -> str:
    return _word(JOBS, job, lang)


def run_counts(text: Any, lang: str, limit: int = 6) -> str:
    """A run's counts (JSON) as ``label: value`` in ``lang``, the first ``limit`` of them.

    Known counts come first in the order of ``RUN_COUNTS``; a quarter is shown as a quarter,
    a number with thousands separators; nested values (timings) are left out.
    """
    try:
        value = json.loads(text or "{}") if isinstance(text, str) or text is None else text
    except (TypeError, ValueError):
        return str(text or "")
    if not isinstance(value, dict):
        return str(value)
    order = {key: n for n, key in enumerate(RUN_COUNTS)}
    items = []
    for key in sorted(value, key=lambda k: (order.get(k, len(order)), k)):
        shown = _count_value(key, value[key], lang)
        if shown is not None:
            label = _word(RUN_COUNTS, key, lang)
            items.append(f"{label}: {shown}")
    rest = len(items) - limit
    return "; ".join(items[:limit]) + (f"; … (+{rest})" if rest > 0 else "") if items else "–"


def _count_value(key: str, value: Any, lang: str) -> str | None:
    if isinstance(value, bool) or value is None:
        return None if value is None else t("yes" if value else "no", lang)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, str):
        if key == "period":
            return period_label(value, lang)
        if key == "recomputed_from":  # the first quarter computed again, or all of them
            return t("every_quarter", lang) if value == "all" else period_label(value, lang)
        if key == "lang":
            return {"en": "EN", "ms": "BM"}.get(value, value)
        return value
    return None


def kind_word(kind: Any, lang: str) -> str:
    return _word(FILE_KINDS, kind, lang)


def level_word(level: Any, lang: str) -> str:
    return _word(LEVELS, level, lang)


def pillar_word(pillar: Any, lang: str) -> str:
    return _word(PILLARS, pillar, lang)


# Targets the catalogue proposes (no policy document sets them) say so first; the citation
# that may follow stays as written.
PROPOSAL = ("proposal (KPI catalogue)", "cadangan (katalog KPI)")


def target_source(text: Any, lang: str) -> str:
    """A target's source in ``lang``: the catalogue's own proposal is named in that language."""
    text = "" if is_missing(text) else str(text)
    if lang == "ms" and text.startswith(PROPOSAL[0]):
        return PROPOSAL[1] + text[len(PROPOSAL[0]):]
    return text


def peer_word(group: Any, lang: str) -> str:
    return _word(PEER_GROUPS, group, lang)


def unit_word(unit: Any, lang: str) -> str:
    return _word(UNITS, unit, lang) if unit else ""


def register_word(code: Any, lang: str) -> str:
    return _word(REGISTER, code, lang)


def submission_word(status: Any, lang: str) -> str:
    return _word(SUBMISSION_STATUS, status, lang)


def name_of(row: Mapping[str, Any], lang: str, base: str = "name") -> str:
    """``row[base_ms]`` in Malay when present, else ``row[base_en]``."""
    preferred = row.get(f"{base}_{lang}")
    if isinstance(preferred, str) and preferred.strip():
        return preferred
    fallback = row.get(f"{base}_en")
    return fallback if isinstance(fallback, str) else ""


def text_of(row: Mapping[str, Any], lang: str, base: str) -> str:
    """``row[base_ms]`` in Malay when present, else ``row[base]`` (English, as the source wrote it)."""
    if lang == "ms":
        malay = row.get(f"{base}_ms")
        if isinstance(malay, str) and malay.strip():
            return malay
    text = row.get(base)
    return text if isinstance(text, str) and text.strip() else ""


def period_label(period: Any, lang: str) -> str:
    """``2026Q3`` -> ``Q3 2026`` (English) or ``ST3 2026`` (suku tahun, Malay)."""
    text = str(period or "")
    if len(text) == 6 and text[4] == "Q":
        return f"{'ST' if lang == 'ms' else 'Q'}{text[5]} {text[:4]}"
    return text


MONTHS = (
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    ("Jan", "Feb", "Mac", "Apr", "Mei", "Jun", "Jul", "Ogo", "Sep", "Okt", "Nov", "Dis"),
)


def months(lang: str) -> tuple[str, ...]:
    """The month abbreviations of ``lang`` (Jan .. Dis)."""
    return MONTHS[1] if lang == "ms" else MONTHS[0]


def periods_label(text: Any, lang: str) -> str:
    """A list of quarters as stored (``2026Q2,2026Q3``), each written as readers write it."""
    parts = [p.strip() for p in str(text or "").split(",") if p.strip()]
    return ", ".join(period_label(p, lang) for p in parts) if parts else "–"


MYT = MALAYSIA


def local_time(value: Any, seconds: bool = False) -> str:
    """A stored instant in Malaysian time, marked as such: ``2026-11-27 17:40 MYT``.

    The stores keep instants in UTC (a value without an offset is UTC); NAIO and the
    agencies work in Malaysian time, as the scheduler does. Missing -> ``–``; text that is
    not a time is returned as it is."""
    if value is None or is_missing(value) or str(value) in ("", "NaT", "None"):
        return "–"
    stamp = value
    if isinstance(value, str):
        try:
            stamp = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return value
    if hasattr(stamp, "to_pydatetime"):
        stamp = stamp.to_pydatetime()
    if not isinstance(stamp, datetime):
        return str(value)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.astimezone(MYT).strftime("%Y-%m-%d %H:%M:%S MYT" if seconds else "%Y-%m-%d %H:%M MYT")


def is_missing(value: Any) -> bool:
    """None, NaN, or pandas' missing markers (``pd.NA`` of nullable columns, ``NaT``)."""
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def _decimals(display_format: Any, unit: Any) -> int:
    """Decimals of a display format: a Python spec (``.1f``, ``,.0f``) or a picture (``0.00``)."""
    fmt = str(display_format or "").strip().strip("{}:")
    m = re.search(r"\.(\d+)[a-zA-Z%]", fmt)
    if m:
        return int(m.group(1))
    m = re.search(r"\.([0#]+)$", fmt)
    if m:
        return len(m.group(1))
    if fmt:
        return 0
    return 0 if unit in ("count", "persons", "RM") else 1


def fmt_number(value: Any, display_format: Any = None, unit: Any = None, lang: str = "en") -> str:
    """A value as the KPI's display format says (thousands separated); ``–`` when missing."""
    if is_missing(value):
        return "–"
    text = f"{float(value):,.{_decimals(display_format, unit)}f}"
    return f"RM {text}" if unit == "RM" else text


def fmt_signed(value: Any, display_format: Any = None, unit: Any = None) -> str:
    if is_missing(value):
        return "–"
    text = fmt_number(abs(value), display_format, unit)
    return ("+" if value > 0 else "−" if value < 0 else "±") + text


def parse_list(value: Any) -> list[str]:
    """A list stored as a JSON array, a Python list or a comma/semicolon-separated string."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
        return [str(v) for v in list(value) if v is not None]
    text = str(value).strip()
    if text.startswith("["):
        try:
            return [str(v) for v in json.loads(text)]
        except ValueError:
            pass
    return [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]


# key -> (English, Bahasa Malaysia)
STRINGS: dict[str, tuple[str, str]] = {
    # shell
    "brand": ("National AI Adoption Dashboard", "Papan Pemuka Penerimagunaan AI Kebangsaan"),
    "skip": ("Skip to main content", "Langkau ke kandungan utama"),
    "download_pdf": ("Download PDF", "Muat turun PDF"),
    "sign_out": ("Sign out", "Log keluar"),
    "nav_overview": ("Overview", "Gambaran keseluruhan"),
    "nav_sectors": ("Sectors", "Sektor"),
    "nav_agencies": ("Ministries and agencies", "Kementerian dan agensi"),
    "nav_deliverables": ("Deliverables", "Hasil utama"),
    "nav_map": ("Map", "Peta"),
    "nav_systems": ("AI systems", "Sistem AI"),
    "nav_kpis": ("KPI catalogue", "Katalog KPI"),
    "nav_data": ("Data status", "Status data"),
    "nav_submit": ("Submit returns", "Hantar penyata"),
    "nav_submissions": ("Submissions", "Penyerahan"),
    "nav_admin": ("Administration", "Pentadbiran"),
    "footer_snapshot": (
        "Data snapshot {snapshot}, published {published}.",
        "Petikan data {snapshot}, diterbitkan {published}.",
    ),
    "footer_source": (
        "Source: quarterly returns of ministries and agencies, AI use-case registers, sector surveys; "
        "National AI Office (NAIO).",
        "Sumber: penyata suku tahunan kementerian dan agensi, daftar kes penggunaan AI, tinjauan sektor; "
        "Pejabat AI Negara (NAIO).",
    ),
    "banner_title": ("A data pipeline job did not complete", "Satu tugas saluran data tidak selesai"),
    "banner_item": ("{job}: {status} at {when} - {error}", "{job}: {status} pada {when} - {error}"),
    "banner_link": ("See data status", "Lihat status data"),
    # the four states
    "empty": ("No data for this selection", "Tiada data untuk pilihan ini"),
    "error_title": ("This view could not be loaded", "Paparan ini tidak dapat dimuatkan"),
    "error_body": (
        "The problem has been recorded for the NAIO data team. Try again in a moment.",
        "Masalah ini telah direkodkan untuk pasukan data NAIO. Cuba lagi sebentar lagi.",
    ),
    "no_warehouse_title": ("No data has been published yet", "Tiada data diterbitkan lagi"),
    "no_warehouse_body": (
        "The dashboard shows figures once the first publish has run.",
        "Papan pemuka memaparkan angka selepas penerbitan pertama dijalankan.",
    ),
    "show_table": ("Show the data as a table", "Tunjukkan data sebagai jadual"),
    "rows_shown": ("First {n} of {total} rows", "{n} baris pertama daripada {total}"),
    "sr_trend": ("Trend: {values}", "Trend: {values}"),
    # tiles and changes
    "no_previous": ("No previous quarter to compare", "Tiada suku tahun sebelumnya untuk dibandingkan"),
    "better": ("better", "lebih baik"),
    "worse": ("worse", "lebih buruk"),
    "unchanged": ("unchanged", "tidak berubah"),
    "vs_previous": ("vs previous quarter", "berbanding suku tahun sebelumnya"),
    "coverage": ("{n} of {m} agencies", "{n} daripada {m} agensi"),
    # common labels
    "period": ("Quarter", "Suku tahun"),
    "quarter": ("Quarter", "Suku tahun"),
    "year": ("Year", "Tahun"),
    "level": ("Level", "Peringkat"),
    "entity": ("Entity", "Entiti"),
    "kpi": ("KPI", "KPI"),
    "ministry": ("Ministry", "Kementerian"),
    "all_ministries": ("All ministries", "Semua kementerian"),
    "peer_group": ("Peer group", "Kumpulan setara"),
    "all_peer_groups": ("All peer groups", "Semua kumpulan setara"),
    "sector": ("MSIC sector", "Sektor MSIC"),
    "state": ("State", "Negeri"),
    "pillar": ("Pillar", "Teras"),
    "all_pillars": ("All pillars", "Semua teras"),
    "agency": ("Agency", "Agensi"),
    "agency_code": ("Agency code", "Kod agensi"),
    "national": ("National", "Kebangsaan"),
    "value": ("Value", "Nilai"),
    "target": ("Target", "Sasaran"),
    "targets": ("Targets", "Sasaran"),
    "trajectory": ("Target trajectory", "Trajektori sasaran"),
    "status": ("Status", "Status"),
    "reported": ("Reported", "Dilaporkan"),
    "expected": ("Expected", "Dijangka"),
    "unit": ("Unit", "Unit"),
    "direction": ("Better when", "Lebih baik apabila"),
    "direction_up": ("higher", "lebih tinggi"),
    "direction_down": ("lower", "lebih rendah"),
    "change_col": ("Change", "Perubahan"),
    "coverage_col": ("Coverage", "Liputan"),
    "deliverables_col": ("Deliverables", "Hasil utama"),
    "description": ("Description", "Keterangan"),
    "title": ("Title", "Tajuk"),
    "yes": ("Yes", "Ya"),
    "every_quarter": ("every quarter", "setiap suku tahun"),
    "no": ("No", "Tidak"),
    "index": ("AI Transformation Index", "Indeks Transformasi AI"),
    "index_axis": ("Index (0-100)", "Indeks (0-100)"),
    "rank": ("Rank", "Kedudukan"),
    "rank_range": ("Rank range", "Julat kedudukan"),
    "index_short": ("Index", "Indeks"),
    "no_runs": ("No runs recorded yet", "Tiada larian direkodkan lagi"),
    "planned_date": ("Planned date", "Tarikh dirancang"),
    "by_level": ("Show values by", "Tunjukkan nilai mengikut"),
    "k27_trend": ("Milestone completion by quarter", "Kadar siap batu tanda mengikut suku tahun"),
    "k27_caption": (
        "Milestones done as a share of milestones due to date, against the target trajectory.",
        "Batu tanda selesai sebagai peratus batu tanda yang perlu disiapkan setakat ini, berbanding "
        "trajektori sasaran.",
    ),
    "n_peers": ("Peers", "Bilangan setara"),
    "pillar_scores": ("Pillar scores", "Skor teras"),
    # overview
    "overview_title": ("National picture", "Gambaran kebangsaan"),
    "overview_lead": (
        "How the public service is adopting AI, against the national targets.",
        "Sejauh mana perkhidmatan awam menerima guna AI, berbanding sasaran kebangsaan.",
    ),
    "headline_title": ("Headline KPIs", "KPI utama"),
    "headline_lead": ("National values for {period}.", "Nilai kebangsaan bagi {period}."),
    "all_kpis_link": ("All KPIs in the catalogue", "Semua KPI dalam katalog"),
    "pillars_title": ("Pillars", "Teras"),
    "pillar_kpis": ("KPIs in this pillar: {n}", "KPI dalam teras ini: {n}"),
    "composite_title": ("AI Transformation Index", "Indeks Transformasi AI"),
    "composite_lead": (
        "By MSIC sector: each KPI scored against its target, pillars averaged, pillars combined by geometric mean.",
        "Mengikut sektor MSIC: setiap KPI diberi skor berbanding sasarannya, teras dipuratakan, dan "
        "teras digabungkan dengan min geometri.",
    ),
    "composite_chart": ("Index by sector, {period}", "Indeks mengikut sektor, {period}"),
    "composite_caption": (
        "AI Transformation Index (0-100) of each MSIC sector; the table shows the pillar scores behind it.",
        "Indeks Transformasi AI (0-100) bagi setiap sektor MSIC; jadual menunjukkan skor teras di sebaliknya.",
    ),
    "ranking_link": ("Agency ranking within peer groups", "Kedudukan agensi dalam kumpulan setara"),
    "deliverables_title": ("Deliverables", "Hasil utama"),
    "deliverable_progress": ("{done} of {total} milestones done", "{done} daripada {total} batu tanda selesai"),
    "overdue_n": ("{n} overdue", "{n} lewat"),
    "freshness_title": ("Data freshness", "Kesegaran data"),
    "published_at": ("Published", "Diterbitkan"),
    "snapshot_id": ("Snapshot", "Petikan"),
    "current_period": ("Latest complete quarter", "Suku tahun lengkap terkini"),
    "last_runs": ("Latest runs", "Larian terkini"),
    "data_link": ("Data and pipeline status", "Status data dan saluran"),
    # sectors
    "sectors_title": ("Sectors", "Sektor"),
    "sectors_lead": (
        "KPIs by MSIC section, and enterprise AI adoption against the EU.",
        "KPI mengikut seksyen MSIC, dan penerimagunaan AI perusahaan berbanding EU.",
    ),
    "heatmap_title": ("KPIs by sector", "KPI mengikut sektor"),
    "heatmap_chart": (
        "Progress to target by sector and KPI, {period}",
        "Kemajuan ke arah sasaran mengikut sektor dan KPI, {period}",
    ),
    "heatmap_caption": (
        "Colour: progress to target (100 = target met); the number in each cell is the KPI value. "
        "Select a cell to see that sector and KPI below.",
        "Warna: kemajuan ke arah sasaran (100 = sasaran dicapai); nombor dalam setiap petak ialah "
        "nilai KPI. Pilih petak untuk melihat sektor dan KPI itu di bawah.",
    ),
    "attainment": ("Progress to target (%)", "Kemajuan ke sasaran (%)"),
    "sector_trend_title": ("Sector trend", "Trend sektor"),
    "sector_trend_caption": (
        "The sector against the national value and the target trajectory.",
        "Sektor berbanding nilai kebangsaan dan trajektori sasaran.",
    ),
    "sector_agencies_title": ("Agencies in this sector", "Agensi dalam sektor ini"),
    "sector_agencies_lead": (
        "Agencies reporting values or AI systems for {sector}.",
        "Agensi yang melaporkan nilai atau sistem AI bagi {sector}.",
    ),
    "n_values": ("Values reported", "Nilai dilaporkan"),
    "n_systems": ("AI systems", "Sistem AI"),
    "benchmark_title": ("Enterprise AI adoption against the EU", "Penerimagunaan AI perusahaan berbanding EU"),
    "benchmark_chart": (
        "Enterprises using AI, Malaysia and EU27, by sector",
        "Perusahaan yang menggunakan AI, Malaysia dan EU27, mengikut sektor",
    ),
    "benchmark_caption": (
        "Share of enterprises with 10 or more staff using at least one AI technology (Eurostat "
        "definition). Malaysia: latest sector survey; EU27: Eurostat isoc_eb_ai, latest year.",
        "Peratus perusahaan dengan 10 atau lebih pekerja yang menggunakan sekurang-kurangnya satu "
        "teknologi AI (takrif Eurostat). Malaysia: tinjauan sektor terkini; EU27: Eurostat "
        "isoc_eb_ai, tahun terkini.",
    ),
    "malaysia": ("Malaysia", "Malaysia"),
    "eu27": ("EU27", "EU27"),
    "share_enterprises": ("% of enterprises", "% perusahaan"),
    # agencies
    "agencies_title": ("Ministries and agencies", "Kementerian dan agensi"),
    "agencies_lead": (
        "Agencies are compared only within their peer group.",
        "Agensi dibandingkan hanya dalam kumpulan setara masing-masing.",
    ),
    "ranking_title": ("AI Transformation Index ranking", "Kedudukan Indeks Transformasi AI"),
    "ranking_lead": ("{n} agencies. Open an agency for its profile.", "{n} agensi. Buka agensi untuk profilnya."),
    "ranking_lead_one": ("1 agency. Open it for its profile.", "1 agensi. Buka agensi untuk profilnya."),
    "ranking_caption": (
        "Rank within the peer group; the rank range shows the best and worst rank under alternative aggregations.",
        "Kedudukan dalam kumpulan setara; julat kedudukan menunjukkan kedudukan terbaik dan terburuk "
        "di bawah kaedah pengagregatan alternatif.",
    ),
    "ministry_kpi_title": ("A KPI across ministries", "KPI merentas kementerian"),
    "ministry_kpi_caption": (
        "Each ministry's value rolled up from its agencies; the table gives status and coverage.",
        "Nilai setiap kementerian digabungkan daripada agensinya; jadual memberikan status dan liputan.",
    ),
    "agency_not_found": ("No agency with the code {code}", "Tiada agensi dengan kod {code}"),
    "back_agencies": ("Back to ministries and agencies", "Kembali ke kementerian dan agensi"),
    "agency_kpis_title": ("KPIs of this agency", "KPI agensi ini"),
    "agency_trend_title": ("KPI trend", "Trend KPI"),
    "agency_trend_caption": (
        "The agency against its ministry, the nation and the target trajectory.",
        "Agensi berbanding kementeriannya, negara dan trajektori sasaran.",
    ),
    "agency_index_caption": (
        "The agency's AI Transformation Index by quarter.",
        "Indeks Transformasi AI agensi mengikut suku tahun.",
    ),
    "rank_of": ("rank {rank} of {n} ({group})", "kedudukan {rank} daripada {n} ({group})"),
    "register_title": ("AI systems in the register", "Sistem AI dalam daftar"),
    "system_id": ("System id", "Id sistem"),
    "system": ("System", "Sistem"),
    "stage": ("Stage", "Peringkat"),
    "risk_tier": ("Risk tier", "Tahap risiko"),
    "impact_assessment": ("Impact assessment", "Penilaian impak"),
    "human_oversight": ("Human oversight", "Pengawasan manusia"),
    "genai": ("Uses GenAI", "Guna GenAI"),
    "citizen_facing": ("Citizen-facing", "Berhadapan rakyat"),
    "sandbox": ("In a sandbox", "Dalam kotak pasir"),
    "systems_title": ("AI systems", "Sistem AI"),
    "systems_lead": (
        "The national register: the AI systems of every agency in force in a quarter, from each "
        "agency's latest register up to it.",
        "Daftar kebangsaan: sistem AI setiap agensi yang berkuat kuasa dalam suku tahun, daripada "
        "daftar terkini setiap agensi sehingga suku tahun itu.",
    ),
    "systems_by_stage": ("By stage", "Mengikut peringkat"),
    "systems_list": ("Systems", "Sistem"),
    "systems_in_force": ("{n} AI systems in force in {period}.", "{n} sistem AI berkuat kuasa pada {period}."),
    "systems_in_force_one": ("1 AI system in force in {period}.", "1 sistem AI berkuat kuasa pada {period}."),
    "systems_none": ("No AI system in force in {period} matches.", "Tiada sistem AI berkuat kuasa pada {period} yang sepadan."),
    "systems_csv": ("Download the {n} systems as CSV", "Muat turun {n} sistem itu sebagai CSV"),
    "systems_csv_one": ("Download the system as CSV", "Muat turun sistem itu sebagai CSV"),
    "systems_count": ("Systems", "Sistem"),
    "agencies_count": ("Agencies", "Agensi"),
    "high_risk": ("High-risk or prohibited", "Berisiko tinggi atau dilarang"),
    "register_of": ("Register of", "Daftar bagi"),
    "agency_systems_in_force": (
        "{n} AI systems in force in {period}, from the agency's register of {of}.",
        "{n} sistem AI berkuat kuasa pada {period}, daripada daftar agensi bagi {of}.",
    ),
    "agency_systems_in_force_one": (
        "1 AI system in force in {period}, from the agency's register of {of}.",
        "1 sistem AI berkuat kuasa pada {period}, daripada daftar agensi bagi {of}.",
    ),
    "agency_systems_none": (
        "No AI system of this agency is in force in {period}.",
        "Tiada sistem AI agensi ini yang berkuat kuasa pada {period}.",
    ),
    "systems_of_ministry": ("All AI systems of its ministry in {period}", "Semua sistem AI kementeriannya pada {period}"),
    "all_sectors": ("All sectors", "Semua sektor"),
    "all_stages": ("All stages", "Semua peringkat"),
    "all_risk_tiers": ("All risk tiers", "Semua tahap risiko"),
    "submissions_title": ("Submissions", "Penyerahan"),
    "submissions_hidden": (
        "Submissions of this agency are shown to its own analysts, viewers and administrators.",
        "Penyerahan agensi ini ditunjukkan kepada penganalisisnya sendiri, pemerhati dan pentadbir.",
    ),
    "submission_id": ("Submission", "Penyerahan"),
    "kind": ("Kind", "Jenis"),
    "file_name": ("File", "Fail"),
    "periods": ("Quarters", "Suku tahun"),
    "received": ("Received", "Diterima"),
    "rows": ("Rows", "Baris"),
    "warnings": ("Warnings", "Amaran"),
    # deliverables
    "deliverables_lead": (
        "NAIO's deliverables D1-D7 and their milestones, planned against actual.",
        "Hasil utama NAIO D1-D7 dan batu tandanya, dirancang berbanding sebenar.",
    ),
    "k27_title": ("Milestone completion (K27)", "Kadar siap batu tanda (K27)"),
    "deliverable_status_title": ("Deliverables", "Hasil utama"),
    "timeline_title": ("Milestone timeline", "Garis masa batu tanda"),
    "timeline_chart": ("Milestones: planned date and actual date", "Batu tanda: tarikh dirancang dan tarikh sebenar"),
    "timeline_caption": (
        "Grey bar: planned date. Filled marker: actual date (or planned date when not yet done); its "
        "shape and the legend give the status. Dotted line: today.",
        "Bar kelabu: tarikh dirancang. Penanda berisi: tarikh sebenar (atau tarikh dirancang jika "
        "belum selesai); bentuk dan petunjuk memberikan status. Garis bertitik: hari ini.",
    ),
    "planned": ("Planned", "Dirancang"),
    "actual": ("Actual", "Sebenar"),
    "today": ("Today", "Hari ini"),
    "milestones_title": ("Milestones", "Batu tanda"),
    "milestone": ("Milestone", "Batu tanda"),
    "evidence": ("Evidence", "Bukti"),
    # map
    "map_title": ("Map by state", "Peta mengikut negeri"),
    "map_lead": (
        "A KPI across Malaysia's 16 states and federal territories, from the agencies' state breakdowns.",
        "KPI merentas 16 negeri dan wilayah persekutuan Malaysia, daripada pecahan negeri agensi.",
    ),
    "map_section": ("KPI by state", "KPI mengikut negeri"),
    "map_caption": (
        "Darker blue is a higher value. States without a value are left blank; the table lists every state.",
        "Biru lebih gelap ialah nilai lebih tinggi. Negeri tanpa nilai dibiarkan kosong; jadual "
        "menyenaraikan setiap negeri.",
    ),
    # KPI catalogue and KPI page
    "kpis_title": ("KPI catalogue", "Katalog KPI"),
    "kpis_lead": (
        "Every KPI, its definition and its national status.",
        "Setiap KPI, takrifnya dan status kebangsaannya.",
    ),
    "catalogue_title": ("KPIs", "KPI"),
    "catalogue_lead": ("{n} KPIs, national values for {period}.", "{n} KPI, nilai kebangsaan bagi {period}."),
    "kpi_not_found": ("No KPI with the id {kpi}", "Tiada KPI dengan id {kpi}"),
    "back_kpis": ("Back to the KPI catalogue", "Kembali ke katalog KPI"),
    "definition": ("Definition", "Takrif"),
    "formula": ("Formula", "Formula"),
    "compiled_sql": ("Compiled SQL (values are bound parameters)", "SQL terkompil (nilai ialah parameter terikat)"),
    "rollup": ("Roll-up", "Gabungan"),
    "thresholds": ("Status thresholds", "Ambang status"),
    "thresholds_relative": (
        "On track when at most {on}% behind the target trajectory; at risk when at most {risk}% behind; "
        "off track beyond.",
        "Di landasan jika ketinggalan tidak lebih {on}% daripada trajektori sasaran; berisiko jika "
        "ketinggalan tidak lebih {risk}%; tersasar jika lebih daripada itu.",
    ),
    "thresholds_absolute": (
        "On track when at most {on} behind the target trajectory, in the KPI's unit ({unit}); at risk when "
        "at most {risk} behind; off track beyond.",
        "Di landasan jika ketinggalan tidak lebih {on} daripada trajektori sasaran, dalam unit KPI ({unit}); "
        "berisiko jika ketinggalan tidak lebih {risk}; tersasar jika lebih daripada itu.",
    ),
    "thresholds_none": (
        "On track at or above the target trajectory; off track below it.",
        "Di landasan jika pada atau melebihi trajektori sasaran; tersasar jika di bawahnya.",
    ),
    "thresholds_none_down": (
        "On track at or below the target trajectory; off track above it.",
        "Di landasan jika pada atau di bawah trajektori sasaran; tersasar jika melebihinya.",
    ),
    "source_file": ("Definition file", "Fail takrif"),
    "source": ("Source", "Sumber"),
    "no_targets": ("No target", "Tiada sasaran"),
    "target_every_quarter": ("Every quarter", "Setiap suku tahun"),
    "target_growth": ("{pct}% a year", "{pct}% setahun"),
    "target_per_year": ("{n} a year", "{n} setahun"),
    "trajectory_title": ("Values, target trajectory and projection", "Nilai, trajektori sasaran dan unjuran"),
    "trajectory_caption": (
        "Solid line: reported values. Dotted line: straight-line trajectory from the baseline to "
        "the dated target. Dashed line: projection of the recent trend; star: the target.",
        "Garis padu: nilai dilaporkan. Garis bertitik: trajektori garis lurus dari garis dasar ke "
        "sasaran bertarikh. Garis putus-putus: unjuran trend terkini; bintang: sasaran.",
    ),
    "projection": ("Projection", "Unjuran"),
    "projection_text": (
        "Projected {value} by {period} against a target of {target}; target reached: {reach}.",
        "Unjuran {value} menjelang {period} berbanding sasaran {target}; sasaran dicapai: {reach}.",
    ),
    "projection_none": ("No projection for this selection.", "Tiada unjuran untuk pilihan ini."),
    "standing_met": ("Target {target} every quarter: met in {period} ({value}).",
                     "Sasaran {target} setiap suku tahun: dicapai pada {period} ({value})."),
    "standing_not_met_later": (
        "Target {target} every quarter: not met in {period} ({value}); at the recent trend, met by {reach}.",
        "Sasaran {target} setiap suku tahun: tidak dicapai pada {period} ({value}); mengikut trend terkini, "
        "dicapai menjelang {reach}.",
    ),
    "standing_not_met": (
        "Target {target} every quarter: not met in {period} ({value}), and not on the current trend.",
        "Sasaran {target} setiap suku tahun: tidak dicapai pada {period} ({value}) dan tidak pada trend semasa.",
    ),
    "not_reached": ("not on the current trend", "tidak pada trend semasa"),
    "values_by_level": ("Values by level", "Nilai mengikut peringkat"),
    "levels_chart": ("By {level}, {period}", "Mengikut {level}, {period}"),
    "levels_caption": (
        "Every entity of the level; the table adds status and coverage.",
        "Setiap entiti peringkat ini; jadual menambah status dan liputan.",
    ),
    "levels_caption_cut": (
        "The {n} highest and lowest of {total}; the table lists all of them.",
        "{n} tertinggi dan terendah daripada {total}; jadual menyenaraikan kesemuanya.",
    ),
    "lineage_title": ("Lineage: the submissions behind this value", "Salasilah: penyerahan di sebalik nilai ini"),
    "lineage_lead": ("Computed from {n} accepted submissions.", "Dikira daripada {n} penyerahan yang diterima."),
    "lineage_lead_one": ("Computed from 1 accepted submission.", "Dikira daripada 1 penyerahan yang diterima."),
    "lineage_none": ("No submissions stand behind this value.", "Tiada penyerahan di sebalik nilai ini."),
    "lineage_hidden": (
        "{n} submissions of other agencies are not shown to you.",
        "{n} penyerahan agensi lain tidak ditunjukkan kepada anda.",
    ),
    "lineage_hidden_one": (
        "1 submission of another agency is not shown to you.",
        "1 penyerahan agensi lain tidak ditunjukkan kepada anda.",
    ),
    # data status
    "data_title": ("Data and pipeline status", "Status data dan saluran"),
    "data_lead": (
        "Runs of every job, returns received against expected, and the freshness of each source.",
        "Larian setiap tugas, penyata diterima berbanding dijangka, dan kesegaran setiap sumber.",
    ),
    "runs_title": ("Pipeline runs", "Larian saluran"),
    "latest_by_job": ("Latest run of each job", "Larian terkini setiap tugas"),
    "all_runs": ("All recent runs ({n})", "Semua larian terkini ({n})"),
    "job": ("Job", "Tugas"),
    "run": ("Run", "Larian"),
    "started": ("Started", "Bermula"),
    "duration_s": ("Seconds", "Saat"),
    "trigger": ("Trigger", "Pencetus"),
    "counts": ("Counts", "Kiraan"),
    "error": ("Error", "Ralat"),
    "completeness_title": ("Returns completeness", "Kelengkapan penyata"),
    "completeness_chart": ("Returns received against expected", "Penyata diterima berbanding dijangka"),
    "completeness_caption": (
        "Each cell: indicators received / expected for the agency and quarter; colour is the share received.",
        "Setiap petak: penunjuk diterima / dijangka bagi agensi dan suku tahun; warna ialah bahagian yang diterima.",
    ),
    "completeness_caption_ministry": (
        "Totals by ministry (choose a ministry to see its agencies). Each cell: "
        "received / expected; colour is the share received.",
        "Jumlah mengikut kementerian (pilih kementerian untuk melihat agensinya). "
        "Setiap petak: diterima / dijangka; warna ialah bahagian yang diterima.",
    ),
    "received_pct": ("Received (%)", "Diterima (%)"),
    "received_n": ("Received", "Diterima"),
    "on_time": ("On time", "Tepat masa"),
    "late": ("Late", "Lewat"),
    "freshness_sources": ("Freshness of each source", "Kesegaran setiap sumber"),
    "last_received": ("Last received", "Terakhir diterima"),
    "files": ("Files", "Fail"),
    "accepted": ("Accepted", "Diterima"),
    "rejected": ("Rejected", "Ditolak"),
}
