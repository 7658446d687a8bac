"""Every problem a check reports gives its sentence and what would be accepted in Malay too.

A corpus of bad files (the return fixtures, and returns, registers and sector reports written
here to reach every check) goes through the ingest path; every problem it produces must have
a Malay sentence, a Malay "accepted" text when it has an English one, and the Malay sentence
must carry the same facts (numbers, quoted values, codes) as the English one.
"""

from __future__ import annotations

import ast
import dataclasses
import io
import re
import zipfile
from collections import Counter

import pytest

from etl import xlsx
from etl.ingest import Ingestor
from etl.problems import KINDS_MS, Problem, problem
from etl.returns import load_catalogue
from etl.store import Store
from tests.conftest import ROOT, make_settings
from tests.test_ingest import return_csv

FIXTURES = ROOT / "tests" / "fixtures" / "returns"
H = "agency_code,period,indicator_code,value,unit,breakdown_type,breakdown_code,value_status,notes\n"

# ---- the corpus ---------------------------------------------------------------------------

RETURNS = {  # name -> (text, agency scope); today is 2026-11-26, the latest quarter 2026Q3
    "blank-agency.csv": (H + ",2026Q2,HC_TOTAL,5,,,,,\n", None),
    "blank-indicator.csv": (H + "JPN,2026Q2,,5,,,,,\n", None),
    "not-whole.csv": (H + "JPN,2026Q2,HC_TOTAL,10.5,,,,,\n", None),
    "out-of-range.csv": (H + "JPN,2026Q2,HC_AI_SPEC,150,,,,,\n", None),
    "future.csv": (H + "JPN,2027Q1,HC_TOTAL,5,,,,,\nJPN,2027Q1,HC_AI_LIT,5,,,,,\n", None),
    "breakdown-type.csv": (H + "JPN,2026Q2,HC_TOTAL,5,,REGION,1,,\n", None),
    "relation-factor.csv": (H + "JPN,2026Q2,CSAT_AI_N,10,,,,,\nJPN,2026Q2,CSAT_AI_SUM,80,,,,,\n", None),
    "falls-in-file.csv": (H + "JPN,2026Q2,DS_OPEN,12,,,,,\nJPN,2026Q3,DS_OPEN,5,,,,,\n", None),
    "falls-from-accepted.csv": (H + "JPN,2026Q2,HC_AI_LIT,100,,,,,\nJPN,2026Q2,HC_TOTAL,9000,,,,,\n", None),
    "state-breakdown.csv": (H + "JPN,2026Q2,HC_TOTAL,5,,STATE,10,,\nJPN,2026Q2,HC_TOTAL,6,,STATE,10,,\n", None),
    "scope.csv": (H + "JPN,2026Q2,HC_TOTAL,5,,,,,\nLHDN,2026Q2,HC_TOTAL,5,,,,,\nLHDN,2026Q2,SVC_AI,1,,,,,\n",
                  "JPN"),
    "non-submitting.csv": (H + "GOVT,2026Q2,HC_TOTAL,5,,,,,\nGOVT,2026Q2,SVC_AI,1,,,,,\n", None),
    "wide-missing.csv": ("period,HC_TOTAL\n2026Q2,5\n", None),
    "wide-extra.csv": ("agency_code,period,HC_TOTAL,remarks\nJPN,2026Q2,5,x\n", None),
    "wide-blank.csv": ("agency_code,period,HC_TOTAL\nJPN,2026Q2,\n", None),
    "blank-name.csv": ("agency_code,,period,indicator_code,value\nJPN,x,2026Q2,HC_TOTAL,5\n", None),
    "no-rows.csv": (",,\n,,\n", None),
    "blank-above.csv": ("\n\n" + H + "JPN,2026Q2,HC_TOTAL,5,,,,,\n", None),
}
REGISTER_HEADER = ("agency_code,period,system_id,title,function,focus_sector,msic_section,stage,risk_tier,"
                   "impact_assessment,human_oversight,citizen_facing,uses_genai,sandbox,build_mode,"
                   "states_served,pilot_start_period,production_period,est_hours_saved,est_cost_saved_rm")
REGISTER_GOOD = ("JPN,2025Q3,JPN-001,MyKad renewal assistant,service delivery,public services,O,production,"
                 "high,yes,Y,true,1,tidak,in-house,10;1;14,2024Q2,2025Q1,1200.5,35000")
