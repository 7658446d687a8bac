"""The `kpis` command: list, check, explain and export from a published warehouse file."""

from __future__ import annotations

import argparse
import csv
import io
import json
from types import SimpleNamespace

import duckdb
import pytest

from etl.kpi.cli import add_parser, run
from etl.kpi.engine import materialise
from etl.kpi.export import neutralise
from etl.warehouse_ddl import create_input_tables
from tests.kpi import scenario
from tests.kpi.builders import add_periods
from tests.kpi.conftest import KPI_DIR, TODAY


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="app.py")
    add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["kpis", *argv])


@pytest.fixture(scope="module")
def published(tmp_path_factory, definitions) -> SimpleNamespace:
    """A warehouse file built as publish builds one, then closed, as readers find it."""
    path = tmp_path_factory.mktemp("data") / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    create_input_tables(con)
    con.execute("INSERT INTO dim_indicator SELECT * FROM read_csv(?, header = true, nullstr = '',"
                " columns = {'indicator_code': 'VARCHAR', 'name_en': 'VARCHAR', 'name_ms': 'VARCHAR',"
                " 'unit': 'VARCHAR', 'kind': 'VARCHAR', 'temporal': 'VARCHAR', 'min_value': 'DOUBLE',"
                " 'max_value': 'DOUBLE', 'allow_blank': 'BOOLEAN', 'required': 'BOOLEAN'})",
                [str(KPI_DIR.parent / "data" / "reference" / "indicators.csv")])
    add_periods(con, "2025Q1", "2025Q4")
    scenario.build(con)
    materialise(con, list(definitions.values()), TODAY)
    con.execute("UPDATE kpi_definition SET name_en = '=HYPERLINK(\"x\")' WHERE kpi_id = 'K01'")
    con.close()
    return SimpleNamespace(kpi_dir=KPI_DIR, warehouse_path=path)


def test_list(published, capsys):
    assert run(published, parse("list")) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 27 and "K04  ADO" in out and "60 by 2026Q4" in out


def test_check_passes_on_the_project_definitions(published, capsys):
    assert run(published, parse("check")) == 0
    assert "27 KPI definitions" in capsys.readouterr().out


def test_check_prints_every_problem_with_file_and_line(published, tmp_path, capsys):
    text = (KPI_DIR / "K01.yaml").read_text(encoding="utf-8")
    (tmp_path / "K01.yaml").write_text(text.replace("pillar: TAL", "pillar: NOPE") + "colour: red\n", encoding="utf-8")
    (tmp_path / "K02.yaml").write_text("id: K02\nname_en: [\n", encoding="utf-8")
    assert run(published, parse("check", str(tmp_path))) == 1
    out = capsys.readouterr().out
    lines = text.count("\n")
    assert f"K01.yaml:{text.splitlines().index('pillar: TAL') + 1}: error:" in out
    assert f"K01.yaml:{lines + 1}: error: unknown key 'colour'" in out
    assert "K02.yaml:" in out and "not valid YAML" in out


def test_explain_prints_the_sql(published, capsys):
    assert run(published, parse("explain", "k18")) == 0
    out = capsys.readouterr().out
    assert out.startswith("-- K18 AI incident rate")
    assert "FROM fact_return AS f" in out and "FROM fact_register" in out and "$p1" in out


def test_explain_an_unknown_kpi(published, capsys):
    assert run(published, parse("explain", "K99")) == 1
    assert "K99" in capsys.readouterr().err


def test_export_csv_neutralises_text_not_numbers(published, tmp_path):
    target = tmp_path / "out.csv"
    assert run(published, parse("export", "--period", "2025Q2", "--level", "national", "-o", str(target))) == 0
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert {"kpi_id", "period", "level", "entity_code", "value", "numerator", "denominator", "target", "status",
            "reported", "expected"} <= set(rows[0])
    k01 = next(r for r in rows if r["kpi_id"] == "K01")
    assert k01["name_en"] == "'=HYPERLINK(\"x\")"
    assert (float(k01["value"]), k01["reported"], k01["expected"]) == (20.0, "2", "3")
    assert len(rows) == 27


def test_export_json_for_one_entity_year_to_date(published, capsys):
    args = parse("export", "--period", "2025-Q2", "--level", "agency", "--entity", "A1", "--format", "json",
                 "--period-type", "ytd")
    assert run(published, args) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["entity_code"] for r in rows} == {"A1"} and {r["period_type"] for r in rows} == {"ytd"}
    k06 = next(r for r in rows if r["kpi_id"] == "K06")
    assert k06["value"] == pytest.approx(2.5) and k06["submission_ids"] == "11,12"


def test_export_without_a_warehouse(tmp_path, capsys):
    settings = SimpleNamespace(kpi_dir=KPI_DIR, warehouse_path=tmp_path / "none.duckdb")
    assert run(settings, parse("export", "--period", "2025Q2", "--level", "national")) == 1
    assert "publish" in capsys.readouterr().err


def test_export_refuses_a_bad_period(published, capsys):
    assert run(published, parse("export", "--period", "2025-13", "--level", "national")) == 2


@pytest.mark.parametrize("cell, shown", [("=1+1", "'=1+1"), ("+A1", "'+A1"), ("-2", "'-2"), ("@x", "'@x"),
                                         ("\tx", "'\tx"), ("\rx", "'\rx"), ("ok", "ok"), (-5.0, -5.0), (None, None)])
def test_neutralise(cell, shown):
    assert neutralise(cell) == shown


def test_every_subcommand_has_help():
    parser = argparse.ArgumentParser()
    kpis = add_parser(parser.add_subparsers())
    choices = kpis._subparsers._group_actions[0].choices  # noqa: SLF001 - argparse keeps them here
    assert set(choices) == {"list", "check", "explain", "export"}
    assert all(p.format_help() for p in choices.values())
