"""docs/kpis.md documents every definition key, every status word and every output table."""

from __future__ import annotations

from pathlib import Path

import pytest

from etl.kpi import fields
from etl.kpi.definitions import LEVELS, PILLARS, ROLLUPS, UNITS
from etl.kpi.engine import OUTPUT_TABLES

DOC = (Path(__file__).resolve().parents[2] / "docs" / "kpis.md").read_text(encoding="utf-8")
KEYS = sorted({*fields.TOP_KEYS, *fields.FORMULA_KEYS, *fields.TARGET_KEYS, *fields.BASELINE_KEYS,
               *fields.THRESHOLD_KEYS, *fields.COUNT_KEYS})


@pytest.mark.parametrize("key", KEYS)
def test_every_definition_key_is_documented(key):
    assert f"`{key}`" in DOC


@pytest.mark.parametrize("word", [*ROLLUPS, *UNITS, *LEVELS, *PILLARS, "no_target", "awaiting_data", "on_track",
                                  "at_risk", "off_track", "not_at_this_pace", "NAIO_UPDATE_SNAPSHOTS"])
def test_every_vocabulary_word_is_documented(word):
    assert word in DOC


@pytest.mark.parametrize("table", sorted(OUTPUT_TABLES))
def test_every_output_column_is_documented(table):
    columns = [c.strip().split()[0] for c in OUTPUT_TABLES[table].split(",") if c.strip()[0].isalpha()]
    line = next(row for row in DOC.splitlines() if row.startswith(f"| `{table}` |"))
    for column in columns:
        assert column in line, (table, column)
