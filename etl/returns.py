"""The quarterly return: the contract with agencies (DESIGN.md, "The quarterly return").

``parse_return`` turns a ``Sheet`` into ``ReturnRow`` objects (long or wide layout) and
reports what cannot be read; ``validate_return`` applies the meaning checks, a list of
small named rules driven by the indicator catalogue; ``check_return`` does both.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter, itemgetter

from etl import periods
from etl.catalogue import (  # noqa: F401  (the catalogue is part of the return contract)
    Catalogue,
    IndicatorSpec,
    Relation,
    load_agencies,
    load_catalogue,
)
from etl.problems import WARNING, Problem, problem
from etl.readers import CODE_LIKE, EXCEL_ERRORS, MAX_EXPANDED_BYTES, Sheet, as_sheet, paused_gc
from etl.return_rules import describe, format_number, validate_return

BREAKDOWN_TYPES = ("STATE", "MSIC")
MSIC_SECTIONS = frozenset("ABCDEFGHIJKLMNOPQRSTU")
STATE_CODES = {**{str(i): str(i) for i in range(1, 17)}, **{f"{i:02d}": str(i) for i in range(1, 10)}}
VALUE_STATUSES = {"A": "actual", "E": "estimate", "P": "provisional"}
LARGEST_VALUE = 1e15
NUMBER_EXPECTED = "a number with a decimal point and no thousands separator, e.g. 1234.5"
NUMBER_EXPECTED_MS = "nombor dengan titik perpuluhan dan tanpa pemisah ribuan, cth. 1234.5"

_GROUPED = re.compile(r"[+-]?[0-9][0-9,.' \u00a0\u202f]*[0-9]")
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
                   r"|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{1,2}:\d{2}(?::\d{2})?")
_DASHES = frozenset({"-", "--", "\u2013", "\u2014", "\u2212"})
_NOT_FINITE = frozenset({"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity",
                         "-infinity"})


# ---- rows and context -------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
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

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return (self.agency_code, self.period, self.indicator_code, self.breakdown_type,
                self.breakdown_code)


def _row_maker() -> Callable[..., ReturnRow]:
    """``ReturnRow(...)`` for the parser's hot loop, twice as fast: the frozen dataclass's own
    ``__init__`` goes through ``object.__setattr__`` for every field; this sets the slots
    directly. The row is the same (equal, same hash, still frozen)."""
    names = ("source_row", "agency_code", "period", "indicator_code", "breakdown_type",
             "breakdown_code", "value", "value_status", "notes")
    if tuple(ReturnRow.__dataclass_fields__) != names:
        raise TypeError("ReturnRow's fields changed: update new_row")
    new = object.__new__
    (s0, s1, s2, s3, s4, s5, s6, s7, s8) = (ReturnRow.__dict__[f].__set__ for f in names)

    def make(source_row: int, agency_code: str, period: str, indicator_code: str,
             breakdown_type: str, breakdown_code: str, value: float | None, value_status: str,
             notes: str) -> ReturnRow:
        row = new(ReturnRow)
        s0(row, source_row)
        s1(row, agency_code)
        s2(row, period)
        s3(row, indicator_code)
        s4(row, breakdown_type)
        s5(row, breakdown_code)
        s6(row, value)
        s7(row, value_status)
        s8(row, notes)
        return row

    return make


new_row = _row_maker()


class ParsedRows(list):
    """The rows of one file, remembering its layout so that problems name the right
    column: ``value`` in the long layout, the indicator's own column in the wide one."""

    layout: str = "long"

    def value_column(self, row: ReturnRow) -> str:
        return row.indicator_code if self.layout == "wide" else "value"


AcceptedValues = dict[tuple[str, str, str], dict[str, "float | None"]]


def nothing_accepted(agency_code: str) -> AcceptedValues:
    return {}


@dataclass
class ValidationContext:
    """What validation needs beyond the file. ``accepted`` gives one agency's accepted
    values; ``accepted_many``, when set, is asked once per file instead: the accepted values
    of several agencies for every period from ``first`` to ``last``, plus, for cumulative
    indicators, the latest value before ``first`` (enough for every rule, in one query).

    With ``accepted_history`` set too, ``accepted_many`` may give the periods from ``first``
    to ``last`` alone; ``accepted_history`` (the same question; its answer must hold at least
    every cumulative series in full) is then asked only for the agencies whose cumulative
    series in the file have no accepted value at ``first``, and its series replace those of
    ``accepted_many``. Earlier values are consulted only by the cumulative check, and a
    value at ``first`` hides every earlier one."""

    catalogue: Catalogue
    agencies: dict[str, bool]  # agency code -> submits returns
    today: date
    accepted: Callable[[str], AcceptedValues] = nothing_accepted
    agency_scope: str | None = None  # set for an analyst: only this agency's rows
    accepted_many: Callable[[list[str], str, str], dict[str, AcceptedValues]] | None = None
    accepted_history: Callable[[list[str], str, str], dict[str, AcceptedValues]] | None = None


