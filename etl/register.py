"""The AI use-case register: one row per AI system of an agency, per period.

A register file is a complete snapshot of each (agency, period) it holds. It uses the same
``ValidationContext`` as the quarterly return (agency checks, scope, future periods). A row
that gives only the agency and the quarter says the agency has no AI system in that quarter
(``RegisterRow.declares_none``): it is checked like any row, its (agency, period) is recorded
as a register of no systems, and no system is recorded for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from etl import periods
from etl.problems import Problem, problem
from etl.readers import MAX_EXPANDED_BYTES, Sheet, as_sheet, locate_columns
from etl.return_rules import AGENCY_PERIOD_RULES, Batch, run_rules
from etl.returns import MSIC_SECTIONS, STATE_CODES, ValidationContext, code, format_number, number_or_reasons

STAGES = ("idea", "pilot", "production", "retired")
RISK_TIERS = ("prohibited", "high", "limited", "minimal")
BUILD_MODES = ("in_house", "vendor", "hybrid", "open_source")
BOOLEAN_TEXT = {"yes": True, "y": True, "true": True, "1": True, "ya": True,
                "no": False, "n": False, "false": False, "0": False, "tidak": False}
BOOLEAN_COLUMNS = ("impact_assessment", "human_oversight", "citizen_facing", "uses_genai", "sandbox")
REQUIRED = ("agency_code", "period", "system_id", "title", "stage", "risk_tier") + BOOLEAN_COLUMNS
OPTIONAL = ("function", "focus_sector", "msic_section", "build_mode", "states_served",
            "pilot_start_period", "production_period", "est_hours_saved", "est_cost_saved_rm")
# The columns of a register file, in the order the template and the demo data write them.
COLUMNS = ("agency_code", "period", "system_id", "title", "function", "focus_sector", "msic_section", "stage",
           "risk_tier", "impact_assessment", "human_oversight", "citizen_facing", "build_mode", "uses_genai",
           "sandbox", "states_served", "pilot_start_period", "production_period", "est_hours_saved",
           "est_cost_saved_rm")


def as_written(value: Any) -> str:
    """A register value as a register file writes it: yes/no, a number as written, '' for none."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return format_number(value) if isinstance(value, (int, float)) else str(value)


WHAT = "the AI use-case register"
WHAT_MS = "daftar kes penggunaan AI"


@dataclass(frozen=True)
class RegisterRow:
    source_row: int
    agency_code: str
    period: str
    system_id: str
    title: str
    function: str
    focus_sector: str
    msic_section: str  # '' or A-U
    stage: str
    risk_tier: str
    impact_assessment: bool
    human_oversight: bool
    citizen_facing: bool
    uses_genai: bool
    sandbox: bool
    build_mode: str  # '' or one of BUILD_MODES
    states_served: str  # '' = national, else state codes joined by ';' (e.g. '1;10;14')
    pilot_start_period: str | None
    production_period: str | None
    est_hours_saved: float | None
    est_cost_saved_rm: float | None

    @property
    def declares_none(self) -> bool:
        """The row says the agency has no AI system in the quarter (only agency and quarter given)."""
        return not self.system_id


@dataclass(frozen=True)
class Refused:
    """Why a cell is not accepted and what would be, in English and in Malay."""

    why: str
    expected: str
    why_ms: str
    expected_ms: str


# Each cell parser: text -> (value, None) or (None, Refused). Blank text is handled before
# the parser is called (required columns must not be blank).
Parsed = tuple[Any, Refused | None]


def _text(limit: int) -> Callable[[str], Parsed]:
    def parse(text: str) -> Parsed:
        if len(text) > limit:
            return None, Refused(f"is longer than {limit} characters", f"at most {limit} characters",
                                 f"melebihi {limit} aksara", f"paling banyak {limit} aksara")
        return text, None
    return parse


def _choice(options: tuple[str, ...]) -> Callable[[str], Parsed]:
    accepted = " | ".join(options)

    def parse(text: str) -> Parsed:
        word = "_".join(text.lower().replace("-", " ").split())
        if word in options:
            return word, None
        return None, Refused("is not one of the accepted words", accepted,
                             "bukan salah satu perkataan yang diterima", accepted)
    return parse


_YES_NO = "yes/no, y/n, true/false, 1/0, ya/tidak"


def _boolean(text: str) -> Parsed:
    value = BOOLEAN_TEXT.get(text.lower())
    if value is None:
        return None, Refused("is not yes or no", _YES_NO, "bukan ya atau tidak", _YES_NO)
    return value, None


