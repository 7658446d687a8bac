"""A warehouse that follows the published contract (docs/architecture.md), built directly.

The dashboard reads only materialised tables, so its speed can be measured at national
scale (1,000 agencies x 40 quarters) without running ingest and the KPI engine for minutes.
Values are deterministic random walks; the shapes, codes and status words are the contract's.
"""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from etl import periods
from etl.kpi import OUTPUT_TABLES
from etl.warehouse_ddl import create_input_tables

ROOT = Path(__file__).resolve().parents[2]
REF = ROOT / "data" / "reference"

# id, name_en, name_ms, pillar, deliverables, unit, direction, target, start value
KPIS = [
    ("K01", "AI literacy coverage", "Liputan literasi AI", "TAL", "D1", "percent", "up", 60, 20),
    ("K02", "Advanced AI skills share", "Peratus kemahiran AI lanjutan", "TAL", "D1", "percent", "up", 5, 1),
    ("K04", "GenAI tool access rate", "Kadar akses alat GenAI", "ADO", "D4", "percent", "up", 100, 30),
    ("K05", "GenAI active-use rate", "Kadar penggunaan aktif GenAI", "ADO", "D4", "percent", "up", 60, 35),
    ("K08", "AI systems in production", "Sistem AI dalam pengeluaran", "ADO", "D7", "count", "up", 300, 20),
    (
        "K14",
        "Prohibited-tier systems in use",
        "Sistem AI tahap dilarang yang digunakan",
        "GOV",
        "D2,D3",
        "count",
        "down",
        0,
        3,
    ),
    (
        "K15",
        "Agencies with adopted AI governance",
        "Agensi dengan tadbir urus AI",
        "GOV",
        "D3",
        "percent",
        "up",
        100,
        30,
    ),
    (
        "K25",
        "Citizen satisfaction with AI services",
        "Kepuasan rakyat terhadap perkhidmatan AI",
        "IMP",
        "",
        "score_1_5",
        "up",
        4.0,
        3.4,
    ),
    (
        "K27",
        "NAIO milestone completion",
        "Kadar siap batu tanda NAIO",
        "DEL",
        "D1,D2,D3,D4,D5,D6,D7",
        "percent",
        "up",
        100,
        40,
    ),
]
LEVELS = ("national", "ministry", "agency", "sector", "state")


