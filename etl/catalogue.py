"""The indicator catalogue: the reference data that drives validation.

``indicators.csv`` (code, names, unit, kind of number, behaviour over time, valid range),
``indicator_relations.csv`` (``left <= factor x right`` within one agency, period and
breakdown), ``context_indicators.csv`` (the national context series of sector reports) and
the agencies that submit returns (``agencies.csv``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    name_en: str
    name_ms: str
    unit: str
    kind: str  # integer | decimal | flag
    temporal: str  # stock | flow | cumulative
    min_value: float | None
    max_value: float | None
    allow_blank: bool
    required: bool


@dataclass(frozen=True)
class Relation:
    """``left <= factor x right`` within one agency, period and breakdown."""

    rule_id: str
    left: str
    operator: str
    factor: float
    right: str
    message_en: str
    message_ms: str = ""  # the same explanation in Malay (column message_ms, optional)


@dataclass
class Catalogue:
    indicators: dict[str, IndicatorSpec]
    relations: list[Relation]
    # national context series of sector reports (context_indicators.csv)
    context: dict[str, IndicatorSpec] = field(default_factory=dict)


def _csv_dicts(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def _optional_float(text: str) -> float | None:
    return float(text) if text else None


def load_catalogue(reference_dir: Path) -> Catalogue:
    """Read indicators.csv, indicator_relations.csv and (if present) context_indicators.csv."""
    reference_dir = Path(reference_dir)
    indicators = {
        r["indicator_code"]: IndicatorSpec(
            code=r["indicator_code"], name_en=r["name_en"], name_ms=r["name_ms"], unit=r["unit"],
            kind=r["kind"], temporal=r["temporal"], min_value=_optional_float(r["min"]),
            max_value=_optional_float(r["max"]), allow_blank=r["allow_blank"] == "yes",
            required=r["required"] == "yes")
        for r in _csv_dicts(reference_dir / "indicators.csv")}
    relations = [Relation(rule_id=r["rule_id"], left=r["left"], operator=r["operator"],
                          factor=float(r["factor"]), right=r["right"], message_en=r["message_en"],
                          message_ms=r.get("message_ms", ""))
                 for r in _csv_dicts(reference_dir / "indicator_relations.csv")]
    for rel in relations:
        if rel.operator != "<=" or rel.left not in indicators or rel.right not in indicators:
            raise ValueError(f"indicator_relations.csv: {rel.rule_id} is not 'CODE <= factor x CODE'")
    return Catalogue(indicators=indicators, relations=relations,
                     context=_load_context(reference_dir / "context_indicators.csv"))


def _load_context(path: Path) -> dict[str, IndicatorSpec]:
    """Context series of sector reports; ranks and head counts are whole numbers."""
    if not path.exists():
        return {}
    return {r["indicator_code"]: IndicatorSpec(
        code=r["indicator_code"], name_en=r["name_en"], name_ms=r["name_ms"], unit=r["unit"],
        kind="integer" if r["unit"] in ("rank", "persons") else "decimal", temporal="stock",
        min_value=_optional_float(r["min_value"]), max_value=_optional_float(r["max_value"]),
        allow_blank=False, required=False) for r in _csv_dicts(path)}


def load_agencies(reference_dir: Path) -> dict[str, bool]:
    """Agency code -> submits returns, from agencies.csv."""
    return {r["agency_code"].upper(): r["submits_returns"].lower() == "yes"
            for r in _csv_dicts(Path(reference_dir) / "agencies.csv")}
