"""Deterministic demo data, written exactly in the formats agencies and partners send.

``generate`` writes three kinds of file under one folder and returns a manifest listing
them in the order they must be ingested (by the time they were received):

* quarterly returns (long CSV, one value per row, with STATE and MSIC breakdowns for some
  agencies),
* AI use-case register snapshots (one complete snapshot per agency and quarter reported),
* sector reports (enterprise AI use by MSIC section and state, the Government AI Readiness
  Index rank, people reached by national AI upskilling, digital economy share of GDP).

Every value obeys the rules a return is validated against (relations, flags, whole
numbers, cumulative indicators never falling), so the whole folder loads without an error.
The story told by the numbers is deliberately uneven: adoption follows S-curves with an
agency-specific speed, some agencies lag, GenAI licences jump when AI at Work 2.0 reaches
an agency, some returns arrive late, some never arrive, and about 3% are corrected a week
later with a reason.

Determinism: the same options and seed give byte-identical files. Each agency draws from
its own generator seeded with (seed, CRC-32 of its code), so an agency's numbers do not
depend on which other agencies are generated or on the layout. Nothing depends on the
clock, dict ordering or the platform's line endings ("\\n" everywhere).

Real figures used (everything else is synthetic and labelled "demo data (synthetic)"
where the format has a source column): Malaysia's rank in the Oxford Insights Government
AI Readiness Index (29 in 2022, 23 in 2023, 24 in 2024) and the digital economy share of
GDP in 2020 (22.6%). Agency headcounts of the largest agencies are rounded orders of
magnitude chosen for realism, not official figures.
"""

from __future__ import annotations

import csv
import json
import math
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np

from etl import periods as P
from etl import register
from etl.settings import MALAYSIA

MYT = MALAYSIA

# ---- the file formats -----------------------------------------------------------------
RETURN_COLUMNS = ("agency_code", "period", "indicator_code", "value", "unit", "breakdown_type",
                  "breakdown_code", "value_status", "notes")
REGISTER_COLUMNS = register.COLUMNS
SECTOR_COLUMNS = ("sector_code", "period", "indicator_code", "value", "state_code", "source")

LAYOUTS = ("per_return", "per_quarter")
SYNTHETIC_SOURCE = "demo data (synthetic)"
DATA_TEAM_USER = "naio.data"  # sender of combined files and sector reports

# Indicators broken down by state or MSIC section for the agencies that report breakdowns.
BREAKDOWN_INDICATORS = ("HC_TOTAL", "HC_AI_LIT", "HC_GENAI_ACCESS", "HC_GENAI_ACTIVE")

# Time axis: quarters counted from 2024Q1, the first quarter of the national baseline.
_T0 = P.index("2024Q1")
_AI_AT_WORK_2 = P.index("2025Q1") - _T0  # AI at Work 2.0 announced in March 2025

# Receipt times, in days after the quarter ends. On-time returns arrive by day 29 (the
# deadline is day 30), late ones between day 31 and day 45. The data stop on day 26 of
# the last quarter: returns of that quarter received later are "still arriving".
_ON_TIME_LAST_DAY = 29
_LATE_FIRST_DAY, _LATE_LAST_DAY = 31, 45
_AS_AT_DAYS = 26

# Rounded orders of magnitude for the largest and some notably small agencies.
PINNED_HEADCOUNT = {
    "MOE": 420_000, "MOH": 270_000, "PDRM": 130_000, "IMIGRESEN": 16_000, "BOMBA": 15_000,
    "PENJARA": 14_000, "LHDN": 11_000, "JPJ": 7_000, "EPF": 6_500, "JPN": 5_500,
    "JDN": 1_200, "MDEC": 520, "CSM": 450, "MYNIC": 120, "MYDIGITAL": 90, "NAIO": 45,
}
# The three largest employers set the national picture; their curves are pinned so that
# national AI literacy is about 25% in 2024Q1 and about 60% in 2026Q3.
# AI at Work 2.0 aims at up to 445,000 officers, so the largest agencies get licences for
# part of their staff only.
# code: (logit offset, speed, AI at Work 2.0 arrival quarter from 2024Q1, first coverage,
#        eventual coverage)
_PINNED_ADOPTION = {
    "MOE": (-0.05, 1.0, 6, 0.30, 0.42),
    "MOH": (0.15, 1.05, 5, 0.45, 0.60),
    "PDRM": (-0.35, 0.95, 7, 0.25, 0.35),
    "JDN": (0.9, 1.2, 4, 0.85, 0.98),
}

# Agencies that always report breakdowns: by state (the largest employers) and by the
# MSIC section they serve (education P, health Q, transport H, agriculture A, finance K,
# public administration O).
_STATE_BREAKDOWN_AGENCIES = frozenset({"MOE", "MOH", "PDRM"})
_MSIC_BREAKDOWN_AGENCIES = frozenset({"MOE", "MOH", "MOT", "MAFS", "MOF", "JPA"})

# MSIC section each reference agency mainly serves; others follow their ministry.
_AGENCY_SECTION = {
    "AADK": "O", "AUDIT": "O", "BNM": "K", "BOMBA": "O", "DOA": "A", "DOSM": "M", "EPF": "K",
    "ICU-JPM": "O", "IMIGRESEN": "O", "JAKOA": "O", "JBG": "O", "JANM": "O", "JAS": "E",
    "JDN": "J", "JMG": "B", "JPA": "O", "JPJ": "H", "JPN": "O", "KD": "J", "KDN": "O",
    "KPDN": "G", "KPKT": "F", "JPS": "F", "KWAP": "K", "LHDN": "O", "MAFS": "A", "MOHE": "P",
    "MCMC": "J", "MERS-999": "O", "MET": "M", "MOE": "P", "MOF": "K", "MOH": "Q", "MOT": "H",
    "MYNIC": "J", "MYSA": "M", "NAPIC": "L", "NTRC": "Q", "NPRA": "Q", "NRES": "A",
    "PENJARA": "O", "PERHUTANAN": "A", "PERIKANAN": "A", "PDRM": "O", "PERKESO": "O",
    "PHCORP": "Q", "SPAN": "E", "ST": "D", "SPR": "O", "SSM": "O", "NAIO": "J",
    "MYDIGITAL": "J", "MDEC": "J", "CSM": "J",
}
_MINISTRY_SECTION = {
    "KPKM": "A", "KPK": "A", "NRES": "A", "MOH": "Q", "KPWKM": "Q", "MOT": "H", "MOE": "P",
    "KPT": "P", "MOF": "K", "DIGITAL": "J", "KOMUNIKASI": "J", "MOSTI": "M", "MITI": "C",
    "KPDN": "G", "KUSKOP": "G", "KKR": "F", "KPKT": "F", "PETRA": "D", "MOTAC": "R", "KBS": "R",
}
_FOCUS_SECTOR = {
    "A": "agriculture", "B": "natural resources", "C": "industry", "D": "energy",
    "E": "environment", "F": "infrastructure", "G": "trade", "H": "transport",
    "J": "digital economy", "K": "finance", "L": "property", "M": "science and statistics",
    "O": "public services", "P": "education", "Q": "healthcare", "R": "culture and sport",
}

# Population of the states (2020 census, thousands): where staff of national agencies work.
_STATE_POPULATION = np.array([4009, 2131, 1792, 998, 1199, 1591, 1740, 2496, 284, 6994, 1149,
                              3418, 2453, 1982, 95, 109], dtype=float)
# Relative uptake of training by state (federal capital and Klang Valley ahead).
_STATE_UPTAKE = np.array([1.0, 0.9, 0.85, 1.0, 1.0, 0.9, 1.1, 0.95, 0.85, 1.15, 0.9, 0.8,
                          0.85, 1.2, 0.9, 1.3])
_STATE_CODES = tuple(str(i) for i in range(1, 17))
# Enterprise AI use relative to the national rate, by state (digital hubs ahead).
_STATE_ENTERPRISE = np.array([1.1, 0.7, 0.6, 1.0, 0.95, 0.75, 1.35, 0.85, 0.6, 1.4, 0.7, 0.7,
                              0.85, 1.6, 0.9, 1.3])

