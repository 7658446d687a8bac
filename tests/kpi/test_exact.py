"""Sums and means in the generated SQL are exact: the order of the rows does not matter."""

from __future__ import annotations

from itertools import permutations

import duckdb
import pytest

from etl.kpi.exact import exact_mean, exact_sum

TERMS = [0.1, 0.2, 0.3, 1e8 + 0.7, 8.7e6 / 3, -2.5e-7]


def _over_rows_in_order(expr: str, terms: list[float]) -> float:
    con = duckdb.connect()
    con.execute("SET threads = 1")  # one thread adds the rows in the order given
    con.execute("CREATE TABLE t (i INTEGER, x DOUBLE)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(terms)))
    return con.execute(f"SELECT {expr} FROM (SELECT x FROM t ORDER BY i)").fetchone()[0]


def test_a_double_sum_depends_on_the_order_of_the_rows():
    found = {_over_rows_in_order("sum(x)", list(p)) for p in permutations(TERMS)}
    assert len(found) > 1  # what exact_sum is for


@pytest.mark.parametrize("expr", [exact_sum("x"), exact_mean("x")])
def test_exact_sum_and_mean_do_not(expr):
    found = {_over_rows_in_order(expr, list(p)) for p in permutations(TERMS)}
    assert len(found) == 1


def test_exact_values_match_the_double_ones():
    assert _over_rows_in_order(exact_sum("x"), TERMS) == pytest.approx(sum(TERMS), rel=1e-12)
    assert _over_rows_in_order(exact_mean("x"), TERMS) == pytest.approx(sum(TERMS) / len(TERMS), rel=1e-12)
    assert _over_rows_in_order(exact_mean("x"), [None, 2.0, 4.0]) == 3.0
    assert _over_rows_in_order(exact_mean("x"), [None]) is None


def test_a_clause_follows_the_aggregate():
    assert exact_sum("x", "FILTER (WHERE y)") == "CAST(sum(CAST(x AS DECIMAL(38, 12))) FILTER (WHERE y) AS DOUBLE)"
