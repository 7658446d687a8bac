"""English and Bahasa Malaysia: every label the pages show, status words, number and period formats.

``t(key, lang)`` returns the text; a missing key is a programming error and raises KeyError
(tests walk every key in both languages). KPI and entity names come from the warehouse
(``name_en``/``name_ms``), picked with ``name_of``.
"""

from __future__ import annotations

import json
import math
from typing import Any, Mapping

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
    "done": ("Done", "Selesai"), "in_progress": ("In progress", "Dalam pelaksanaan"),
    "planned": ("Planned", "Dirancang"), "overdue": ("Overdue", "Lewat"),
}
RUN_STATUS = {
    "ok": ("Succeeded", "Berjaya"), "failed": ("Failed", "Gagal"), "missed": ("Missed", "Terlepas"),
    "running": ("Running", "Sedang berjalan"), "skipped": ("Skipped", "Dilangkau"),
}
LEVELS = {
    "national": ("National", "Kebangsaan"), "ministry": ("Ministry", "Kementerian"),
    "agency": ("Agency", "Agensi"), "sector": ("MSIC sector", "Sektor MSIC"), "state": ("State", "Negeri"),
}
PILLARS = {
    "GOV": ("Governance and trust", "Tadbir urus dan kepercayaan"), "TAL": ("Talent", "Bakat"),
    "ADO": ("Adoption", "Penerimagunaan"), "DAT": ("Data and infrastructure", "Data dan infrastruktur"),
    "IMP": ("Impact", "Impak"), "ECO": ("Ecosystem", "Ekosistem"), "DEL": ("NAIO delivery", "Penyampaian NAIO"),
}
PEER_GROUPS = {
    "ministry": ("Ministries", "Kementerian"), "department": ("Departments", "Jabatan"),
    "statutory_body": ("Statutory bodies", "Badan berkanun"),
}
UNITS = {
    "%": ("%", "%"), "count": ("count", "bilangan"), "hours": ("hours", "jam"), "persons": ("persons", "orang"),
    "per 1,000": ("per 1,000 staff", "bagi setiap 1,000 kakitangan"),
    "per 100 systems": ("per 100 systems", "bagi setiap 100 sistem"), "score 1-5": ("score 1-5", "skor 1-5"),
    "RM": ("RM", "RM"), "index": ("index 0-100", "indeks 0-100"),
}

from dashboard.i18n_strings import STRINGS  # noqa: E402  (long table kept in its own module)


def lang_of(value: Any) -> str:
    """A supported language code; anything else means English."""
    text = str(value or "").strip().lower()
    return text if text in LANGS else DEFAULT_LANG


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "ms" else pair[0]


def t(key: str, lang: str, **values: Any) -> str:
    text = _pick(STRINGS[key], lang)
    return text.format(**values) if values else text


def _word(table: Mapping[str, tuple[str, str]], code: Any, lang: str) -> str:
    pair = table.get(str(code or ""))
    return _pick(pair, lang) if pair else str(code or "–")


def status_word(status: Any, lang: str) -> str:
    return _word(STATUS, status or "awaiting_data", lang)


def milestone_word(status: Any, lang: str) -> str:
    return _word(MILESTONE_STATUS, status, lang)


def run_word(status: Any, lang: str) -> str:
    return _word(RUN_STATUS, status, lang)


def level_word(level: Any, lang: str) -> str:
    return _word(LEVELS, level, lang)


def pillar_word(pillar: Any, lang: str) -> str:
    return _word(PILLARS, pillar, lang)


def peer_word(group: Any, lang: str) -> str:
    return _word(PEER_GROUPS, group, lang)


def unit_word(unit: Any, lang: str) -> str:
    return _word(UNITS, unit, lang) if unit else ""


def name_of(row: Mapping[str, Any], lang: str, base: str = "name") -> str:
    """``row[base_ms]`` in Malay when present, else ``row[base_en]``."""
    preferred = row.get(f"{base}_{lang}")
    if isinstance(preferred, str) and preferred.strip():
        return preferred
    fallback = row.get(f"{base}_en")
    return fallback if isinstance(fallback, str) else ""


def period_label(period: Any, lang: str) -> str:
    """``2026Q3`` -> ``Q3 2026`` (English) or ``ST3 2026`` (suku tahun, Malay)."""
    text = str(period or "")
    if len(text) == 6 and text[4] == "Q":
        return f"{'ST' if lang == 'ms' else 'Q'}{text[5]} {text[:4]}"
    return text


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _decimals(display_format: Any, unit: Any) -> int:
    """Decimals from a display format such as ``0.0``, ``.1f``, ``{:,.2f}`` or ``0.0%``; else by unit."""
    fmt = str(display_format or "").strip()
    if fmt:
        if "." in fmt:
            tail = fmt.split(".", 1)[1]
            digits = "".join(ch for ch in tail if ch.isdigit())
            if tail[:1] == "0" or tail[:1] == "#":
                return len(tail) - len(tail.lstrip("0#"))
            return int(digits[:1]) if digits else 0
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