REGISTER_BAD_CELLS = [
    ("stage", "live"), ("risk_tier", "medium"), ("impact_assessment", "maybe"), ("sandbox", "2"),
    ("build_mode", "outsourced"), ("msic_section", "Z"), ("states_served", "1;17"), ("period", "2025-13"),
    ("pilot_start_period", "soon"), ("est_hours_saved", "-5"), ("est_cost_saved_rm", '"1,000"'),
    ("title", ""), ("system_id", "x" * 65), ("production_period", "2025Q4"), ("pilot_start_period", "2025Q2"),
    ("agency_code", "XYZ"), ("agency_code", "GOVT"), ("agency_code", "LHDN"), ("period", "2027Q1"),
    ("est_hours_saved", "n/a"),
]
SECTOR_HEADER = "sector_code,period,indicator_code,value,state_code,source"
SECTOR_LINES = [
    "Z,2025Q2,C1_ENT_AI_PCT,10,,", "C,2025-13,C1_ENT_AI_PCT,10,,", "C,2025Q2,C9_UNKNOWN,10,,",
    "C,2025Q2,C9_UNKNOWN,11,,", "C,2025Q2,C1_ENT_AI_PCT,,,", "C,2025Q2,C1_ENT_AI_PCT,12%,,",
    "C,2025Q1,C1_ENT_AI_PCT,101,1,", "ALL,2024,C2_GARI_RANK,24.5,,", "C,2025Q2,C1_ENT_AI_PCT,10,17,",
    "C,2027Q1,C1_ENT_AI_PCT,10,,", "ALL,2028,C3_UPSKILLED,10,,", "C,2024Q2,C1_ENT_AI_PCT,10,,",
    "c,2024-Q2,C1_ENT_AI_PCT,11,,", "C,2025Q3,,11,,",
]


def _with_cell(column: str, value: str) -> str:
    cells = REGISTER_GOOD.split(",")
    cells[REGISTER_HEADER.split(",").index(column)] = value
    return ",".join(cells)


def _zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def corpus() -> list[tuple[str, bytes, str | None, str | None]]:
    """(file name, bytes, kind or None to detect it, agency scope) of every bad file."""
    files = [(p.name, p.read_bytes(), None, None) for p in sorted(FIXTURES.iterdir()) if p.is_file()]
    files += [("out-of-scope.csv", (FIXTURES / "out_of_scope.csv").read_bytes(), None, "JPN")]
    files += [(name, text.encode(), None, scope) for name, (text, scope) in RETURNS.items()]
    files += [
        ("pdf.csv", b"%PDF-1.4 not a table", None, None), ("gzip.csv", b"\x1f\x8b\x08\x00rest", None, None),
        ("empty-zip.xlsx", b"PK\x05\x06" + b"\x00" * 18, None, None),
        ("utf32.csv", b"\x00\x00\xfe\xffa\x00\x00\x00", None, None),
        ("nul.csv", b"agency_code\x00,period\n", None, None),
        ("control.csv", b"agency_code,period\x01\nJPN,2026Q2\n", None, None),
        ("bad-bom.csv", b"\xef\xbb\xbfagency_code,\xff\n", None, None),
        ("not-cp1252.csv", b"agency_code,period\n\x81\x8d\n", None, None),
        ("blank.csv", b"\n \n", None, None),
        ("broken.xlsx", b"PK\x03\x04 not really a zip", None, None),
        ("not-a-workbook.xlsx", _zip({"hello.txt": b"hello"}), None, None),
        ("bomb.xlsx", _zip({"xl/worksheets/sheet1.xml": b" " * (3 * 1024 * 1024)}), None, None),
    ]
    register = [REGISTER_GOOD] + [_with_cell(c, v) for c, v in REGISTER_BAD_CELLS] + [
        _with_cell("system_id", "jpn-001"), "JPN,2025Q3" + "," * (REGISTER_HEADER.count(",") - 1)]
    files += [("register.csv", "\n".join([REGISTER_HEADER, *register]).encode(), None, "JPN"),
              ("register-columns.csv", b"agency_code,period,system_id,colour\nJPN,2025Q3,JPN-9,red\n", None,
               None)]
    files += [("sector.csv", "\n".join([SECTOR_HEADER, "C,2025Q2,C1_ENT_AI_PCT,10,,", *SECTOR_LINES]).encode(),
               None, None),
              ("sector-columns.csv", b"sector_code,period,value,colour\nC,2025Q2,10,red\n", None, None)]
    return files