# ---- AI use cases ---------------------------------------------------------------------
# (function, title, chance of being citizen-facing, uses GenAI, typical risk tier)
_GENERIC_USE_CASES = (
    ("chatbot", "Chatbot for public enquiries", 0.9, True, "limited"),
    ("drafting", "GenAI drafting of letters and minutes", 0.0, True, "minimal"),
    ("knowledge search", "Knowledge search over circulars and guidelines", 0.1, True, "minimal"),
    ("document processing", "Data extraction from scanned application forms", 0.2, False, "limited"),
    ("translation", "Malay-English translation of public notices", 0.5, True, "minimal"),
    ("speech to text", "Speech-to-text for meeting minutes", 0.0, False, "minimal"),
    ("complaint triage", "Complaint triage and routing", 0.4, False, "limited"),
    ("forecasting", "Counter and call-centre demand forecasting", 0.0, False, "minimal"),
    ("anomaly detection", "Anomaly detection in payments and claims", 0.0, False, "high"),
    ("code generation", "Code generation for in-house developers", 0.0, True, "minimal"),
    ("analytics", "Automated summaries of management dashboards", 0.0, True, "minimal"),
    ("predictive maintenance", "Predictive maintenance of vehicles and equipment", 0.0, False, "minimal"),
)
_SECTOR_USE_CASES = {
    "A": (("computer vision", "Crop pest and disease detection from farmer photos", 0.8, False, "limited"),
          ("forecasting", "Paddy yield forecasting from satellite imagery", 0.0, False, "minimal"),
          ("forecasting", "Fish landing forecasting", 0.0, False, "minimal")),
    "B": (("computer vision", "Landslide risk mapping from satellite imagery", 0.3, False, "limited"),),
    "D": (("forecasting", "Electricity demand forecasting", 0.0, False, "limited"),),
    "E": (("forecasting", "Flood early-warning forecasting", 0.6, False, "high"),
          ("computer vision", "Illegal dumping detection from drone images", 0.0, False, "limited")),
    "F": (("computer vision", "Drainage defect detection from inspection video", 0.0, False, "minimal"),),
    "G": (("analytics", "Price monitoring of essential goods", 0.4, False, "minimal"),),
    "H": (("computer vision", "Number-plate recognition for enforcement", 0.3, False, "high"),
          ("forecasting", "Road accident hotspot prediction", 0.0, False, "limited")),
    "J": (("cyber security", "Phishing site detection", 0.2, False, "limited"),
          ("analytics", "Scam call pattern analysis", 0.0, False, "limited")),
    "K": (("risk scoring", "Contribution arrears risk scoring", 0.0, False, "high"),
          ("fraud detection", "Fraudulent claim detection", 0.0, False, "high")),
    "L": (("forecasting", "Automated property valuation", 0.2, False, "limited"),),
    "M": (("forecasting", "Weather nowcasting from radar imagery", 0.7, False, "limited"),
          ("analytics", "Automated coding of survey responses", 0.0, False, "minimal")),
    "O": (("risk scoring", "Risk profiling for inspection selection", 0.0, False, "high"),
          ("computer vision", "Photo quality checks for identity documents", 0.7, False, "limited"),
          ("document processing", "Case-file summarisation for officers", 0.0, True, "limited")),
    "P": (("learning support", "Essay feedback for teachers", 0.3, True, "high"),
          ("risk scoring", "Early warning of student dropout", 0.0, False, "high")),
    "Q": (("clinical decision support", "Chest X-ray triage support", 0.0, False, "high"),
          ("forecasting", "Clinic appointment no-show prediction", 0.2, False, "limited"),
          ("chatbot", "Medicine information chatbot for patients", 0.9, True, "high")),
}
_PROHIBITED_USE_CASES = (
    ("emotion recognition", "Emotion recognition of applicants during interviews"),
    ("social scoring", "Social scoring of aid applicants from social media activity"),
)
_BUILD_MODES = ("vendor", "in_house", "hybrid", "open_source")
_BUILD_MODE_P = (0.45, 0.25, 0.2, 0.1)

# ---- corrections and notes ------------------------------------------------------------
_CORRECTIONS = (
    ("HC_GENAI_ACTIVE", "Corrected HC_GENAI_ACTIVE after licence audit"),
    ("BUD_DIGITAL_RM", "Corrected BUD_DIGITAL_RM: an extra zero was keyed in"),
    ("SVC_TOTAL", "Corrected SVC_TOTAL: services were counted twice across two portals"),
    ("HC_AI_SPEC", "Corrected HC_AI_SPEC: ICT headcount was entered instead of AI specialist FTE"),
    ("SRV_N", "Corrected SRV_N: survey invitations were reported instead of respondents"),
)
_NOTES = (
    ("HC_TOTAL", "Includes contract staff"),
    ("HC_TOTAL", "Headcount from the HRMIS extract at quarter end"),
    ("HC_AI_LIT", "Includes officers trained through the state training centres"),
    ("HC_GENAI_ACCESS", "Licences reallocated between divisions during the quarter"),
    ("SRV_N", "Survey open for two weeks only"),
    ("BUD_DIGITAL_RM", "Operating and development expenditure, as recorded by finance"),
    ("DS_OPEN", "Counted from the open data portal listing"),
    ("SVC_TOTAL", "Service catalogue reviewed this quarter"),
)


# ---- public API -----------------------------------------------------------------------
@dataclass
class DemoItem:
    """One file to ingest, with the moment and the person it came from."""

    path: Path
    kind: str  # return | register | sector
    received_at: datetime  # timezone-aware (Asia/Kuala_Lumpur)
    submitted_by: str
    reason: str | None = None  # set for resubmissions
    agency_code: str | None = None  # None for files holding several agencies, and sector reports
    period: str | None = None  # the quarter (or year, for yearly sector reports) the file covers


@dataclass
class DemoManifest:
    items: list[DemoItem]  # in ingestion order: by received_at, then path
    synthetic_agencies: list[dict]
    first_period: str
    last_period: str
    seed: int
    agency_codes: list[str] = field(default_factory=list)  # every agency generated
    as_at: datetime | None = None  # the data stop here; every item is received before it
    layout: str = "per_return"


def first_period_for(last_period: str, n_quarters: int) -> str:
    """The first of the ``n_quarters`` quarters ending at ``last_period``."""
    if n_quarters < 1:
        raise ValueError("the number of quarters must be at least 1")
    return P.shift(P.normalise_period(last_period), -(n_quarters - 1))


def as_at_for(last_period: str) -> datetime:
    """The moment the demo data stop: 26 days after the last quarter ends, at midnight, when
    most returns of the last quarter are in and the rest are still due."""
    d = P.quarter_end(P.normalise_period(last_period)) + timedelta(days=_AS_AT_DAYS)
    return datetime.combine(d, time(0, 0), MYT)


