"""Malformed return files never crash ingest and never leave rows behind.

Hypothesis mutates a valid quarterly return (columns dropped, duplicated, swapped or
renamed; cells set to NaN, inf, huge or odd numbers; bad periods and codes; extra, short
and duplicated rows; other delimiters and encodings; stray quotes, random bytes,
truncation; broken workbooks) and hands each file to ``Ingestor.ingest_bytes``. It must
return a result, never raise; a rejected file must name its problems and leave the
return rows (and every other row table) exactly as they were.
"""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from etl.ingest import Ingestor
from etl.store import Store
from tests.conftest import make_settings
from tests.test_ingest import VALUES  # one valid return shared by the ingest tests

HEADER = ["agency_code", "period", "indicator_code", "value", "unit", "breakdown_type", "breakdown_code",
          "value_status", "notes"]
ODD_NUMBERS = ["nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e309", "-1e309", "1e16", "9" * 400, "1,5",
               "1.000,5", "1 000", "0x10", "\u0661\u0662", "\u00bd", "12%", "-", "\u2014", "TRUE", "#DIV/0!",
               "2026-01-01", "\u00a0123", "=1+1", "@SUM(A1)", "-1", "0.5", "", " "]
BAD_PERIODS = ["2026Q5", "2026Q0", "26Q1", "Q3 20266", "1989Q1", "2101Q1", "2026Q4", "2099Q1", "2026 Q 3",
               "", "Q2", "2026-06-30", "2026q1", "Q1-2026"]
ODD_CODES = ["", "XXX", " jpn ", "LHDN", "jpn\u200b", "J P N", "'JPN", "=JPN", "JPN;LHDN"]
ROW_TABLES = ("return_rows", "register_systems", "sector_rows", "submission_pairs")
FUZZ = settings(max_examples=120, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def base_table(agency: str = "JPN", period: str = "2026Q2") -> list[list[str]]:
    return [list(HEADER)] + [[agency, period, code, str(value), "", "", "", "A", ""] for code, value in VALUES.items()]


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory):
    settings_ = make_settings(tmp_path_factory.mktemp("fuzz"))
    settings_.data_dir.mkdir(parents=True)
    store = Store.open(settings_.database_url, settings_.reference_dir)
    yield store, Ingestor(store, settings_)
    store.dispose()


def fingerprint(store: Store) -> dict[str, tuple]:
    """Enough of every row table to see any insert, delete or supersede."""
    out = {}
    for name in ROW_TABLES:
        frame = store.frame(name)
        marks = frame["superseded_by"].fillna(0).sum() if "superseded_by" in frame else 0
        out[name] = (len(frame), frame.iloc[:, 0].sum() if len(frame) else 0, marks)
    return out


# ---- mutations of the table, the text and the bytes -------------------------------------
# Each mutation is drawn as plain data (a kind, positions, a value) independent of the file
# it will change, then applied: strategies must not depend on state they mutate.
# Cell-level kinds are listed several times: most files should get past the header checks.
# Hypothesis favours the first choices of a list: the valid-looking ones come first.
TABLE_KINDS = 3 * ["number", "period", "code", "breakdown", "extra_rows"] + [
    "cell", "ragged", "blank_rows", "swap", "duplicate", "rename", "drop", "no_rows"]
# Printable text in cells (control characters come from the byte mutations).
ANY_TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=30)
VALUE_FOR = {
    "rename": st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12), "cell": ANY_TEXT,
    "period": st.sampled_from(BAD_PERIODS),
    "number": st.sampled_from(ODD_NUMBERS) | st.floats().map(repr) | st.integers().map(str),
    "code": st.sampled_from(ODD_CODES) | ANY_TEXT,
    "breakdown": st.sampled_from(["STATE", "MSIC", "17", "Z", "X", "e", "0"]),
}
table_mutation = st.sampled_from(TABLE_KINDS).flatmap(lambda kind: st.tuples(
    st.just(kind), st.integers(0, 10**6), st.integers(0, 10**6), VALUE_FOR.get(kind, st.just(""))))


def apply_table(table: list[list[str]], mutation: tuple) -> None:
    kind, a, b, value = mutation
    width, height = len(table[0]), len(table)
    col, other, row = a % width, b % width, 1 + a % max(height - 1, 1)
    if kind == "drop" and width > 1:
        for r in table:
            del r[col:col + 1]
    elif kind == "duplicate":
        for r in table:
            r.insert(col, r[col] if col < len(r) else "")
    elif kind == "swap":
        table[0][col], table[0][other] = table[0][other], table[0][col]
    elif kind == "rename":
        table[0][col] = value
    elif kind == "extra_rows":
        table.extend(list(table[1 + (a + i * b) % (height - 1)]) for i in range(1 + b % 5) if height > 1)
    elif kind == "no_rows":
        del table[1:]
    elif kind == "blank_rows":
        table.insert(row, [""] * width)
    elif height > 1:
        _set_cell(table[row], kind, value, b, col)


