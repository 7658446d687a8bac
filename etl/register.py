"""The AI use-case register: one row per AI system of an agency, per period.

A register file is a complete snapshot of each (agency, period) it holds. It uses the same
``ValidationContext`` as the quarterly return (agency checks, scope, future periods).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from etl import periods
from etl.problems import Problem, problem
from etl.readers import MAX_EXPANDED_BYTES, Sheet, as_sheet, locate_columns
from etl.return_rules import AGENCY_PERIOD_RULES, Batch, run_rules
from etl.returns import MSIC_SECTIONS, STATE_CODES, ValidationContext, code, number_or_reason

STAGES = ("idea", "pilot", "production", "retired")
RISK_TIERS = ("prohibited", "high", "limited", "minimal")
BUILD_MODES = ("in_house", "vendor", "hybrid", "open_source")
BOOLEAN_TEXT = {"yes": True, "y": True, "true": True, "1": True, "ya": True,
                "no": False, "n": False, "false": False, "0": False, "tidak": False}
BOOLEAN_COLUMNS = ("impact_assessment", "human_oversight", "citizen_facing", "uses_genai", "sandbox")
REQUIRED = ("agency_code", "period", "system_id", "title", "stage", "risk_tier") + BOOLEAN_COLUMNS
OPTIONAL = ("function", "focus_sector", "msic_section", "build_mode", "states_served",
            "pilot_start_period", "production_period", "est_hours_saved", "est_cost_saved_rm")
WHAT = "the AI use-case register"


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


# Each cell parser: text -> (value, why not accepted, what is accepted). Blank text is
# handled before the parser is called (required columns must not be blank).
Parsed = tuple[Any, str, str]


def _text(limit: int) -> Callable[[str], Parsed]:
    def parse(text: str) -> Parsed:
        if len(text) > limit:
            return None, f"is longer than {limit} characters", f"at most {limit} characters"
        return text, "", ""
    return parse


def _choice(options: tuple[str, ...]) -> Callable[[str], Parsed]:
    def parse(text: str) -> Parsed:
        word = "_".join(text.lower().replace("-", " ").split())
        if word in options:
            return word, "", ""
        return None, "is not one of the accepted words", " | ".join(options)
    return parse


def _boolean(text: str) -> Parsed:
    value = BOOLEAN_TEXT.get(text.lower())
    if value is None:
        return None, "is not yes or no", "yes/no, y/n, true/false, 1/0, ya/tidak"
    return value, "", ""


def _msic(text: str) -> Parsed:
    section = code(text)
    if section in MSIC_SECTIONS:
        return section, "", ""
    return None, "is not an MSIC section", "a letter A-U, or blank"


def _states(text: str) -> Parsed:
    parts = [p.strip() for p in text.replace(",", ";").split(";") if p.strip()]
    states = {STATE_CODES.get(p) for p in parts}
    if None in states or not parts:
        return None, "holds something other than state codes", \
            "state codes 1-16 separated by ';' (e.g. 1;10;14), or blank for national"
    return ";".join(sorted(states, key=int)), "", ""


def _period(text: str) -> Parsed:
    try:
        return periods.normalise_period(text), "", ""
    except ValueError:
        return None, "is not a quarter", periods.ACCEPTED_SPELLINGS


def _amount(text: str) -> Parsed:
    value, why = number_or_reason(text)
    if why:
        return None, why, "a number of 0 or more with a decimal point, or blank"
    if value < 0:
        return None, "is negative", "a number of 0 or more, or blank"
    return value, "", ""


PARSERS: dict[str, Callable[[str], Parsed]] = {
    "agency_code": lambda t: (code(t), "", ""),
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


def _parse_row(number: int, cells: list[str], pos: dict[str, int], sheet: Sheet,
               problems: list[Problem]) -> RegisterRow | None:
    values: dict[str, Any] = {}
    before = len(problems)
    for name, parser in PARSERS.items():
        text = cells[pos[name]] if name in pos else ""
        if not text:
            values[name] = _BLANK.get(name)
            if name in REQUIRED:
                problems.append(problem("value-required", f"{name} is blank", file=sheet.file_name,
                                        row=number, column=name,
                                        expected=f"a value for {name}"))
            continue
        value, why, expected = parser(text)
        if why:
            problems.append(problem("bad-" + name.replace("_", "-"), f"'{text}' {why}",
                                    file=sheet.file_name, row=number,
                                    column=name, value=text,
                                    expected=expected))
        values[name] = value
    if len(problems) > before:
        return None
    return RegisterRow(source_row=number, **values)


def parse_register(sheet: Sheet) -> tuple[list[RegisterRow], list[Problem]]:
    """Read the rows of a register sheet; cells that cannot be read are problems."""
    pos, problems = locate_columns(sheet, REQUIRED, OPTIONAL, WHAT)
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
                 expected: str) -> Problem:
    return problem(kind, f"{row.agency_code} {row.period} system {row.system_id}: {message}",
                   file=b.file, row=row.source_row, column=column,
                   value=getattr(row, column), expected=expected)


def duplicate_system(b: Batch) -> Iterator[Problem]:
    first: dict[tuple[str, str, str], RegisterRow] = {}
    for row in b.rows:
        earlier = first.setdefault((row.agency_code, row.period, row.system_id.upper()), row)
        if earlier is not row:
            yield _row_problem(b, row, "duplicate-system", "system_id", "the system is listed "
                               f"twice: rows {earlier.source_row} and {row.source_row}",
                               "each system_id once per agency and period")


def production_after_period(b: Batch) -> Iterator[Problem]:
    for row in b.rows:
        for column in ("production_period", "pilot_start_period"):
            when = getattr(row, column)
            if when and when > row.period:
                yield _row_problem(b, row, "after-period", column, f"{column} {when} is after "
                                   f"the register period {row.period}", f"{row.period} or earlier")


def production_before_pilot(b: Batch) -> Iterator[Problem]:
    for row in b.rows:
        if row.production_period and row.pilot_start_period \
                and row.production_period < row.pilot_start_period:
            yield _row_problem(b, row, "production-before-pilot", "production_period",
                               f"production_period {row.production_period} is before "
                               f"pilot_start_period {row.pilot_start_period}",
                               f"{row.pilot_start_period} or later")


REGISTER_RULES = AGENCY_PERIOD_RULES + (duplicate_system, production_after_period,
                                        production_before_pilot)


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
