"""The quarterly return template of one agency and period, and its AI use-case register
template, as CSV or XLSX.

The template is itself a valid return in the long layout once its values are filled: the
contract columns come first, then reference columns (indicator names in English and Malay,
the last accepted value before the quarter and its period: normally last quarter's) that the
return reader reads past silently (``etl.returns.TEMPLATE_REFERENCE_COLUMNS``). The XLSX template adds a guide sheet that the reader ignores.

The register template is the agency's register in force in the quarter (its latest accepted
register up to it) with the quarter put in each row, so that the analyst updates the systems
rather than types them again; a register file is the agency's complete list, so a system left
out of it is no longer in force from that quarter. With no system in force, it has one row with
only the agency and the quarter: sent as it is, it says the agency has no AI system.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from etl import periods, register
from etl.returns import TEMPLATE_REFERENCE_COLUMNS, Catalogue, IndicatorSpec, format_number
from etl.safe_export import csv_bytes, xlsx_bytes
from etl.store import Store

RETURN_COLUMNS = ("agency_code", "period", "indicator_code", "breakdown_type", "breakdown_code", "value",
                  "unit", "value_status", "notes")
REFERENCE_COLUMNS = TEMPLATE_REFERENCE_COLUMNS  # name_en, name_ms, last_accepted_period, last_accepted_value
LOOK_BACK = 4  # quarters searched for the last accepted value when last quarter's is missing
TEMPLATE_COLUMNS = RETURN_COLUMNS + REFERENCE_COLUMNS
FORMATS = ("csv", "xlsx")
KINDS = ("return", "register")

GUIDE_ROWS = (
    ("agency_code", "yes", "your agency code (fixed in this template) / kod agensi anda"),
    ("period", "yes", "the quarter, YYYYQn such as 2026Q3 / suku tahun"),
    ("indicator_code", "yes", "code of the indicator catalogue / kod penunjuk"),
    ("breakdown_type", "no", "blank = agency total; STATE or MSIC / kosong = jumlah agensi"),
    ("breakdown_code", "no", "state code 1-16 or MSIC section A-U / kod negeri atau seksyen MSIC"),
    ("value", "yes", "a number with a decimal point, no thousands separator / nombor"),
    ("unit", "no", "if given, must match the catalogue's unit / unit"),
    ("value_status", "no", "A actual (default), E estimate, P provisional / A sebenar, E anggaran, P sementara"),
    ("notes", "no", "free text, kept as written / catatan"),
    ("name_en, name_ms, last_accepted_period, last_accepted_value", "-",
     "for reference only: ignored when the file is read / rujukan sahaja: diabaikan"),
)


REGISTER_GUIDE_ROWS = (
    ("agency_code", "yes", "your agency code / kod agensi anda"),
    ("period", "yes", "the quarter this register is for, YYYYQn / suku tahun daftar ini"),
    ("system_id", "yes", "your id of the AI system, unique in the file / id sistem AI, unik dalam fail"),
    ("title", "yes", "what the system does / apa yang dilakukan sistem"),
    ("function", "no", "the function it serves / fungsi"),
    ("focus_sector", "no", "the sector it serves / sektor"),
    ("msic_section", "no", "MSIC section A-U / seksyen MSIC A-U"),
    ("stage", "yes", "idea, pilot, production or retired / peringkat"),
    ("risk_tier", "yes", "prohibited, high, limited or minimal / tahap risiko"),
    ("impact_assessment, human_oversight, citizen_facing, uses_genai, sandbox", "yes",
     "yes or no / ya atau tidak"),
    ("build_mode", "no", "in_house, vendor, hybrid or open_source / cara dibina"),
    ("states_served", "no", "state codes 1-16 separated by ';', blank = national / kod negeri, kosong = kebangsaan"),
    ("pilot_start_period, production_period", "no",
     "YYYYQn; production not after the period nor before the pilot / suku tahun"),
    ("est_hours_saved, est_cost_saved_rm", "no", "numbers, per quarter / nombor, setiap suku tahun"),
    ("", "", "The file is the complete register: a system left out is no longer in force from this quarter. "
             "/ Fail ini ialah daftar lengkap: sistem yang tiada di dalamnya tidak lagi berkuat kuasa."),
    ("", "", "No AI system in the quarter: one row with only agency_code and period. "
             "/ Tiada sistem AI pada suku tahun itu: satu baris dengan agency_code dan period sahaja."),
)


class TemplateError(ValueError):
    pass


@dataclass(frozen=True)
class TemplateRow:
    indicator: IndicatorSpec
    breakdown_type: str
    breakdown_code: str
    last_period: str  # '' when nothing was accepted in the look-back window
    last_value: float | None


def _last(by_period: dict[str, float | None], period: str) -> tuple[str, float | None]:
    """The latest accepted (period, value) before ``period``, at most ``LOOK_BACK`` quarters back."""
    for back in range(1, LOOK_BACK + 1):
        earlier = periods.shift(period, -back)
        if earlier in by_period:
            return earlier, by_period[earlier]
    return "", None


def template_rows(catalogue: Catalogue, accepted: dict[tuple[str, str, str], dict[str, float | None]],
                  period: str) -> list[TemplateRow]:
    """Every catalogue indicator as an agency total, plus the breakdowns reported lately."""
    out: list[TemplateRow] = []
    for code, spec in catalogue.indicators.items():
        out.append(TemplateRow(spec, "", "", *_last(accepted.get((code, "", ""), {}), period)))
        for (ind, bt, bc), by_period in sorted(accepted.items()):
            last = _last(by_period, period)
            if ind == code and bt and last[0]:
                out.append(TemplateRow(spec, bt, bc, *last))
    return out


def _cells(agency: str, period: str, row: TemplateRow) -> list:
    spec = row.indicator
    last_value = format_number(row.last_value) if row.last_value is not None else ""
    return [agency, period, spec.code, row.breakdown_type, row.breakdown_code, "", spec.unit, "A", "",
            spec.name_en, spec.name_ms, row.last_period, _number(last_value)]


def _number(text: str) -> float | int | str:
    if not text:
        return ""
    value = float(text)
    return int(value) if value.is_integer() else value


def check_request(store: Store, agency_code: str, period: str, fmt: str, current_period: str) -> tuple[str, str]:
    """The canonical (agency, period) of a template request, or ``TemplateError`` saying why not."""
    agency = (agency_code or "").strip().upper()
    known = store.agencies()
    if agency not in known:
        raise TemplateError(f"unknown agency {agency_code!r}")
    if not known[agency]:
        raise TemplateError(f"agency {agency} does not submit quarterly returns")
    try:
        canonical = periods.normalise_period(period)
    except ValueError as exc:
        raise TemplateError(str(exc)) from None
    if periods.index(canonical) > periods.index(current_period):
        raise TemplateError(f"{canonical} has not ended yet; the latest quarter is {current_period}")
    if fmt not in FORMATS:
        raise TemplateError(f"unknown format {fmt!r}; formats: csv, xlsx")
    return agency, canonical


def build_template(store: Store, catalogue: Catalogue, agency_code: str, period: str, fmt: str) -> bytes:
    """The template file's bytes (text cells neutralised for spreadsheets)."""
    rows = template_rows(catalogue, store.accepted_values(agency_code), period)
    cells = [_cells(agency_code, period, r) for r in rows]
    if fmt == "csv":
        return csv_bytes(TEMPLATE_COLUMNS, cells)
    return xlsx_bytes([("Return", TEMPLATE_COLUMNS, cells), ("Guide", ("column", "required", "meaning"),
                                                              _guide(catalogue.indicators.values()))],
                      widths={"C": 20, "J": 48, "K": 48})


