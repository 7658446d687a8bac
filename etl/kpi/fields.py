"""The strict schema of one KPI YAML file: every key known, every value typed.

``parse_file`` never stops at the first problem: it records each one (file, line, the
dotted field path, the value and what would be accepted) and keeps checking.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from etl import periods
from etl.kpi.definitions import (
    DEFAULT_MIN_COVERAGE,
    DELIVERABLES,
    DIRECTIONS,
    LEVELS,
    PILLARS,
    ROLLUPS,
    THRESHOLD_MODES,
    UNITS,
    Baseline,
    CountBeside,
    Formula,
    KpiDefinition,
    Target,
    Thresholds,
)
from etl.kpi.yaml_lines import LineDict, LineList, YamlSyntaxError, load_yaml
from etl.problems import Problem, problem

TOP_KEYS = {
    "id": True, "name_en": True, "name_ms": True, "description_en": True, "description_ms": True,
    "pillar": True, "deliverables": False, "unit": True, "display_format": True, "direction": True,
    "formula": True, "rollup": True, "targets": False, "thresholds": False, "levels": False,
    "target_levels": False, "min_coverage": False, "in_composite": False, "show_count_beside": False,
}
FORMULA_KEYS = {"numerator": False, "denominator": False, "value": False, "weight": False,
                "condition": False, "scale": False}
TARGET_KEYS = {"period": False, "value": False, "source": True, "baseline": False,
               "growth_per_year": False, "per_year": False}
BASELINE_KEYS = {"period": True, "value": True}
THRESHOLD_KEYS = {"on_track_within": True, "at_risk_within": True, "mode": False}
COUNT_KEYS = {"part": True, "label_en": True, "label_ms": True, "reference_value": False,
              "reference_source": False}
_MISSING = object()


class FileCheck:
    """Collects the problems of one file."""

    def __init__(self, path: Path):
        self.file = str(path)
        self.problems: list[Problem] = []

    def add(self, code: str, message: str, line: int | None, column: str = "", value: Any = "",
            expected: str = "") -> None:
        self.problems.append(problem(code, message, file=self.file, row=line, column=column,
                                     value=value, expected=expected))

    def mapping(self, node: Any, spec: dict[str, bool], where: str, line: int) -> LineDict | None:
        """Check that ``node`` is a mapping with only known keys and every required one."""
        if not isinstance(node, LineDict):
            self.add("wrong-type", f"{where or 'the file'} must be a mapping of keys to values", line,
                     where, type(node).__name__, "key: value lines")
            return None
        for key, dup_line in node.duplicates:
            self.add("duplicate-key", f"key {key!r} appears more than once in {where or 'the file'}",
                     dup_line, _path(where, key), key)
        for key in node:
            if key not in spec:
                self.add("unknown-key", f"unknown key {key!r} in {where or 'the file'}", node.line_of(key),
                         _path(where, key), key, ", ".join(spec))
        for key, required in spec.items():
            if required and key not in node:
                self.add("missing-key", f"missing required key {key!r} in {where or 'the file'}",
                         node.line, _path(where, key), "", key)
        return node

    def get(self, node: LineDict, key: str, where: str, convert: Callable[[Any], Any], expected: str,
            default: Any = None) -> Any:
        """Convert ``node[key]``; record a problem (and return ``_MISSING``) when it does not fit."""
        if key not in node:
            return default
        raw = node[key]
        try:
            return convert(raw)
        except (TypeError, ValueError) as exc:
            reason = str(exc) or "not accepted"
            self.add("bad-value", f"{_path(where, key)}: {reason}", node.line_of(key), _path(where, key),
                     raw, expected)
            return _MISSING


def _path(where: str, key: Any) -> str:
    return f"{where}.{key}" if where else str(key)


def text(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError("must be a non-empty text")
    return raw.strip()


def choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def convert(raw: Any) -> str:
        if raw not in options:
            raise ValueError(f"{raw!r} is not one of {', '.join(options)}")
        return raw
    return convert


def choices(options: tuple[str, ...], allow_empty: bool = True) -> Callable[[Any], tuple[str, ...]]:
    def convert(raw: Any) -> tuple[str, ...]:
        if not isinstance(raw, list):
            raise ValueError("must be a list")
        bad = [item for item in raw if item not in options]
        if bad:
            raise ValueError(f"unknown {', '.join(map(str, bad))}")
        if len(set(raw)) != len(raw):
            raise ValueError("lists an item twice")
        if not raw and not allow_empty:
            raise ValueError("must not be empty")
        return tuple(raw)
    return convert


def number(raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise ValueError("must be a number")
    return float(raw)


def flag(raw: Any) -> bool:
    if not isinstance(raw, bool):
        raise ValueError("must be true or false")
    return raw


def coverage(raw: Any) -> float:
    value = number(raw)
    if not 0 < value <= 1:
        raise ValueError("must be above 0 and at most 1 (a share of expected agencies)")
    return value


def target_period(raw: Any) -> str:
    """``2026Q4``, or a year ``2026`` meaning its last quarter."""
    if isinstance(raw, int) and not isinstance(raw, bool) and 1990 <= raw <= 2100:
        return f"{raw}Q4"
    if isinstance(raw, str) and raw.strip().isdigit():
        return target_period(int(raw.strip()))
    if isinstance(raw, str):
        return periods.normalise_period(raw)
    raise ValueError("must be a quarter YYYYQn or a year YYYY")


def display_format(raw: Any) -> str:
    spec = text(raw)
    try:
        format(1234.5, spec)
    except ValueError:
        raise ValueError("is not a number format such as .1f or ,.0f") from None
    return spec


def parse_file(path: Path) -> tuple[KpiDefinition | None, list[Problem]]:
    """Parse one definition file; return the definition (or None) and its problems."""
    check = FileCheck(path)
    try:
        doc = load_yaml(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        check.add("bad-encoding", "the file is not UTF-8 text", None)
        return None, check.problems
    except YamlSyntaxError as exc:
        check.add("yaml-syntax", f"not valid YAML: {exc}", exc.line)
        return None, check.problems
    node = check.mapping(doc, TOP_KEYS, "", 1)
    if node is None:
        return None, check.problems
    values = _top_values(check, node)
    if check.problems:
        return None, check.problems
    lines = {"": node.line, **{str(k): v for k, v in node.lines.items()}}
    lines.update({f"formula.{k}": v for k, v in node["formula"].lines.items()})
    return KpiDefinition(**values, source_file=path.name, source_path=str(path), lines=lines), check.problems


def _top_values(check: FileCheck, node: LineDict) -> dict:
    v: dict[str, Any] = {}
    for key in ("id", "name_en", "name_ms", "description_en", "description_ms"):
        v[key] = check.get(node, key, "", text, "a non-empty text")
    v["pillar"] = check.get(node, "pillar", "", choice(PILLARS), ", ".join(PILLARS))
    v["deliverables"] = check.get(node, "deliverables", "", choices(DELIVERABLES), "a list of D1-D7", ())
    v["unit"] = check.get(node, "unit", "", choice(UNITS), ", ".join(UNITS))
    v["display_format"] = check.get(node, "display_format", "", display_format, "a format such as .1f")
    v["direction"] = check.get(node, "direction", "", choice(DIRECTIONS), "up or down")
    v["rollup"] = check.get(node, "rollup", "", choice(ROLLUPS), ", ".join(ROLLUPS))
    v["levels"] = check.get(node, "levels", "", choices(LEVELS, False), ", ".join(LEVELS), LEVELS)
    v["target_levels"] = check.get(node, "target_levels", "", choices(LEVELS), ", ".join(LEVELS), _MISSING)
    v["min_coverage"] = check.get(node, "min_coverage", "", coverage, "a share in (0, 1]", DEFAULT_MIN_COVERAGE)
    v["in_composite"] = check.get(node, "in_composite", "", flag, "true or false", False)
    v["formula"] = _formula(check, node["formula"], node.line_of("formula")) if "formula" in node else None
    v["targets"] = _targets(check, node)
    v["thresholds"] = _thresholds(check, node.get("thresholds"), node.line_of("thresholds"))
    v["show_count_beside"] = _count_beside(check, node.get("show_count_beside"), node.line_of("show_count_beside"))
    if v["target_levels"] is _MISSING and isinstance(v["levels"], tuple):
        v["target_levels"] = v["levels"]
    return v


def _formula(check: FileCheck, raw: Any, line: int) -> Formula | None:
    node = check.mapping(raw, FORMULA_KEYS, "formula", line)
    if node is None:
        return None
    parts = {}
    for key in ("numerator", "denominator", "value", "weight", "condition"):
        parts[key] = check.get(node, key, "formula", _expression, "an expression such as HC_AI_LIT")
    scale = check.get(node, "scale", "formula", number, "a number such as 100", 1.0)
    return Formula(**parts, scale=scale)


def _expression(raw: Any) -> str:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return str(raw)
    return text(raw)


def _targets(check: FileCheck, node: LineDict) -> tuple[Target, ...]:
    raw = node.get("targets")
    if raw is None or raw == []:
        return ()
    if not isinstance(raw, LineList):
        check.add("wrong-type", "targets must be a list", node.line_of("targets"), "targets", raw, "- period: ...")
        return ()
    out = []
    for i, item in enumerate(raw):
        where = f"targets[{i + 1}]"
        entry = check.mapping(item, TARGET_KEYS, where, raw.line_of(i))
        if entry is None:
            continue
        baseline = None
        if "baseline" in entry:
            base = check.mapping(entry["baseline"], BASELINE_KEYS, f"{where}.baseline", entry.line_of("baseline"))
            if base is not None:
                bp = check.get(base, "period", f"{where}.baseline", target_period, "YYYYQn or YYYY")
                bv = check.get(base, "value", f"{where}.baseline", number, "a number")
                baseline = Baseline(bp, bv)
        out.append(Target(
            source=check.get(entry, "source", where, text, "a citation, or 'proposal ...'"),
            value=check.get(entry, "value", where, number, "a number"),
            period=check.get(entry, "period", where, target_period, "YYYYQn or YYYY"),
            baseline=baseline,
            growth_per_year=check.get(entry, "growth_per_year", where, number, "a percentage per year"),
            per_year=check.get(entry, "per_year", where, flag, "true or false", False),
            line=entry.line,
        ))
    return tuple(out)


def _thresholds(check: FileCheck, raw: Any, line: int) -> Thresholds | None:
    if raw is None:
        return None
    node = check.mapping(raw, THRESHOLD_KEYS, "thresholds", line)
    if node is None:
        return None
    return Thresholds(
        on_track_within=check.get(node, "on_track_within", "thresholds", number, "a number"),
        at_risk_within=check.get(node, "at_risk_within", "thresholds", number, "a number"),
        mode=check.get(node, "mode", "thresholds", choice(THRESHOLD_MODES), "relative or absolute", "relative"),
    )


def _count_beside(check: FileCheck, raw: Any, line: int) -> CountBeside | None:
    if raw is None:
        return None
    node = check.mapping(raw, COUNT_KEYS, "show_count_beside", line)
    if node is None:
        return None
    where = "show_count_beside"
    return CountBeside(
        part=check.get(node, "part", where, choice(("numerator", "denominator", "value")), "numerator or denominator"),
        label_en=check.get(node, "label_en", where, text, "a label"),
        label_ms=check.get(node, "label_ms", where, text, "a label"),
        reference_value=check.get(node, "reference_value", where, number, "a number"),
        reference_source=check.get(node, "reference_source", where, text, "a citation", ""),
    )
