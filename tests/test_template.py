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


# ---- the AI use-case register template ---------------------------------------------------------
REGISTER_HEAD = ("agency_code,period,system_id,title,function,stage,risk_tier,impact_assessment,human_oversight,"
                 "citizen_facing,uses_genai,sandbox,msic_section,states_served,pilot_start_period,production_period,"
                 "est_hours_saved")
REGISTER_ROWS = ("JPN,{p},JPN-AI-001,Form extraction,records,production,limited,yes,y,no,no,0,O,1;10,2025Q2,2025Q4,"
                 "12.5",
                 "JPN,{p},JPN-AI-002,\"Triage, routing\",,pilot,high,no,yes,yes,ya,tidak,,,2026Q1,,")


def _register_file(period: str, rows: tuple[str, ...] = REGISTER_ROWS) -> bytes:
    return ("\r\n".join([REGISTER_HEAD, *(r.format(p=period) for r in rows)]) + "\r\n").encode()


def test_the_register_template_is_the_register_in_force_put_in_the_quarter(sqlite_store, settings):
    from etl import register
    from etl.template import build_register_template

    ingest = Ingestor(sqlite_store, settings).ingest_bytes
    assert ingest(_register_file("2026Q1"), "r1.csv", kind="register").status == "accepted"
    rows = _rows(build_register_template(sqlite_store, "JPN", "2026Q3", "csv"))
    assert list(rows[0]) == list(register.COLUMNS)
    first, second = rows
    assert {r["period"] for r in rows} == {"2026Q3"} and first["agency_code"] == "JPN"
    assert (first["system_id"], first["stage"], first["impact_assessment"], first["human_oversight"],
            first["sandbox"], first["states_served"], first["production_period"], first["est_hours_saved"]) == (
        "JPN-AI-001", "production", "yes", "yes", "no", "1;10", "2025Q4", "12.5")
    assert (second["title"], second["uses_genai"], second["sandbox"], second["msic_section"],
            second["production_period"], second["est_hours_saved"]) == ("Triage, routing", "yes", "no", "", "", "")
    # sent back unchanged, it is a valid register of that quarter with the same systems
    for fmt in ("csv", "xlsx"):
        again = ingest(build_register_template(sqlite_store, "JPN", "2026Q3", fmt), f"t.{fmt}", kind="register",
                       check_only=True, agency_scope="JPN")
        assert again.errors == [] and again.pairs == [("JPN", "2026Q3")], [str(p) for p in again.errors]
        assert again.n_rows == 2
    book = load_workbook(io.BytesIO(build_register_template(sqlite_store, "JPN", "2026Q3", "xlsx")))
    assert book.sheetnames == ["Register", "Guide"]
    # an earlier quarter has no register in force: one row with only the agency and the quarter,
    # which sent as it is says the agency has no AI system then
    (none,) = _rows(build_register_template(sqlite_store, "JPN", "2025Q4", "csv"))
    assert (none["agency_code"], none["period"]) == ("JPN", "2025Q4") and not any(
        v for k, v in none.items() if k not in ("agency_code", "period"))
    said = ingest(build_register_template(sqlite_store, "JPN", "2025Q4", "xlsx"), "none.xlsx", kind="register")
    assert said.status == "accepted" and said.pairs == [("JPN", "2025Q4")], [str(p) for p in said.errors]
    assert sqlite_store.register_in_force("JPN", "2025Q4") == ("2025Q4", [])
    # a later register that leaves a system out is in force after it
    assert ingest(_register_file("2026Q2", REGISTER_ROWS[:1]), "r2.csv", kind="register").status == "accepted"
    assert [r["system_id"] for r in _rows(build_register_template(sqlite_store, "JPN", "2026Q3", "csv"))] == [
        "JPN-AI-001"]
    assert len(_rows(build_register_template(sqlite_store, "JPN", "2026Q1", "csv"))) == 2
    assert file_name("JPN", "2026Q3", "xlsx", "register") == "naio-register-template-JPN-2026Q3.xlsx"