# ---- cells ------------------------------------------------------------------------------

def number_or_reason(text: str) -> tuple[float | None, str]:
    """Parse a number cell: (value, '') or (None, why it is not an accepted number)."""
    value, why, _ = number_or_reasons(text)
    return value, why


_NOT_A_NUMBER = ("is not a number", "bukan nombor")
_NOT_FINITE_WHY = ("is not a finite number", "bukan nombor terhingga")


def number_or_reasons(text: str) -> tuple[float | None, str, str]:
    """Parse a number cell: (value, '', '') or (None, why it is not an accepted number, the
    same in Malay)."""
    try:
        value = float(text)  # fast path; float() is more lenient than the contract, so:
    except ValueError:
        return None, *_why_not_number(text)
    if "_" in text or not text.isascii():  # float() takes '1_000' and non-ASCII digits
        return None, *_NOT_A_NUMBER
    if not math.isfinite(value):  # 'nan', 'inf', '1e999'
        return None, *_NOT_FINITE_WHY
    if abs(value) > LARGEST_VALUE:
        return None, "is implausibly large (more than 10^15)", "terlalu besar dan tidak munasabah (melebihi 10^15)"
    return value, "", ""


def _why_not_number(text: str) -> tuple[str, str]:
    upper = text.upper()
    if upper in EXCEL_ERRORS:
        return (f"is the spreadsheet error {upper}, not a number: fix the formula or type the number",
                f"ialah ralat hamparan {upper}, bukan nombor: betulkan formula atau taip nombor itu")
    if text.lower() in _NOT_FINITE:
        return _NOT_FINITE_WHY
    if text in _DASHES:
        return ("is a dash, not a number: type 0, or leave the cell blank where allowed",
                "ialah tanda sempang, bukan nombor: taip 0, atau biarkan sel kosong jika dibenarkan")
    if text.endswith("%"):
        return ("has a percent sign: type the number alone, e.g. 45.5 rather than 45.5%",
                "mempunyai tanda peratus: taip nombor sahaja, cth. 45.5 dan bukan 45.5%")
    if _DATE.fullmatch(text):
        return ("is a date or time, not a number (is the cell formatted as a date?)",
                "ialah tarikh atau masa, bukan nombor (adakah sel itu diformat sebagai tarikh?)")
    if _GROUPED.fullmatch(text):
        return ("uses a decimal comma or a thousands separator: use a decimal point, no thousands separator",
                "menggunakan koma perpuluhan atau pemisah ribuan: gunakan titik perpuluhan, tanpa pemisah ribuan")
    return _NOT_A_NUMBER


def code(text: str) -> str:
    """Codes are matched after trimming spaces, case-insensitively; stored upper-case."""
    return text.strip().upper()


def breakdown_or_reason(type_text: str, code_text: str) -> tuple[tuple[str, str] | None, str, str, str]:
    """(('', ''), '', '', '') for an agency total, (('STATE', '1'..'16'), ...) or (('MSIC', 'A'..'U'), ...);
    on error (None, why, why in Malay, the column to blame)."""
    kind, value = code(type_text), code(code_text)
    if not kind and not value:
        return ("", ""), "", "", ""
    if not kind:
        return (None, "breakdown_code is given without breakdown_type",
                "breakdown_code diberi tanpa breakdown_type", "breakdown_type")
    if kind not in BREAKDOWN_TYPES:
        return (None, f"breakdown_type '{type_text}' is not STATE or MSIC",
                f"breakdown_type '{type_text}' bukan STATE atau MSIC", "breakdown_type")
    if not value:
        return (None, f"breakdown_type {kind} needs a breakdown_code",
                f"breakdown_type {kind} memerlukan breakdown_code", "breakdown_code")
    if kind == "STATE":
        state = STATE_CODES.get(value)
        if state:
            return (kind, state), "", "", ""
        return (None, f"'{code_text}' is not a state code 1-16", f"'{code_text}' bukan kod negeri 1-16",
                "breakdown_code")
    if value in MSIC_SECTIONS:
        return (kind, value), "", "", ""
    return (None, f"'{code_text}' is not an MSIC section A-U", f"'{code_text}' bukan seksyen MSIC A-U",
            "breakdown_code")