@pytest.fixture(scope="module")
def found(tmp_path_factory) -> list[tuple[str, Problem]]:
    """(file name, problem) for every problem the corpus produces through the ingest path."""
    settings = make_settings(tmp_path_factory.mktemp("malay"))
    settings.data_dir.mkdir(parents=True)
    store = Store.open(settings.database_url, settings.reference_dir)
    catalogue = load_catalogue(settings.reference_dir)
    # a range on one indicator, so that the range check of returns has something to find
    catalogue.indicators["HC_AI_SPEC"] = dataclasses.replace(catalogue.indicators["HC_AI_SPEC"], max_value=100.0)
    ingestor = Ingestor(store, settings, catalogue)
    try:
        assert ingestor.ingest_bytes(return_csv("JPN", "2026Q1"), "jpn-q1.csv").status == "accepted"
        out = []
        for name, data, kind, scope in corpus():
            result = ingestor.ingest_bytes(data, name, kind=kind, check_only=True, agency_scope=scope)
            out += [(name, p) for p in result.problems]
        sector = "\n".join([SECTOR_HEADER, "C,2025Q2,C1_ENT_AI_PCT,10,,"]).encode()  # on the agencies' upload page
        out += [("sector-upload.csv", p) for p in ingestor.ingest_bytes(
            sector, "sector-upload.csv", check_only=True, agency_scope="JPN", kinds=("return", "register")).problems]
        small = Ingestor(store, settings.with_(max_upload_mb=0.0001), catalogue)
        out += [("big.csv", p) for p in small.ingest_bytes(return_csv(), "big.csv", check_only=True).problems]
    finally:
        store.dispose()
    return out


def test_the_corpus_reaches_every_kind_of_problem(found):
    codes = {p.code for _, p in found}
    # "no-rows" guards a file that gives neither rows nor errors (no check lets that happen);
    # "too-large" is the kind of an unsafe workbook, reported as "archive-too-large".
    assert set(KINDS_MS) - codes == {"no-rows", "too-large"}


def test_every_problem_has_its_sentence_and_what_is_accepted_in_malay(found):
    missing = [(name, p.code, p.message) for name, p in found
               if not p.message_ms or p.message_ms == p.message or (p.expected and not p.expected_ms)]
    assert missing == []


_FACT = re.compile(r"'[^']*'|\d+(?:\.\d+)?(?:e[+-]?\d+)?|\b[A-Z][A-Z0-9_]*[A-Z0-9]\b")
# Words of the English sentence that are names rather than facts, given in Malay as they are
_SAME_IN_BOTH = {"CSV", "XLSX", "ZIP", "UTF", "PDF", "MSIC", "STATE", "MB", "AI", "GenAI", "BOM"}


def facts(text: str) -> Counter:
    """Numbers, quoted values and codes of a sentence (the words in between are language)."""
    return Counter(t for t in _FACT.findall(text) if t not in _SAME_IN_BOTH)


def test_the_malay_sentence_carries_the_facts_of_the_english_one(found):
    differ = [(name, p.message, p.message_ms) for name, p in found if facts(p.message) != facts(p.message_ms)]
    assert differ == []
    differ = [(name, p.expected, p.expected_ms) for name, p in found if facts(p.expected) != facts(p.expected_ms)]
    assert differ == []


def _first(found, name: str, code: str) -> Problem:
    return next(p for n, p in found if n == name and p.code == code)