def _csv(name: str) -> list[dict]:
    with open(REF / name, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def build(path: Path, *, n_agencies: int = 12, n_quarters: int = 4, last: str = "2026Q3", seed: int = 7) -> Path:
    """Write a contract warehouse at ``path`` and return it."""
    rng = np.random.default_rng(seed)
    quarters = periods.span(periods.shift(last, -(n_quarters - 1)), last)
    con = duckdb.connect(str(path))
    create_input_tables(con)
    for name, cols in OUTPUT_TABLES.items():
        con.execute(f"CREATE TABLE {name} ({cols})")
    dims = _dimensions(n_agencies)
    for name, frame in dims.items():
        _insert(con, name, frame)
    agencies = dims["dim_agency"]
    subs = _submissions(agencies, quarters)
    _insert(con, "submissions", subs)
    _insert(
        con, "submission_pairs", subs[["submission_id", "agency_code", "periods"]].rename(columns={"periods": "period"})
    )
    _insert(con, "dim_period", _periods(quarters))
    _insert(con, "kpi_definition", _definitions())
    _insert(con, "kpi_value", _values(rng, agencies, quarters, subs))
    _insert(con, "kpi_projection", _projections())
    _insert(con, "composite_index", _composite(rng, agencies, quarters))
    _insert(con, "completeness", _completeness(rng, agencies, quarters))
    _insert(con, "fact_register", _register(rng, agencies, last))
    _insert(con, "fact_sector", _sector(rng, quarters))
    _insert(con, "fact_benchmark", _benchmark())
    _insert(con, "etl_runs", _runs())
    meta = {
        "snapshot_id": f"20261126T000000-{seed:06d}",
        "content_hash": "0" * 64,
        "published_at": "2026-11-26T01:00:00+00:00",
        "current_period": last,
        "today": "2026-11-26",
        "run_id": "1",
    }
    con.executemany("INSERT INTO meta VALUES (?, ?)", list(meta.items()))
    con.close()
    return path


def _insert(con, name: str, frame: pd.DataFrame) -> None:
    cols = [r[0] for r in con.execute(f"DESCRIBE {name}").fetchall()]
    con.register("_f", frame.reindex(columns=cols))
    con.execute(f"INSERT INTO {name} SELECT * FROM _f")
    con.unregister("_f")


def _dimensions(n_agencies: int) -> dict[str, pd.DataFrame]:
    ministries = pd.DataFrame(
        [
            {
                "ministry_code": r["org_code"],
                "name_en": r["name_en"].title(),
                "name_ms": r["name_ms"].title(),
                "sort_order": int(r["sort_order"]),
            }
            for r in _csv("ministries.csv")
        ]
    )
    real = [
        {
            "agency_code": r["agency_code"],
            "name_en": r["name_en"],
            "name_ms": r["name_ms"],
            "ministry_code": r["ministry_code"],
            "peer_group": r["peer_group"],
            "org_type": r["org_type"],
            "submits_returns": True,
            "synthetic": False,
        }
        for r in _csv("agencies.csv")
    ]
    codes = list(ministries["ministry_code"])
    extra = [
        {
            "agency_code": f"AG{i:04d}",
            "name_en": f"Agency {i}",
            "name_ms": f"Agensi {i}",
            "ministry_code": codes[i % len(codes)],
            "peer_group": ("department", "statutory_body")[i % 2],
            "org_type": "federal_agency",
            "submits_returns": True,
            "synthetic": True,
        }
        for i in range(max(0, n_agencies - len(real)))
    ]
    agencies = pd.DataFrame((real + extra)[:n_agencies])
    sectors = pd.DataFrame(
        [
            {
                "section": r["section"],
                "name_en": r["name_en"],
                "name_ms": r["name_ms"],
                "in_eurostat_scope": r["in_eurostat_ai_survey_scope"],
            }
            for r in _csv("msic2008_sections.csv")
        ]
    )
    states = pd.DataFrame(
        [
            {
                "state_code": int(r["state_code"]),
                "iso_3166_2": r["iso_3166_2"],
                "geojson_name": r["geojson_name"],
                "name_en": r["name_en"],
                "name_ms": r["name_ms"],
                "region": r["region"],
            }
            for r in _csv("my_states.csv")
        ]
    )
    malay = {r["deliverable_code"]: r for r in _csv("naio_deliverables_ms.csv")}
    deliverables = pd.DataFrame(
        [
            {
                "deliverable_code": r["deliverable_code"],
                "name_en": r["name_en"],
                "name_ms": r["name_ms_draft"],
                "description": r["description"],
                "evidence": r["evidence"],
                "status": r["status_as_found"],
                **{k: v for k, v in malay[r["deliverable_code"]].items() if k != "deliverable_code"},
            }
            for r in _csv("naio_deliverables.csv")
        ]
    )
    milestones = pd.DataFrame(_csv("milestones.csv"))
    for col in ("planned_date", "actual_date"):
        milestones[col] = pd.to_datetime(milestones[col].replace("", None), errors="coerce").dt.date
    return {
        "dim_ministry": ministries,
        "dim_agency": agencies,
        "dim_sector": sectors,
        "dim_state": states,
        "dim_deliverable": deliverables,
        "fact_milestone": milestones,
    }


def _periods(quarters: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "period": p,
                "year": periods.split(p)[0],
                "quarter": periods.split(p)[1],
                "quarter_start": periods.quarter_start(p),
                "quarter_end": periods.quarter_end(p),
                "deadline": periods.deadline(p),
            }
            for p in quarters
        ]
    )


def _submissions(agencies: pd.DataFrame, quarters: list[str]) -> pd.DataFrame:
    codes = list(agencies["agency_code"])
    rows = [
        {
            "agency_code": a,
            "periods": q,
            "kind": "return",
            "file_name": f"{a.lower()}_{q}.csv",
            "sha256": "0" * 64,
            "source": "demo",
            "submitted_by": f"analyst.{a.lower()}",
            "received_at": datetime.combine(periods.quarter_end(q), datetime.min.time()) + timedelta(days=20),
            "status": "accepted",
            "reason": None,
            "n_rows": 29,
            "n_errors": 0,
            "n_warnings": 0,
        }
        for q in quarters
        for a in codes
    ]
    frame = pd.DataFrame(rows)
    frame.insert(0, "submission_id", range(1, len(frame) + 1))
    return frame


