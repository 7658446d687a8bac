"""KPI definitions: the typed model and the loader of ``kpi_definitions/*.yaml``.

``load_definitions`` reads every file, checks the strict schema (``etl.kpi.fields``) and
then the meaning rules (``etl.kpi.rules``), and returns the definitions that could be built
together with every problem found, each with file and line. A broken folder is reported in
full, never only its first problem.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from etl.problems import Problem, problem

PILLARS = ("GOV", "TAL", "ADO", "DAT", "IMP", "ECO", "DEL")
DELIVERABLES = ("D1", "D2", "D3", "D4", "D5", "D6", "D7")
UNITS = ("percent", "per_1000_staff", "per_100_systems", "hours", "hours_per_user_week", "count", "score_1_5")
DIRECTIONS = ("up", "down")
ROLLUPS = ("ratio_of_sums", "sum", "share_of_agencies", "weighted_mean")
LEVELS = ("national", "ministry", "agency", "sector", "state")
THRESHOLD_MODES = ("relative", "absolute")
DEFAULT_MIN_COVERAGE = 0.5

# Which formula parts each roll-up needs (all of them) and allows.
FORMULA_PARTS: dict[str, tuple[str, ...]] = {
    "ratio_of_sums": ("numerator", "denominator"),
    "sum": ("value",),
    "share_of_agencies": ("condition",),
    "weighted_mean": ("value", "weight"),
}

REFERENCE_INDICATORS = Path(__file__).resolve().parents[2] / "data" / "reference" / "indicators.csv"


@dataclass(frozen=True)
class Baseline:
    period: str
    value: float


@dataclass(frozen=True)
class Target:
    """A dated target (``period``), a standing one (no period) or a growth rate per year."""

    source: str
    value: float | None = None
    period: str | None = None
    baseline: Baseline | None = None
    growth_per_year: float | None = None
    per_year: bool = False
    line: int = 0

    @property
    def kind(self) -> str:
        if self.growth_per_year is not None:
            return "growth"
        return "dated" if self.period else "standing"

    @property
    def is_proposal(self) -> bool:
        return self.source.strip().lower().startswith("proposal")

    def as_dict(self) -> dict:
        out: dict = {"kind": self.kind, "source": self.source, "proposal": self.is_proposal}
        for key in ("period", "value", "growth_per_year"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.per_year:
            out["per_year"] = True
        if self.baseline:
            out["baseline"] = {"period": self.baseline.period, "value": self.baseline.value}
        return out


@dataclass(frozen=True)
class Thresholds:
    """How far behind the trajectory a value may be: on track, at risk, else off track."""

    on_track_within: float
    at_risk_within: float
    mode: str = "relative"  # relative: % of the trajectory value; absolute: KPI units

    def as_dict(self) -> dict:
        return {"on_track_within": self.on_track_within, "at_risk_within": self.at_risk_within, "mode": self.mode}


@dataclass(frozen=True)
class Formula:
    numerator: str | None = None
    denominator: str | None = None
    value: str | None = None
    weight: str | None = None
    condition: str | None = None
    scale: float = 1.0

    def parts(self) -> dict[str, str]:
        """The expression texts present, by role, in a fixed order."""
        roles = ("numerator", "denominator", "value", "weight", "condition")
        return {r: getattr(self, r) for r in roles if getattr(self, r) is not None}

    def describe(self) -> str:
        text = "; ".join(f"{role}: {expr}" for role, expr in self.parts().items())
        return text + (f"; scale: {self.scale:g}" if self.scale != 1 else "")


@dataclass(frozen=True)
class CountBeside:
    """A count shown beside the rate (for example the national number of officers)."""

    part: str
    label_en: str
    label_ms: str
    reference_value: float | None = None
    reference_source: str = ""

    def as_dict(self) -> dict:
        return {"part": self.part, "label_en": self.label_en, "label_ms": self.label_ms,
                "reference_value": self.reference_value, "reference_source": self.reference_source}


@dataclass(frozen=True)
class KpiDefinition:
    id: str
    name_en: str
    name_ms: str
    description_en: str
    description_ms: str
    pillar: str
    deliverables: tuple[str, ...]
    unit: str
    display_format: str
    direction: str
    formula: Formula
    rollup: str
    targets: tuple[Target, ...] = ()
    thresholds: Thresholds | None = None
    levels: tuple[str, ...] = LEVELS
    target_levels: tuple[str, ...] = LEVELS
    min_coverage: float = DEFAULT_MIN_COVERAGE
    in_composite: bool = False
    show_count_beside: CountBeside | None = None
    source_file: str = ""  # file name, e.g. K01.yaml
    source_path: str = field(default="", compare=False, repr=False)  # path as loaded, for problems
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def line_of(self, key: str) -> int:
        """Line of a key such as ``formula.numerator`` (or of its parent key, or of the file)."""
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key.rpartition(".")[0]
        return self.lines.get("", 1)

    @property
    def dated_targets(self) -> tuple[Target, ...]:
        return tuple(t for t in self.targets if t.kind == "dated")

    @property
    def composite_target(self) -> float | None:
        """The fixed target a composite score is measured against: the last dated or the standing one."""
        for t in reversed(self.targets):
            if t.kind in ("dated", "standing") and not t.per_year:
                return t.value
        return None


def read_indicator_catalogue(path: Path = REFERENCE_INDICATORS) -> dict[str, str]:
    """Indicator code -> temporal rule (stock, flow, cumulative), from the reference CSV."""
    with open(path, newline="", encoding="utf-8") as fh:
        return {row["indicator_code"]: row["temporal"] for row in csv.DictReader(fh)}


def load_definitions(directory: Path, indicators: dict[str, str] | None = None,
                     ) -> tuple[list[KpiDefinition], list[Problem]]:
    """Load every ``*.yaml`` in ``directory``; return the definitions and all problems.

    ``indicators`` maps indicator codes to their temporal rule; by default the project's
    reference catalogue. Definitions that fail the schema are left out; those that only
    break a meaning rule are returned and their problems listed.
    """
    from etl.kpi.fields import parse_file
    from etl.kpi.rules import check_rules

    directory = Path(directory)
    if not directory.is_dir():
        return [], [problem("no-definitions", f"no KPI definition folder at {directory}", file=str(directory))]
    files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
    if not files:
        return [], [problem("no-definitions", f"no *.yaml files in {directory}", file=str(directory))]
    definitions: list[KpiDefinition] = []
    problems: list[Problem] = []
    for path in files:
        definition, found = parse_file(path)
        problems.extend(found)
        if definition is not None:
            definitions.append(definition)
    catalogue = read_indicator_catalogue() if indicators is None else indicators
    problems.extend(check_rules(definitions, catalogue))
    definitions.sort(key=lambda d: d.id)
    return definitions, problems