@pytest.mark.parametrize("name, code, english, malay", [
    ("unknown_agency.csv", "unknown-agency", "unknown agency code 'XYZ'", "kod agensi tidak dikenali 'XYZ'"),
    ("non-submitting.csv", "agency-not-submitting", "'GOVT' does not submit returns (2 rows)",
     "'GOVT' tidak menghantar penyata (2 baris)"),
    ("future.csv", "future-period", "2027Q1 has not ended on 2026-11-26 (2 rows); the latest quarter accepted is "
     "2026Q3", "2027Q1 belum berakhir pada 2026-11-26 (2 baris); suku tahun terkini yang diterima ialah 2026Q3"),
    ("cp1252_notes.csv", "not-a-number", "'abc' is not a number", "'abc' bukan nombor"),
    ("duplicate_keys.csv", "duplicate-key", "HC_TOTAL is given twice: rows 2 and 4",
     "HC_TOTAL diberi dua kali: baris 2 dan 4"),
    ("ragged_rows.csv", "ragged-row", "row 3 has", "baris 3 mempunyai"),
    ("negative.csv", "negative-value", ": -3 is negative", ": -3 ialah nilai negatif"),
    ("falls-from-accepted.csv", "cumulative-falls", "100 is lower than 400 for 2026Q1 (accepted)",
     "100 lebih rendah daripada 400 bagi 2026Q1 (telah diterima)"),
    ("falls-from-accepted.csv", "far-from-previous", "HC_AI_LIT: 100 is 0.25 times the 2026Q1 value 400",
     "HC_AI_LIT: 100 ialah 0.25 kali nilai 2026Q1 iaitu 400"),
    ("active_gt_access.csv", "relation-broken", "HC_GENAI_ACTIVE = 950 (row 4) is more than HC_GENAI_ACCESS = 900 "
     "(row 3)", "HC_GENAI_ACTIVE = 950 (baris 4) melebihi HC_GENAI_ACCESS = 900 (baris 3)"),
    ("register.csv", "duplicate-system", "system JPN-001: the system is listed twice: rows 2 and",
     "sistem JPN-001: sistem ini disenaraikan dua kali: baris 2 dan"),
    ("sector.csv", "out-of-range", "C1_ENT_AI_PCT C state 1 2025Q1: 101 is not accepted",
     "C1_ENT_AI_PCT C negeri 1 2025Q1: 101 tidak diterima"),
])
def test_typical_problems_name_the_same_row_and_value_in_both_languages(found, name, code, english, malay):
    p = _first(found, name, code)
    assert english in p.message and malay in p.message_ms
    assert p.value in p.message_ms or p.value not in p.message


def test_what_is_accepted_is_given_in_malay(found):
    assert _first(found, "negative.csv", "negative-value").expected_ms == "nombor 0 atau lebih"
    assert _first(found, "future.csv", "future-period").expected_ms == "2026Q3 atau lebih awal"
    assert _first(found, "falls-from-accepted.csv", "cumulative-falls").expected_ms == "sekurang-kurangnya 400"
    relation = _first(found, "relation-factor.csv", "relation-broken")
    assert relation.expected_ms == "CSAT_AI_SUM paling banyak 50"  # 5 x CSAT_AI_N = 10
    assert "jumlah skor kepuasan tidak boleh melebihi 5 x bilangan maklum balas" in relation.message_ms
    assert _first(found, "big.csv", "file-too-large").expected_ms == "fail yang tidak melebihi 0.0001 MB"


def test_an_unsafe_workbook_says_why_in_both_languages():
    small = _zip({"xl/a.xml": b"x" * 100, "xl/b.xml": b"y" * 100})
    kind, why, why_ms = xlsx.archive_problem(small, max_expanded_bytes=150)
    assert kind == "too-large" and "200 bytes" in why and "200 bait" in why_ms


MODULES = ("readers", "xlsx", "returns", "return_rules", "register", "sector", "ingest", "template")


@pytest.mark.parametrize("module", MODULES)
def test_every_problem_built_in_the_checks_passes_its_malay(module):
    """Also the problems the corpus cannot reach: each ``problem(...)`` call gives ``message_ms``,
    and ``expected_ms`` whenever it gives ``expected``."""
    tree = ast.parse((ROOT / "etl" / f"{module}.py").read_text())
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "problem"]
    for call in calls:
        given = {k.arg for k in call.keywords}
        assert "message_ms" in given and ("expected" not in given or "expected_ms" in given), \
            f"etl/{module}.py line {call.lineno}"


def test_a_problem_stored_without_malay_is_read_back_with_blank_malay():
    stored = {"code": "not-a-number", "message": "'x' is not a number", "file": "a.csv", "row": 3,
              "column": "value", "value": "x", "expected": "a number", "level": "error"}
    p = Problem(**stored)
    assert p.message_ms == "" and p.expected_ms == "" and str(p) == \
        "ERROR a.csv, row 3, column value: 'x' is not a number (accepted: a number)"
    q = problem("not-a-number", "'x' is not a number", file="a.csv", message_ms="'x' bukan nombor")
    assert "bukan" not in str(q)  # the command line and the logs stay in English