def generate(out_dir: Path, *, reference_dir: Path, n_agencies: int | None = None,
             first_period: str = "2024Q1", last_period: str = "2026Q3", seed: int = 7,
             layout: str = "per_return", register_systems: int | None = None,
             progress: Callable[[str], None] | None = None) -> DemoManifest:
    """Write the demo files under ``out_dir`` and return their manifest.

    ``n_agencies`` None takes every reference agency that submits returns; a larger number
    adds synthetic agencies ``AG0001``...; a smaller one takes a deterministic subset (the
    largest agencies first). ``layout`` ``per_return`` writes one return and one register
    file per agency and quarter; ``per_quarter`` writes per quarter one return file and one
    register file holding every agency received by the deadline, one more pair for the
    late ones, and one file per correction.

    ``register_systems`` asks for a register of about that many AI systems in all (the
    national-scale benchmark asks for 20,000): each agency's expected number of systems
    beyond its first is scaled by one common factor, so the larger and more digital
    agencies still hold most of them.
    """
    out_dir = Path(out_dir)
    first = P.normalise_period(first_period)
    last = P.normalise_period(last_period)
    if P.index(first) > P.index(last):
        raise ValueError(f"first period {first} is after last period {last}")
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    if n_agencies is not None and n_agencies < 1:
        raise ValueError("n_agencies must be at least 1")
    if seed < 0:
        raise ValueError("seed must be a non-negative integer")
    say = progress or (lambda _msg: None)

    ref = _Reference.load(Path(reference_dir))
    agencies, synthetic = _select_agencies(ref, n_agencies, seed)
    quarters = P.span(first, last)
    as_at = as_at_for(last)
    sims = [_simulate(ag, quarters, seed) for ag in agencies]
    if register_systems is not None:
        if register_systems < len(agencies):
            raise ValueError(f"register_systems must be at least the number of agencies ({len(agencies)})")
        # The count is not proportional to the factor (drafts after the last quarter are dropped,
        # counts are drawn), so the factor is corrected until it lands within 0.2 % of the target.
        factor = 1.0
        for _ in range(4):
            extra = sum(len(sim.systems) for sim in sims) - len(sims)
            if abs(extra + len(sims) - register_systems) <= register_systems / 500:
                break
            factor *= (register_systems - len(sims)) / max(extra, 1)
            sims = [_simulate(ag, quarters, seed, systems_factor=factor) for ag in agencies]
    _add_prohibited_systems(sims, quarters, seed)
    say(f"simulated {len(sims)} agencies over {len(quarters)} quarters ({quarters[0]} to {quarters[-1]})")

    out_dir.mkdir(parents=True, exist_ok=True)
    writer = _Writer(out_dir, ref)
    items: list[DemoItem] = []
    for qi, period in enumerate(quarters):
        if layout == "per_return":
            n_rows, counts = _write_quarter_per_return(writer, sims, qi, period, items)
        else:
            n_rows, counts = _write_quarter_combined(writer, sims, qi, period, items)
        say(f"{period}: {counts['returns']} returns ({counts['late']} late, {counts['missing']} missing, "
            f"{counts['resubmitted']} corrected), {n_rows:,} return rows")
    items.extend(_write_sector_reports(writer, quarters, as_at, seed))
    items = [it for it in items if it.received_at < as_at]
    items.sort(key=lambda it: (it.received_at, it.path.as_posix()))

    manifest = DemoManifest(items=items, synthetic_agencies=synthetic, first_period=first,
                            last_period=last, seed=seed, agency_codes=[a.code for a in agencies],
                            as_at=as_at, layout=layout)
    _write_manifest(out_dir, manifest)
    say(f"wrote {len(items)} files to {out_dir}")
    return manifest


# ---- reference data -------------------------------------------------------------------
def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


@dataclass
class _Reference:
    folder: Path
    agencies: list[dict]
    ministries: list[dict]
    indicators: list[dict]

    @classmethod
    def load(cls, folder: Path) -> _Reference:
        return cls(folder=folder, agencies=_read_csv(folder / "agencies.csv"),
                   ministries=_read_csv(folder / "ministries.csv"),
                   indicators=_read_csv(folder / "indicators.csv"))


@dataclass
class _Agency:
    code: str
    ministry: str
    peer_group: str
    section: str
    digital: bool
    synthetic: bool = False


def _select_agencies(ref: _Reference, n: int | None, seed: int) -> tuple[list[_Agency], list[dict]]:
    submitters = [r for r in ref.agencies if r["submits_returns"].strip().lower() == "yes"]

    def make(code: str, ministry: str, peer: str, synthetic: bool = False) -> _Agency:
        section = _AGENCY_SECTION.get(code) or _MINISTRY_SECTION.get(ministry, "O")
        return _Agency(code=code, ministry=ministry, peer_group=peer, section=section,
                       digital=ministry == "DIGITAL" or section == "J", synthetic=synthetic)

    chosen = [make(r["agency_code"], r["ministry_code"], r["peer_group"]) for r in submitters]
    synthetic: list[dict] = []
    if n is not None and n < len(chosen):
        # The largest agencies first (they carry the national picture), then a seeded shuffle.
        pinned = sorted((a for a in chosen if a.code in PINNED_HEADCOUNT),
                        key=lambda a: (-PINNED_HEADCOUNT[a.code], a.code))
        rest = sorted((a for a in chosen if a.code not in PINNED_HEADCOUNT), key=lambda a: a.code)
        order = np.random.default_rng([seed, zlib.crc32(b"subset")]).permutation(len(rest))
        ranked = pinned + [rest[i] for i in order]
        chosen = ranked[:n]
    elif n is not None and n > len(chosen):
        synthetic = _synthetic_agencies(ref, submitters, n - len(chosen), seed)
        chosen += [make(r["agency_code"], r["ministry_code"], r["peer_group"], True) for r in synthetic]
    chosen.sort(key=lambda a: a.code)
    return chosen, synthetic


_ORG_TYPE_OF_PEER = {"ministry": "ministry", "department": "federal_agency",
                     "statutory_body": "statutory_body", "other": "other"}


def _synthetic_agencies(ref: _Reference, submitters: list[dict], k: int, seed: int) -> list[dict]:
    rng = np.random.default_rng([seed, zlib.crc32(b"synthetic-agencies")])
    ministries = [m["org_code"] for m in sorted(ref.ministries, key=lambda m: int(m["sort_order"]))]
    # Peer groups in the proportions of the reference list (largest remainder).
    counts: dict[str, int] = {}
    for r in submitters:
        counts[r["peer_group"]] = counts.get(r["peer_group"], 0) + 1
    groups = sorted(counts)
    total = sum(counts.values())
    exact = [k * counts[g] / total for g in groups]
    alloc = [int(math.floor(x)) for x in exact]
    for i in sorted(range(len(groups)), key=lambda i: (-(exact[i] - alloc[i]), groups[i]))[: k - sum(alloc)]:
        alloc[i] += 1
    peers = [g for g, c in zip(groups, alloc, strict=False) for _ in range(c)]
    peers = [peers[i] for i in rng.permutation(len(peers))]
    ministry_order = [ministries[i] for i in rng.permutation(len(ministries))]
    width = max(4, len(str(k)))
    rows = []
    for i in range(k):
        num = f"{i + 1:0{width}d}"
        peer = peers[i]
        rows.append({
            "agency_code": f"AG{num}", "name_en": f"Demo Agency {num}", "name_ms": f"Agensi Demo {num}",
            "ministry_code": ministry_order[i % len(ministry_order)],
            "org_type": _ORG_TYPE_OF_PEER.get(peer, "other"), "peer_group": peer,
            "submits_returns": "yes", "url": "", "note": "synthetic agency generated for demo data",
        })
    return rows


# ---- simulation -----------------------------------------------------------------------
def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _round_to(x, step: float):
    return np.round(np.asarray(x, dtype=float) / step) * step


@dataclass
class _System:
    system_id: str
    title: str
    function: str
    section: str
    risk: str
    ia_done: bool  # impact assessment done (high risk: once piloting starts)
    oversight: bool
    citizen: bool
    build: str
    genai: bool
    sandbox: bool
    states: str
    idea: int  # quarters from 2024Q1
    pilot: int | None
    prod: int | None
    retired: int | None
    hours: float
    rate_rm: float

    def stage(self, t: int) -> str | None:
        if t < self.idea:
            return None
        if self.retired is not None and t >= self.retired:
            return "retired"
        if self.prod is not None and t >= self.prod:
            return "production"
        if self.pilot is not None and t >= self.pilot:
            return "pilot"
        return "idea"


@dataclass
class _Sim:
    agency: _Agency
    quarters: list[str]
    t: np.ndarray  # quarters from 2024Q1, as int
    values: dict[str, np.ndarray]  # agency totals; NaN = not reported
    breakdowns: dict[tuple[str, str, str], list[int]]  # (type, code, indicator) -> values
    columns: dict[str, list[float]]  # the agency totals as plain lists, for fast writing
    systems: list[_System]
    missing: np.ndarray  # bool per quarter
    late: np.ndarray
    received: list[datetime | None]
    register_lag_min: np.ndarray
    resub: list[tuple[str, float, str, datetime] | None]  # indicator, wrong value, reason, when
    notes: list[tuple[str, str] | None]
    provisional_budget: np.ndarray
    estimated_active: np.ndarray
    unit_filled: bool
    status_explicit: bool
    blank_rows: bool  # optional indicators not reported: a row with a blank value, or no row


