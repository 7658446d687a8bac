"""Meaning checks of a quarterly return: a list of small named rules.

Each rule takes a ``Batch`` (the parsed rows of one file, the validation context and the
indexes built once for all rules) and yields problems. Adding a check is one function in
``RETURN_RULES`` and one test. The agency and period rules work on any row that has
``source_row``, ``agency_code`` and ``period``, so the register reuses them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from etl import periods
from etl.problems import WARNING, Problem, problem, rows_note, rows_note_ms
from etl.readers import paused_gc

if TYPE_CHECKING:
    from etl.returns import IndicatorSpec, ReturnRow, ValidationContext

# A value more than this many times (or less than one over it) the previous quarter is flagged.
CHANGE_FACTOR = 3.0


def format_number(value: float) -> str:
    """12.0 -> '12', 0.1 -> '0.1': numbers in messages as the analyst typed them."""
    if math.isfinite(value) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def describe(row: Any) -> str:
    """'JPN 2025Q3 HC_TOTAL (STATE 10)' for messages."""
    where = f" ({row.breakdown_type} {row.breakdown_code})" if row.breakdown_type else ""
    return f"{row.agency_code} {row.period} {row.indicator_code}{where}"


def _tolerance(a: float, b: float) -> float:
    return 1e-9 * max(1.0, abs(a), abs(b))


@dataclass
class Batch:
    """The rows of one file with the context, and lookups shared by the rules."""

    rows: list[Any]
    ctx: ValidationContext
    file: str
    _accepted: dict[str, dict] = field(default_factory=dict)
    _first: dict[str, dict] = field(default_factory=dict)

    @cached_property
    def allowed_agencies(self) -> frozenset[str]:
        """Agencies of the file that are known, submit returns and are in scope."""
        scope = (self.ctx.agency_scope or "").upper()
        return frozenset(a for a in self.first_rows("agency_code")
                         if self.ctx.agencies.get(a) and (not scope or a == scope))

    @cached_property
    def latest_period(self) -> str:
        return periods.last_complete(self.ctx.today)

    def column(self, row: ReturnRow) -> str:
        """The column holding the row's value: ``value``, or the indicator's column in a
        wide file (``parse_return`` returns a list that knows its layout)."""
        if getattr(self.rows, "layout", "long") == "wide":
            return row.indicator_code
        return "value"

    @cached_property
    def checked(self) -> list[tuple[ReturnRow, IndicatorSpec]]:
        """Rows with a value, a known indicator and an allowed agency."""
        allowed, specs = self.allowed_agencies, self.ctx.catalogue.indicators
        return [(row, specs[row.indicator_code]) for row in self.rows
                if row.value is not None and row.indicator_code in specs
                and row.agency_code in allowed]

    def first_rows(self, attribute: str) -> dict[str, tuple[Any, int]]:
        """Distinct values of ``attribute`` -> (first row, number of rows), computed once."""
        if attribute not in self._first:
            self._first[attribute] = first_rows(self.rows, attrgetter(attribute))
        return self._first[attribute]

    @cached_property
    def groups(self) -> dict[tuple[str, str, str, str], dict[str, ReturnRow]]:
        """(agency, period, breakdown type, breakdown code) -> indicator -> row."""
        out: dict[tuple[str, str, str, str], dict[str, ReturnRow]] = {}
        for r in self.rows:
            out.setdefault((r.agency_code, r.period, r.breakdown_type, r.breakdown_code),
                           {})[r.indicator_code] = r
        return out

    @cached_property
    def series(self) -> dict[tuple[str, str, str, str], dict[str, ReturnRow]]:
        """(agency, indicator, breakdown type, breakdown code) -> period -> row of the file."""
        out: dict[tuple[str, str, str, str], dict[str, ReturnRow]] = {}
        for r in self.rows:
            out.setdefault((r.agency_code, r.indicator_code, r.breakdown_type, r.breakdown_code),
                           {})[r.period] = r
        return out

    def accepted(self, agency: str, indicator: str, btype: str, bcode: str) -> dict[str, float | None]:
        """Accepted values by period; asked once per agency (or once for all agencies with
        ``ctx.accepted_many``), and only for allowed agencies: never another agency's."""
        if agency not in self.allowed_agencies:
            return {}
        if agency not in self._accepted:
            if self.ctx.accepted_many is not None:
                self._fetch_all_accepted()
            else:
                self._keep(agency, self.ctx.accepted(agency) or {})
        values = self._accepted[agency].get((indicator, btype, bcode))
        return {} if values is None else values

    @cached_property
    def pairs_in_file(self) -> set[tuple[str, str]]:
        return {(r.agency_code, r.period) for r in self.rows}

    @cached_property
    def _periods_in_file(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for agency, period in self.pairs_in_file:
            out.setdefault(agency, set()).add(period)
        return out

    def _keep(self, agency: str, found: dict) -> None:
        """Remember an agency's accepted values (never changed in place: they may be shared).
        The file replaces whole (agency, period) pairs: their accepted values no longer count."""
        drop = self._periods_in_file.get(agency)
        if drop:
            found = {key: values if drop.isdisjoint(values) else
                     {p: v for p, v in values.items() if p not in drop}
                     for key, values in found.items()}
        self._accepted[agency] = found

    def _fetch_all_accepted(self) -> None:
        in_file = list(self.first_rows("period"))
        first, last = periods.previous(min(in_file)), max(in_file)
        agencies = sorted(self.allowed_agencies)
        found = self.ctx.accepted_many(agencies, first, last) or {}
        for agency in agencies:
            self._keep(agency, found.get(agency) or {})
        if self.ctx.accepted_history is not None:
            # Only a cumulative series without a value at ``first`` can need an earlier one.
            missing = self._cumulative_without_value_at(first)
            if missing:
                found = self.ctx.accepted_history(missing, first, last) or {}
                for agency in missing:
                    self._keep(agency, {**self._accepted[agency], **(found.get(agency) or {})})

    def _cumulative_without_value_at(self, period: str) -> list[str]:
        """Allowed agencies with a cumulative series in the file and no accepted value for it
        at ``period`` (fetched values only)."""
        cumulative = {c for c, s in self.ctx.catalogue.indicators.items() if s.temporal == "cumulative"}
        allowed, accepted = self.allowed_agencies, self._accepted
        out: set[str] = set()
        for agency, indicator, btype, bcode in self.series:
            if indicator not in cumulative or agency in out or agency not in allowed:
                continue
            if accepted.get(agency, {}).get((indicator, btype, bcode), {}).get(period) is None:
                out.add(agency)
        return sorted(out)

    def value_at(self, row: ReturnRow, indicator: str, period: str) -> tuple[float | None, ReturnRow | None]:
        """The value of ``indicator`` for the row's agency and breakdown: the file's, else accepted."""
        key = (row.agency_code, indicator, row.breakdown_type, row.breakdown_code)
        in_file = self.series.get(key, {}).get(period)
        if in_file is not None:
            return in_file.value, in_file
        return self.accepted(*key).get(period), None


def _where(other: ReturnRow | None, agency: str, period: str) -> str:
    return f"row {other.source_row}" if other else f"accepted earlier for {agency} {period}"


def _where_ms(other: ReturnRow | None, agency: str, period: str) -> str:
    return f"baris {other.source_row}" if other else f"diterima sebelum ini bagi {agency} {period}"


def first_rows(rows: Iterable[Any], key: Callable[[Any], str]) -> dict[str, tuple[Any, int]]:
    """Distinct key -> (first row, number of rows): report a bad code once, not per row."""
    counts = Counter(map(key, rows))
    out: dict[str, tuple[Any, int]] = {}
    for r in rows:
        k = key(r)
        if k not in out:
            out[k] = (r, counts[k])
            if len(out) == len(counts):
                break
    return out


# ---- agency and period rules (shared with the register) ----------------------------------

def unknown_agency(b: Batch) -> Iterator[Problem]:
    for agency, (row, n) in b.first_rows("agency_code").items():
        if agency not in b.ctx.agencies:
            yield problem("unknown-agency", f"unknown agency code '{agency}'{rows_note(n)}",
                          file=b.file, row=row.source_row, column="agency_code", value=agency,
                          expected="an agency code of the agencies reference table",
                          message_ms=f"kod agensi tidak dikenali '{agency}'{rows_note_ms(n)}",
                          expected_ms="kod agensi daripada jadual rujukan agensi")


def agency_not_submitting(b: Batch) -> Iterator[Problem]:
    for agency, (row, n) in b.first_rows("agency_code").items():
        if b.ctx.agencies.get(agency) is False:
            yield problem("agency-not-submitting", f"the agency code '{agency}' does not submit "
                          f"returns{rows_note(n)}", file=b.file, row=row.source_row,
                          column="agency_code", value=agency,
                          expected="the code of an agency that submits returns",
                          message_ms=f"agensi dengan kod '{agency}' tidak menghantar penyata"
                                     f"{rows_note_ms(n)}",
                          expected_ms="kod agensi yang menghantar penyata")


def agency_out_of_scope(b: Batch) -> Iterator[Problem]:
    scope = (b.ctx.agency_scope or "").upper()
    if not scope:
        return
    for agency, (row, n) in b.first_rows("agency_code").items():
        if agency != scope:
            yield problem("agency-out-of-scope", f"you may only submit for {scope}; this row is "
                          f"for {agency}{rows_note(n)}", file=b.file, row=row.source_row,
                          column="agency_code", value=agency, expected=scope,
                          message_ms=f"anda hanya boleh menghantar untuk {scope}; baris ini adalah "
                                     f"untuk {agency}{rows_note_ms(n)}",
                          expected_ms=scope)


def future_period(b: Batch) -> Iterator[Problem]:
    latest = b.latest_period
    last = periods.index(latest)
    for period, (row, n) in b.first_rows("period").items():
        if periods.index(period) > last:
            yield problem("future-period", f"{period} has not ended on {b.ctx.today.isoformat()}"
                          f"{rows_note(n)}; the latest quarter accepted is {latest}",
                          file=b.file, row=row.source_row, column="period", value=period,
                          expected=f"{latest} or earlier",
                          message_ms=f"{period} belum berakhir pada {b.ctx.today.isoformat()}"
                                     f"{rows_note_ms(n)}; suku tahun terkini yang diterima ialah {latest}",
                          expected_ms=f"{latest} atau lebih awal")


AGENCY_PERIOD_RULES = (unknown_agency, agency_not_submitting, agency_out_of_scope, future_period)


# ---- value rules ------------------------------------------------------------------------

def unknown_indicator(b: Batch) -> Iterator[Problem]:
    specs = b.ctx.catalogue.indicators
    for indicator, (row, n) in b.first_rows("indicator_code").items():
        if indicator not in specs:
            yield problem("unknown-indicator", f"unknown indicator code '{indicator}'"
                          f"{rows_note(n)}", file=b.file, row=row.source_row,
                          column="indicator_code", value=indicator,
                          expected="an indicator code of the catalogue, e.g. HC_TOTAL",
                          message_ms=f"kod penunjuk tidak dikenali '{indicator}'{rows_note_ms(n)}",
                          expected_ms="kod penunjuk daripada katalog, cth. HC_TOTAL")


def _value_problem(b: Batch, row: ReturnRow, kind: str, message: str, expected: str, *,
                   message_ms: str, expected_ms: str, level: str = "error") -> Problem:
    where = describe(row)
    return problem(kind, f"{where}: {message}", file=b.file, row=row.source_row,
                   column=b.column(row), value=format_number(row.value), expected=expected,
                   level=level, message_ms=f"{where}: {message_ms}", expected_ms=expected_ms)


def negative_value(b: Batch) -> Iterator[Problem]:
    for row, _ in b.checked:
        if row.value < 0:
            v = format_number(row.value)
            yield _value_problem(b, row, "negative-value", f"{v} is negative", "a number of 0 or more",
                                 message_ms=f"{v} ialah nilai negatif", expected_ms="nombor 0 atau lebih")


def flag_not_zero_or_one(b: Batch) -> Iterator[Problem]:
    for row, spec in b.checked:
        if spec.kind == "flag" and row.value not in (0.0, 1.0):
            v = format_number(row.value)
            yield _value_problem(b, row, "bad-flag", f"{v} is not a yes/no flag", "0 (no) or 1 (yes)",
                                 message_ms=f"{v} bukan penanda ya/tidak",
                                 expected_ms="0 (tidak) atau 1 (ya)")


def integer_not_whole(b: Batch) -> Iterator[Problem]:
    for row, spec in b.checked:
        if spec.kind == "integer" and not row.value.is_integer():
            v = format_number(row.value)
            yield _value_problem(b, row, "not-whole", f"{v} is not a whole number of {spec.unit}",
                                 "a whole number",
                                 message_ms=f"{v} bukan nombor bulat (unit {spec.unit})",
                                 expected_ms="nombor bulat")


def outside_catalogue_range(b: Batch) -> Iterator[Problem]:
    for row, spec in b.checked:
        v = row.value
        if spec.kind == "flag" or v < 0:  # reported by the flag and negative rules
            continue
        low, high = spec.min_value, spec.max_value
        if (low is not None and v < low) or (high is not None and v > high):
            lowest = format_number(low) if low is not None else "-"
            allowed = f"from {lowest} to {format_number(high) if high is not None else 'any'}"
            allowed_ms = f"dari {lowest} hingga {format_number(high) if high is not None else 'sebarang nilai'}"
            yield _value_problem(b, row, "out-of-range", f"{format_number(v)} is outside the "
                                 f"range of {spec.code}", allowed,
                                 message_ms=f"{format_number(v)} di luar julat {spec.code}",
                                 expected_ms=allowed_ms)


def relation_broken(b: Batch) -> Iterator[Problem]:
    relations = b.ctx.catalogue.relations
    allowed = b.allowed_agencies
    for (agency, period, btype, bcode), group in b.groups.items():
        if agency not in allowed:
            continue
        for rel in relations:
            left, right = group.get(rel.left), group.get(rel.right)
            if left is None and right is None:
                continue
            lv = left.value if left else b.accepted(agency, rel.left, btype, bcode).get(period)
            rv = right.value if right else b.accepted(agency, rel.right, btype, bcode).get(period)
            if lv is None or rv is None or min(lv, rv) < 0:  # a negative value is reported once, as negative
                continue
            if lv <= rel.factor * rv + _tolerance(lv, rv):
                continue
            yield _relation_problem(b, rel, left or right, (lv, left), (rv, right))


def _relation_problem(b: Batch, rel: Any, anchor: ReturnRow, left: tuple, right: tuple) -> Problem:
    (lv, lrow), (rv, rrow) = left, right
    factor = "" if rel.factor == 1 else f"{format_number(rel.factor)} x "
    agency, period = anchor.agency_code, anchor.period
    message = (f"{rel.left} = {format_number(lv)} ({_where(lrow, agency, period)})"
               f" is more than {factor}{rel.right} = {format_number(rv)} "
               f"({_where(rrow, agency, period)}): {rel.message_en}")
    # The relation's own explanation in Malay comes from the catalogue; without one the
    # sentence still names both indicators, their values and where each was found.
    message_ms = (f"{rel.left} = {format_number(lv)} ({_where_ms(lrow, agency, period)})"
                  f" melebihi {factor}{rel.right} = {format_number(rv)} "
                  f"({_where_ms(rrow, agency, period)})" + (f": {rel.message_ms}" if rel.message_ms else ""))
    if anchor is lrow:
        expected = f"{rel.left} at most {format_number(rel.factor * rv)}"
        expected_ms = f"{rel.left} paling banyak {format_number(rel.factor * rv)}"
    else:
        expected = f"{rel.right} at least {format_number(lv / rel.factor)}"
        expected_ms = f"{rel.right} sekurang-kurangnya {format_number(lv / rel.factor)}"
    where = f" ({anchor.breakdown_type} {anchor.breakdown_code})" if anchor.breakdown_type else ""
    return problem("relation-broken", f"{agency} {period}{where}: {message}",
                   file=b.file, row=anchor.source_row, column=b.column(anchor),
                   value=format_number(anchor.value), expected=expected,
                   message_ms=f"{agency} {period}{where}: {message_ms}", expected_ms=expected_ms)


def _merged_series(b: Batch, key: tuple[str, str, str, str],
                   in_file: dict[str, ReturnRow]) -> list[tuple[str, float, ReturnRow | None]]:
    """Accepted values overlaid with the file's, in period order: (period, value, row or None)."""
    merged: dict[str, tuple[float, ReturnRow | None]] = {
        p: (v, None) for p, v in b.accepted(*key).items() if v is not None}
    merged.update({p: (r.value, r) for p, r in in_file.items() if r.value is not None})
    return [(p, *merged[p]) for p in sorted(merged)]


def cumulative_falls(b: Batch) -> Iterator[Problem]:
    specs, allowed = b.ctx.catalogue.indicators, b.allowed_agencies
    for key, in_file in b.series.items():
        spec = specs.get(key[1])
        if spec is None or spec.temporal != "cumulative" or key[0] not in allowed:
            continue
        if len(in_file) == 1:
            # One quarter of the series in the file (the usual case): the walk below compares
            # its value with the latest accepted value before it, and with nothing else.
            [(period, row)] = in_file.items()
            if row.value is None:
                continue
            latest = None
            for p, v in b.accepted(*key).items():
                if v is not None and p < period and (latest is None or p > latest[0]):
                    latest = (p, v, None)
            if latest is not None and row.value < latest[1] - _tolerance(row.value, latest[1]):
                yield _falls_problem(b, row, latest)
            continue
        before = None
        for period, value, row in _merged_series(b, key, in_file):
            if row is not None and before is not None and value < before[1] - _tolerance(value, before[1]):
                yield _falls_problem(b, row, before)
            before = (period, value, row)


def _falls_problem(b: Batch, row: ReturnRow, before: tuple[str, float, ReturnRow | None]) -> Problem:
    source = f"row {before[2].source_row} of this file" if before[2] else "accepted"
    source_ms = f"baris {before[2].source_row} dalam fail ini" if before[2] else "telah diterima"
    v, earlier = format_number(row.value), format_number(before[1])
    return _value_problem(b, row, "cumulative-falls", f"{v} is lower than {earlier} for {before[0]} "
                          f"({source}); a to-date count cannot fall", f"at least {earlier}",
                          message_ms=f"{v} lebih rendah daripada {earlier} bagi {before[0]} ({source_ms}); "
                                     "kiraan terkumpul tidak boleh menurun",
                          expected_ms=f"sekurang-kurangnya {earlier}")


def far_from_previous_quarter(b: Batch) -> Iterator[Problem]:
    previous: dict[str, str] = {}
    series, accepted = b.series, b.accepted
    for row, _ in b.checked:
        if row.value == 0:
            continue
        prev = previous.get(row.period)
        if prev is None:
            prev = previous[row.period] = periods.previous(row.period)
        # b.value_at(row, row.indicator_code, prev), written out: this runs once per row
        key = (row.agency_code, row.indicator_code, row.breakdown_type, row.breakdown_code)
        in_file = series[key].get(prev)
        before = in_file.value if in_file is not None else accepted(*key).get(prev)
        if not before:
            continue
        ratio = row.value / before
        if ratio > CHANGE_FACTOR or ratio < 1 / CHANGE_FACTOR:
            v, was = format_number(row.value), format_number(before)
            low, high = format_number(before / CHANGE_FACTOR), format_number(before * CHANGE_FACTOR)
            yield _value_problem(
                b, row, "far-from-previous", f"{v} is {ratio:.2g} times the {prev} value {was}; "
                "please check", f"a value between {low} and {high}, or a note explaining the change",
                message_ms=f"{v} ialah {ratio:.2g} kali nilai {prev} iaitu {was}; sila semak",
                expected_ms=f"nilai antara {low} dan {high}, atau nota yang menjelaskan perubahan itu",
                level=WARNING)


def required_indicator_missing(b: Batch) -> Iterator[Problem]:
    required = [s.code for s in b.ctx.catalogue.indicators.values() if s.required]
    last = periods.index(b.latest_period)
    # Every (agency, period) the file holds, with its agency totals: a pair given only by
    # breakdown rows still replaces that quarter's return, so it misses every required total.
    totals: dict[tuple[str, str], dict[str, ReturnRow]] = {}
    first_row: dict[tuple[str, str], int] = {}
    for (agency, period, btype, _), group in b.groups.items():
        if agency not in b.allowed_agencies or periods.index(period) > last:
            continue
        first = min(r.source_row for r in group.values())
        first_row[agency, period] = min(first_row.get((agency, period), first), first)
        if not btype:
            totals[agency, period] = group
    for (agency, period), first in first_row.items():
        missing = [c for c in required if c not in totals.get((agency, period), {})]
        if missing:
            codes = ", ".join(missing)
            yield problem("required-missing", f"{agency} {period}: the return does not give "
                          f"{len(missing)} required indicator(s): {codes}",
                          file=b.file, row=first, column="indicator_code",
                          value=codes, level=WARNING,
                          expected="every required indicator for each agency and period",
                          message_ms=f"{agency} {period}: penyata tidak memberikan {len(missing)} "
                                     f"penunjuk wajib: {codes}",
                          expected_ms="setiap penunjuk wajib bagi setiap agensi dan suku tahun")


RETURN_RULES: tuple[Callable[[Batch], Iterable[Problem]], ...] = AGENCY_PERIOD_RULES + (
    unknown_indicator, negative_value, flag_not_zero_or_one, integer_not_whole,
    outside_catalogue_range, relation_broken, cumulative_falls, far_from_previous_quarter,
    required_indicator_missing)


def run_rules(rules: Iterable[Callable[[Batch], Iterable[Problem]]], rows: list[Any],
              ctx: ValidationContext, file_name: str) -> list[Problem]:
    batch = Batch(rows=rows, ctx=ctx, file=file_name)
    with paused_gc():
        return [p for rule in rules for p in rule(batch)]


def validate_return(rows: list[ReturnRow], ctx: ValidationContext, file_name: str) -> list[Problem]:
    """Apply every rule of ``RETURN_RULES`` to the parsed rows of one file."""
    return run_rules(RETURN_RULES, rows, ctx, file_name)
