"""Errors are data: one shape for the upload page, the CLI and the pipeline page.

A ``Problem`` names the file, the row as the analyst sees it in a spreadsheet (header =
row 1), the column, the value and what would be accepted. ``level`` is ``error`` (blocks
the file) or ``warning`` (reported, does not block).
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
            value: object = "", expected: str = "", level: str = ERROR) -> Problem:
    """Build a problem; ``value`` is shown verbatim, cut to 80 characters."""
    shown = "" if value is None else str(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return Problem(code=code, message=message, file=file, row=row, column=column,
                   value=shown, expected=expected, level=level)


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.level == ERROR]


def warnings(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.level == WARNING]
