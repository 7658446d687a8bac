"""Measures and their statistics: median of several runs, spread, baseline, ratio, goal."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    """Seconds taken by ``fn()`` (wall clock, perf_counter) and its result."""
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


@dataclass
class Measure:
    """One line of the report: runs of the product, runs of the baseline, and the goal.

    ``max_ratio`` bounds median / baseline median; ``max_value`` bounds the median itself.
    A measure is met when every bound given holds. ``available`` is False when the part
    measured is not in the product (yet); it is then neither met nor missed.
    """

    name: str
    unit: str
    goal: str
    runs: list[float] = field(default_factory=list)
    baseline_runs: list[float] = field(default_factory=list)
    baseline: str = ""
    max_ratio: float | None = None
    max_value: float | None = None
    available: bool = True
    note: str = ""
    error: str = ""  # the measure could not be taken: counts as missed
    extra: dict[str, Any] = field(default_factory=dict)

    def add_note(self, text: str) -> None:
        """Add ``text`` to the measure's note, after what it already says."""
        self.note = "; ".join(filter(None, [self.note, text]))

    @property
    def median(self) -> float | None:
        return _median(self.runs)

    @property
    def spread(self) -> float | None:
        return (max(self.runs) - min(self.runs)) if self.runs else None

    @property
    def baseline_median(self) -> float | None:
        return _median(self.baseline_runs)

    @property
    def ratio(self) -> float | None:
        base = self.baseline_median
        if self.median is None or not base:
            return None
        return self.median / base

    @property
    def met(self) -> bool | None:
        if self.error:
            return False
        if not self.available or self.median is None or (self.max_ratio is None and self.max_value is None):
            return None
        ok = True
        if self.max_ratio is not None:
            ok = ok and self.ratio is not None and self.ratio <= self.max_ratio
        if self.max_value is not None:
            ok = ok and self.median <= self.max_value
        return ok

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "unit": self.unit, "available": self.available,
            "median": _round(self.median), "spread": _round(self.spread),
            "min": _round(min(self.runs)) if self.runs else None,
            "max": _round(max(self.runs)) if self.runs else None, "runs": [_round(r) for r in self.runs],
            "baseline": self.baseline, "baseline_median": _round(self.baseline_median),
            "baseline_runs": [_round(r) for r in self.baseline_runs], "ratio": _round(self.ratio),
            "goal": self.goal, "max_ratio": self.max_ratio, "max_value": self.max_value,
            "met": self.met, "note": self.note, "error": self.error or None, **({"extra": self.extra} if self.extra else {}),
        }


def _round(value: float | None, digits: int = 4) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(value, digits)


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    text = f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return f"{text} {unit}".strip()


def verdict(m: Measure) -> str:
    if m.available and not m.error and m.max_ratio is None and m.max_value is None:
        return "info"
    return {None: "n/a", True: "met", False: "MISSED"}[m.met]


def table(measures: list[Measure]) -> str:
    """The results as a plain-text table (also valid Markdown)."""
    head = ["measure", "median", "spread", "baseline", "ratio", "goal", "result"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for m in measures:
        if m.error:
            cells = [m.name, "failed", "", "", "", m.goal, "MISSED"]
        elif not m.available:
            cells = [m.name, "not available", "", "", "", m.goal, "n/a"]
        else:
            cells = [m.name, _fmt(m.median, m.unit), _fmt(m.spread, m.unit), _fmt(m.baseline_median, m.unit),
                     "-" if m.ratio is None else f"{m.ratio:.2f}x", m.goal, verdict(m)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
