"""The KPI formula language: tokenizer, AST and recursive-descent parser.

A formula is a small expression, never evaluated by Python: it is parsed here and turned
into SQL by ``etl.kpi.render``. Grammar (lowest precedence first)::

    expr       := and_expr ('or' and_expr)*
    and_expr   := not_expr ('and' not_expr)*
    not_expr   := 'not' not_expr | comparison
    comparison := additive [ ('=' | '!=' | '<>' | '<' | '<=' | '>' | '>=') additive
                           | ['not'] 'in' '(' literal (',' literal)* ')'
                           | 'is' ['not'] 'null' ]
    additive   := term (('+' | '-') term)*
    term       := unary (('*' | '/') unary)*
    unary      := '-' unary | primary
    primary    := NUMBER | STRING | 'true' | 'false' | NAME ['.' NAME]
                | NAME '(' [expr (',' expr)*] ')' | '(' expr ')'

Strings use single quotes ('' inside a string is one quote). Keywords are lower-case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KEYWORDS = {"and", "or", "not", "in", "is", "null", "true", "false"}
COMPARISONS = {"=", "!=", "<>", "<", "<=", ">", ">="}

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<string>'(?:[^']|'')*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><=|>=|!=|<>|[-+*/()=<>,.])
""", re.VERBOSE)


class FormulaError(ValueError):
    """A formula that cannot be parsed or checked; ``pos`` is the 0-based character."""

    def __init__(self, message: str, pos: int = 0):
        super().__init__(message)
        self.pos = pos

    def describe(self, text: str) -> str:
        return f"{self} at character {self.pos + 1} of {text!r}"


@dataclass(frozen=True)
class Token:
    kind: str  # number, string, name, keyword, op, end
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise FormulaError(f"unexpected character {text[pos]!r}", pos)
        kind = m.lastgroup or ""
        if kind == "name" and m.group() in KEYWORDS:
            kind = "keyword"
        if kind != "space":
            tokens.append(Token(kind, m.group(), pos))
        pos = m.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


# ---- AST --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Num:
    value: float
    pos: int


@dataclass(frozen=True)
class Str:
    value: str
    pos: int


@dataclass(frozen=True)
class Bool:
    value: bool
    pos: int


@dataclass(frozen=True)
class Name:
    name: str
    pos: int
    attr: str = ""  # register.est_hours_saved -> Name("register", attr="est_hours_saved")


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple
    pos: int


@dataclass(frozen=True)
class Neg:
    operand: object
    pos: int


@dataclass(frozen=True)
class Binary:
    op: str  # + - * / = != < <= > >= and or
    left: object
    right: object
    pos: int


@dataclass(frozen=True)
class Not:
    operand: object
    pos: int


@dataclass(frozen=True)
class InList:
    operand: object
    items: tuple
    negated: bool
    pos: int


@dataclass(frozen=True)
class IsNull:
    operand: object
    negated: bool
    pos: int


Node = Num | Str | Bool | Name | Call | Neg | Binary | Not | InList | IsNull


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def accept(self, *texts: str) -> Token | None:
        if self.tok.kind in ("op", "keyword") and self.tok.text in texts:
            self.i += 1
            return self.tokens[self.i - 1]
        return None

    def expect(self, text: str) -> Token:
        tok = self.accept(text)
        if tok is None:
            raise FormulaError(f"expected {text!r} but found {self.tok.text or 'the end'!r}", self.tok.pos)
        return tok

    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise FormulaError("the formula is empty", 0)
        node = self.expr()
        if self.tok.kind != "end":
            raise FormulaError(f"unexpected {self.tok.text!r}", self.tok.pos)
        return node

    def expr(self) -> Node:
        node = self.and_expr()
        while tok := self.accept("or"):
            node = Binary("or", node, self.and_expr(), tok.pos)
        return node

    def and_expr(self) -> Node:
        node = self.not_expr()
        while tok := self.accept("and"):
            node = Binary("and", node, self.not_expr(), tok.pos)
        return node

    def not_expr(self) -> Node:
        if tok := self.accept("not"):
            return Not(self.not_expr(), tok.pos)
        return self.comparison()

    def comparison(self) -> Node:
        left = self.additive()
        if tok := self.accept(*COMPARISONS):
            op = "!=" if tok.text == "<>" else tok.text
            return Binary(op, left, self.additive(), tok.pos)
        if tok := self.accept("is"):
            negated = self.accept("not") is not None
            self.expect("null")
            return IsNull(left, negated, tok.pos)
        start = self.tok.pos
        negated = self.accept("not") is not None
        if negated or self.tok.text == "in":
            self.expect("in")
            return InList(left, self.literal_list(), negated, start)
        return left

    def literal_list(self) -> tuple:
        self.expect("(")
        items = [self.primary()]
        while self.accept(","):
            items.append(self.primary())
        self.expect(")")
        for item in items:
            if not isinstance(item, (Num, Str, Bool)):
                raise FormulaError("'in (...)' takes literal values only", item.pos)
        return tuple(items)

    def additive(self) -> Node:
        node = self.term()
        while tok := self.accept("+", "-"):
            node = Binary(tok.text, node, self.term(), tok.pos)
        return node

    def term(self) -> Node:
        node = self.unary()
        while tok := self.accept("*", "/"):
            node = Binary(tok.text, node, self.unary(), tok.pos)
        return node

    def unary(self) -> Node:
        if tok := self.accept("-"):
            return Neg(self.unary(), tok.pos)
        return self.primary()

    def primary(self) -> Node:
        tok = self.tok
        if tok.kind == "number":
            self.i += 1
            return Num(float(tok.text), tok.pos)
        if tok.kind == "string":
            self.i += 1
            return Str(tok.text[1:-1].replace("''", "'"), tok.pos)
        if tok.kind == "keyword" and tok.text in ("true", "false"):
            self.i += 1
            return Bool(tok.text == "true", tok.pos)
        if tok.kind == "name":
            self.i += 1
            return self.name_or_call(tok)
        if self.accept("("):
            node = self.expr()
            self.expect(")")
            return node
        raise FormulaError(f"expected a value but found {tok.text or 'the end'!r}", tok.pos)

    def name_or_call(self, tok: Token) -> Node:
        if self.accept("("):
            args: list[Node] = []
            if not self.accept(")"):
                args.append(self.expr())
                while self.accept(","):
                    args.append(self.expr())
                self.expect(")")
            return Call(tok.text, tuple(args), tok.pos)
        if self.accept("."):
            attr = self.tok
            if attr.kind != "name":
                raise FormulaError("expected a column name after '.'", attr.pos)
            self.i += 1
            return Name(tok.text, tok.pos, attr.text)
        return Name(tok.text, tok.pos)


def parse(text: str) -> Node:
    """Parse a formula into its AST; raise ``FormulaError`` with the character position."""
    return _Parser(str(text)).parse()
