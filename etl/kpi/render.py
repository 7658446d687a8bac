"""Type-check a parsed formula and render it as SQL with bound parameters.

Three scopes:

* ``unit`` - one agency (or one agency's sector/state breakdown) in one period. Names are
  indicator codes (``HC_TOTAL``); ``count(register[, filter])``,
  ``sum(register.column[, filter])`` and ``count(milestones[, filter])`` are aggregates.
* ``register`` - one row of an agency's AI use-case register (inside a register filter).
* ``milestones`` - one NAIO milestone (inside a milestone filter).

Every literal is bound as a parameter (``$p1``...). Column names come only from the fixed
tables below; indicator codes become column aliases only after matching ``CODE_PATTERN``.
Sums of numbers are exact (``etl.kpi.exact``), so they do not depend on the order of the rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import date

from etl import periods
from etl.kpi.exact import exact_sum
from etl.kpi.formula import Binary, Bool, Call, FormulaError, InList, IsNull, Name, Neg, Not, Num, Str

CODE_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]{1,39}$")

STAGES = ("idea", "pilot", "production", "retired")
RISK_TIERS = ("prohibited", "high", "limited", "minimal")
MILESTONE_STATUSES = ("planned", "in_progress", "done", "overdue")

# name -> (type, SQL, allowed values or None)
REGISTER_COLUMNS: dict[str, tuple[str, str, tuple[str, ...] | None]] = {
    "system_id": ("string", "u.system_id", None),
    "title": ("string", "u.title", None),
    "function": ("string", 'u."function"', None),
    "focus_sector": ("string", "u.focus_sector", None),
    "msic_section": ("string", "u.msic_section", None),
    "build_mode": ("string", "u.build_mode", None),
    "stage": ("string", "u.stage", STAGES),
    "risk_tier": ("string", "u.risk_tier", RISK_TIERS),
    "impact_assessment": ("boolean", "u.impact_assessment", None),
    "human_oversight": ("boolean", "u.human_oversight", None),
    "citizen_facing": ("boolean", "u.citizen_facing", None),
    "uses_genai": ("boolean", "u.uses_genai", None),
    "sandbox": ("boolean", "u.sandbox", None),
    "pilot_start_period": ("period", "u.pilot_start_qidx", None),
    "production_period": ("period", "u.production_qidx", None),
    "est_hours_saved": ("number", "u.est_hours_saved", None),
    "est_cost_saved_rm": ("number", "u.est_cost_saved_rm", None),
    "period": ("period", "u.qidx", None),
}
MILESTONE_COLUMNS: dict[str, tuple[str, str, tuple[str, ...] | None]] = {
    "milestone_id": ("string", "m.milestone_id", None),
    "deliverable_code": ("string", "m.deliverable_code", None),
    "status": ("string", "m.status", MILESTONE_STATUSES),
    "planned_date": ("date", "m.planned_date", None),
    "actual_date": ("date", "m.actual_date", None),
    "period": ("period", "p.qidx", None),
    "period_end": ("date", "p.period_end", None),
}
SCOPE_COLUMNS = {"register": REGISTER_COLUMNS, "milestones": MILESTONE_COLUMNS}
ARITHMETIC = {"+", "-", "*", "/"}


@dataclass
class Params:
    """Bound parameters of one SQL statement, in the order they appear."""

    values: dict[str, object] = field(default_factory=dict)
    count: int = 0

    def bind(self, value: object) -> str:
        self.count += 1
        name = f"p{self.count}"
        self.values[name] = value
        return f"${name}"

    def named(self, name: str, value: object) -> str:
        self.values[name] = value
        return f"${name}"


@dataclass
class Atoms:
    """What a formula reads: indicator columns and register/milestone aggregates."""

    indicators: dict[str, str] = field(default_factory=dict)  # code -> column alias
    register: dict[tuple, tuple[str, str]] = field(default_factory=dict)  # key -> (alias, SQL)
    milestones: dict[tuple, tuple[str, str]] = field(default_factory=dict)

    def scopes(self) -> set[str]:
        found = {"returns"} if self.indicators else set()
        return found | ({"register"} if self.register else set()) | ({"milestones"} if self.milestones else set())


def canon(node: object) -> tuple:
    """A position-free key of an AST node, so equal sub-formulas share one column."""
    if isinstance(node, tuple):
        return tuple(canon(n) for n in node)
    if not hasattr(node, "__dataclass_fields__"):
        return (node,)
    parts = [type(node).__name__] + [canon(getattr(node, f.name)) for f in fields(node) if f.name != "pos"]
    return tuple(parts)


class Renderer:
    def __init__(self, params: Params, atoms: Atoms):
        self.params = params
        self.atoms = atoms

    def render(self, node: object, scope: str = "unit") -> tuple[str, str]:
        """Return (SQL, type) of ``node`` in ``scope``; raise ``FormulaError``."""
        if isinstance(node, Num):
            return self.params.bind(node.value), "number"
        if isinstance(node, Bool):
            return self.params.bind(node.value), "boolean"
        if isinstance(node, Str):
            return self.params.bind(node.value), "string"
        if isinstance(node, Name):
            return self.name(node, scope)
        if isinstance(node, Call):
            return self.call(node, scope)
        if isinstance(node, Neg):
            sql = self.expect(node.operand, scope, "number", "'-' applies to numbers")
            return f"-{sql}", "number"
        if isinstance(node, Not):
            sql = self.expect(node.operand, scope, "boolean", "'not' applies to conditions")
            return f"NOT ({sql})", "boolean"
        if isinstance(node, IsNull):
            sql, _ = self.render(node.operand, scope)
            return f"{sql} IS {'NOT ' if node.negated else ''}NULL", "boolean"
        if isinstance(node, InList):
            return self.in_list(node, scope)
        if isinstance(node, Binary):
            return self.binary(node, scope)
        raise FormulaError("unsupported expression", getattr(node, "pos", 0))

    def expect(self, node: object, scope: str, wanted: str, why: str) -> str:
        sql, kind = self.render(node, scope)
        if kind != wanted:
            raise FormulaError(f"{why}, not to a {kind}", getattr(node, "pos", 0))
        return sql

    def name(self, node: Name, scope: str) -> tuple[str, str]:
        if scope == "unit":
            if node.attr or not CODE_PATTERN.match(node.name):
                raise FormulaError(
                    f"unknown name {node.name!r}: use an indicator code such as HC_TOTAL, "
                    "count(register, ...), sum(register.column) or count(milestones, ...)", node.pos)
            alias = node.name.lower()
            self.atoms.indicators.setdefault(node.name, alias)
            return alias, "number"
        columns = SCOPE_COLUMNS[scope]
        if node.attr or node.name not in columns:
            raise FormulaError(f"unknown {scope} column {node.name!r}; known: {', '.join(sorted(columns))}", node.pos)
        kind, sql, _ = columns[node.name]
        return sql, kind

    def call(self, node: Call, scope: str) -> tuple[str, str]:
        if scope != "unit":
            raise FormulaError(f"{node.func}() cannot be used inside a filter", node.pos)
        if node.func not in ("count", "sum") or not node.args or len(node.args) > 2:
            raise FormulaError("functions are count(register|milestones[, filter]) and "
                               "sum(register.column[, filter])", node.pos)
        source = node.args[0]
        if not isinstance(source, Name) or source.name not in SCOPE_COLUMNS:
            raise FormulaError(f"{node.func}() reads 'register' or 'milestones'", node.pos)
        key = canon(node)
        table = self.atoms.register if source.name == "register" else self.atoms.milestones
        if key not in table:
            table[key] = (f"{source.name}_{len(table) + 1}", self.aggregate(node, source))
        return table[key][0], "number"

    def aggregate(self, node: Call, source: Name) -> str:
        scope = source.name
        row = "u.system_id" if scope == "register" else "m.milestone_id"
        if node.func == "count":
            if source.attr:
                raise FormulaError("count() takes the table, not a column", source.pos)
        else:
            column = REGISTER_COLUMNS.get(source.attr) if scope == "register" else None
            if column is None or column[0] != "number":
                numeric = sorted(k for k, v in REGISTER_COLUMNS.items() if v[0] == "number")
                raise FormulaError(f"sum() needs register.<column> with a number: {', '.join(numeric)}", source.pos)
        where = ""
        if len(node.args) == 2:
            cond = self.expect(node.args[1], scope, "boolean", "the filter must be a condition")
            where = f"FILTER (WHERE {cond})"
        if node.func == "count":
            return f"count({row}) {where}".rstrip()
        return f"coalesce({exact_sum(column[1], where)}, 0)"

    def literal(self, node: object, kind: str, allowed: tuple[str, ...] | None) -> str:
        """Bind a literal compared with a column of type ``kind``."""
        pos = getattr(node, "pos", 0)
        if kind in ("period", "date", "string") and not isinstance(node, Str):
            raise FormulaError(f"compare a {kind} with a quoted value", pos)
        if kind == "period":
            try:
                return self.params.bind(periods.index(periods.normalise_period(node.value)))
            except ValueError as exc:
                raise FormulaError(str(exc), pos) from None
        if kind == "date":
            try:
                return self.params.bind(date.fromisoformat(node.value))
            except ValueError:
                raise FormulaError(f"not a date (YYYY-MM-DD): {node.value!r}", pos) from None
        if allowed is not None and node.value not in allowed:
            raise FormulaError(f"unknown value {node.value!r}; known: {', '.join(allowed)}", pos)
        if kind == "boolean" and not isinstance(node, Bool):
            raise FormulaError("compare a yes/no column with true or false", pos)
        if kind == "number" and not isinstance(node, Num):
            raise FormulaError("compare a number with a number", pos)
        return self.params.bind(node.value)

    def column_info(self, node: object, scope: str) -> tuple[str, tuple[str, ...] | None] | None:
        if isinstance(node, Name) and scope in SCOPE_COLUMNS and node.name in SCOPE_COLUMNS[scope]:
            kind, _, allowed = SCOPE_COLUMNS[scope][node.name]
            return kind, allowed
        return None

    def pair(self, node: Binary | InList, left: object, right: object, scope: str) -> tuple[str, str, str]:
        """Render two compared operands, binding a literal to the other side's type."""
        literals = (Num, Str, Bool)
        if isinstance(right, literals) and not isinstance(left, literals):
            lsql, kind = self.render(left, scope)
            info = self.column_info(left, scope)
            return lsql, self.literal(right, kind, info[1] if info else None), kind
        if isinstance(left, literals) and not isinstance(right, literals):
            rsql, kind = self.render(right, scope)
            info = self.column_info(right, scope)
            return self.literal(left, kind, info[1] if info else None), rsql, kind
        lsql, lkind = self.render(left, scope)
        rsql, rkind = self.render(right, scope)
        if lkind != rkind:
            raise FormulaError(f"cannot compare a {lkind} with a {rkind}", node.pos)
        return lsql, rsql, lkind

    def in_list(self, node: InList, scope: str) -> tuple[str, str]:
        sql, kind = self.render(node.operand, scope)
        info = self.column_info(node.operand, scope)
        items = [self.literal(item, kind, info[1] if info else None) for item in node.items]
        return f"{sql} {'NOT ' if node.negated else ''}IN ({', '.join(items)})", "boolean"

    def binary(self, node: Binary, scope: str) -> tuple[str, str]:
        if node.op in ("and", "or"):
            left = self.expect(node.left, scope, "boolean", f"'{node.op}' joins conditions")
            right = self.expect(node.right, scope, "boolean", f"'{node.op}' joins conditions")
            return f"({left} {node.op.upper()} {right})", "boolean"
        if node.op in ARITHMETIC:
            return self.arithmetic(node, scope)
        lsql, rsql, kind = self.pair(node, node.left, node.right, scope)
        if kind == "boolean" and node.op not in ("=", "!="):
            raise FormulaError("yes/no values compare only with = or !=", node.pos)
        return f"{lsql} {'<>' if node.op == '!=' else node.op} {rsql}", "boolean"

    def arithmetic(self, node: Binary, scope: str) -> tuple[str, str]:
        lsql, lkind = self.render(node.left, scope)
        rsql, rkind = self.render(node.right, scope)
        kinds = (lkind, rkind)
        if kinds == ("number", "number"):
            if node.op == "/":
                return f"({lsql} / nullif({rsql}, 0))", "number"
            return f"({lsql} {node.op} {rsql})", "number"
        if node.op in ("+", "-") and kinds == ("period", "number"):
            return f"({lsql} {node.op} {rsql})", "period"
        if node.op == "+" and kinds == ("number", "period"):
            return f"({lsql} + {rsql})", "period"
        if node.op == "-" and kinds == ("period", "period"):
            return f"({lsql} - {rsql})", "number"
        raise FormulaError(f"cannot apply '{node.op}' to a {lkind} and a {rkind}", node.pos)