BREAKDOWN_EXPECTED = "both blank (agency total), STATE with a state code 1-16, or MSIC with a section A-U"
BREAKDOWN_EXPECTED_MS = ("kedua-duanya kosong (jumlah agensi), STATE dengan kod negeri 1-16, atau MSIC "
                         "dengan seksyen A-U")


# ---- parsing ----------------------------------------------------------------------------

LONG_REQUIRED = ("agency_code", "period", "indicator_code", "value")
LONG_OPTIONAL = ("unit", "breakdown_type", "breakdown_code", "value_status", "notes")
WIDE_OPTIONAL = ("breakdown_type", "breakdown_code", "value_status", "notes")
# Columns of the downloadable template that are there for the analyst's reference only:
# read past silently in the long layout.
TEMPLATE_REFERENCE_COLUMNS = ("name_en", "name_ms", "last_accepted_period", "last_accepted_value")


@dataclass
class _Layout:
    wide: bool
    pos: dict[str, int]  # canonical column -> position
    indicators: list[tuple[int, str, str]] = field(default_factory=list)  # wide: (pos, code, column)


def _header_problem(sheet: Sheet, code_: str, message: str, column: str, expected: str, *,
                    message_ms: str, expected_ms: str, level: str = "error") -> Problem:
    return problem(code_, message, file=sheet.file_name, row=sheet.header_row, column=column,
                   value=column, expected=expected, level=level, message_ms=message_ms,
                   expected_ms=expected_ms)


def _layout(sheet: Sheet, catalogue: Catalogue) -> tuple[_Layout | None, list[Problem]]:
    index = sheet.index()
    codes = {c.lower() for c in catalogue.indicators}
    meta = set(LONG_REQUIRED) | set(LONG_OPTIONAL)
    wide = "indicator_code" not in index and any(
        n in codes or (CODE_LIKE.match(n) and n not in meta) for n in index)
    required = ("agency_code", "period") if wide else LONG_REQUIRED
    columns = ", ".join(required)
    problems = [_header_problem(sheet, "missing-column", f"the required column '{name}' is missing",
                                name, f"columns {columns} in the first row",
                                message_ms=f"lajur wajib '{name}' tiada",
                                expected_ms=f"lajur {columns} pada baris pertama")
                for name in required if name not in index]
    layout = _Layout(wide=wide, pos={})
    known = set(required) | set(WIDE_OPTIONAL if wide else LONG_OPTIONAL)
    for name, i in index.items():
        if name in known:
            layout.pos[name] = i
        elif not wide and name in TEMPLATE_REFERENCE_COLUMNS:
            continue
        elif wide and name in codes:
            layout.indicators.append((i, name.upper(), name.upper()))
        else:
            problems.append(_unknown_column(sheet, name, sheet.raw_columns[i], wide))
    if problems and any(p.level == "error" for p in problems):
        return None, problems
    return layout, problems


def _unknown_column(sheet: Sheet, name: str, header: str, wide: bool) -> Problem:
    if wide and CODE_LIKE.match(name) and name not in ("unit", "value", "indicator_code"):
        return _header_problem(sheet, "unknown-indicator-column", f"unknown indicator column "
                               f"'{header}': no such indicator in the catalogue", header,
                               "an indicator code of the catalogue as column name",
                               message_ms=f"lajur penunjuk tidak dikenali '{header}': tiada penunjuk "
                                          "sedemikian dalam katalog",
                               expected_ms="kod penunjuk daripada katalog sebagai nama lajur")
    expected = ", ".join(("agency_code", "period", "<indicator codes>") + WIDE_OPTIONAL
                         if wide else LONG_REQUIRED + LONG_OPTIONAL)
    expected_ms = ", ".join(("agency_code", "period", "<kod penunjuk>") + WIDE_OPTIONAL
                            if wide else LONG_REQUIRED + LONG_OPTIONAL)
    return _header_problem(sheet, "unknown-column", f"the column '{header}' is not part of the "
                           "return and is ignored", header, expected, level=WARNING,
                           message_ms=f"lajur '{header}' bukan sebahagian daripada penyata dan diabaikan",
                           expected_ms=expected_ms)


_HEAD_COLUMNS = ("agency_code", "period", "breakdown_type", "breakdown_code", "value_status")
STATUS_EXPECTED = "A (actual, the default), E (estimate) or P (provisional)"
STATUS_EXPECTED_MS = "A (sebenar, lalai), E (anggaran) atau P (sementara)"