def _definitions() -> pd.DataFrame:
    rows = []
    for kid, en, ms, pillar, dels, unit, direction, target, _start in KPIS:
        rows.append(
            {
                "kpi_id": kid,
                "name_en": en,
                "name_ms": ms,
                "description_en": f"{en}, as reported by agencies.",
                "description_ms": f"{ms}, seperti dilaporkan oleh agensi.",
                "pillar": pillar,
                "deliverables": dels,
                "unit": unit,
                "display_format": ",.0f" if unit == "count" else ".1f",
                "direction": direction,
                "formula": "HC_AI_LIT / HC_TOTAL",
                "rollup": "ratio_of_sums",
                "sql": "SELECT sum(hc_ai_lit) / sum(hc_total) FROM unit WHERE period = $period",
                "targets_json": json.dumps([{"period": "2026Q4", "value": target, "source": "proposal"}]),
                "thresholds_json": json.dumps({"on_track_within": 5.0, "at_risk_within": 15.0, "mode": "relative"}),
                "source_file": f"kpi_definitions/{kid}.yaml",
            }
        )
    return pd.DataFrame(rows)


def _entities(agencies: pd.DataFrame) -> list[tuple[str, str]]:
    out = [("national", "MY")]
    out += [("ministry", m) for m in sorted(set(agencies["ministry_code"]))]
    out += [("agency", a) for a in agencies["agency_code"]]
    out += [("sector", s) for s in "ABCDEFGHIJKLMNOPQRSTU"]
    out += [("state", str(s)) for s in range(1, 17)]
    return out


def _values(rng, agencies: pd.DataFrame, quarters: list[str], subs: pd.DataFrame) -> pd.DataFrame:
    ents = _entities(agencies)
    n_e, n_q = len(ents), len(quarters)
    frames = []
    sub_ids = subs.groupby("periods")["submission_id"].apply(lambda s: ",".join(map(str, s.head(5))))
    for kid, _en, _ms, _p, _d, _unit, direction, target, start in KPIS:
        base = start * rng.uniform(0.6, 1.4, size=(n_e, 1))
        drift = (target - start) / max(n_q * 2, 1) * rng.uniform(0.2, 1.5, size=(n_e, 1))
        value = np.clip(base + drift * np.arange(n_q) + rng.normal(0, abs(start) * 0.03 + 0.01, (n_e, n_q)), 0, None)
        traj = start + (target - start) * (np.arange(n_q) + 1) / (n_q + 2)
        ratio = value / np.where(traj == 0, 1, traj) if direction == "up" else np.where(value <= traj + 0.5, 1, 0.5)
        status = np.select([ratio >= 1, ratio >= 0.85], ["on_track", "at_risk"], "off_track")
        frame = pd.DataFrame(
            {
                "kpi_id": kid,
                "period": np.tile(quarters, n_e),
                "period_type": "quarter",
                "level": np.repeat([e[0] for e in ents], n_q),
                "entity_code": np.repeat([e[1] for e in ents], n_q),
                "value": value.ravel().round(4),
                "target": float(target),
                "trajectory": np.tile(traj, n_e).round(4),
                "status": status.ravel(),
                "reported": len(agencies) - 1,
                "expected": len(agencies),
            }
        )
        frame["submission_ids"] = frame["period"].map(sub_ids)
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out.loc[(out["kpi_id"] == "K25") & (out["period"] == quarters[-1]) & (out["level"] == "state"), "status"] = (
        "awaiting_data"
    )
    out.loc[out["status"] == "awaiting_data", "value"] = np.nan
    return out


def _projections() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "kpi_id": k[0],
                "level": "national",
                "entity_code": "MY",
                "target_period": "2026Q4",
                "target_value": k[7],
                "projected_value": k[7] * 0.9,
                "attainment_period": "2027Q2",
                "note": "linear trend of the last four quarters",
            }
            for k in KPIS
        ]
    )


