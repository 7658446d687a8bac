"""Sector reports: survey results by MSIC section (and optionally state) and period.

Tidy CSV or XLSX: ``sector_code, period, indicator_code, value, [state_code], [source]``.
``sector_code`` is an MSIC section A-U or ``ALL``; ``period`` a quarter (any spelling
``normalise_period`` accepts) or a year ``YYYY``; indicators come from
``context_indicators.csv`` (``Catalogue.context``). A quarter must have ended on
``ctx.today``; a year may be the current one (surveys are published within their year).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from etl import periods
from etl.problems import Problem, problem, rows_note, rows_note_ms
from etl.readers import MAX_EXPANDED_BYTES, Sheet, as_sheet, locate_columns
from etl.return_rules import Batch, format_number, run_rules
from etl.returns import (
    MSIC_SECTIONS,
    NUMBER_EXPECTED,
    NUMBER_EXPECTED_MS,
    STATE_CODES,
    ValidationContext,
    code,
    number_or_reasons,
)

REQUIRED = ("sector_code", "period", "indicator_code", "value")
OPTIONAL = ("state_code", "source")
WHAT = "a sector report"
WHAT_MS = "laporan sektor"
_YEAR = re.compile(r"(19|20|21)\d\d")


@dataclass(frozen=True)
class SectorRow:
    source_row: int
    sector_code: str  # MSIC section A-U, or ALL
    period: str  # YYYYQn or YYYY
    indicator_code: str
    value: float
    state_code: int | None
    source: str


def _period(text: str) -> str | None:
    if _YEAR.fullmatch(text):
        return text
    try:
        return periods.normalise_period(text)
    except ValueError:
        return None


class _Reader:
    """Cells of one row to a ``SectorRow``; problems collected on the way."""

    def __init__(self, sheet: Sheet, pos: dict[str, int]):
        self.sheet, self.pos = sheet, pos
        self.problems: list[Problem] = []
        self._periods: dict[str, str | None] = {}

    def _bad(self, kind: str, number: int, column: str, text: str, message: str, expected: str,
             message_ms: str, expected_ms: str) -> None:
        self.problems.append(problem(kind, message, file=self.sheet.file_name, row=number,
                                     column=column, value=text,
                                     expected=expected, message_ms=message_ms,
                                     expected_ms=expected_ms))

    def row(self, number: int, cells: list[str]) -> SectorRow | None:
        before = len(self.problems)
        sector, indicator = code(cells[self.pos["sector_code"]]), code(cells[self.pos["indicator_code"]])
        text = cells[self.pos["period"]]
        if text not in self._periods:
            self._periods[text] = _period(text)
        period = self._periods[text]
        if sector != "ALL" and sector not in MSIC_SECTIONS:
            self._bad("bad-sector", number, "sector_code", sector, f"'{sector}' is not an MSIC "
                      "section", "an MSIC section A-U, or ALL for all sectors",
                      f"'{sector}' bukan seksyen MSIC", "seksyen MSIC A-U, atau ALL bagi semua sektor")
        if period is None:
            self._bad("bad-period", number, "period", text, f"'{text}' is not a quarter or a year",
                      "a year YYYY, or " + periods.ACCEPTED_SPELLINGS,
                      f"'{text}' bukan suku tahun atau tahun", "tahun YYYY, atau " + periods.ACCEPTED_SPELLINGS_MS)
        if not indicator:
            self._bad("blank-indicator", number, "indicator_code", "", "indicator_code is blank",
                      "a context indicator code, e.g. C1_ENT_AI_PCT",
                      "indicator_code kosong", "kod penunjuk konteks, cth. C1_ENT_AI_PCT")
        value = self._value(number, cells[self.pos["value"]])
        state = self._state(number, cells)
        if len(self.problems) > before:
            return None
        source = cells[self.pos["source"]] if "source" in self.pos else ""
        return SectorRow(number, sector, period, indicator, value, state, source)

    def _value(self, number: int, text: str) -> float | None:
        if not text:
            self._bad("value-required", number, "value", "", "value required", NUMBER_EXPECTED,
                      "nilai diperlukan", NUMBER_EXPECTED_MS)
            return None
        value, why, why_ms = number_or_reasons(text)
        if why:
            self._bad("not-a-number", number, "value", text, f"'{text}' {why}", NUMBER_EXPECTED,
                      f"'{text}' {why_ms}", NUMBER_EXPECTED_MS)
        return value

    def _state(self, number: int, cells: list[str]) -> int | None:
        text = cells[self.pos["state_code"]] if "state_code" in self.pos else ""
        if not text:
            return None
        state = STATE_CODES.get(text)
        if state is None:
            self._bad("bad-state", number, "state_code", text, f"'{text}' is not a state code",
                      "a state code 1-16, or blank for the whole country",
                      f"'{text}' bukan kod negeri", "kod negeri 1-16, atau kosong bagi seluruh negara")
            return None
        return int(state)


def parse_sector(sheet: Sheet) -> tuple[list[SectorRow], list[Problem]]:
    """Read the rows of a sector report sheet."""
    pos, problems = locate_columns(sheet, REQUIRED, OPTIONAL, WHAT, WHAT_MS)
    if pos is None:
        return [], problems
    reader = _Reader(sheet, pos)
    rows = [r for r in (reader.row(n, cells) for n, cells in sheet.rows) if r is not None]
    return rows, problems + reader.problems


# ---- rules ------------------------------------------------------------------------------

def _where(row: SectorRow) -> str:
    state = f" state {row.state_code}" if row.state_code else ""
    return f"{row.indicator_code} {row.sector_code}{state} {row.period}"


def _where_ms(row: SectorRow) -> str:
    state = f" negeri {row.state_code}" if row.state_code else ""
    return f"{row.indicator_code} {row.sector_code}{state} {row.period}"


def unknown_context_indicator(b: Batch) -> Iterator[Problem]:
    known = b.ctx.catalogue.context
    codes = ", ".join(sorted(known))
    for indicator, (row, n) in b.first_rows("indicator_code").items():
        if indicator not in known:
            yield problem("unknown-indicator", f"unknown context indicator '{indicator}'{rows_note(n)}",
                          file=b.file, row=row.source_row, column="indicator_code",
                          value=indicator, expected=codes,
                          message_ms=f"penunjuk konteks tidak dikenali '{indicator}'{rows_note_ms(n)}",
                          expected_ms=codes)


def outside_range(b: Batch) -> Iterator[Problem]:
    known = b.ctx.catalogue.context
    for row in b.rows:
        spec = known.get(row.indicator_code)
        if spec is None:
            continue
        low, high = spec.min_value, spec.max_value
        whole = spec.kind == "integer" and not row.value.is_integer()
        if whole or (low is not None and row.value < low) or (high is not None and row.value > high):
            lowest = format_number(low) if low is not None else "-"
            allowed = f"{'a whole number ' if spec.kind == 'integer' else ''}from {lowest} to " \
                      f"{format_number(high) if high is not None else 'any'} ({spec.unit})"
            allowed_ms = f"{'nombor bulat ' if spec.kind == 'integer' else ''}dari {lowest} hingga " \
                         f"{format_number(high) if high is not None else 'sebarang nilai'} ({spec.unit})"
            v = format_number(row.value)
            yield problem("out-of-range", f"{_where(row)}: {v} is not accepted for {spec.code}",
                          file=b.file, row=row.source_row, column="value", value=v, expected=allowed,
                          message_ms=f"{_where_ms(row)}: {v} tidak diterima bagi {spec.code}",
                          expected_ms=allowed_ms)


def future_sector_period(b: Batch) -> Iterator[Problem]:
    latest = b.latest_period
    for period, (row, n) in b.first_rows("period").items():
        future = int(period) > b.ctx.today.year if len(period) == 4 else period > latest
        if future:
            today = b.ctx.today.isoformat()
            yield problem("future-period", f"{period} is in the future on {today}{rows_note(n)}",
                          file=b.file, row=row.source_row, column="period", value=period,
                          expected=f"{latest} or earlier, or the year {b.ctx.today.year} or earlier",
                          message_ms=f"{period} ialah tempoh masa hadapan pada {today}{rows_note_ms(n)}",
                          expected_ms=f"{latest} atau lebih awal, atau tahun {b.ctx.today.year} "
                                      "atau lebih awal")


def duplicate_sector_key(b: Batch) -> Iterator[Problem]:
    first: dict[tuple, SectorRow] = {}
    for row in b.rows:
        earlier = first.setdefault((row.sector_code, row.period, row.indicator_code, row.state_code), row)
        if earlier is not row:
            yield problem("duplicate-key", f"{_where(row)} is given twice: rows "
                          f"{earlier.source_row} and {row.source_row}", file=b.file,
                          row=row.source_row, column="indicator_code", value=row.indicator_code,
                          expected="one value per sector, period, indicator and state",
                          message_ms=f"{_where_ms(row)} diberi dua kali: baris {earlier.source_row} "
                                     f"dan {row.source_row}",
                          expected_ms="satu nilai bagi setiap sektor, tempoh, penunjuk dan negeri")


SECTOR_RULES = (unknown_context_indicator, outside_range, future_sector_period, duplicate_sector_key)


def validate_sector(rows: list[SectorRow], ctx: ValidationContext, file_name: str) -> list[Problem]:
    return run_rules(SECTOR_RULES, rows, ctx, file_name)


def check_sector(data: bytes | Sheet, file_name: str, ctx: ValidationContext, *,
                 max_expanded_bytes: int = MAX_EXPANDED_BYTES) -> tuple[list[SectorRow], list[Problem]]:
    """Read, parse and validate a sector report."""
    sheet, problems = as_sheet(data, file_name, max_expanded_bytes=max_expanded_bytes)
    if sheet is None:
        return [], problems
    rows, more = parse_sector(sheet)
    problems = problems + more + validate_sector(rows, ctx, file_name)
    return rows, sorted(problems, key=lambda p: p.row or 0)