def _msic(text: str) -> Parsed:
    section = code(text)
    if section in MSIC_SECTIONS:
        return section, None
    return None, Refused("is not an MSIC section", "a letter A-U, or blank",
                         "bukan seksyen MSIC", "huruf A-U, atau kosong")


def _states(text: str) -> Parsed:
    parts = [p.strip() for p in text.replace(",", ";").split(";") if p.strip()]
    states = {STATE_CODES.get(p) for p in parts}
    if None in states or not parts:
        return None, Refused(
            "holds something other than state codes",
            "state codes 1-16 separated by ';' (e.g. 1;10;14), or blank for national",
            "mengandungi sesuatu selain kod negeri",
            "kod negeri 1-16 dipisahkan dengan ';' (cth. 1;10;14), atau kosong bagi peringkat kebangsaan")
    return ";".join(sorted(states, key=int)), None


def _period(text: str) -> Parsed:
    try:
        return periods.normalise_period(text), None
    except ValueError:
        return None, Refused("is not a quarter", periods.ACCEPTED_SPELLINGS,
                             "bukan suku tahun", periods.ACCEPTED_SPELLINGS_MS)


def _amount(text: str) -> Parsed:
    value, why, why_ms = number_or_reasons(text)
    if why:
        return None, Refused(why, "a number of 0 or more with a decimal point, or blank",
                             why_ms, "nombor 0 atau lebih dengan titik perpuluhan, atau kosong")
    if value < 0:
        return None, Refused("is negative", "a number of 0 or more, or blank",
                             "ialah nilai negatif", "nombor 0 atau lebih, atau kosong")
    return value, None


PARSERS: dict[str, Callable[[str], Parsed]] = {
    "agency_code": lambda t: (code(t), None),
    "period": _period,
    "system_id": _text(64),
    "title": _text(500),
    "function": _text(64),
    "focus_sector": _text(64),
    "msic_section": _msic,
    "stage": _choice(STAGES),
    "risk_tier": _choice(RISK_TIERS),
    **{name: _boolean for name in BOOLEAN_COLUMNS},
    "build_mode": _choice(BUILD_MODES),
    "states_served": _states,
    "pilot_start_period": _period,
    "production_period": _period,
    "est_hours_saved": _amount,
    "est_cost_saved_rm": _amount,
}
_BLANK = {"function": "", "focus_sector": "", "msic_section": "", "build_mode": "", "states_served": ""}


# Every column of a row that says the agency has no AI system is blank but these; its other
# fields take these values (no system is recorded of it).
_NONE_GIVEN = ("agency_code", "period")
_NONE_ROW = {"system_id": "", "title": "", "stage": "", "risk_tier": "", **dict.fromkeys(BOOLEAN_COLUMNS, False)}


def _parse_row(number: int, cells: list[str], pos: dict[str, int], sheet: Sheet,
               problems: list[Problem]) -> RegisterRow | None:
    declares_none = not any(cells[at] for name, at in pos.items() if name not in _NONE_GIVEN and at < len(cells))
    values: dict[str, Any] = {}
    before = len(problems)
    for name, parser in PARSERS.items():
        text = cells[pos[name]] if name in pos else ""
        if declares_none and name not in _NONE_GIVEN:
            values[name] = _NONE_ROW.get(name, _BLANK.get(name))
            continue
        if not text:
            values[name] = _BLANK.get(name)
            if name in REQUIRED:
                problems.append(problem("value-required", f"{name} is blank", file=sheet.file_name,
                                        row=number, column=name,
                                        expected=f"a value for {name}",
                                        message_ms=f"{name} kosong",
                                        expected_ms=f"nilai bagi {name}"))
            continue
        value, refused = parser(text)
        if refused is not None:
            problems.append(problem("bad-" + name.replace("_", "-"), f"'{text}' {refused.why}",
                                    file=sheet.file_name, row=number,
                                    column=name, value=text,
                                    expected=refused.expected,
                                    message_ms=f"'{text}' {refused.why_ms}",
                                    expected_ms=refused.expected_ms))
        values[name] = value
    if len(problems) > before:
        return None
    return RegisterRow(source_row=number, **values)


def parse_register(sheet: Sheet) -> tuple[list[RegisterRow], list[Problem]]:
    """Read the rows of a register sheet; cells that cannot be read are problems."""
    pos, problems = locate_columns(sheet, REQUIRED, OPTIONAL, WHAT, WHAT_MS)
    if pos is None:
        return [], problems
    rows = []
    for number, cells in sheet.rows:
        row = _parse_row(number, cells, pos, sheet, problems)
        if row is not None:
            rows.append(row)
    return rows, problems


