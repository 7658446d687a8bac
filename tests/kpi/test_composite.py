"""The composite index: component scores, pillars, geometric mean, peer groups, sensitivity."""

from __future__ import annotations

import json

import pytest

from tests.kpi.builders import add_agency, add_return, add_system


def composite(con, entity: str, period: str = "2025Q1") -> dict:
    cur = con.execute("SELECT * FROM composite_index WHERE entity_code = ? AND period = ?", [entity, period])
    names = [c[0] for c in cur.description]
    found = cur.fetchall()
    assert len(found) == 1
    row = dict(zip(names, found[0], strict=True))
    row["components"] = json.loads(row.pop("components_json"))
    return row


@pytest.fixture
def scored(two_agencies, run):
    # K01 (TAL, fixed target 90) and K19 (ECO, fixed target 10)
    add_return(two_agencies, "A1", "2025Q1", {"HC_TOTAL": 100, "HC_AI_LIT": 45, "BUD_DIGITAL_RM": 100, "BUD_AI_RM": 5})
    add_return(two_agencies, "A2", "2025Q1", {"HC_TOTAL": 100, "HC_AI_LIT": 95, "BUD_DIGITAL_RM": 100, "BUD_AI_RM": 1})
    add_agency(two_agencies, "B1", "MOF", "statutory_body")
    add_return(two_agencies, "B1", "2025Q1", {"HC_TOTAL": 10, "HC_AI_LIT": 9})
    run(two_agencies)
    return two_agencies


def test_component_scores_pillars_and_geometric_index(scored):
    a1 = composite(scored, "A1")
    assert a1["components"]["components"]["K01"] == {"pillar": "TAL", "value": 45.0, "target": 90.0, "score": 50.0}
    assert a1["components"]["pillars"] == {"TAL": 50.0, "ECO": 50.0}
    assert a1["index_value"] == 50.0
    a2 = composite(scored, "A2")
    assert a2["components"]["components"]["K01"]["score"] == 100.0  # capped at the target
    assert a2["index_value"] == pytest.approx((100 * 10) ** 0.5, abs=0.01)


def test_ranks_only_within_peer_groups_with_sensitivity(scored):
    a1, a2, b1 = composite(scored, "A1"), composite(scored, "A2"), composite(scored, "B1")
    assert (a1["peer_group"], a1["rank"], a1["n_peers"]) == ("department", 1, 2)
    assert a2["rank"] == 2
    # the arithmetic mean of pillars puts A2 (55) before A1 (50): both ranks range over 1-2
    assert (a1["rank_min"], a1["rank_max"]) == (1, 2)
    assert (a2["rank_min"], a2["rank_max"]) == (1, 2)
    assert a2["components"]["alternatives"] == {"arithmetic_mean_of_pillars": 55.0, "equal_weights_of_components": 55.0}
    # B1 has one pillar only: components kept, no index and no rank
    assert (b1["index_value"], b1["rank"], b1["peer_group"]) == (None, None, "statutory_body")


def test_down_is_good_scores(two_agencies, run):
    add_return(two_agencies, "A1", "2025Q1", {"HC_TOTAL": 100, "HC_AI_LIT": 90, "AI_INCIDENTS": 4})
    for i in range(100):
        add_system(two_agencies, "A1", "2025Q1", f"S{i}", stage="production", risk_tier="minimal")
    add_system(two_agencies, "A1", "2025Q1", "P1", stage="pilot", risk_tier="prohibited")
    run(two_agencies)
    parts = composite(two_agencies, "A1")["components"]["components"]
    assert parts["K18"]["score"] == 50.0  # 4 per 100 systems against under 2
    assert parts["K14"]["score"] == 0.0  # one prohibited system against none allowed
    assert parts["K17"]["score"] == 100.0


def test_sectors_form_their_own_peer_group(two_agencies, run):
    add_return(two_agencies, "A1", "2025Q1", {"HC_TOTAL": 10, "HC_AI_LIT": 9, "BUD_DIGITAL_RM": 10, "BUD_AI_RM": 1},
               breakdown=("MSIC", "C"))
    run(two_agencies)
    sector = composite(two_agencies, "C")
    assert (sector["level"], sector["peer_group"], sector["rank"], sector["n_peers"]) == ("sector", "sector", 1, 1)
