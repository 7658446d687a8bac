"""Errors are data: one shape for the upload page, the CLI and the pipeline page.

A ``Problem`` names the file, the row as the analyst sees it in a spreadsheet (header =
row 1), the column, the value and what would be accepted. ``level`` is ``error`` (blocks
the file) or ``warning`` (reported, does not block). The sentence and what would be accepted
are given in English (``message``, ``expected``) and in Malay (``message_ms``,
``expected_ms``), each built from the same facts; a problem stored before the Malay fields
existed has them blank.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

ERROR = "error"
WARNING = "warning"

# How many problems a report keeps; the count of all of them is always kept.
MAX_PROBLEMS_KEPT = 500


@dataclass(frozen=True)
class Problem:
    code: str  # machine-readable type, e.g. "unknown-agency"
    message: str  # human sentence naming file, row, column and value
    file: str = ""
    row: int | None = None  # spreadsheet row number, header = 1; None for file-level problems
    column: str = ""
    value: str = ""
    expected: str = ""  # what would be accepted
    level: str = ERROR
    message_ms: str = ""  # the same sentence in Malay (same row, column, value and codes)
    expected_ms: str = ""  # what would be accepted, in Malay

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        text = f"{self.level.upper()} {where}: {self.message}"
        if self.expected:
            text += f" (accepted: {self.expected})"
        return text


def problem(code: str, message: str, *, file: str = "", row: int | None = None, column: str = "",
            value: object = "", expected: str = "", level: str = ERROR, message_ms: str = "",
            expected_ms: str = "") -> Problem:
    """Build a problem; ``value`` is shown verbatim, cut to 80 characters. ``message_ms`` and
    ``expected_ms`` are the Malay twins of ``message`` and ``expected``."""
    shown = "" if value is None else str(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return Problem(code=code, message=message, file=file, row=row, column=column,
                   value=shown, expected=expected, level=level, message_ms=message_ms,
                   expected_ms=expected_ms)


def rows_note(n: int) -> str:
    """' (3 rows)' after a code reported once for the several rows that carry it."""
    return f" ({n} rows)" if n > 1 else ""


def rows_note_ms(n: int) -> str:
    """The Malay twin of ``rows_note``: ' (3 baris)'."""
    return f" ({n} baris)" if n > 1 else ""


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.level == ERROR]


def warnings(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.level == WARNING]


# What kind of problem a check found (``Problem.code``), in Malay: on Malay pages before the
# check's own sentence in Malay (which names the row, column and value), and in the error sheet.
KINDS_MS = {
    "after-period": "Tarikh selepas tempoh daftar",
    "agency-not-submitting": "Agensi ini tidak menghantar penyata",
    "agency-out-of-scope": "Baris bagi agensi lain",
    "archive-too-large": "Fail termampat terlalu besar",
    "bad-breakdown": "Pecahan tidak sah",
    "bad-encoding": "Pengekodan fail tidak sah",
    "bad-flag": "Bukan nilai ya/tidak (0 atau 1)",
    "bad-period": "Suku tahun tidak sah",
    "bad-sector": "Kod sektor tidak sah",
    "bad-state": "Kod negeri tidak sah",
    "bad-value-status": "Status nilai tidak sah",
    "blank-agency": "Kod agensi kosong",
    "blank-column-name": "Nama lajur kosong",
    "blank-indicator": "Kod penunjuk kosong",
    "blank-rows-above-header": "Baris kosong di atas nama lajur",
    "broken-quoting": "Tanda petikan tidak lengkap",
    "cumulative-falls": "Kiraan terkumpul menurun",
    "duplicate-column": "Nama lajur berulang",
    "duplicate-key": "Nilai diberi dua kali",
    "duplicate-system": "Sistem disenaraikan dua kali",
    "empty-file": "Fail kosong",
    "far-from-previous": "Jauh berbeza daripada suku tahun sebelumnya",
    "file-too-large": "Fail terlalu besar",
    "future-period": "Suku tahun belum berakhir",
    "missing-column": "Lajur wajib tiada",
    "negative-value": "Nilai negatif",
    "no-data-rows": "Tiada baris data",
    "no-rows": "Tiada baris data",
    "none-beside-systems": "Baris tanpa sistem di samping sistem",
    "not-a-number": "Bukan nombor",
    "not-whole": "Bukan nombor bulat",
    "out-of-range": "Di luar julat yang dibenarkan",
    "production-before-pilot": "Pengeluaran sebelum rintis",
    "ragged-row": "Bilangan sel baris tidak sepadan",
    "relation-broken": "Penunjuk tidak konsisten antara satu sama lain",
    "required-missing": "Penunjuk wajib tiada",
    "several-sheets": "Buku kerja mempunyai beberapa helaian",
    "title-row": "Baris tajuk di atas nama lajur",
    "too-large": "Buku kerja terlalu besar",
    "unit-mismatch": "Unit tidak sepadan",
    "unknown-agency": "Kod agensi tidak dikenali",
    "unknown-column": "Lajur tidak dikenali (diabaikan)",
    "unknown-indicator": "Kod penunjuk tidak dikenali",
    "unknown-indicator-column": "Lajur penunjuk tidak dikenali",
    "unsupported-format": "Format fail tidak disokong",
    "value-required": "Nilai diperlukan",
    "wrong-kind": "Jenis fail tidak diterima di sini",
}
