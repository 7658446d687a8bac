from datetime import date

import pytest

from etl import periods


@pytest.mark.parametrize("text", ["2025Q3", "2025-Q3", "2025 Q3", "Q3 2025", "Q3-2025", " q3  2025 ", "2025q3"])
def test_accepted_spellings_normalise(text):
    assert periods.normalise_period(text) == "2025Q3"


@pytest.mark.parametrize("text", ["2025Q5", "2025-3", "Q0 2025", "", "2025", "25Q3", "2025Q3x", "1800Q1"])
def test_other_spellings_are_refused(text):
    with pytest.raises(ValueError):
        periods.normalise_period(text)


def test_arithmetic():
    assert periods.previous("2025Q1") == "2024Q4"
    assert periods.shift("2024Q4", 5) == "2026Q1"
    assert periods.quarter_end("2024Q1") == date(2024, 3, 31)
    assert periods.deadline("2025Q4") == date(2026, 1, 30)
    assert periods.last_complete(date(2026, 11, 26)) == "2026Q3"
    assert periods.last_complete(date(2026, 10, 1)) == "2026Q3"
    assert periods.span("2025Q3", "2026Q1") == ["2025Q3", "2025Q4", "2026Q1"]