# ---- rules ------------------------------------------------------------------------------

def _row_problem(b: Batch, row: RegisterRow, kind: str, column: str, message: str,
                 expected: str, *, message_ms: str, expected_ms: str) -> Problem:
    return problem(kind, f"{row.agency_code} {row.period} system {row.system_id}: {message}",
                   file=b.file, row=row.source_row, column=column,
                   value=getattr(row, column), expected=expected,
                   message_ms=f"{row.agency_code} {row.period} sistem {row.system_id}: {message_ms}",
                   expected_ms=expected_ms)


def duplicate_system(b: Batch) -> Iterator[Problem]:
    first: dict[tuple[str, str, str], RegisterRow] = {}
    for row in b.rows:
        if row.declares_none:
            continue
        earlier = first.setdefault((row.agency_code, row.period, row.system_id.upper()), row)
        if earlier is not row:
            yield _row_problem(b, row, "duplicate-system", "system_id", "the system is listed "
                               f"twice: rows {earlier.source_row} and {row.source_row}",
                               "each system_id once per agency and period",
                               message_ms=f"sistem ini disenaraikan dua kali: baris {earlier.source_row} "
                                          f"dan {row.source_row}",
                               expected_ms="setiap system_id sekali sahaja bagi setiap agensi dan suku tahun")


def production_after_period(b: Batch) -> Iterator[Problem]:
    for row in b.rows:
        for column in ("production_period", "pilot_start_period"):
            when = getattr(row, column)
            if when and when > row.period:
                yield _row_problem(b, row, "after-period", column, f"{column} {when} is after "
                                   f"the register period {row.period}", f"{row.period} or earlier",
                                   message_ms=f"{column} {when} selepas tempoh daftar {row.period}",
                                   expected_ms=f"{row.period} atau lebih awal")


def production_before_pilot(b: Batch) -> Iterator[Problem]:
    for row in b.rows:
        if row.production_period and row.pilot_start_period \
                and row.production_period < row.pilot_start_period:
            yield _row_problem(b, row, "production-before-pilot", "production_period",
                               f"production_period {row.production_period} is before "
                               f"pilot_start_period {row.pilot_start_period}",
                               f"{row.pilot_start_period} or later",
                               message_ms=f"production_period {row.production_period} lebih awal "
                                          f"daripada pilot_start_period {row.pilot_start_period}",
                               expected_ms=f"{row.pilot_start_period} atau kemudian")


def none_beside_systems(b: Batch) -> Iterator[Problem]:
    """A row saying the agency has no AI system, in a quarter the file also lists systems for."""
    listed = {(r.agency_code, r.period) for r in b.rows if not r.declares_none}
    for row in b.rows:
        if row.declares_none and (row.agency_code, row.period) in listed:
            yield problem("none-beside-systems", f"{row.agency_code} {row.period}: the row says the agency has no AI "
                          "system, and the file lists systems of that quarter", file=b.file, row=row.source_row,
                          column="system_id", expected="either the systems, or one row with only agency_code and "
                          "period", message_ms=f"{row.agency_code} {row.period}: baris ini menyatakan agensi tiada "
                          "sistem AI, sedangkan fail menyenaraikan sistem bagi suku tahun itu",
                          expected_ms="sama ada sistem-sistem itu, atau satu baris dengan agency_code dan period sahaja")


REGISTER_RULES = AGENCY_PERIOD_RULES + (duplicate_system, production_after_period,
                                        production_before_pilot, none_beside_systems)


def validate_register(rows: list[RegisterRow], ctx: ValidationContext, file_name: str) -> list[Problem]:
    return run_rules(REGISTER_RULES, rows, ctx, file_name)


def check_register(data: bytes | Sheet, file_name: str, ctx: ValidationContext, *,
                   max_expanded_bytes: int = MAX_EXPANDED_BYTES) -> tuple[list[RegisterRow], list[Problem]]:
    """Read, parse and validate a register file."""
    sheet, problems = as_sheet(data, file_name, max_expanded_bytes=max_expanded_bytes)
    if sheet is None:
        return [], problems
    rows, more = parse_register(sheet)
    problems = problems + more + validate_register(rows, ctx, file_name)
    return rows, sorted(problems, key=lambda p: p.row or 0)