def _composite(rng, agencies: pd.DataFrame, quarters: list[str]) -> pd.DataFrame:
    frames = []
    sectors = pd.DataFrame({"entity_code": list("CGJKO"), "peer_group": "sector", "level": "sector"})
    base = agencies[["agency_code", "peer_group"]].rename(columns={"agency_code": "entity_code"}).assign(level="agency")
    for q in quarters:
        for f in (base.copy(), sectors.copy()):
            f["period"] = q
            f["index_value"] = rng.uniform(20, 90, len(f)).round(1)
            f["rank"] = f.groupby("peer_group")["index_value"].rank(ascending=False, method="min").astype(int)
            f["rank_min"], f["rank_max"] = (f["rank"] - 1).clip(lower=1), f["rank"] + 1
            f["n_peers"] = f.groupby("peer_group")["entity_code"].transform("count")
            f["components_json"] = json.dumps(
                {
                    "pillars": {"TAL": 55.0, "ADO": 61.2, "GOV": 70.0, "IMP": 48.5},
                    "components": {"K01": {"pillar": "TAL", "value": 41.0, "target": 60, "score": 68.3}},
                }
            )
            frames.append(f)
    return pd.concat(frames, ignore_index=True)


def _completeness(rng, agencies: pd.DataFrame, quarters: list[str]) -> pd.DataFrame:
    f = pd.DataFrame([(a, q) for a in agencies["agency_code"] for q in quarters], columns=["agency_code", "period"])
    f["expected"] = 29
    f["received"] = np.where(rng.random(len(f)) < 0.12, 0, 29)
    f["late"] = np.where((f["received"] > 0) & (rng.random(len(f)) < 0.2), 29, 0)
    f["on_time"] = f["received"] - f["late"]
    f["missing_indicators"] = np.where(f["received"] == 0, "HC_TOTAL,HC_AI_LIT", "")
    return f


def _register(rng, agencies: pd.DataFrame, last: str) -> pd.DataFrame:
    rows = []
    for i, a in enumerate(agencies["agency_code"]):
        for j in range(3):
            rows.append(
                {
                    "submission_id": i + 1,
                    "agency_code": a,
                    "period": last,
                    "system_id": f"{a}-{j + 1}",
                    "title": f"{('Chat assistant', 'Document triage', 'Fraud detection')[j]} ({a})",
                    "function": "service",
                    "focus_sector": "public",
                    "msic_section": "O",
                    "stage": ("pilot", "production", "idea")[j],
                    "risk_tier": ("limited", "high", "minimal")[j],
                    "impact_assessment": j != 2,
                    "human_oversight": True,
                    "citizen_facing": j == 0,
                    "build_mode": "in_house",
                    "uses_genai": j == 0,
                    "sandbox": False,
                    "states_served": "1;10",
                    "est_hours_saved": float(rng.integers(100, 5000)),
                    "est_cost_saved_rm": 10000.0,
                }
            )
    return pd.DataFrame(rows)


def _sector(rng, quarters: list[str]) -> pd.DataFrame:
    rows = [
        {
            "submission_id": 1,
            "sector_code": s,
            "period": q,
            "indicator_code": "C1_ENT_AI_PCT",
            "value": round(float(rng.uniform(5, 30)), 2),
            "state_code": None,
            "geo": "MY",
            "source": "DOSM survey",
        }
        for s in "CDEFGHIJLMN"
        for q in quarters
    ]
    return pd.DataFrame(rows)


def _benchmark() -> pd.DataFrame:
    rows = [
        {
            "series": "EUROSTAT_E_AI_TANY",
            "geo": r["geo"],
            "geo_name": "EU27",
            "sector_code": r["nace_r2"],
            "year": int(r["year"]),
            "value": float(r["value"]),
            "unit": "% of enterprises",
            "source": "Source: Eurostat (isoc_eb_ai)",
        }
        for r in _csv("eurostat_ai_use_eu27_by_nace_tidy.csv")
    ]
    return pd.DataFrame(rows)


def _runs() -> pd.DataFrame:
    t0 = datetime(2026, 11, 26, 1, 0)
    return pd.DataFrame(
        [
            {
                "run_id": 1,
                "job": "demo",
                "started_at": t0,
                "ended_at": t0 + timedelta(minutes=1),
                "status": "ok",
                "counts_json": "{}",
                "error": None,
                "trigger": "manual",
            },
            {
                "run_id": 2,
                "job": "publish",
                "started_at": t0 + timedelta(minutes=2),
                "ended_at": t0 + timedelta(minutes=3),
                "status": "ok",
                "counts_json": json.dumps({"kpi_value": 1000}),
                "error": None,
                "trigger": "demo",
            },
        ]
    )


def today() -> date:
    return date(2026, 11, 26)
