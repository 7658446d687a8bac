"""The quarterly return: the contract with agencies (DESIGN.md, "The quarterly return").

``parse_return`` turns a ``Sheet`` into ``ReturnRow`` objects (long or wide layout) and
reports what cannot be read; ``validate_return`` applies the meaning checks, a list of
small named rules driven by the indicator catalogue; ``check_return`` does both.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Iterable, Iterator

from etl import periods
from etl.problems import WARNING, Problem, problem
from etl.readers import EXCEL_ERRORS, MAX_EXPANDED_BYTES, Sheet, as_sheet
from etl.return_rules import describe, format_number, validate_return

BREAKDOWN_TYPES = ("STATE", "MSIC")
MSIC_SECTIONS = frozenset("ABCDEFGHIJKLMNOPQRSTU")
STATE_CODES = {**{str(i): str(i) for i in range(1, 17)}, **{f"{i:02d}": str(i) for i in range(1, 10)}}
VALUE_STATUSES = {"A": "actual", "E": "estimate", "P": "provisional"}
LARGEST_VALUE = 1e15
NUMBER_EXPECTED = "a number with a decimal point and no thousands separator, e.g. 1234.5"

_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_GROUPED = re.compile(r"[+-]?[0-9][0-9,.' \u00a0\u202f]*[0-9]")
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
                   r"|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{1,2}:\d{2}(?::\d{2})?")
_DASHES = frozenset({"-", "--", "\u2013", "\u2014", "\u2212"})
_NOT_FINITE = frozenset({"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity",
                         "-infinity", "#num!"})


# ---- the catalogue ----------------------------------------------------------------------

@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    name_en: str
    name_ms: str
    unit: str
    kind: str  # integer | decimal | flag
    temporal: str  # stock | flow | cumulative
    min_value: float | None
    max_value: float | None
    allow_blank: bool
    required: bool


@dataclass(frozen=True)
class Relation:
    """``left <= factor x right`` within one agency, period and breakdown."""

    rule_id: str
    left: str
    operator: str
    factor: float
    right: str
    message_en: str


@dataclass
class Catalogue:
    indicators: dict[str, IndicatorSpec]
    relations: list[Relation]
    # national context series of sector reports (context_indicators.csv)
    context: dict[str, IndicatorSpec] = field(default_factory=dict)


def _csv_dicts(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def _optional_float(text: str) -> float | None:
    return float(text) if text else None


def load_catalogue(reference_dir: Path) -> Catalogue:
    """Read indicators.csv, indicator_relations.csv and (if present) context_indicators.csv."""
    reference_dir = Path(reference_dir)
    indicators = {
        r["indicator_code"]: IndicatorSpec(
            code=r["indicator_code"], name_en=r["name_en"], name_ms=r["name_ms"], unit=r["unit"],
            kind=r["kind"], temporal=r["temporal"], min_value=_optional_float(r["min"]),
            max_value=_optional_float(r["max"]), allow_blank=r["allow_blank"] == "yes",
            required=r["required"] == "yes")
        for r in _csv_dicts(reference_dir / "indicators.csv")}
    relations = [Relation(rule_id=r["rule_id"], left=r["left"], operator=r["operator"],
                          factor=float(r["factor"]), right=r["right"], message_en=r["message_en"])
                 for r in _csv_dicts(reference_dir / "indicator_relations.csv")]
    for rel in relations:
        if rel.operator != "<=" or rel.left not in indicators or rel.right not in indicators:
            raise ValueError(f"indicator_relations.csv: {rel.rule_id} is not 'CODE <= factor x CODE'")
    context_path = reference_dir / "context_indicators.csv"
    context = {}
    if context_path.exists():
        context = {r["indicator_code"]: IndicatorSpec(
            code=r["indicator_code"], name_en=r["name_en"], name_ms=r["name_ms"], unit=r["unit"],
            kind="integer" if r["unit"] in ("rank", "persons") else "decimal", temporal="stock",
            min_value=_optional_float(r["min_value"]), max_value=_optional_float(r["max_value"]),
            allow_blank=False, required=False) for r in _csv_dicts(context_path)}
    return Catalogue(indicators=indicators, relations=relations, context=context)


def load_agencies(reference_dir: Path) -> dict[str, bool]:
    """Agency code -> submits returns, from agencies.csv."""
    return {r["agency_code"].upper(): r["submits_returns"].lower() == "yes"
            for r in _csv_dicts(Path(reference_dir) / "agencies.csv")}


# ---- rows and context -------------------------------------------------------------------

@dataclass(frozen=True)
class ReturnRow:
    source_row: int
    agency_code: str
    period: str
    indicator_code: str
    breakdown_type: str  # '' | STATE | MSIC
    breakdown_code: str  # '' | '1'..'16' | 'A'..'U'
    value: float | None  # None = not reported
    value_status: str  # A | E | P
    notes: str
    column: str = field(default="value", compare=False)  # header of the value's column

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return (self.agency_code, self.period, self.indicator_code, self.breakdown_type,
                self.breakdown_code)


AcceptedValues = dict[tuple[str, str, str], dict[str, "float | None"]]


def nothing_accepted(agency_code: str) -> AcceptedValues:
    return {}


@dataclass
class ValidationContext:
    catalogue: Catalogue
    agencies: dict[str, bool]  # agency code -> submits returns
    today: date
    accepted: Callable[[str], AcceptedValues] = nothing_accepted
    agency_scope: str | None = None  # set for an analyst: only this agency's rows


# ---- cells ------------------------------------------------------------------------------

def number_or_reason(text: str) -> tuple[float | None, str]:
    """Parse a number cell: (value, '') or (None, why it is not an accepted number)."""
    if _NUMBER.fullmatch(text):
        value = float(text)
        if not math.isfinite(value):
            return None, "is not a finite number"
        if abs(value) > LARGEST_VALUE:
            return None, "is implausibly large (more than 10^15)"
        return value, ""
    return None, _why_not_number(text)


def _why_not_number(text: str) -> str:
    upper = text.upper()
    if upper in EXCEL_ERRORS:
        return f"is the spreadsheet error {upper}, not a number: fix the formula or type the number"
    if text.lower() in _NOT_FINITE:
        return "is not a finite number"
    if text in _DASHES:
        return "is a dash, not a number: type 0, or leave the cell blank where allowed"
    if text.endswith("%"):
        return "has a percent sign: type the number alone, e.g. 45.5 rather than 45.5%"
    if _DATE.fullmatch(text):
        return "is a date or time, not a number (is the cell formatted as a date?)"
    if _GROUPED.fullmatch(text):
        return "uses a decimal comma or a thousands separator: use a decimal point, no thousands separator"
    return "is not a number"


def code(text: str) -> str:
    """Codes are matched after trimming spaces, case-insensitively; stored upper-case."""
    return text.strip().upper()


def breakdown_or_reason(type_text: str, code_text: str) -> tuple[tuple[str, str] | None, str, str]:
    """(('', ''), '', '') for an agency total, (('STATE', '1'..'16'), ...) or (('MSIC', 'A'..'U'), ...);
    on error (None, why, the column to blame)."""
    kind, value = code(type_text), code(code_text)
    if not kind and not value:
        return ("", ""), "", ""
    if not kind:
        return None, "breakdown_code is given without breakdown_type", "breakdown_type"
    if kind not in BREAKDOWN_TYPES:
        return None, f"breakdown_type '{type_text}' is not STATE or MSIC", "breakdown_type"
    if not value:
        return None, f"breakdown_type {kind} needs a breakdown_code", "breakdown_code"
    if kind == "STATE":
        state = STATE_CODES.get(value)
        if state:
            return (kind, state), "", ""
        return None, f"'{code_text}' is not a state code 1-16", "breakdown_code"
    if value in MSIC_SECTIONS:
        return (kind, value), "", ""
    return None, f"'{code_text}' is not an MSIC section A-U", "breakdown_code"


BREAKDOWN_EXPECTED = "both blank (agency total), STATE with a state code 1-16, or MSIC with a section A-U"


# ---- parsing ----------------------------------------------------------------------------

LONG_REQUIRED = ("agency_code", "period", "indicator_code", "value")
LONG_OPTIONAL = ("unit", "breakdown_type", "breakdown_code", "value_status", "notes")
WIDE_OPTIONAL = ("breakdown_type", "breakdown_code", "value_status", "notes")
_CODE_LIKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")


@dataclass
class _Layout:
    wide: bool
    pos: dict[str, int]  # canonical column -> position
    indicators: list[tuple[int, str, str]] = field(default_factory=list)  # wide: (pos, code, column)


def _header_problem(sheet: Sheet, code_: str, message: str, column: str, expected: str,
                    level: str = "error") -> Problem:
    return problem(code_, message, file=sheet.file_name, row=sheet.header_row, column=column,
                   value=column, expected=expected, level=level)


def _layout(sheet: Sheet, catalogue: Catalogue) -> tuple[_Layout | None, list[Problem]]:
    index = sheet.index()
    codes = {c.lower() for c in catalogue.indicators}
    meta = set(LONG_REQUIRED) | set(LONG_OPTIONAL)
    wide = "indicator_code" not in index and any(
        n in codes or (_CODE_LIKE.match(n) and n not in meta) for n in index)
    required = ("agency_code", "period") if wide else LONG_REQUIRED
    problems = [_header_problem(sheet, "missing-column", f"the required column '{name}' is missing",
                                name, "columns " + ", ".join(required) + " in the first row")
                for name in required if name not in index]
    layout = _Layout(wide=wide, pos={})
    known = set(required) | set(WIDE_OPTIONAL if wide else LONG_OPTIONAL)
    for name, i in index.items():
        if name in known:
            layout.pos[name] = i
        elif wide and name in codes:
            layout.indicators.append((i, name.upper(), name.upper()))
        else:
            problems.append(_unknown_column(sheet, name, sheet.raw_columns[i], wide))
    if problems and any(p.level == "error" for p in problems):
        return None, problems
    return layout, problems


def _unknown_column(sheet: Sheet, name: str, header: str, wide: bool) -> Problem:
    if wide and _CODE_LIKE.match(name) and name not in ("unit", "value", "indicator_code"):
        return _header_problem(sheet, "unknown-indicator-column", f"unknown indicator column "
                               f"'{header}': no such indicator in the catalogue", header,
                               "an indicator code of the catalogue as column name")
    expected = ", ".join(("agency_code", "period", "<indicator codes>") + WIDE_OPTIONAL
                         if wide else LONG_REQUIRED + LONG_OPTIONAL)
    return _header_problem(sheet, "unknown-column", f"the column '{header}' is not part of the "
                           "return and is ignored", header, expected, level=WARNING)


class _RowParser:
    """Turns the cells of one row into return rows; caches what repeats (periods, codes)."""

    def __init__(self, sheet: Sheet, catalogue: Catalogue, layout: _Layout):
        self.file = sheet.file_name
        self.specs = catalogue.indicators
        self.layout = layout
        self.problems: list[Problem] = []
        self._periods: dict[str, str | None] = {}
        get = layout.pos.get
        self._at = tuple(get(n, -1) for n in ("agency_code", "period", "breakdown_type",
                                              "breakdown_code", "value_status", "notes",
                                              "indicator_code", "value", "unit"))

    def _error(self, kind: str, row: int, column: str, value: str, message: str,
               expected: str) -> None:
        self.problems.append(problem(kind, message, file=self.file, row=row, column=column,
                                     value=value, expected=expected))

    def _period(self, text: str) -> str | None:
        if text not in self._periods:
            try:
                self._periods[text] = periods.normalise_period(text)
            except ValueError:
                self._periods[text] = None
        return self._periods[text]

    def _cell(self, cells: list[str], pos: int) -> str:
        return cells[pos] if pos >= 0 else ""

    def _head(self, number: int, cells: list[str]) -> tuple[str, ...] | None:
        """(agency, period, breakdown type, breakdown code, status, notes), or None on errors."""
        a, p, bt, bc, st, nt = self._at[:6]
        before = len(self.problems)
        agency, period, status = code(cells[a]), self._period(cells[p]), code(self._cell(cells, st))
        breakdown, why, blame = breakdown_or_reason(self._cell(cells, bt), self._cell(cells, bc))
        if not agency:
            self._error("blank-agency", number, "agency_code", "", "agency_code is blank", "an agency code")
        if period is None:
            self._error("bad-period", number, "period", cells[p], f"'{cells[p]}' is not a quarter",
                        periods.ACCEPTED_SPELLINGS)
        if breakdown is None:
            self._error("bad-breakdown", number, blame, self._cell(cells, self.layout.pos.get(blame, -1)), why,
                        BREAKDOWN_EXPECTED)
        if status and status not in VALUE_STATUSES:
            self._error("bad-value-status", number, "value_status", cells[st], f"'{cells[st]}' is not a value status",
                        "A (actual, the default), E (estimate) or P (provisional)")
        if len(self.problems) > before:
            return None
        return (agency, period, breakdown[0], breakdown[1], status or "A", self._cell(cells, nt))

    def row(self, number: int, cells: list[str]) -> list[ReturnRow]:
        head = self._head(number, cells)
        if head is None:
            return []
        if self.layout.wide:
            return self._wide(number, cells, head)
        ic, vc, uc = self._at[6:]
        return self._long(number, head, code(cells[ic]), cells[vc], self._cell(cells, uc))

    def _long(self, number: int, head: tuple[str, ...], indicator: str, text: str,
              unit: str) -> list[ReturnRow]:
        spec = self.specs.get(indicator)
        if not indicator:
            self._error("blank-indicator", number, "indicator_code", "",
                        "indicator_code is blank", "an indicator code")
            return []
        if spec and unit and unit.lower() != spec.unit.lower():
            self._error("unit-mismatch", number, "unit", unit, f"the unit '{unit}' is not the unit of {indicator}",
                        f"{spec.unit} (or leave the unit blank)")
            return []
        ok, value = self._value(number, "value", text, spec)
        if not ok:
            return []
        agency, period, btype, bcode, status, notes = head
        return [ReturnRow(number, agency, period, indicator, btype, bcode, value, status, notes)]

    def _wide(self, number: int, cells: list[str], head: tuple[str, ...]) -> list[ReturnRow]:
        agency, period, btype, bcode, status, notes = head
        out = []
        for pos, indicator, header in self.layout.indicators:
            ok, value = self._value(number, header, cells[pos], self.specs[indicator])
            if ok:
                out.append(ReturnRow(number, agency, period, indicator, btype, bcode, value,
                                     status, notes, column=header))
        return out

    def _value(self, number: int, column: str, text: str, spec: IndicatorSpec | None) -> tuple[bool, float | None]:
        if not text:
            if spec is None or spec.allow_blank:
                return True, None
            self._error("value-required", number, column, "", f"value required: {spec.code} may not be left blank",
                        NUMBER_EXPECTED)
            return False, None
        value, why = number_or_reason(text)
        if why:
            self._error("not-a-number", number, column, text, f"'{text}' {why}", NUMBER_EXPECTED)
            return False, None
        return True, value


def _duplicates(rows: list[ReturnRow], file_name: str) -> tuple[list[ReturnRow], list[Problem]]:
    first: dict[tuple, ReturnRow] = {}
    kept: list[ReturnRow] = []
    problems: list[Problem] = []
    for row in rows:
        earlier = first.setdefault(row.key, row)
        if earlier is row:
            kept.append(row)
            continue
        problems.append(problem(
            "duplicate-key", f"{describe(row)} is given twice: rows {earlier.source_row} and "
            f"{row.source_row}", file=file_name, row=row.source_row, column=row.column,
            value=format_number(row.value) if row.value is not None else "",
            expected="one value per agency, period, indicator and breakdown"))
    return kept, problems


def parse_return(sheet: Sheet, catalogue: Catalogue) -> tuple[list[ReturnRow], list[Problem]]:
    """Read a return in the long or the wide layout into long rows."""
    layout, problems = _layout(sheet, catalogue)
    if layout is None:
        return [], problems
    parser = _RowParser(sheet, catalogue, layout)
    rows: list[ReturnRow] = []
    for number, cells in sheet.rows:
        rows.extend(parser.row(number, cells))
    rows, duplicates = _duplicates(rows, sheet.file_name)
    return rows, problems + parser.problems + duplicates


def check_return(data: bytes | Sheet, file_name: str, ctx: ValidationContext, *,
                 max_expanded_bytes: int = MAX_EXPANDED_BYTES) -> tuple[list[ReturnRow], list[Problem]]:
    """Read, parse and validate a return file; rows are returned even when problems block it."""
    sheet, problems = as_sheet(data, file_name, max_expanded_bytes=max_expanded_bytes)
    if sheet is None:
        return [], problems
    rows, more = parse_return(sheet, ctx.catalogue)
    problems = problems + more + validate_return(rows, ctx, file_name)
    return rows, sorted(problems, key=lambda p: p.row or 0)
