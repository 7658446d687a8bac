"""Meaning checks over loaded definitions: a list of small named rules.

Each rule takes one definition (or all of them) and the indicator catalogue, and returns
problems. Adding a check is one function here, one entry in ``RULES`` and one test.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from etl import periods
from etl.kpi.definitions import FORMULA_PARTS, KpiDefinition
from etl.kpi.formula import FormulaError, parse
from etl.kpi.render import Atoms, Params, Renderer
from etl.problems import Problem, problem

Rule = Callable[[KpiDefinition, dict[str, str]], Iterable[Problem]]
ROLE_TYPES = {"numerator": "number", "denominator": "number", "value": "number", "weight": "number",
              "condition": "boolean"}
ID_PATTERN = re.compile(r"^K\d{2}$")


def _issue(d: KpiDefinition, code: str, message: str, key: str, value: object = "", expected: str = "",
           line: int | None = None) -> Problem:
    return problem(code, f"{d.id}: {message}", file=d.source_path or d.source_file, row=line or d.line_of(key),
                   column=key, value=value, expected=expected)


def id_matches_file(d: KpiDefinition, _: dict[str, str]) -> Iterable[Problem]:
    if not ID_PATTERN.match(d.id):
        yield _issue(d, "bad-id", f"id {d.id!r} is not K followed by two digits", "id", d.id, "K01")
    elif d.source_file.rsplit(".", 1)[0] != d.id:
        yield _issue(d, "id-file-mismatch", f"id {d.id!r} does not match the file name {d.source_file!r}",
                     "id", d.id, f"{d.id}.yaml")


def formula_fits_rollup(d: KpiDefinition, _: dict[str, str]) -> Iterable[Problem]:
    wanted = FORMULA_PARTS[d.rollup]
    present = tuple(d.formula.parts())
    for role in wanted:
        if role not in present:
            yield _issue(d, "formula-shape", f"rollup {d.rollup} needs formula.{role}", "formula",
                         expected=", ".join(wanted))
    for role in present:
        if role not in wanted:
            yield _issue(d, "formula-shape", f"formula.{role} has no meaning for rollup {d.rollup}",
                         f"formula.{role}", d.formula.parts()[role], ", ".join(wanted))


def formula_parses(d: KpiDefinition, catalogue: dict[str, str]) -> Iterable[Problem]:
    """Every part parses, has the right type, names known indicators, and reads one kind of source."""
    atoms = Atoms()
    renderer = Renderer(Params(), atoms)
    for role, expr in d.formula.parts().items():
        try:
            _, kind = renderer.render(parse(expr))
        except FormulaError as exc:
            yield _issue(d, "bad-formula", f"formula.{role}: {exc.describe(expr)}", f"formula.{role}", expr)
            continue
        if kind != ROLE_TYPES[role]:
            yield _issue(d, "bad-formula", f"formula.{role} must be a {ROLE_TYPES[role]}, not a {kind}",
                         f"formula.{role}", expr)
    for code in atoms.indicators:
        if code not in catalogue:
            yield _issue(d, "unknown-indicator", f"unknown indicator code {code!r} in the formula", "formula",
                         code, "a code of the indicator catalogue")
    if "milestones" in atoms.scopes() and len(atoms.scopes()) > 1:
        yield _issue(d, "mixed-sources", "milestone counts cannot be combined with agency data", "formula")
    if "milestones" in atoms.scopes() and d.levels != ("national",):
        yield _issue(d, "milestone-levels", "a milestone KPI exists only at national level", "levels",
                     ", ".join(d.levels), "levels: [national]")


def targets_in_order(d: KpiDefinition, _: dict[str, str]) -> Iterable[Problem]:
    dated = d.dated_targets
    for before, after in zip(dated, dated[1:], strict=False):
        if periods.index(after.period) <= periods.index(before.period):
            yield _issue(d, "targets-order", f"target {after.period} does not come after {before.period}",
                         "targets", after.period, "dated targets in time order", after.line)
    for i, t in enumerate(dated):
        if t.baseline and i > 0:
            yield _issue(d, "baseline-place", "only the first dated target may carry a baseline", "targets",
                         t.period, line=t.line)
        if t.baseline and periods.index(t.baseline.period) >= periods.index(t.period):
            yield _issue(d, "baseline-order", f"baseline {t.baseline.period} is not before target {t.period}",
                         "targets", t.baseline.period, line=t.line)


def target_forms(d: KpiDefinition, _: dict[str, str]) -> Iterable[Problem]:
    kinds = [t.kind for t in d.targets]
    for t in d.targets:
        if t.kind == "growth" and (t.value is not None or t.period):
            yield _issue(d, "target-form", "a growth target has growth_per_year only", "targets", line=t.line)
        elif t.kind != "growth" and t.value is None:
            yield _issue(d, "target-form", "a target needs a value (or growth_per_year)", "targets", line=t.line)
        if t.per_year and t.kind != "standing":
            yield _issue(d, "target-form", "per_year applies to a standing target (no period)", "targets",
                         line=t.line)
        if t.baseline and t.kind != "dated":
            yield _issue(d, "target-form", "only a dated target may carry a baseline", "targets", line=t.line)
    if len(kinds) > 1 and ("standing" in kinds or "growth" in kinds):
        yield _issue(d, "target-form", "a standing or growth target must be the only target", "targets")


def thresholds_fit(d: KpiDefinition, _: dict[str, str]) -> Iterable[Problem]:
    th = d.thresholds
    if d.targets and th is None:
        yield _issue(d, "missing-thresholds", "a KPI with targets needs thresholds", "targets",
                     expected="thresholds: {on_track_within: 5, at_risk_within: 15}")
        return
    if th is None:
        return
    if not 0 <= th.on_track_within <= th.at_risk_within:
        yield _issue(d, "thresholds-order", "need 0 <= on_track_within <= at_risk_within", "thresholds",
                     f"{th.on_track_within:g}, {th.at_risk_within:g}")
    zero = [t for t in d.targets if t.value == 0 or (t.baseline and t.baseline.value == 0)]
    if th.mode == "relative" and zero:
        yield _issue(d, "relative-zero-target", "relative thresholds cannot measure against a target of 0",
                     "thresholds", expected="mode: absolute")


def levels_fit(d: KpiDefinition, _: dict[str, str]) -> Iterable[Problem]:
    extra = [lv for lv in d.target_levels if lv not in d.levels]
    if extra:
        yield _issue(d, "target-levels", f"target_levels {', '.join(extra)} are not in levels", "target_levels",
                     ", ".join(extra), ", ".join(d.levels))


def composite_fits(d: KpiDefinition, _: dict[str, str]) -> Iterable[Problem]:
    if not d.in_composite:
        return
    if d.composite_target is None:
        yield _issue(d, "composite-target", "a composite component needs a fixed (dated or standing) target",
                     "in_composite")
    if "agency" not in d.target_levels:
        yield _issue(d, "composite-levels", "a composite component needs targets at agency level",
                     "in_composite", ", ".join(d.target_levels))


def count_beside_fits(d: KpiDefinition, _: dict[str, str]) -> Iterable[Problem]:
    if d.show_count_beside and d.show_count_beside.part not in d.formula.parts():
        yield _issue(d, "count-beside", f"show_count_beside.part {d.show_count_beside.part!r} is not in the formula",
                     "show_count_beside", d.show_count_beside.part, ", ".join(d.formula.parts()))


def scale_fits(d: KpiDefinition, _: dict[str, str]) -> Iterable[Problem]:
    if d.formula.scale == 0:
        yield _issue(d, "bad-scale", "formula.scale cannot be 0", "formula", "0")


RULES: tuple[Rule, ...] = (
    id_matches_file, formula_fits_rollup, formula_parses, targets_in_order, target_forms,
    thresholds_fit, levels_fit, composite_fits, count_beside_fits, scale_fits,
)


def unique_ids(definitions: list[KpiDefinition]) -> Iterable[Problem]:
    seen: dict[str, KpiDefinition] = {}
    for d in sorted(definitions, key=lambda d: d.source_file):
        if d.id in seen:
            yield _issue(d, "duplicate-id", f"id {d.id!r} is also used by {seen[d.id].source_file}", "id", d.id)
        else:
            seen[d.id] = d


def check_rules(definitions: list[KpiDefinition], catalogue: dict[str, str]) -> list[Problem]:
    """Run every rule over every definition, then the rules across definitions."""
    found: list[Problem] = []
    for d in definitions:
        for rule in RULES:
            found.extend(rule(d, catalogue))
    found.extend(unique_ids(definitions))
    return found