def _set_cell(cells: list[str], kind: str, value: str, b: int, col: int) -> None:
    if kind == "ragged":
        cells[:] = cells + ["x"] if b % 2 else cells[:-1]
        return
    pos = {"number": 3, "period": 1, "code": (0, 2)[b % 2], "breakdown": 5 + b % 3}.get(kind, col)
    if pos < len(cells):
        cells[pos] = value


def serialise(table: list[list[str]], delimiter: str, quote_all: bool, newline: str) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator=newline,
                        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerows(table)
    return buf.getvalue()


def encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-8-sig-broken":
        return b"\xef\xbb\xbf" + text.encode("utf-8") + b"\xff\xfe"
    return text.encode(encoding, errors="replace")


BYTE_KINDS = ["insert", "truncate", "flip", "quote", "nul", "magic", "cr"]
MAGIC = [b"PK\x03\x04", b"%PDF-1.7\n", b"\x1f\x8b", b"\xd0\xcf\x11\xe0"]
byte_mutation = st.tuples(st.sampled_from(BYTE_KINDS), st.integers(0, 10**7), st.binary(min_size=1, max_size=16))


def apply_bytes(data: bytes, mutation: tuple) -> bytes:
    kind, a, blob = mutation
    pos = a % max(len(data), 1)
    if kind == "insert":
        return data[:pos] + blob + data[pos:]
    if kind == "truncate":
        return data[:pos]
    if kind == "flip":
        return data[:pos] + bytes([(data[pos] if data else 0) ^ (blob[0] or 1)]) + data[pos + 1:]
    if kind == "quote":
        return data[:pos] + b'"' + data[pos:]
    if kind == "nul":
        return data[:pos] + b"\x00" + data[pos:]
    if kind == "magic":
        return MAGIC[a % len(MAGIC)] + data
    return data.replace(b"\n", b"\r", 1 + a % 5)


@st.composite
def malformed_return(draw) -> bytes:
    table = base_table(period=draw(st.sampled_from(["2026Q1", "2026Q2", "2026Q3"])))
    for mutation in draw(st.lists(table_mutation, max_size=3)):
        apply_table(table, mutation)
    text = serialise(table, draw(st.sampled_from([",", ",", ",", ";", "\t", "|"])), draw(st.booleans()),
                     draw(st.sampled_from(["\n", "\r\n"])))
    data = encode(text, draw(st.sampled_from(4 * ["utf-8"] + ["utf-8-sig", "cp1252", "utf-16", "latin-1",
                                                                "utf-8-sig-broken"])))
    if draw(st.integers(0, 3)) == 3:  # about a quarter of the files are also damaged byte-wise
        for mutation in draw(st.lists(byte_mutation, min_size=1, max_size=2)):
            data = apply_bytes(data, mutation)
    return data


# ---- the properties ---------------------------------------------------------------------
def ingest_and_check(store: Store, ingestor: Ingestor, data: bytes, scope: str | None = None) -> None:
    before = fingerprint(store)
    result = ingestor.ingest_bytes(data, "fuzzed.csv", source="upload", submitted_by="fuzz", agency_scope=scope)
    assert result.status in ("accepted", "rejected", "duplicate")
    event(f"{result.status}: {result.errors[0].code if result.errors else '-'}")
    if result.status != "accepted":
        assert fingerprint(store) == before, f"a {result.status} file changed the row tables"
    untranslated = [p for p in result.problems if not p.message_ms or (p.expected and not p.expected_ms)]
    assert untranslated == [], "every problem is said in Malay too"
    if result.status == "rejected":
        assert result.errors, "a rejected file must say why"
        assert all(p.file == "fuzzed.csv" for p in result.errors)
    else:
        assert not result.errors


@FUZZ
@given(data=malformed_return(), scope=st.sampled_from([None, None, "JPN", "LHDN"]))
def test_malformed_returns_never_raise_and_never_half_load(fuzz_store, data, scope):
    store, ingestor = fuzz_store
    ingest_and_check(store, ingestor, data, scope)


@settings(max_examples=40, deadline=None, database=None)
@given(data=st.binary(max_size=2048))
def test_random_bytes_are_rejected_cleanly(fuzz_store, data):
    store, ingestor = fuzz_store
    ingest_and_check(store, ingestor, data)


@st.composite
def broken_workbook(draw) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    table = base_table()
    for mutation in draw(st.lists(table_mutation, max_size=2)):
        apply_table(table, mutation)
    wb = Workbook()
    for r in table:
        wb.active.append([ILLEGAL_CHARACTERS_RE.sub("", c) for c in r])
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    for mutation in draw(st.lists(byte_mutation, max_size=2)):
        data = apply_bytes(data, mutation)
    return data


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=broken_workbook())
def test_broken_workbooks_are_rejected_cleanly(fuzz_store, data):
    store, ingestor = fuzz_store
    ingest_and_check(store, ingestor, data)