class _RowParser:
    """Turns the cells of one row into return rows.

    What repeats from row to row (agency, period, breakdown and status texts, indicator
    codes) is checked once and remembered: a 1.2-million-row file has a few thousand
    distinct heads.
    """

    def __init__(self, sheet: Sheet, catalogue: Catalogue, layout: _Layout):
        self.file = sheet.file_name
        self.specs = catalogue.indicators
        self.layout = layout
        self.problems: list[Problem] = []
        self._heads: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._codes: dict[str, str] = {}
        present = [n for n in _HEAD_COLUMNS if n in layout.pos]  # agency_code, period at least
        self._head_names = present
        self._head_key = itemgetter(*(layout.pos[n] for n in present))
        get = layout.pos.get
        self._at = tuple(get(n, -1) for n in ("notes", "indicator_code", "value", "unit"))

    def _error(self, kind: str, row: int, column: str, value: str, message: str, expected: str,
               message_ms: str, expected_ms: str) -> None:
        self.problems.append(problem(kind, message, file=self.file, row=row, column=column,
                                     value=value, expected=expected, message_ms=message_ms,
                                     expected_ms=expected_ms))

    def _head(self, number: int, key: tuple[str, ...]) -> tuple[str, ...] | None:
        """(agency, period, breakdown type, breakdown code, status), or None after errors."""
        before = len(self.problems)
        given = dict(zip(self._head_names, key, strict=True))
        agency, period_text, type_text, code_text, status_text = (given.get(n, "") for n in _HEAD_COLUMNS)
        agency, status = code(agency), code(status_text)
        try:
            period = periods.normalise_period(period_text)
        except ValueError:
            period = None
            self._error("bad-period", number, "period", period_text,
                        f"'{period_text}' is not a quarter", periods.ACCEPTED_SPELLINGS,
                        f"'{period_text}' bukan suku tahun", periods.ACCEPTED_SPELLINGS_MS)
        breakdown, why, why_ms, blame = breakdown_or_reason(type_text, code_text)
        if not agency:
            self._error("blank-agency", number, "agency_code", "", "agency_code is blank", "an agency code",
                        "agency_code kosong", "kod agensi")
        if breakdown is None:
            self._error("bad-breakdown", number, blame,
                        code_text if blame == "breakdown_code" else type_text, why, BREAKDOWN_EXPECTED,
                        why_ms, BREAKDOWN_EXPECTED_MS)
        if status and status not in VALUE_STATUSES:
            self._error("bad-value-status", number, "value_status", status_text,
                        f"'{status_text}' is not a value status", STATUS_EXPECTED,
                        f"'{status_text}' bukan status nilai", STATUS_EXPECTED_MS)
        if len(self.problems) > before:
            return None
        return (agency, period, breakdown[0], breakdown[1], status or "A")

    def _head_of(self, number: int, cells: list[str]) -> tuple[str, ...] | None:
        key = self._head_key(cells)
        head = self._heads.get(key)
        if head is None:
            head = self._head(number, key)
            if head is not None:
                self._heads[key] = head
        return head

    def long_rows(self, records: list[tuple[int, list[str]]], out: list[ReturnRow]) -> None:
        """The long layout, one value per row: the hot loop of a national file."""
        codes, specs, head_of, append = self._codes, self.specs, self._head_of, out.append
        nt, ic, vc, uc = self._at
        for number, cells in records:
            head = head_of(number, cells)
            if head is None:
                continue
            indicator = codes.get(cells[ic]) or codes.setdefault(cells[ic], code(cells[ic]))
            spec = specs.get(indicator)
            if not indicator or (uc >= 0 and cells[uc] and spec is not None and cells[uc] != spec.unit
                                 and cells[uc].lower() != spec.unit.lower()):
                self._indicator_ok(number, indicator, spec, cells[uc])  # reports the problem
                continue
            text = cells[vc]
            try:  # fast path for a plain number; every other case goes through _value
                value = float(text)
                ok = abs(value) <= LARGEST_VALUE and text.isascii() and "_" not in text
            except ValueError:
                ok = False
            if not ok:
                ok, value = self._value(number, "value", text, spec)
            if ok:
                agency, period, btype, bcode, status = head
                append(new_row(number, agency, period, indicator, btype, bcode, value, status,
                               cells[nt] if nt >= 0 else ""))

    def wide_rows(self, records: list[tuple[int, list[str]]], out: list[ReturnRow]) -> None:
        """The wide layout: one row per agency, period and breakdown, a column per indicator."""
        nt = self._at[0]
        for number, cells in records:
            head = self._head_of(number, cells)
            if head is not None:
                out.extend(self._wide(number, cells, head, cells[nt] if nt >= 0 else ""))

    def _indicator_ok(self, number: int, indicator: str, spec: IndicatorSpec | None,
                      unit: str) -> bool:
        if not indicator:
            self._error("blank-indicator", number, "indicator_code", "", "indicator_code is blank",
                        "an indicator code", "indicator_code kosong", "kod penunjuk")
            return False
        if spec and unit and unit.lower() != spec.unit.lower():
            self._error("unit-mismatch", number, "unit", unit,
                        f"the unit '{unit}' is not the unit of {indicator}",
                        f"{spec.unit} (or leave the unit blank)",
                        f"unit '{unit}' bukan unit bagi {indicator}",
                        f"{spec.unit} (atau biarkan unit kosong)")
            return False
        return True

    def _wide(self, number: int, cells: list[str], head: tuple[str, ...], notes: str) -> list[ReturnRow]:
        agency, period, btype, bcode, status = head
        out = []
        for pos, indicator, column in self.layout.indicators:
            ok, value = self._value(number, column, cells[pos], self.specs[indicator])
            if ok:
                out.append(new_row(number, agency, period, indicator, btype, bcode, value,
                                   status, notes))
        return out

    def _value(self, number: int, column: str, text: str,
               spec: IndicatorSpec | None) -> tuple[bool, float | None]:
        if not text:
            if spec is None or spec.allow_blank:
                return True, None
            self._error("value-required", number, column, "",
                        f"value required: {spec.code} may not be left blank", NUMBER_EXPECTED,
                        f"nilai diperlukan: {spec.code} tidak boleh dibiarkan kosong", NUMBER_EXPECTED_MS)
            return False, None
        value, why, why_ms = number_or_reasons(text)
        if why:
            self._error("not-a-number", number, column, text, f"'{text}' {why}", NUMBER_EXPECTED,
                        f"'{text}' {why_ms}", NUMBER_EXPECTED_MS)
            return False, None
        return True, value