def _guide(specs: Iterable[IndicatorSpec]) -> list[tuple]:
    rows: list[tuple] = list(GUIDE_ROWS)
    rows.append(("", "", ""))
    rows.append(("indicator_code", "required", "unit, range, blank allowed / unit, julat, boleh kosong"))
    for s in specs:
        limits = f"{'' if s.min_value is None else format_number(s.min_value)}.." \
                 f"{'' if s.max_value is None else format_number(s.max_value)}"
        rows.append((s.code, "yes" if s.required else "no",
                     f"{s.unit}, {limits}, {'blank allowed' if s.allow_blank else 'value needed'}"))
    return rows


def build_register_template(store: Store, agency_code: str, period: str, fmt: str) -> bytes:
    """The register template's bytes: the agency's register in force in ``period``, for ``period``."""
    _snapshot, systems = store.register_in_force(agency_code, period)
    cells = [[_register_cell({**row, "period": period}[c]) for c in register.COLUMNS] for row in systems]
    if not cells:  # as sent, it says the agency has no AI system in the quarter
        cells = [[agency_code, period] + [""] * (len(register.COLUMNS) - 2)]
    if fmt == "csv":
        return csv_bytes(register.COLUMNS, cells)
    return xlsx_bytes([("Register", register.COLUMNS, cells),
                       ("Guide", ("column", "required", "meaning"), list(REGISTER_GUIDE_ROWS))],
                      widths={"C": 16, "D": 48})


def _register_cell(value) -> str | float | int:
    """A register value as a register file gives it; numbers stay numbers (a workbook's cells)."""
    return _number(register.as_written(value)) if isinstance(value, float) else register.as_written(value)


def file_name(agency_code: str, period: str, fmt: str, kind: str = "return") -> str:
    return f"naio-{kind}-template-{agency_code}-{period}.{fmt}"