def _simulate(ag: _Agency, quarters: list[str], seed: int, systems_factor: float = 1.0) -> _Sim:
    rng = np.random.default_rng([seed, zlib.crc32(ag.code.encode("utf-8"))])
    n = len(quarters)
    t = np.array([P.index(q) - _T0 for q in quarters], dtype=int)
    tf = t.astype(float)

    # -- the agency's character
    laggard = rng.random() < 0.12
    a = rng.normal(0.0, 0.55) - (1.3 if laggard else 0.0) + (0.8 if ag.digital else 0.0)
    s = math.exp(rng.normal(0.0, 0.25)) * (0.6 if laggard else 1.0)
    wave = int(np.clip(round(6.0 - 1.5 * a + rng.normal(0.0, 1.3)), _AI_AT_WORK_2, 13))
    cover0 = rng.uniform(0.35, 0.8)
    cover_max = min(0.98, cover0 + rng.uniform(0.1, 0.4))
    if ag.code in _PINNED_ADOPTION:
        a, s, wave, cover0, cover_max = _PINNED_ADOPTION[ag.code]
    size_draw = rng.normal(0.0, 1.0)
    if ag.code in PINNED_HEADCOUNT:
        hc0 = float(PINNED_HEADCOUNT[ag.code])
    elif ag.synthetic:
        hc0 = float(np.clip(math.exp(math.log(700) + 1.1 * size_draw), 80, 60_000))
    else:
        hc0 = float(np.clip(math.exp(math.log(1800) + 0.8 * size_draw), 200, 12_000))

    # -- headcount (stock) and AI literacy (cumulative)
    growth = rng.normal(0.004, 0.006)
    hc_raw = hc0 * np.exp(growth * tf) * (1.0 + rng.normal(0.0, 0.004, n))
    lit_share = 0.96 * _sigmoid(-1.10 + a + 0.165 * s * tf) * (1.0 + rng.normal(0.0, 0.02, n))
    adv_share = 0.07 * _sigmoid(-2.8 + 0.8 * a + 0.22 * s * tf) * (1.0 + rng.normal(0.0, 0.03, n))
    hc = np.zeros(n, dtype=np.int64)
    lit = np.zeros(n, dtype=np.int64)
    adv = np.zeros(n, dtype=np.int64)
    prev_lit = prev_adv = 0
    for i, (h_raw, l_sh, a_sh) in enumerate(zip(hc_raw.tolist(), lit_share.tolist(), adv_share.tolist(), strict=False)):
        h = max(20, int(round(h_raw)), prev_lit, prev_adv)
        prev_lit = max(prev_lit, int(round(min(l_sh, 0.97) * h)))
        prev_adv = max(prev_adv, int(round(min(a_sh, 0.2) * h)))
        hc[i], lit[i], adv[i] = max(h, prev_lit, prev_adv), prev_lit, prev_adv

    # -- AI specialists (FTE, half steps)
    spec_mult = math.exp(rng.normal(0.0, 0.4)) * (25.0 if ag.digital else 1.0)
    spec_rate = (0.2 + 2.0 * _sigmoid(-1.5 + a + 0.2 * s * tf)) * spec_mult  # per 1,000 staff
    spec = np.minimum(_round_to(hc * spec_rate / 1000.0, 0.5), hc * 0.5)

    # -- GenAI licences: a small pilot, then a jump when AI at Work 2.0 arrives
    has_pilot = rng.random() < 0.5
    pilot_share = rng.uniform(0.002, 0.03) if has_pilot else 0.0
    since = np.maximum(tf - wave, 0.0)
    cover = np.where(tf >= wave, cover_max - (cover_max - cover0) * np.exp(-0.35 * since), 0.0)
    pre = np.where(tf >= -2, pilot_share * np.clip((tf + 3) / 6.0, 0.0, 1.0), 0.0)
    cover = np.maximum(cover, pre) * (1.0 + rng.normal(0.0, 0.01, n))
    access = np.minimum(np.round(np.clip(cover, 0, 1) * hc), hc).astype(np.int64)
    if ag.code == "JDN":  # the AI at Work pilot: 270 officers of the National Digital Department
        access = np.where((t >= 1) & (t < wave), np.minimum(270, hc), access)
    active_offset = rng.normal(0.0, 0.08)
    active_rate = np.where(tf >= wave, 0.3 + 0.35 * _sigmoid(0.6 * (tf - wave)), 0.6)
    active_rate = np.clip(active_rate + active_offset + rng.normal(0.0, 0.03, n), 0.05, 0.95)
    active = np.minimum(np.round(access * active_rate), access).astype(np.int64)

    # -- the quarterly GenAI user survey (optional)
    survey_prob = 0.85 if rng.random() < 0.8 else 0.3
    ran = (rng.random(n) < survey_prob) & (access >= 10)
    response_rate = rng.uniform(0.04, 0.2) * np.exp(rng.normal(0.0, 0.2, n))
    srv_n = np.minimum(np.maximum(1, np.round(access * response_rate)), access)
    hours_mean = float(np.clip(rng.normal(3.1, 0.5), 1.0, 6.0))
    quality_mean = float(np.clip(rng.normal(0.87, 0.04), 0.6, 0.97))
    if ag.code == "JDN":
        hours_mean, quality_mean = 3.25, 0.91
    srv_hours = np.round(srv_n * np.clip(hours_mean + rng.normal(0.0, 0.3, n), 0.5, 10.0), 1)
    srv_yes = np.minimum(np.round(srv_n * np.clip(quality_mean + rng.normal(0.0, 0.03, n), 0.3, 1.0)), srv_n)
    nan = np.full(n, np.nan)
    srv_n, srv_hours, srv_yes = (np.where(ran, x, nan) for x in (srv_n, srv_hours, srv_yes))

    # -- the register of AI systems (drives SVC_AI, SANDBOX_N and incidents)
    systems = _make_systems(ag, rng, a, hc0, int(t[0]), int(t[-1]), systems_factor)

    def count(pred) -> np.ndarray:
        return np.array([sum(1 for x in systems if pred(x, int(ti))) for ti in t], dtype=np.int64)

    n_prod = count(lambda x, ti: x.stage(ti) == "production")
    n_prod_citizen = count(lambda x, ti: x.stage(ti) == "production" and x.citizen)
    sandbox_new = count(lambda x, ti: x.sandbox and x.pilot == ti)

    # -- services
    svc0 = float(np.clip(math.exp(rng.normal(1.2 + 0.35 * math.log(hc0), 0.35)), 3, 800))
    svc = np.maximum(3, np.round(svc0 + tf * rng.uniform(0.0, 0.6))).astype(np.int64)
    e2e_start = rng.uniform(0.45, 0.7)  # share of services end-to-end online in 2024Q1
    e2e_share = _sigmoid(math.log(e2e_start / (1.0 - e2e_start)) + 0.06 * s * tf + rng.normal(0.0, 0.02, n))
    e2e = np.minimum(np.maximum.accumulate(np.round(e2e_share * svc)), svc).astype(np.int64)
    services_per_system = 1 + int(rng.poisson(1.5))  # one system may serve several services
    svc_ai = np.minimum(n_prod_citizen * services_per_system, svc)

    # -- transactions and satisfaction with AI-enabled services (optional)
    reports_txn = rng.random() < 0.8
    txn_level = rng.normal(0.9 * math.log(hc0) + 1.0, 0.5)
    txn = np.round(svc_ai * np.exp(txn_level + rng.normal(0.0, 0.15, n)))
    base_days = float(_round_to(rng.uniform(3.0, 30.0), 0.5))
    first_ai = next((int(ti) for ti, k in zip(t, svc_ai, strict=False) if k > 0), int(t[-1]))
    reduction = np.clip(0.1 + 0.05 * (tf - first_ai) + rng.normal(0.0, 0.03, n), 0.02, 0.6)
    cur_days = np.maximum(0.1, np.round(base_days * (1.0 - reduction), 1))
    csat_n = np.round(txn * rng.uniform(0.005, 0.03) * np.exp(rng.normal(0.0, 0.15, n)))
    csat_mean = np.clip(rng.normal(3.9, 0.25) + rng.normal(0.0, 0.1, n), 2.5, 4.8)
    csat_sum = np.round(csat_n * csat_mean)
    txn_ok = (svc_ai > 0) & reports_txn
    txn, cur_days = np.where(txn_ok, txn, nan), np.where(txn_ok, cur_days, nan)
    base = np.where(txn_ok, base_days, nan)
    csat_ok = txn_ok & (csat_n >= 1)
    csat_n, csat_sum = np.where(csat_ok, csat_n, nan), np.where(csat_ok, csat_sum, nan)

    # -- money (flows, rounded to RM 100); year-end spending is heavier
    per_staff = math.exp(rng.normal(math.log(1500.0), 0.5)) * (3.0 if ag.digital else 1.0)
    annual = max(200_000.0, hc0 * per_staff) * 1.05 ** (tf / 4.0)
    season = np.array([0.75, 0.95, 1.0, 1.3])[[P.split(q)[1] - 1 for q in quarters]]
    digital = np.maximum(10_000.0, _round_to(annual / 4.0 * season * (1.0 + rng.normal(0.0, 0.12, n)), 100))
    ai_share = np.clip(0.005 + 0.10 * _sigmoid(-2.0 + a + 0.25 * s * tf) + rng.normal(0.0, 0.003, n), 0.0, 0.5)
    bud_ai = np.minimum(_round_to(digital * ai_share, 100), digital)
    reports_proc = rng.random() < 0.75
    award = rng.random(n) < 0.15 + 0.25 * _sigmoid(0.3 * tf + a)
    proc = np.where(award, _round_to(bud_ai * 1.5 * np.exp(rng.normal(0.0, 0.6, n)), 100), 0.0)
    proc_local = np.minimum(_round_to(proc * rng.uniform(0.2, 0.8, n), 100), proc)
    if not reports_proc:
        proc, proc_local = nan.copy(), nan.copy()

    # -- data (cumulative counts)
    size_factor = max(0.3, hc0 / 2000.0) ** 0.35
    ds_open = _cumulative(rng, rng.poisson(12 * size_factor), (0.5 + 1.5 * _sigmoid(0.2 * tf + a)) * size_factor)
    ds_ready = _cumulative(rng, rng.poisson(1 * size_factor), (0.2 + 1.5 * _sigmoid(0.4 * tf + a - 1)) * size_factor)
    dsa = _cumulative(rng, rng.poisson(3 * size_factor), 0.25 + 0.2 * _sigmoid(0.3 * tf))

    # -- governance flags (stock; once adopted they stay)
    t_lead = int(round(2.5 - 3.0 * a + rng.normal(0.0, 3.0)))
    t_policy = t_lead + 2 + int(rng.poisson(3))
    lead = (t >= t_lead).astype(float)
    policy = (t >= t_policy).astype(float)

    # -- events in the quarter
    incidents = rng.poisson(0.03 + 0.06 * n_prod + np.where(access > 0, 0.05, 0.0)).astype(float)
    sandbox = (sandbox_new + rng.poisson(0.05, n)).astype(float)
    casestudy = rng.poisson(0.05 + 0.12 * np.minimum(n_prod, 5)).astype(float)

    values = {
        "HC_TOTAL": hc.astype(float), "HC_AI_LIT": lit.astype(float), "HC_AI_ADV": adv.astype(float),
        "HC_AI_SPEC": spec, "HC_GENAI_ACCESS": access.astype(float),
        "HC_GENAI_ACTIVE": active.astype(float), "SRV_N": srv_n, "SRV_HRS_SAVED_SUM": srv_hours,
        "SRV_QUALITY_YES": srv_yes, "SVC_TOTAL": svc.astype(float), "SVC_E2E": e2e.astype(float),
        "SVC_AI": svc_ai.astype(float), "TXN_AI": txn, "TXN_AI_BASE_DAYS": base,
        "TXN_AI_CUR_DAYS": cur_days, "CSAT_AI_N": csat_n, "CSAT_AI_SUM": csat_sum,
        "BUD_DIGITAL_RM": digital, "BUD_AI_RM": bud_ai, "PROC_AI_RM": proc,
        "PROC_AI_LOCAL_RM": proc_local, "DS_OPEN": ds_open, "DS_AI_READY": ds_ready,
        "DSA_SIGNED": dsa, "GOV_AI_POLICY": policy, "GOV_AI_LEAD": lead,
        "AI_INCIDENTS": incidents, "SANDBOX_N": sandbox, "CASESTUDY_N": casestudy,
    }

    # -- breakdowns: state offices of the large agencies, sectors served by others
    state_draw, msic_draw = rng.random(), rng.random()
    state_w = _STATE_POPULATION * np.exp(rng.normal(0.0, 0.25, 16))
    state_w[15] += state_w.sum() * rng.uniform(0.03, 0.12)  # headquarters in Putrajaya
    main_share = rng.uniform(0.6, 0.92)
    breakdowns: dict[tuple[str, str, str], list[int]] = {}
    if ag.code in _STATE_BREAKDOWN_AGENCIES or (hc0 >= 4000 and state_draw < 0.8):
        breakdowns.update(_split_series("STATE", _STATE_CODES, state_w, _STATE_UPTAKE, hc, lit, access, active))
    if (ag.code in _MSIC_BREAKDOWN_AGENCIES or ag.section != "O" and msic_draw < 0.4
            or ag.section == "O" and msic_draw < 0.08):
        if ag.section == "O":
            codes, w, up = ("O",), np.array([1.0]), np.array([1.0])
        else:
            codes, w, up = (ag.section, "O"), np.array([main_share, 1 - main_share]), np.array([1.0, 1.15])
        breakdowns.update(_split_series("MSIC", codes, w, up, hc, lit, access, active))

    # -- when the return arrives (or not), corrections, notes and the sender's habits
    reliability = rng.random()
    p_miss, p_late = (0.03, 0.06) if reliability < 0.8 else (0.12, 0.25) if reliability < 0.95 else (0.25, 0.5)
    anchor = ag.code in _PINNED_ADOPTION  # the largest employers always report, early
    if anchor:
        p_miss, p_late = 0.0, 0.0
    miss_u, late_u, resub_u = rng.random(n), rng.random(n), rng.random(n)
    on_time_day = np.floor(rng.triangular(5.0, 24.0, _ON_TIME_LAST_DAY + 0.999, n)).astype(int)
    if anchor:
        on_time_day = np.minimum(on_time_day, _AS_AT_DAYS - 2)
    late_day = rng.integers(_LATE_FIRST_DAY, _LATE_LAST_DAY + 1, n)
    minute = rng.integers(8 * 60 + 30, 18 * 60, n)
    evening = rng.random(n) < 0.06
    evening_minute = rng.integers(19 * 60 + 30, 21 * 60 + 30, n)  # register follows within 2 hours
    resub_days = rng.integers(5, 10, n)
    resub_minute = rng.integers(9 * 60, 17 * 60, n)
    resub_pick = rng.random(n)
    register_lag = rng.integers(5, 120, n)
    note_u, note_pick = rng.random(n), rng.integers(0, len(_NOTES), n)
    provisional = rng.random(n) < 0.1
    estimated = rng.random(n) < 0.04
    unit_filled, status_explicit, blank_rows = rng.random() < 0.8, rng.random() < 0.6, rng.random() < 0.5
    explains_jump = rng.random() < 0.7  # a note on the quarter GenAI licences arrive

    missing = miss_u < p_miss
    late = (late_u < p_late) & ~missing
    last = n - 1
    received: list[datetime | None] = []
    resub: list[tuple[str, float, str, datetime] | None] = []
    notes: list[tuple[str, str] | None] = []
    for i, q in enumerate(quarters):
        day = int(late_day[i] if late[i] else on_time_day[i])
        if i == last and day > _AS_AT_DAYS - 1:  # still arriving when the data stop
            missing[i], late[i] = True, False
        if missing[i]:
            received.append(None)
            resub.append(None)
            notes.append(None)
            continue
        mins = int(evening_minute[i] if evening[i] else minute[i])
        when = datetime.combine(P.quarter_end(q) + timedelta(days=day), time(mins // 60, mins % 60), MYT)
        received.append(when)
        fix = None
        if i != last and resub_u[i] < 0.03:
            fix = _wrong_value(values, breakdowns, i, float(resub_pick[i]))
            if fix is not None:
                d = when.date() + timedelta(days=int(resub_days[i]))
                m = int(resub_minute[i])
                fix = (*fix, datetime.combine(d, time(m // 60, m % 60), MYT))
        resub.append(fix)
        ind, text = _NOTES[int(note_pick[i])]
        if t[i] == wave and explains_jump and access[i] > 0:
            notes.append(("HC_GENAI_ACCESS", "AI at Work 2.0 licences issued this quarter"))
        else:
            notes.append((ind, text) if note_u[i] < 0.05 and not np.isnan(values[ind][i]) else None)

    return _Sim(agency=ag, quarters=quarters, t=t, values=values, breakdowns=breakdowns,
                columns={k: v.tolist() for k, v in values.items()},
                systems=systems, missing=missing, late=late, received=received,
                register_lag_min=register_lag, resub=resub, notes=notes,
                provisional_budget=provisional, estimated_active=estimated,
                unit_filled=bool(unit_filled), status_explicit=bool(status_explicit),
                blank_rows=bool(blank_rows))


def _cumulative(rng: np.random.Generator, start: int, rate) -> np.ndarray:
    """A count to date: a starting stock plus Poisson arrivals each quarter."""
    inc = rng.poisson(np.maximum(np.asarray(rate, dtype=float), 0.0))
    inc[0] = 0
    return (start + np.cumsum(inc)).astype(float)


def _wrong_value(values: dict[str, np.ndarray], breakdowns: dict, i: int,
                 u: float) -> tuple[str, float, str] | None:
    """A plausible keying or counting error that passes every rule, and the reason given
    when it is corrected. Indicators with breakdowns are left alone so parts keep summing."""
    broken_down = {k[2] for k in breakdowns}
    candidates = []
    for ind, reason in _CORRECTIONS:
        v = float(values[ind][i])
        if ind in broken_down or math.isnan(v) or v <= 0:
            continue
        if ind == "HC_GENAI_ACTIVE":
            room = float(values["HC_GENAI_ACCESS"][i]) - v
            wrong = v + math.ceil(room * 0.6) if room >= max(2.0, 0.1 * v) else float(round(v * 0.6))
        elif ind == "BUD_DIGITAL_RM":
            wrong = v * 10
        elif ind == "SVC_TOTAL":
            wrong = v * 2
        elif ind == "HC_AI_SPEC":
            wrong = float(_round_to(v * 10 + 3, 0.5))
        else:  # SRV_N: invitations rather than respondents
            wrong = v * 5
        if wrong != v and wrong >= 0:
            candidates.append((ind, float(wrong), reason))
    if not candidates:
        return None
    # The licence audit is the commonest correction once GenAI licences are out.
    weights = [3.0 if c[0] == "HC_GENAI_ACTIVE" else 1.0 for c in candidates]
    pick = u * sum(weights)
    for c, w in zip(candidates, weights, strict=False):
        if pick < w:
            return c
        pick -= w
    return candidates[-1]


def _alloc(total: int, weights: list[float], lo: list[int], hi: list[int]) -> list[int]:
    """Whole parts summing to ``total`` with ``lo <= part <= hi``, spread by ``weights``.
    Plain lists: for the 16 states this is several times faster than NumPy."""
    x = list(lo)
    rem = int(total) - sum(x)
    if rem < 0 or rem > sum(h - v for h, v in zip(hi, x, strict=False)):
        raise ValueError("infeasible allocation")
    k_all = range(len(x))
    while rem > 0:
        cap = [h - v for h, v in zip(hi, x, strict=False)]
        w = [wi if c > 0 else 0.0 for wi, c in zip(weights, cap, strict=False)]
        sw = sum(w)
        if sw <= 0:
            w = [1.0 if c > 0 else 0.0 for c in cap]
            sw = sum(w)
        share = [rem * wi / sw for wi in w]
        add = [min(int(sh), c) for sh, c in zip(share, cap, strict=False)]
        added = sum(add)
        if added == 0 or added > rem:  # the last few units, largest share first
            for k in sorted(k_all, key=lambda k: -share[k]):
                if rem == 0:
                    break
                if cap[k] > 0:
                    x[k] += 1
                    rem -= 1
            continue
        x = [v + a for v, a in zip(x, add, strict=False)]
        rem -= added
    return x


def _split_series(kind: str, codes: tuple[str, ...], weights, uptake, hc, lit, access,
                  active) -> dict[tuple[str, str, str], list[int]]:
    """Parts of the four headcount indicators that sum to the totals, obey the relations in
    every part, and keep each part of the cumulative HC_AI_LIT from falling."""
    k = len(codes)
    weights = [float(w) for w in weights]
    uptake = [float(u) for u in uptake]
    out: dict[tuple[str, str, str], list[int]] = {(kind, c, name): [] for name in BREAKDOWN_INDICATORS for c in codes}
    prev_lit = [0] * k
    none = [0] * k
    for h_tot, l_tot, ac_tot, at_tot in zip(hc.tolist(), lit.tolist(), access.tolist(), active.tolist(), strict=False):
        h = _alloc(h_tot, weights, prev_lit, [h_tot] * k)
        hw = [hv * u for hv, u in zip(h, uptake, strict=False)]
        lt = _alloc(l_tot, hw, prev_lit, h)
        ac = _alloc(ac_tot, hw, none, h)
        at = _alloc(at_tot, [float(v) for v in ac], none, ac)
        for name, part in zip(BREAKDOWN_INDICATORS, (h, lt, ac, at), strict=False):
            for code, v in zip(codes, part, strict=False):
                out[(kind, code, name)].append(v)
        prev_lit = lt
    return out


def _make_systems(ag: _Agency, rng: np.random.Generator, a: float, hc0: float,
                  t_first: int, t_last: int, factor: float = 1.0) -> list[_System]:
    lam = (0.6 + 1.5 * math.log10(max(hc0, 100.0) / 100.0)) * math.exp(0.5 * a) * (2.0 if ag.digital else 1.0)
    lam *= factor
    n_sys = 1 + int(rng.poisson(lam))
    specific = _SECTOR_USE_CASES.get(ag.section, ())
    rate_rm = rng.uniform(35.0, 65.0)
    drafts = []
    for j in range(n_sys):
        u = rng.random(12)
        t0 = int(np.clip(round(2.0 - 2.0 * a + rng.normal(0.0, 3.0)), -12, 60))
        idea = min(t0, t_first) if j == 0 else t0  # every agency has a first idea on record
        pilot = t0 + 1 + int(rng.poisson(1.2)) if u[0] < (0.9 if j == 0 else 0.8) else None
        prod = pilot + 2 + int(rng.poisson(1.5)) if pilot is not None and u[1] < 0.6 else None
        retired = None
        if prod is not None and u[2] < 0.08:
            retired = prod + 3 + int(rng.poisson(4))
        elif prod is None and pilot is not None and u[2] < 0.4:
            retired = pilot + 2 + int(rng.poisson(2))
        elif pilot is None and u[2] < 0.3:
            retired = t0 + 2 + int(rng.poisson(2))
        pool = specific if specific and u[3] < 0.5 else _GENERIC_USE_CASES
        function, title, p_citizen, genai, typical = pool[int(rng.integers(0, len(pool)))]
        if typical == "high":
            risk = "high" if u[4] < 0.8 else "limited"
        elif typical == "limited":
            risk = "limited" if u[4] < 0.7 else "high" if u[4] < 0.8 else "minimal"
        else:
            risk = "minimal" if u[4] < 0.75 else "limited"
        ia = u[5] < (0.88 if risk == "high" else 0.35 if risk == "limited" else 0.15)
        citizen = u[6] < p_citizen
        n_states = int(rng.integers(1, 6))
        states = ""
        if citizen and u[7] < 0.4:
            picked = sorted(int(x) for x in rng.choice(16, size=n_states, replace=False) + 1)
            states = ";".join(str(x) for x in picked)
        hours = float(_round_to(math.exp(math.log(800.0) + 0.35 * math.log(hc0 / 1000.0) + rng.normal(0.0, 0.8)), 10))
        drafts.append((idea, j, dict(
            title=title, function=function, section=ag.section, risk=risk, ia_done=bool(ia),
            oversight=bool(u[8] < (0.97 if risk == "high" else 0.9)), citizen=bool(citizen),
            build=_BUILD_MODES[int(np.searchsorted(np.cumsum(_BUILD_MODE_P), u[9], side="right"))],
            genai=bool(genai or u[10] < (0.35 if t0 >= 0 else 0.15)),
            sandbox=bool(u[11] < (0.35 if risk == "high" else 0.12)), states=states,
            idea=idea, pilot=pilot, prod=prod, retired=retired, hours=max(hours, 10.0), rate_rm=rate_rm)))
    drafts = [d for d in drafts if d[0] <= t_last]
    drafts.sort(key=lambda d: (d[0], d[1]))
    systems, seen = [], {}
    for k, (_, _, kw) in enumerate(drafts):
        base = kw["title"]
        seen[base] = seen.get(base, 0) + 1
        if seen[base] > 1:
            kw["title"] = f"{base} (phase {seen[base]})"
        systems.append(_System(system_id=f"{ag.code}-AI-{k + 1:03d}", **kw))
    return systems


def _add_prohibited_systems(sims: list[_Sim], quarters: list[str], seed: int) -> None:
    """One or two prohibited-tier pilots nationally, retired a quarter or two later."""
    if not sims:
        return
    rng = np.random.default_rng([seed, zlib.crc32(b"prohibited")])
    k = min(len(sims), 1 + int(rng.random() < 0.5))
    t_first = P.index(quarters[0]) - _T0
    n = len(quarters)
    for j, idx in enumerate(sorted(rng.choice(len(sims), size=k, replace=False))):
        sim = sims[int(idx)]
        function, title = _PROHIBITED_USE_CASES[j]
        idea = t_first + max(0, n // 2 - 2) + j
        sim.systems.append(_System(
            system_id=f"{sim.agency.code}-AI-{len(sim.systems) + 1:03d}", title=title,
            function=function, section=sim.agency.section, risk="prohibited", ia_done=False,
            oversight=True, citizen=False, build="vendor", genai=False, sandbox=False, states="",
            idea=idea, pilot=idea + 1, prod=None, retired=idea + 2 + int(rng.integers(0, 2)),
            hours=200.0, rate_rm=40.0))


# ---- writing --------------------------------------------------------------------------
def _fmt(v: float, kind: str) -> str:
    if kind in ("integer", "flag"):
        return str(int(round(v)))
    if v == int(v):
        return str(int(v))
    return f"{v:.2f}".rstrip("0").rstrip(".")


class _Writer:
    def __init__(self, root: Path, ref: _Reference):
        self.root = root
        self.reference_dir = ref.folder
        self.catalogue = [(r["indicator_code"], r["unit"], r["kind"],
                           r["allow_blank"].strip().lower() == "yes",
                           r["required"].strip().lower() == "yes") for r in ref.indicators]
        known = set(_known_indicators())
        for code, _u, _k, _b, required in self.catalogue:
            if required and code not in known:
                raise ValueError(f"the demo generator has no model for required indicator {code}")
        self.unit = {c: u for c, u, *_ in self.catalogue}
        self.kind = {c: k for c, _u, k, *_ in self.catalogue}

    def write(self, rel: str, header: Iterable[str], rows: list) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(header)
            w.writerows(rows)
        return path

    def return_rows(self, sim: _Sim, i: int, wrong: tuple[str, float] | None = None) -> list[tuple]:
        code, period = sim.agency.code, sim.quarters[i]
        note = sim.notes[i]
        unit_filled = sim.unit_filled
        actual = "A" if sim.status_explicit else ""
        provisional, estimated = bool(sim.provisional_budget[i]), bool(sim.estimated_active[i])
        rows = []
        for ind, unit, kind, allow_blank, _required in self.catalogue:
            series = sim.columns.get(ind)
            if series is None:
                continue
            v = series[i]
            if wrong is not None and wrong[0] == ind:
                v = wrong[1]
            if v != v:  # NaN: not reported
                if not allow_blank:
                    raise AssertionError(f"{code} {period}: required value {ind} missing")
                if sim.blank_rows:
                    rows.append((code, period, ind, "", unit if unit_filled else "", "", "", "", ""))
                continue
            status = actual
            if provisional and ind in ("BUD_DIGITAL_RM", "BUD_AI_RM"):
                status = "P"
            elif estimated and ind == "HC_GENAI_ACTIVE":
                status = "E"
            text = note[1] if note is not None and note[0] == ind else ""
            rows.append((code, period, ind, _fmt(v, kind), unit if unit_filled else "", "", "", status, text))
        for (btype, bcode, ind), series in sim.breakdowns.items():
            rows.append((code, period, ind, str(series[i]), self.unit[ind] if unit_filled else "",
                         btype, bcode, actual, ""))
        return rows

    @staticmethod
    def register_rows(sim: _Sim, i: int) -> list[tuple]:
        code, period, t = sim.agency.code, sim.quarters[i], int(sim.t[i])
        rows = []
        for x in sim.systems:
            stage = x.stage(t)
            if stage is None:
                continue
            piloted = x.pilot is not None and x.pilot <= t
            live = x.prod is not None and x.prod <= t
            if x.risk == "high":
                ia = x.ia_done and piloted
            else:
                ia = x.ia_done
            if stage == "production":
                hours = x.hours
            elif stage == "pilot":
                hours = float(_round_to(x.hours * 0.25, 10))
            else:
                hours = None
            rows.append((
                code, period, x.system_id, x.title, x.function, _FOCUS_SECTOR.get(x.section, "public services"),
                x.section, stage, x.risk, _yn(ia), _yn(x.oversight), _yn(x.citizen), x.build,
                _yn(x.genai), _yn(x.sandbox), x.states,
                P.from_index(_T0 + x.pilot) if piloted else "",
                P.from_index(_T0 + x.prod) if live else "",
                "" if hours is None else _fmt(hours, "decimal"),
                "" if hours is None else _fmt(float(_round_to(hours * x.rate_rm, 100)), "decimal"),
            ))
        return rows


def _yn(b: bool) -> str:
    return "yes" if b else "no"


def _known_indicators() -> tuple[str, ...]:
    return ("HC_TOTAL", "HC_AI_LIT", "HC_AI_ADV", "HC_AI_SPEC", "HC_GENAI_ACCESS", "HC_GENAI_ACTIVE",
            "SRV_N", "SRV_HRS_SAVED_SUM", "SRV_QUALITY_YES", "SVC_TOTAL", "SVC_E2E", "SVC_AI",
            "TXN_AI", "TXN_AI_BASE_DAYS", "TXN_AI_CUR_DAYS", "CSAT_AI_N", "CSAT_AI_SUM",
            "BUD_DIGITAL_RM", "BUD_AI_RM", "PROC_AI_RM", "PROC_AI_LOCAL_RM", "DS_OPEN",
            "DS_AI_READY", "DSA_SIGNED", "GOV_AI_POLICY", "GOV_AI_LEAD", "AI_INCIDENTS",
            "SANDBOX_N", "CASESTUDY_N")


def _analyst(code: str) -> str:
    return f"analyst.{code.lower()}"


def _write_quarter_per_return(w: _Writer, sims: list[_Sim], i: int, period: str,
                              items: list[DemoItem]) -> tuple[int, dict]:
    n_rows = 0
    counts = {"returns": 0, "late": 0, "missing": 0, "resubmitted": 0}
    for sim in sims:
        code = sim.agency.code
        if sim.missing[i]:
            counts["missing"] += 1
            continue
        when = sim.received[i]
        fix = sim.resub[i]
        rows = w.return_rows(sim, i, wrong=fix[:2] if fix else None)
        rel = w.write(f"returns/{period}/{code}_{period}.csv", RETURN_COLUMNS, rows)
        items.append(DemoItem(rel, "return", when, _analyst(code), None, code, period))
        n_rows += len(rows)
        counts["returns"] += 1
        counts["late"] += int(sim.late[i])
        reg = w.register_rows(sim, i)
        if reg:
            rel = w.write(f"registers/{period}/{code}_{period}_register.csv", REGISTER_COLUMNS, reg)
            items.append(DemoItem(rel, "register", when + timedelta(minutes=int(sim.register_lag_min[i])),
                                  _analyst(code), None, code, period))
        if fix:
            rows = w.return_rows(sim, i)
            rel = w.write(f"returns/{period}/{code}_{period}_v2.csv", RETURN_COLUMNS, rows)
            items.append(DemoItem(rel, "return", fix[3], _analyst(code), fix[2], code, period))
            n_rows += len(rows)
            counts["resubmitted"] += 1
    return n_rows, counts


def _write_quarter_combined(w: _Writer, sims: list[_Sim], i: int, period: str,
                            items: list[DemoItem]) -> tuple[int, dict]:
    n_rows = 0
    counts = {"returns": 0, "late": 0, "missing": 0, "resubmitted": 0}
    end = P.quarter_end(period)
    last_day = _AS_AT_DAYS - 1 if period == sims[0].quarters[-1] else _ON_TIME_LAST_DAY
    batches = (("", datetime.combine(end + timedelta(days=last_day), time(17, 0), MYT), False),
               ("_late", datetime.combine(end + timedelta(days=_LATE_LAST_DAY), time(17, 0), MYT), True))
    for suffix, when, late in batches:
        ret_rows: list[tuple] = []
        reg_rows: list[tuple] = []
        for sim in sims:
            if sim.missing[i] or bool(sim.late[i]) != late:
                continue
            fix = sim.resub[i]
            ret_rows += w.return_rows(sim, i, wrong=fix[:2] if fix else None)
            reg_rows += w.register_rows(sim, i)
            counts["returns"] += 1
            counts["late"] += int(late)
        if ret_rows:
            rel = w.write(f"returns/{period}/returns_{period}{suffix}.csv", RETURN_COLUMNS, ret_rows)
            items.append(DemoItem(rel, "return", when, DATA_TEAM_USER, None, None, period))
            n_rows += len(ret_rows)
        if reg_rows:
            rel = w.write(f"registers/{period}/register_{period}{suffix}.csv", REGISTER_COLUMNS, reg_rows)
            items.append(DemoItem(rel, "register", when + timedelta(minutes=30), DATA_TEAM_USER, None, None, period))
    for sim in sims:
        code = sim.agency.code
        counts["missing"] += int(sim.missing[i])
        fix = sim.resub[i]
        if fix and not sim.missing[i]:
            batch_time = batches[1][1] if sim.late[i] else batches[0][1]
            rows = w.return_rows(sim, i)
            rel = w.write(f"returns/{period}/{code}_{period}_v2.csv", RETURN_COLUMNS, rows)
            items.append(DemoItem(rel, "return", max(fix[3], batch_time + timedelta(days=7)),
                                  _analyst(code), fix[2], code, period))
            n_rows += len(rows)
            counts["resubmitted"] += 1
    return n_rows, counts


# ---- sector reports -------------------------------------------------------------------
# Enterprise AI use in 2024 (% of enterprises with 10+ staff), by MSIC section, for the
# sections outside Eurostat's survey scope; the others follow the EU27 level of 2024.
_C1_OUTSIDE_EUROSTAT_2024 = {"A": 4.0, "B": 9.0, "K": 28.0, "P": 12.0, "Q": 10.0, "R": 8.0, "S": 6.0}
_C1_FALLBACK_EU27_2024 = {"C": 10.57, "D": 25.68, "E": 8.38, "F": 6.09, "G": 12.11, "H": 8.13,
                          "I": 6.09, "J": 48.72, "L": 15.45, "M": 30.53, "N": 14.33}
_GARI_RANK = {2022: 29, 2023: 23, 2024: 24}  # Oxford Insights, Government AI Readiness Index
_DIGITAL_GDP_2020 = 22.6  # DOSM, as cited in the MyDIGITAL progress reporting


def _eu27_2024(reference_dir: Path | None) -> dict[str, float]:
    values = dict(_C1_FALLBACK_EU27_2024)
    if reference_dir is None:
        return values
    path = reference_dir / "eurostat_ai_use_eu27_by_nace_tidy.csv"
    if path.exists():
        for r in _read_csv(path):
            if r.get("year") == "2024" and len(r.get("nace_r2", "")) == 1:
                try:
                    values[r["nace_r2"]] = float(r["value"])
                except ValueError:
                    pass
    return values


def _write_sector_reports(w: _Writer, quarters: list[str], as_at: datetime, seed: int) -> list[DemoItem]:
    rng = np.random.default_rng([seed, zlib.crc32(b"sector-reports")])
    items: list[DemoItem] = []

    def add(rel: str, rows: list[tuple], when: datetime, period: str) -> None:
        if when < as_at and rows:
            items.append(DemoItem(w.write(rel, SECTOR_COLUMNS, rows), "sector", when, DATA_TEAM_USER,
                                  None, None, period))

    def at(d: date) -> datetime:
        return datetime.combine(d, time(10, 0), MYT)

    first_year, last_year = P.split(quarters[0])[0], as_at.year
    # C1: national enterprise survey, results released in May of the following year.
    eu = _eu27_2024(w.reference_dir)
    base = {s: v * 0.8 for s, v in eu.items()}
    base.update(_C1_OUTSIDE_EUROSTAT_2024)
    sections = sorted(base)
    noise = rng.normal(0.0, 0.08, (last_year - 2020 + 1, len(sections)))
    state_noise = rng.normal(0.0, 0.06, (last_year - 2020 + 1, 16))
    for y in range(max(2021, min(first_year - 1, 2023)), last_year):
        k = y - 2020
        growth = math.exp(0.4 * (y - 2024))
        rows = []
        for j, sec in enumerate(sections):
            v = min(85.0, base[sec] * growth * (1.0 + noise[k, j]))
            rows.append((sec, str(y), "C1_ENT_AI_PCT", f"{v:.1f}", "", SYNTHETIC_SOURCE))
        national = min(85.0, 11.0 * growth)
        rows.append(("ALL", str(y), "C1_ENT_AI_PCT", f"{national:.1f}", "", SYNTHETIC_SOURCE))
        for si in range(16):
            v = min(90.0, national * _STATE_ENTERPRISE[si] * (1.0 + state_noise[k, si]))
            rows.append(("ALL", str(y), "C1_ENT_AI_PCT", f"{v:.1f}", str(si + 1), SYNTHETIC_SOURCE))
        add(f"sectors/enterprise_ai_use_{y}.csv", rows, at(date(y + 1, 5, 15)), str(y))
    # C2: Government AI Readiness Index rank (real), published in December.
    for y, rank in sorted(_GARI_RANK.items()):
        add(f"sectors/gari_rank_{y}.csv",
            [("ALL", str(y), "C2_GARI_RANK", str(rank), "",
              f"Oxford Insights, Government AI Readiness Index {y}")], at(date(y, 12, 15)), str(y))
    # C3: people reached by national AI upskilling, to date, reported each quarter.
    reached_prev = 0
    for q in quarters:
        tq = P.index(q) - _T0
        v = 900_000 * float(_sigmoid(0.45 * (tq - 6))) * (1.0 + rng.normal(0.0, 0.02))
        reached_prev = max(reached_prev, int(round(v, -1)))
        add(f"sectors/upskilling_{q}.csv", [("ALL", q, "C3_UPSKILLED", str(reached_prev), "", SYNTHETIC_SOURCE)],
            at(P.quarter_end(q) + timedelta(days=20)), q)
    # C4: digital economy share of GDP, released in October of the following year.
    for y in range(2020, last_year):
        if y == 2020:
            row = ("ALL", "2020", "C4_DIGITAL_GDP_PCT", f"{_DIGITAL_GDP_2020:.1f}", "",
                   "DOSM, as cited in MyDIGITAL progress reporting (22.6% in 2020)")
        else:
            v = _DIGITAL_GDP_2020 + 0.45 * (y - 2020) + rng.normal(0.0, 0.15)
            row = ("ALL", str(y), "C4_DIGITAL_GDP_PCT", f"{v:.1f}", "", SYNTHETIC_SOURCE)
        add(f"sectors/digital_economy_{y}.csv", [row], at(date(y + 1, 10, 15)), str(y))
    return items


def _write_manifest(out_dir: Path, m: DemoManifest) -> None:
    doc = {
        "first_period": m.first_period, "last_period": m.last_period, "seed": m.seed,
        "layout": m.layout, "as_at": m.as_at.isoformat() if m.as_at else None,
        "agency_codes": m.agency_codes, "synthetic_agencies": m.synthetic_agencies,
        "items": [{"path": it.path.relative_to(out_dir).as_posix(), "kind": it.kind, "received_at": it.received_at.isoformat(),
                   "submitted_by": it.submitted_by, "reason": it.reason, "agency_code": it.agency_code,
                   "period": it.period} for it in m.items],
    }
    with open(out_dir / "manifest.json", "w", encoding="utf-8", newline="\n") as fh:
        json.dump(doc, fh, indent=1, ensure_ascii=False)
        fh.write("\n")
    if m.synthetic_agencies:
        cols = ("agency_code", "name_ms", "name_en", "ministry_code", "org_type", "peer_group",
                "submits_returns", "url", "note")
        with open(out_dir / "synthetic_agencies.csv", "w", newline="", encoding="utf-8") as fh:
            wr = csv.writer(fh, lineterminator="\n")
            wr.writerow(cols)
            wr.writerows([[r[c] for c in cols] for r in m.synthetic_agencies])