_KEY = attrgetter("agency_code", "period", "indicator_code", "breakdown_type", "breakdown_code")


def _duplicates(rows: ParsedRows, file_name: str) -> tuple[ParsedRows, list[Problem]]:
    if len(set(map(_KEY, rows))) == len(rows):
        return rows, []
    first: dict[tuple, ReturnRow] = {}
    kept = ParsedRows()
    kept.layout = rows.layout
    problems: list[Problem] = []
    for row in rows:
        earlier = first.setdefault(_KEY(row), row)
        if earlier is row:
            kept.append(row)
            continue
        problems.append(problem(
            "duplicate-key", f"{describe(row)} is given twice: rows {earlier.source_row} and "
            f"{row.source_row}", file=file_name, row=row.source_row, column=rows.value_column(row),
            value=format_number(row.value) if row.value is not None else "",
            expected="one value per agency, period, indicator and breakdown",
            message_ms=f"{describe(row)} diberi dua kali: baris {earlier.source_row} dan {row.source_row}",
            expected_ms="satu nilai bagi setiap agensi, suku tahun, penunjuk dan pecahan"))
    return kept, problems


def parse_return(sheet: Sheet, catalogue: Catalogue) -> tuple[list[ReturnRow], list[Problem]]:
    """Read a return in the long or the wide layout into long rows (a ``ParsedRows`` list)."""
    layout, problems = _layout(sheet, catalogue)
    if layout is None:
        return ParsedRows(), problems
    parser = _RowParser(sheet, catalogue, layout)
    rows = ParsedRows()
    rows.layout = "wide" if layout.wide else "long"
    with paused_gc():
        (parser.wide_rows if layout.wide else parser.long_rows)(sheet.rows, rows)
        rows, duplicates = _duplicates(rows, sheet.file_name)
    return rows, problems + parser.problems + duplicates


def check_return(data: bytes | Sheet, file_name: str, ctx: ValidationContext, *,
                 max_expanded_bytes: int = MAX_EXPANDED_BYTES) -> tuple[list[ReturnRow], list[Problem]]:
    """Read, parse and validate a return file; rows are returned even when problems block it."""
    sheet, problems = as_sheet(data, file_name, max_expanded_bytes=max_expanded_bytes)
    if sheet is None:
        return ParsedRows(), problems
    rows, more = parse_return(sheet, ctx.catalogue)
    del sheet  # the cells of a large file are no longer needed
    problems = problems + more + validate_return(rows, ctx, file_name)
    return rows, sorted(problems, key=lambda p: p.row or 0)
