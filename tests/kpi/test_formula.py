"""The formula language: parsing, type checks, and SQL with bound values only."""

from __future__ import annotations

import pytest

from etl.kpi.formula import Binary, FormulaError, Name, Num, parse, tokenize
from etl.kpi.render import Atoms, Params, Renderer


def render(text: str, scope: str = "unit") -> tuple[str, str, Params, Atoms]:
    params, atoms = Params(), Atoms()
    sql, kind = Renderer(params, atoms).render(parse(text), scope)
    return sql, kind, params, atoms


def test_precedence_and_parentheses():
    node = parse("1 - A_B / C_D * 2")
    assert isinstance(node, Binary) and node.op == "-"
    assert isinstance(parse("(HC_A)"), Name)
    assert isinstance(parse("2.5e1"), Num) and parse("2.5e1").value == 25


def test_indicators_become_columns_and_constants_parameters():
    sql, kind, params, atoms = render("1 - TXN_AI_CUR_DAYS / TXN_AI_BASE_DAYS")
    assert kind == "number"
    assert sql == "($p1 - (txn_ai_cur_days / nullif(txn_ai_base_days, 0)))"
    assert params.values == {"p1": 1.0}
    assert list(atoms.indicators) == ["TXN_AI_CUR_DAYS", "TXN_AI_BASE_DAYS"]


def test_register_counts_bind_every_literal():
    sql, kind, params, atoms = render("count(register, risk_tier = 'high' and impact_assessment)")
    assert sql == "register_1" and kind == "number"
    alias, aggregate = next(iter(atoms.register.values()))
    assert aggregate == "count(u.system_id) FILTER (WHERE (u.risk_tier = $p1 AND u.impact_assessment))"
    assert params.values == {"p1": "high"}
    assert "high" not in aggregate


def test_same_aggregate_is_computed_once():
    _, _, _, atoms = render("count(register, stage = 'production') + count(register, stage='production')")
    assert len(atoms.register) == 1


def test_period_arithmetic_and_period_literals():
    _, _, params, atoms = render("count(register, pilot_start_period = period - 4 and production_period <= '2025Q3')")
    aggregate = next(iter(atoms.register.values()))[1]
    assert "u.pilot_start_qidx = (u.qidx - $p1)" in aggregate
    assert params.values["p2"] == 2025 * 4 + 2


def test_milestone_dates_and_sums():
    _, _, params, atoms = render("count(milestones, planned_date <= '2025-06-30')")
    assert str(params.values["p1"]) == "2025-06-30"
    _, _, _, atoms = render("sum(register.est_hours_saved, stage = 'production')")
    assert next(iter(atoms.register.values()))[1].startswith(
        "coalesce(CAST(sum(CAST(u.est_hours_saved AS DECIMAL(38, 12))) FILTER (WHERE")


@pytest.mark.parametrize("text, fragment", [
    ("", "empty"),
    ("HC_TOTAL +", "expected a value"),
    ("HC_TOTAL HC_AI_LIT", "unexpected"),
    ("hc_total", "unknown name"),
    ("count(register, colour = 'red')", "unknown register column"),
    ("count(register, stage = 'shipped')", "unknown value"),
    ("count(register, stage = 1)", "quoted value"),
    ("sum(register.stage)", "with a number"),
    ("count(things)", "reads 'register' or 'milestones'"),
    ("__import__('os')", "functions are count"),
    ("HC_TOTAL; DROP TABLE x", "unexpected character"),
    ("GOV_AI_POLICY = 1 + (HC_TOTAL > 2)", "cannot apply"),
    ("count(register, production_period <= 'soon')", "not a quarter"),
    ("count(register, count(register) > 1)", "cannot be used inside a filter"),
])
def test_errors_name_the_problem(text, fragment):
    with pytest.raises(FormulaError) as info:
        render(text)
    assert fragment in str(info.value)


def test_errors_carry_the_position():
    with pytest.raises(FormulaError) as info:
        parse("HC_TOTAL + + ")
    assert info.value.pos == 11
    assert "character 12" in info.value.describe("HC_TOTAL + + ")


def test_strings_escape_quotes_and_never_reach_sql():
    sql, _, params, atoms = render("count(register, title = 'O''Brien''s; DROP')")
    aggregate = next(iter(atoms.register.values()))[1]
    assert "DROP" not in aggregate and params.values == {"p1": "O'Brien's; DROP"}
    assert [t.kind for t in tokenize("a = 'x'")] == ["name", "op", "string", "end"]


def test_conditions_are_booleans():
    sql, kind, _, _ = render("GOV_AI_POLICY = 1")
    assert kind == "boolean" and sql == "gov_ai_policy = $p1"
    assert render("not (GOV_AI_LEAD = 1) or GOV_AI_POLICY != 0")[1] == "boolean"
    assert render("count(register, stage in ('pilot', 'production') and build_mode is not null)")[1] == "number"
