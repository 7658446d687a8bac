"""Loading KPI definitions: the project's files load clean; broken ones report every problem."""

from __future__ import annotations

from pathlib import Path

from etl.kpi.definitions import load_definitions
from tests.kpi.conftest import KPI_DIR

GOOD = """\
id: K01
name_en: "AI literacy coverage"
name_ms: "Liputan literasi AI"
description_en: Staff trained.
description_ms: Kakitangan terlatih.
pillar: TAL
deliverables: [D1]
unit: percent
display_format: ".1f"
direction: up
formula:
  numerator: HC_AI_LIT
  denominator: HC_TOTAL
  scale: 100
rollup: ratio_of_sums
targets:
  - period: 2026Q4
    value: 60
    source: proposal
thresholds:
  on_track_within: 5
  at_risk_within: 15
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def codes(problems) -> list[str]:
    return [p.code for p in problems]


def test_every_project_definition_loads_clean():
    definitions, problems = load_definitions(KPI_DIR)
    assert problems == []
    assert [d.id for d in definitions] == [f"K{i:02d}" for i in range(1, 28)]


def test_catalogue_rollups_are_as_designed(definitions):
    assert {k for k, d in definitions.items() if d.rollup == "share_of_agencies"} == {"K09", "K15", "K16"}
    assert {k for k, d in definitions.items() if d.rollup == "sum"} == {"K08", "K14", "K21", "K22", "K24", "K26"}
    assert definitions["K23"].rollup == "weighted_mean"
    assert definitions["K04"].show_count_beside.reference_value == 445000


def test_a_good_file_loads(tmp_path):
    definitions, problems = load_definitions(write(tmp_path, "K01.yaml", GOOD))
    assert problems == []
    d = definitions[0]
    assert d.formula.numerator == "HC_AI_LIT" and d.formula.scale == 100
    assert d.targets[0].period == "2026Q4" and d.targets[0].is_proposal


def test_unknown_key_is_an_error_with_its_line(tmp_path):
    _, problems = load_definitions(write(tmp_path, "K01.yaml", GOOD + "colour: blue\n"))
    assert codes(problems) == ["unknown-key"]
    assert problems[0].row == GOOD.count("\n") + 1
    assert problems[0].file.endswith("K01.yaml")


def test_unknown_nested_key_and_year_target(tmp_path):
    text = GOOD.replace("    value: 60\n", "    value: 60\n    confidence: high\n").replace("2026Q4", "2026")
    definitions, problems = load_definitions(write(tmp_path, "K01.yaml", text))
    assert codes(problems) == ["unknown-key"]
    assert problems[0].column == "targets[1].confidence"
    assert problems[0].row == text.splitlines().index("    confidence: high") + 1


def test_bad_formula_points_at_its_line_and_character(tmp_path):
    text = GOOD.replace("numerator: HC_AI_LIT", "numerator: HC_AI_LIT +* 2")
    _, problems = load_definitions(write(tmp_path, "K01.yaml", text))
    assert codes(problems) == ["bad-formula"]
    assert problems[0].row == 12
    assert "character" in problems[0].message


def test_several_problems_in_several_files_are_reported_together(tmp_path):
    write(tmp_path, "K01.yaml", GOOD.replace("pillar: TAL", "pillar: XYZ").replace("direction: up", "direction: sideways")
          + "extra: 1\n")
    write(tmp_path, "K02.yaml", GOOD.replace("id: K01", "id: K02").replace("HC_TOTAL", "HC_NOPE"))
    write(tmp_path, "K03.yaml", "id: [unclosed\n")
    definitions, problems = load_definitions(tmp_path)
    found = {(Path(p.file).name, p.code, p.row) for p in problems}
    assert ("K01.yaml", "bad-value", 6) in found  # pillar
    assert ("K01.yaml", "bad-value", 10) in found  # direction
    assert ("K01.yaml", "unknown-key", 23) in found
    assert ("K02.yaml", "unknown-indicator", 11) in found
    assert any(name == "K03.yaml" and code == "yaml-syntax" and row for name, code, row in found)
    assert [d.id for d in definitions] == ["K02"]  # K02 builds; its meaning problem is still listed


def test_missing_keys_wrong_types_and_duplicate_keys(tmp_path):
    text = GOOD.replace('name_ms: "Liputan literasi AI"\n', "").replace("deliverables: [D1]", "deliverables: D1")
    text += "pillar: GOV\n"
    _, problems = load_definitions(write(tmp_path, "K01.yaml", text))
    assert {"missing-key", "bad-value", "duplicate-key"} <= set(codes(problems))


def test_meaning_rules(tmp_path):
    text = GOOD.replace("id: K01", "id: K07").replace("rollup: ratio_of_sums", "rollup: sum")
    text = text.replace("  - period: 2026Q4", "  - period: 2027Q4\n    value: 70\n    source: later\n  - period: 2026Q4")
    text = text.replace("on_track_within: 5", "on_track_within: 50")
    _, problems = load_definitions(write(tmp_path, "K01.yaml", text))
    assert {"id-file-mismatch", "formula-shape", "targets-order", "thresholds-order"} <= set(codes(problems))


def test_duplicate_ids_across_files(tmp_path):
    write(tmp_path, "K01.yaml", GOOD)
    write(tmp_path, "K01b.yaml", GOOD)
    _, problems = load_definitions(tmp_path)
    assert "duplicate-id" in codes(problems)


def test_register_values_are_checked(tmp_path):
    text = GOOD.replace("numerator: HC_AI_LIT", "numerator: count(register, stage = 'prodution')")
    _, problems = load_definitions(write(tmp_path, "K01.yaml", text))
    assert codes(problems) == ["bad-formula"]
    assert "prodution" in problems[0].message and "production" in problems[0].message


def test_relative_thresholds_refuse_a_zero_target(tmp_path):
    text = GOOD.replace("    value: 60", "    value: 0").replace("direction: up", "direction: down")
    _, problems = load_definitions(write(tmp_path, "K01.yaml", text))
    assert "relative-zero-target" in codes(problems)


def test_empty_or_missing_folder(tmp_path):
    assert codes(load_definitions(tmp_path)[1]) == ["no-definitions"]
    assert codes(load_definitions(tmp_path / "nowhere")[1]) == ["no-definitions"]
