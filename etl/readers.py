"""File readers: the bytes of a CSV or XLSX file in, a ``Sheet`` of cell texts out.

Readers never raise on bad input: everything wrong with a file becomes a ``Problem``.
Row numbers are the ones the analyst sees in a spreadsheet program: the header is row 1
(if blank or title rows sit above it, the header keeps its real row number).
"""

from __future__ import annotations

import csv
import gc
import io
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from etl import xlsx
from etl.problems import WARNING, Problem, problem
from etl.xlsx import MAX_EXPANDED_BYTES, Record, cell_text  # noqa: F401  (part of this module's API)

ACCEPTED_FORMATS = "a CSV file (UTF-8 or Windows-1252, comma or semicolon) or an XLSX workbook"
ACCEPTED_FORMATS_MS = "fail CSV (UTF-8 atau Windows-1252, koma atau koma bertitik) atau buku kerja XLSX"
EXCEL_ERRORS = frozenset({"#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!",
                          "#GETTING_DATA", "#SPILL!", "#CALC!"})
# Column names that mark a row as the header row (used to tell a title row from a header).
HEADER_MARKERS = frozenset({"agency_code", "period", "indicator_code", "value", "sector_code",
                            "system_id"})
_HEADER_SEARCH_ROWS = 20

_ZIP_MAGIC = b"PK\x03\x04"
_OTHER_BINARY = (  # (first bytes, what the file is, the same in Malay)
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Excel .xls (or other Office 97-2003) file",
     "fail Excel .xls lama (atau fail Office 97-2003 yang lain)"),
    (b"PK\x05\x06", "an empty ZIP archive", "arkib ZIP kosong"),
    (b"%PDF", "a PDF document", "dokumen PDF"),
    (b"\x1f\x8b", "a gzip archive", "arkib gzip"),
    (b"\x00\x00\xfe\xff", "a UTF-32 text file", "fail teks UTF-32"),
    (b"\xff\xfe", "a UTF-16 text file", "fail teks UTF-16"),
    (b"\xfe\xff", "a UTF-16 text file", "fail teks UTF-16"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A header that looks like an indicator code (the wide layout of a return).
CODE_LIKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")
_RETURN_META = frozenset({"agency_code", "period", "unit", "breakdown_type", "breakdown_code",
                          "value_status", "notes", "value"})


@dataclass
class Sheet:
    """The cells of one table, as text. ``columns`` are normalised header names."""

    file_name: str
    columns: list[str]
    raw_columns: list[str]
    rows: list[Record] = field(default_factory=list)
    header_row: int = 1
    format: str = "csv"

    def index(self) -> dict[str, int]:
        """Column name -> position (first occurrence wins)."""
        out: dict[str, int] = {}
        for i, name in enumerate(self.columns):
            out.setdefault(name, i)
        return out


def normalise_header(text: str) -> str:
    """Stripped, lower-case, inner whitespace runs turned into ``_``."""
    return "_".join(str(text).split()).lower()


def column_letter(position: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    n = position + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large file is read or checked.

    A national file allocates millions of small lists and rows that all stay alive; the
    collector would rescan them again and again (half the time of a 1.2-million-row file).
    Nothing here creates reference cycles, so nothing is lost by pausing it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_sheet(data: bytes, file_name: str, *,
               max_expanded_bytes: int = MAX_EXPANDED_BYTES) -> tuple[Sheet | None, list[Problem]]:
    """Read a CSV or XLSX file (decided by its bytes, not its name) into a ``Sheet``."""
    with paused_gc():
        return _read_any(data, file_name, max_expanded_bytes)


def _read_any(data: bytes, file_name: str, max_expanded_bytes: int) -> tuple[Sheet | None, list[Problem]]:
    if not data or not data.strip(b" \t\r\n"):
        return None, [problem("empty-file", "the file is empty", file=file_name,
                              expected=ACCEPTED_FORMATS, message_ms="fail ini kosong",
                              expected_ms=ACCEPTED_FORMATS_MS)]
    if data.startswith(_ZIP_MAGIC):
        return _read_xlsx(data, file_name, max_expanded_bytes)
    for magic, what, what_ms in _OTHER_BINARY:
        if data.startswith(magic):
            return None, [_not_accepted(file_name, f"the file is {what}", f"fail ini ialah {what_ms}")]
    text, problems = _decode(data, file_name)
    if text is None:
        return None, problems
    return _read_csv(text, file_name)


def _not_accepted(file_name: str, what: str, what_ms: str) -> Problem:
    return problem("unsupported-format", f"{what}; save it as CSV or XLSX and send it again",
                   file=file_name, expected=ACCEPTED_FORMATS,
                   message_ms=f"{what_ms}; simpan sebagai CSV atau XLSX dan hantar semula",
                   expected_ms=ACCEPTED_FORMATS_MS)


# ---- CSV --------------------------------------------------------------------------------

def _decode(data: bytes, file_name: str) -> tuple[str | None, list[Problem]]:
    """UTF-8 with BOM, UTF-8, then Windows-1252; anything else (binary, UTF-16) is refused."""
    if b"\x00" in data:
        return None, [_not_accepted(file_name, "the file is binary or UTF-16 text",
                                    "fail ini ialah fail binari atau teks UTF-16")]
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            text = data[3:].decode("utf-8")
        except UnicodeDecodeError as exc:
            return None, [problem(
                "bad-encoding", f"the file starts with a UTF-8 byte-order mark but is not valid "
                f"UTF-8 (at byte {exc.start + 4})", file=file_name,
                expected="UTF-8 (with or without BOM) or Windows-1252 text",
                message_ms=f"fail ini bermula dengan tanda tertib bait (BOM) UTF-8 tetapi bukan "
                           f"UTF-8 yang sah (pada bait {exc.start + 4})",
                expected_ms="teks UTF-8 (dengan atau tanpa BOM) atau Windows-1252")]
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
            if "\ufffd" in text:
                return None, [_not_accepted(file_name, "the file is neither UTF-8 nor "
                                                       "Windows-1252 text",
                                            "fail ini bukan teks UTF-8 atau Windows-1252")]
    bad = _CONTROL.search(text)
    if bad:
        return None, [_not_accepted(file_name, f"the file holds a control character (code "
                                               f"{ord(bad.group()):#04x}), so it is not a text CSV",
                                    f"fail ini mengandungi aksara kawalan (kod {ord(bad.group()):#04x}), "
                                    "jadi ia bukan fail teks CSV")]
    return text, []


def choose_delimiter(text: str) -> str:
    """Comma or semicolon, decided from the first line that holds either (outside quotes)."""
    for line in text[:65536].splitlines()[:_HEADER_SEARCH_ROWS]:
        commas = semicolons = 0
        quoted = False
        for ch in line:
            if ch == '"':
                quoted = not quoted
            elif not quoted and ch == ",":
                commas += 1
            elif not quoted and ch == ";":
                semicolons += 1
        if commas or semicolons:
            return ";" if semicolons > commas else ","
    return ","


def _csv_records(text: str, delimiter: str, file_name: str) -> tuple[list[Record], list[Problem]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"',
                        doublequote=True, skipinitialspace=False, strict=True,
                        quoting=csv.QUOTE_MINIMAL)
    records: list[Record] = []
    number = 0
    line = 0
    try:
        for cells in reader:
            number += 1
            line = reader.line_num
            if cells:
                records.append((number, list(map(str.strip, cells))))
    except csv.Error as exc:
        return records, [problem(
            "broken-quoting",
            f"row {number + 1} (line {line + 1} of the file) cannot be read: {exc}; a quote "
            "\" opened in this row is not closed, or text follows a closing quote",
            file=file_name, row=number + 1,
            expected='cells containing the delimiter, quotes or line breaks wrapped in "..." '
                     'with inner quotes doubled ("")',
            message_ms=f"baris {number + 1} (baris teks {line + 1} dalam fail) tidak dapat dibaca: "
                       f"{exc}; tanda petikan \" yang dibuka dalam baris ini tidak ditutup, atau ada "
                       "teks selepas tanda petikan penutup",
            expected_ms='sel yang mengandungi pembatas, tanda petikan atau pemisah baris dibalut '
                        'dengan "..." dan tanda petikan di dalamnya digandakan ("")')]
    return records, []


def _read_csv(text: str, file_name: str) -> tuple[Sheet | None, list[Problem]]:
    delimiter = choose_delimiter(text)
    records, problems = _csv_records(text, delimiter, file_name)
    if problems:
        return None, problems
    sheet, problems = _build_sheet(records, file_name, "csv")
    return sheet, problems


# ---- XLSX -------------------------------------------------------------------------------

def _read_xlsx(data: bytes, file_name: str, max_expanded_bytes: int) -> tuple[Sheet | None, list[Problem]]:
    unsafe = xlsx.archive_problem(data, max_expanded_bytes)
    if unsafe is not None:
        kind, why, why_ms = unsafe
        if kind == "unreadable":
            return None, [_not_accepted(file_name, f"the file looks like a ZIP/XLSX but cannot be opened ({why})",
                                        f"fail ini kelihatan seperti ZIP/XLSX tetapi tidak dapat dibuka ({why_ms})")]
        return None, [problem("archive-too-large", f"{why}; the file is refused as unsafe", file=file_name,
                              expected="an ordinary XLSX workbook, or the same data saved as CSV",
                              message_ms=f"{why_ms}; fail ini ditolak kerana tidak selamat",
                              expected_ms="buku kerja XLSX biasa, atau data yang sama disimpan sebagai CSV")]
    try:
        records, sheet_names, used = xlsx.first_sheet_records(data)
    except Exception as exc:  # openpyxl raises many types on malformed workbooks
        detail = f"{type(exc).__name__}: {exc}"
        return None, [_not_accepted(file_name, f"the file is a ZIP archive but not a readable "
                                               f"XLSX workbook ({detail})",
                                    f"fail ini ialah arkib ZIP tetapi bukan buku kerja XLSX yang "
                                    f"boleh dibaca ({detail})")]
    if not used:
        return None, [_not_accepted(file_name, "the workbook has no worksheet",
                                    "buku kerja ini tidak mempunyai helaian kerja")]
    problems = []
    if len(sheet_names) > 1:
        names = ", ".join(sheet_names[:10])
        problems.append(problem(
            "several-sheets", f"the workbook has {len(sheet_names)} sheets "
            f"({names}); only the first worksheet, '{used}', was read",
            file=file_name, value=used, level=WARNING,
            expected="one sheet, or the data on the first sheet",
            message_ms=f"buku kerja ini mempunyai {len(sheet_names)} helaian ({names}); hanya "
                       f"helaian kerja pertama, '{used}', dibaca",
            expected_ms="satu helaian, atau data pada helaian pertama"))
    sheet, more = _build_sheet(records, file_name, "xlsx")
    return sheet, problems + more


# ---- shared: header, ragged rows --------------------------------------------------------

def _locate_header(records: list[Record]) -> int:
    """Position in ``records`` of the header: the first row naming a known column, else 0."""
    for pos, (_, cells) in enumerate(records[:_HEADER_SEARCH_ROWS]):
        names = {normalise_header(c) for c in cells}
        if len(names & HEADER_MARKERS) >= 2:
            return pos
    return 0


def _header_problems(records: list[Record], pos: int, file_name: str) -> list[Problem]:
    out: list[Problem] = []
    header_number = records[pos][0]
    if pos > 0:
        first_number, first_cells = records[0]
        title = " ".join(c for c in first_cells if c)
        out.append(problem(
            "title-row", f"row {first_number} holds a title or notes ('{title[:60]}'), not the "
            f"column names; the column names were found in row {header_number}: delete the "
            f"rows above them", file=file_name, row=first_number, value=title,
            expected="the column names in the first row",
            message_ms=f"baris {first_number} mengandungi tajuk atau nota ('{title[:60]}'), bukan "
                       f"nama lajur; nama lajur ditemui pada baris {header_number}: padamkan baris "
                       "di atasnya",
            expected_ms="nama lajur pada baris pertama"))
    elif header_number > 1:
        out.append(problem(
            "blank-rows-above-header", f"rows 1 to {header_number - 1} are empty; the column "
            f"names were taken from row {header_number}", file=file_name, row=header_number,
            level=WARNING, expected="the column names in the first row",
            message_ms=f"baris 1 hingga {header_number - 1} kosong; nama lajur diambil daripada "
                       f"baris {header_number}",
            expected_ms="nama lajur pada baris pertama"))
    return out


def _column_problems(raw: list[str], columns: list[str], row: int, file_name: str) -> list[Problem]:
    out: list[Problem] = []
    seen: dict[str, int] = {}
    for i, name in enumerate(columns):
        letter = column_letter(i)
        if not name:
            out.append(problem(
                "blank-column-name", f"column {letter} of the header (row {row}) has no name "
                "(an empty or merged header cell)", file=file_name, row=row, column=letter,
                expected="a name in every header cell, one header row",
                message_ms=f"lajur {letter} pada pengepala (baris {row}) tidak bernama (sel "
                           "pengepala kosong atau digabungkan)",
                expected_ms="nama dalam setiap sel pengepala, satu baris pengepala sahaja"))
        elif name in seen:
            out.append(problem(
                "duplicate-column", f"the column name '{raw[i]}' appears twice: columns "
                f"{column_letter(seen[name])} and {letter}", file=file_name, row=row,
                column=raw[i], value=raw[i], expected="each column name once",
                message_ms=f"nama lajur '{raw[i]}' muncul dua kali: lajur "
                           f"{column_letter(seen[name])} dan {letter}",
                expected_ms="setiap nama lajur sekali sahaja"))
        else:
            seen[name] = i
    return out


def _build_sheet(records: list[Record], file_name: str, fmt: str) -> tuple[Sheet | None, list[Problem]]:
    first = next((i for i, (_, cells) in enumerate(records) if any(cells)), None)
    if first is None:
        return None, [problem("empty-file", "the file has no rows", file=file_name,
                              expected=ACCEPTED_FORMATS, message_ms="fail ini tidak mempunyai baris",
                              expected_ms=ACCEPTED_FORMATS_MS)]
    records = records[first:]
    pos = _locate_header(records)
    header_number, raw = records[pos]
    spare = len(raw)  # trailing unnamed header cells: rows may carry blanks up to here
    while raw and raw[-1] == "":
        raw = raw[:-1]
    columns = [normalise_header(c) for c in raw]
    problems = _header_problems(records, pos, file_name)
    problems += _column_problems(raw, columns, header_number, file_name)
    rows, ragged = _square_rows(records[pos + 1:], raw, spare, fmt == "xlsx", file_name)
    problems += ragged
    if not rows and not ragged:
        problems.append(problem(
            "no-data-rows", f"the file has a header (row {header_number}) but no data rows",
            file=file_name, row=header_number, expected="one row per value below the header",
            message_ms=f"fail ini mempunyai pengepala (baris {header_number}) tetapi tiada baris data",
            expected_ms="satu baris bagi setiap nilai di bawah pengepala"))
    sheet = Sheet(file_name=file_name, columns=columns, raw_columns=raw, rows=rows,
                  header_row=header_number, format=fmt)
    return sheet, problems


def _square_rows(records: Iterable[Record], header: list[str], spare: int, pad: bool,
                 file_name: str) -> tuple[list[Record], list[Problem]]:
    """Rows as wide as the header. Blank rows are skipped. A CSV row with more or fewer
    cells than the header is reported (a worksheet row is padded with blanks); so is a
    value in an unnamed column."""
    width = len(header)
    rows: list[Record] = []
    problems: list[Problem] = []
    for record in records:
        number, cells = record
        n = len(cells)
        if n == width:  # the usual case, kept first and cheap
            if any(cells):
                rows.append(record)
            continue
        if n > width and not any(cells[width:]) and (pad or n <= spare):
            cells = cells[:width]
        elif n < width and pad:
            cells = cells + [""] * (width - n)
        else:
            if any(cells):
                problems.append(_ragged(number, cells, header, file_name, pad))
            continue
        if any(cells):
            rows.append((number, cells))
    return rows, problems


def _ragged(number: int, cells: list[str], header: list[str], file_name: str, sheet: bool) -> Problem:
    width = len(header)
    if len(cells) > width:
        stray = next((i for i in range(width, len(cells)) if cells[i]), width)
        if sheet:
            message = f"row {number} has a value in column {column_letter(stray)}, which has no " \
                      "column name"
            message_ms = f"baris {number} mempunyai nilai dalam lajur {column_letter(stray)}, yang " \
                         "tidak mempunyai nama lajur"
        else:
            message = f"row {number} has {len(cells)} cells but the header has {width} columns " \
                      "(an extra delimiter, or an unquoted cell holding the delimiter, such as " \
                      "a thousands separator?)"
            message_ms = f"baris {number} mempunyai {len(cells)} sel tetapi pengepala mempunyai " \
                         f"{width} lajur (pembatas berlebihan, atau sel tanpa tanda petikan yang " \
                         "mengandungi pembatas, seperti pemisah ribuan?)"
        return problem("ragged-row", message, file=file_name, row=number,
                       column=column_letter(stray), value=cells[stray],
                       expected=f"{width} cells per row, each under a named column",
                       message_ms=message_ms,
                       expected_ms=f"{width} sel bagi setiap baris, setiap satu di bawah lajur yang bernama")
    missing = header[len(cells)]
    return problem(
        "ragged-row", f"row {number} has {len(cells)} cells but the header has {width} columns: "
        f"'{missing}' and the columns after it are missing (a missing delimiter?)",
        file=file_name, row=number, column=missing, expected=f"{width} cells per row",
        message_ms=f"baris {number} mempunyai {len(cells)} sel tetapi pengepala mempunyai {width} "
                   f"lajur: '{missing}' dan lajur selepasnya tiada (pembatas tertinggal?)",
        expected_ms=f"{width} sel bagi setiap baris")


# ---- what kind of file ------------------------------------------------------------------

def detect_kind(sheet: Sheet, indicator_codes: Iterable[str] = ()) -> str | None:
    """'return', 'register' or 'sector' from the header, or None when it fits none."""
    names = set(sheet.columns)
    if "system_id" in names:
        return "register"
    if "sector_code" in names:
        return "sector"
    if {"agency_code", "period"} <= names:
        if "indicator_code" in names:
            return "return"
        codes = {c.lower() for c in indicator_codes}
        if any(n in codes or (CODE_LIKE.match(n) and n not in _RETURN_META) for n in names
               if n not in {"agency_code", "period"}):
            return "return"
    return None


def locate_columns(sheet: Sheet, required: Iterable[str], optional: Iterable[str],
                   what: str, what_ms: str) -> tuple[dict[str, int] | None, list[Problem]]:
    """Positions of the known columns; missing required columns are errors (and give None),
    unknown columns warnings. ``what`` names the kind of file, ``what_ms`` the same in Malay."""
    required, optional = tuple(required), tuple(optional)
    index = sheet.index()
    columns = ", ".join(required + optional)
    problems = [problem("missing-column", f"the required column '{name}' is missing",
                        file=sheet.file_name, row=sheet.header_row, column=name, value=name,
                        expected=f"the columns of {what}: {columns}",
                        message_ms=f"lajur wajib '{name}' tiada",
                        expected_ms=f"lajur bagi {what_ms}: {columns}")
                for name in required if name not in index]
    known = set(required) | set(optional)
    for name, i in index.items():
        if name not in known:
            header = sheet.raw_columns[i]
            problems.append(problem(
                "unknown-column", f"the column '{header}' is not part of {what} and is ignored",
                file=sheet.file_name, row=sheet.header_row, column=header, value=header,
                level=WARNING, expected=columns,
                message_ms=f"lajur '{header}' bukan sebahagian daripada {what_ms} dan diabaikan",
                expected_ms=columns))
    if any(p.level != WARNING for p in problems):
        return None, problems
    return {name: i for name, i in index.items() if name in known}, problems


def as_sheet(data: bytes | Sheet, file_name: str, *,
             max_expanded_bytes: int = MAX_EXPANDED_BYTES) -> tuple[Sheet | None, list[Problem]]:
    """A ``Sheet`` as is, or the bytes of a file read with ``read_sheet``."""
    if isinstance(data, Sheet):
        return data, []
    return read_sheet(data, file_name, max_expanded_bytes=max_expanded_bytes)
