"""Exact, order-independent sums and means of numbers in the generated SQL.

DuckDB adds up a DOUBLE column in the order its threads happen to finish, so the last bits
of a sum or a mean of doubles can change between two builds of the same data, and with them
a status, a projection or a rank that sits on a boundary. Added up as ``DECIMAL(38, 12)``,
each term is rounded once to 12 decimals and the additions are exact, so the order of the
terms no longer matters; the total is cast back to DOUBLE. ``DECIMAL(38, 12)`` holds
magnitudes below 1e26 (a return value is at most 1e15); a larger term or total fails the
query rather than being summed wrongly.
"""

from __future__ import annotations

EXACT = "DECIMAL(38, 12)"


def exact_sum(expr: str, clause: str = "") -> str:
    """SQL of the exact sum of ``expr``; ``clause`` follows the aggregate (``FILTER (...)``, ``OVER (...)``)."""
    return f"CAST(sum(CAST({expr} AS {EXACT})){' ' + clause if clause else ''} AS DOUBLE)"


def exact_mean(expr: str) -> str:
    """SQL of the exact mean of the non-NULL values of ``expr`` (NULL when there are none)."""
    return f"({exact_sum(expr)} / count({expr}))"
