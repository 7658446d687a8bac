"""The return template: every indicator with names and units, last quarter's values, and a
valid return once its values are filled in (CSV and XLSX)."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from etl.ingest import Ingestor
from etl.returns import load_catalogue
from etl.template import TEMPLATE_COLUMNS, TemplateError, build_template, check_request, file_name

# Values that satisfy the catalogue's ranges and relations (a plausible agency).
VALID = {"HC_TOTAL": 1000, "HC_AI_LIT": 300, "HC_AI_ADV": 40, "HC_AI_SPEC": 6.5, "HC_GENAI_ACCESS": 400,
         "HC_GENAI_ACTIVE": 250, "SVC_TOTAL": 50, "SVC_E2E": 20, "SVC_AI": 5, "BUD_DIGITAL_RM": 2000000,
         "BUD_AI_RM": 150000, "DS_OPEN": 12, "DS_AI_READY": 4, "DSA_SIGNED": 2, "GOV_AI_POLICY": 1,
         "GOV_AI_LEAD": 1, "AI_INCIDENTS": 0, "SANDBOX_N": 1, "CASESTUDY_N": 1}


def fill_csv(template: bytes, values: dict[str, float] | None = None, scale: float = 1.0) -> bytes:
    """The template with its values filled in (indicators not given stay blank)."""
    values = VALID if values is None else values
    rows = list(csv.reader(io.StringIO(template.decode("utf-8-sig"))))
    header = rows[0]
    at_code, at_value = header.index("indicator_code"), header.index("value")
    for row in rows[1:]:
        if row[at_code] in values and not row[header.index("breakdown_type")]:
            v = values[row[at_code]]
            row[at_value] = str(v if row[at_code].startswith("GOV_") else round(v * scale, 1))
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def return_csv(agency: str, period: str, values: dict[str, float] | None = None) -> bytes:
    """A minimal long-layout return (contract columns only)."""
    values = VALID if values is None else values
    lines = ["agency_code,period,indicator_code,value"] + [f"{agency},{period},{k},{v}" for k, v in values.items()]
    return ("\r\n".join(lines) + "\r\n").encode()


@pytest.fixture
def catalogue(settings):
    return load_catalogue(settings.reference_dir)


def _rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_template_lists_every_indicator_with_names_and_units(sqlite_store, catalogue):
    rows = _rows(build_template(sqlite_store, catalogue, "JPN", "2026Q3", "csv"))
    assert list(rows[0]) == list(TEMPLATE_COLUMNS)
    assert [r["indicator_code"] for r in rows] == list(catalogue.indicators)
    first = rows[0]
    spec = catalogue.indicators[first["indicator_code"]]
    assert (first["agency_code"], first["period"], first["unit"]) == ("JPN", "2026Q3", spec.unit)
    assert first["name_en"] == spec.name_en and first["name_ms"] == spec.name_ms
    assert all(r["value"] == "" and r["last_accepted_value"] == "" for r in rows)


def test_filled_csv_template_is_a_valid_return(sqlite_store, settings, catalogue):
    data = fill_csv(build_template(sqlite_store, catalogue, "JPN", "2026Q3", "csv"))
    result = Ingestor(sqlite_store, settings).ingest_bytes(data, "t.csv", kind="return", check_only=True,
                                                           agency_scope="JPN")
    assert result.errors == [], [str(p) for p in result.errors]
    assert result.status == "checked" and result.pairs == [("JPN", "2026Q3")]
    assert not [p for p in result.warnings if p.code == "unknown-column"]  # reference columns pass silently


def test_template_shows_the_last_accepted_values_and_breakdowns(sqlite_store, settings, catalogue):
    lines = ["agency_code,period,indicator_code,value,breakdown_type,breakdown_code"]
    lines += [f"JPN,2026Q2,{code},{value},," for code, value in VALID.items()]
    lines += ["JPN,2026Q2,SVC_AI,3,STATE,10"]
    data = ("\r\n".join(lines) + "\r\n").encode()
    result = Ingestor(sqlite_store, settings).ingest_bytes(data, "q2.csv", kind="return")
    assert result.status == "accepted", [str(p) for p in result.errors]
    rows = _rows(build_template(sqlite_store, catalogue, "JPN", "2026Q3", "csv"))
    total = next(r for r in rows if r["indicator_code"] == "HC_TOTAL")
    assert (total["last_accepted_period"], total["last_accepted_value"]) == ("2026Q2", "1000")
    state = [r for r in rows if r["indicator_code"] == "SVC_AI" and r["breakdown_type"] == "STATE"]
    assert [(r["breakdown_code"], r["last_accepted_value"]) for r in state] == [("10", "3")]
    later = _rows(build_template(sqlite_store, catalogue, "JPN", "2026Q4", "csv"))  # 2026Q3 missing
    assert next(r for r in later if r["indicator_code"] == "HC_TOTAL")["last_accepted_period"] == "2026Q2"
    too_late = _rows(build_template(sqlite_store, catalogue, "JPN", "2027Q3", "csv"))
    assert next(r for r in too_late if r["indicator_code"] == "HC_TOTAL")["last_accepted_value"] == ""


def test_xlsx_template_has_the_return_first_and_a_guide(sqlite_store, settings, catalogue):
    data = build_template(sqlite_store, catalogue, "JPN", "2026Q3", "xlsx")
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Return", "Guide"]
    ws = wb["Return"]
    header = [c.value for c in ws[1]]
    assert header == list(TEMPLATE_COLUMNS)
    at = header.index("value")
    for row in ws.iter_rows(min_row=2):
        code = row[header.index("indicator_code")].value
        if code in VALID:
            row[at].value = VALID[code]
    out = io.BytesIO()
    wb.save(out)
    result = Ingestor(sqlite_store, settings).ingest_bytes(out.getvalue(), "t.xlsx", kind="return",
                                                           check_only=True, agency_scope="JPN")
    assert result.errors == [], [str(p) for p in result.errors]


@pytest.mark.parametrize("agency,period,fmt,why", [
    ("NOPE", "2026Q3", "csv", "unknown agency"),
    ("JPN", "2027Q1", "csv", "has not ended"),
    ("JPN", "Q5 2026", "csv", "not a quarter"),
    ("JPN", "2026Q3", "pdf", "unknown format"),
])
def test_bad_template_requests_say_why(sqlite_store, agency, period, fmt, why):
    with pytest.raises(TemplateError, match=why):
        check_request(sqlite_store, agency, period, fmt, "2026Q3")


def test_template_request_accepts_other_spellings(sqlite_store):
    assert check_request(sqlite_store, " jpn ", "Q2 2026", "xlsx", "2026Q3") == ("JPN", "2026Q2")
    assert file_name("JPN", "2026Q2", "xlsx") == "naio-return-template-JPN-2026Q2.xlsx"
