"""Quarters: parsing the spellings agencies use, and the arithmetic the KPI layer needs."""

from __future__ import annotations

import re
from datetime import date, timedelta

CANONICAL = re.compile(r"^(\d{4})Q([1-4])$")
_SPELLINGS = (
    re.compile(r"^(?P<y>\d{4})\s*[-/ ]?\s*Q(?P<q>[1-4])$", re.I),  # 2025Q3, 2025-Q3, 2025 Q3
    re.compile(r"^Q(?P<q>[1-4])\s*[-/ ]?\s*(?P<y>\d{4})$", re.I),  # Q3 2025, Q3-2025
)
ACCEPTED_SPELLINGS = "YYYYQn such as 2025Q3 (also 2025-Q3, 2025 Q3, Q3 2025, Q3-2025)"
ACCEPTED_SPELLINGS_MS = "YYYYQn seperti 2025Q3 (juga 2025-Q3, 2025 Q3, Q3 2025, Q3-2025)"

# Returns are due this many days after the quarter ends.
DEADLINE_DAYS = 30


def normalise_period(text: str) -> str:
    """Return the canonical ``YYYYQn`` for an accepted spelling, or raise ``ValueError``."""
    cleaned = " ".join(str(text).split())
    for pattern in _SPELLINGS:
        m = pattern.match(cleaned)
        if m:
            year = int(m.group("y"))
            if 1990 <= year <= 2100:
                return f"{year}Q{m.group('q')}"
    raise ValueError(f"not a quarter: {text!r}; accepted: {ACCEPTED_SPELLINGS}")


def split(period: str) -> tuple[int, int]:
    m = CANONICAL.match(period)
    if not m:
        raise ValueError(f"not a canonical quarter: {period!r}")
    return int(m.group(1)), int(m.group(2))


def index(period: str) -> int:
    """Quarters since year 0, so that differences count quarters."""
    y, q = split(period)
    return y * 4 + (q - 1)


def from_index(i: int) -> str:
    return f"{i // 4}Q{i % 4 + 1}"


def shift(period: str, quarters: int) -> str:
    return from_index(index(period) + quarters)


def previous(period: str) -> str:
    return shift(period, -1)


def quarter_start(period: str) -> date:
    y, q = split(period)
    return date(y, 3 * (q - 1) + 1, 1)


def quarter_end(period: str) -> date:
    return quarter_start(shift(period, 1)) - timedelta(days=1)


def deadline(period: str) -> date:
    return quarter_end(period) + timedelta(days=DEADLINE_DAYS)


def of_date(d: date) -> str:
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"


def last_complete(today: date) -> str:
    """The latest quarter that has ended on ``today``."""
    return previous(of_date(today))


def span(first: str, last: str) -> list[str]:
    return [from_index(i) for i in range(index(first), index(last) + 1)]


def year_start(period: str) -> str:
    y, _ = split(period)
    return f"{y}Q1"
