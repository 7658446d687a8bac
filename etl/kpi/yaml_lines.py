"""A YAML SafeLoader that remembers the line of every key and list item.

Mappings load as ``LineDict`` (a dict with ``.line`` and ``.lines[key]``), sequences as
``LineList`` (a list with ``.line`` and ``.lines[i]``). Duplicate keys, which plain PyYAML
silently overwrites, are kept in ``LineDict.duplicates`` so they can be reported.
Lines are 1-based, as editors show them.
"""

from __future__ import annotations

from typing import Any

import yaml


class LineDict(dict):
    """A mapping that knows where it and each of its keys start."""

    def __init__(self, line: int = 0):
        super().__init__()
        self.line = line
        self.lines: dict[Any, int] = {}
        self.duplicates: list[tuple[Any, int]] = []

    def line_of(self, key: Any) -> int:
        return self.lines.get(key, self.line)


class LineList(list):
    """A sequence that knows where it and each of its items start."""

    def __init__(self, line: int = 0):
        super().__init__()
        self.line = line
        self.lines: list[int] = []

    def line_of(self, i: int) -> int:
        return self.lines[i] if 0 <= i < len(self.lines) else self.line


class LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """SafeLoader building ``LineDict``/``LineList`` instead of dict/list (on libyaml's
    parser where PyYAML was built with it: a publish reads every definition)."""


def _construct_mapping(loader: LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict(node.start_mark.line + 1)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain word", key_node.start_mark)
        if key in mapping:
            mapping.duplicates.append((key, line))
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.lines[key] = line
    return mapping


def _construct_sequence(loader: LineLoader, node: yaml.SequenceNode) -> LineList:
    items = LineList(node.start_mark.line + 1)
    for child in node.value:
        items.append(loader.construct_object(child, deep=True))
        items.lines.append(child.start_mark.line + 1)
    return items


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


class YamlSyntaxError(ValueError):
    """The text is not valid YAML; ``line`` is where the parser stopped."""

    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.line = line


def load_yaml(text: str) -> Any:
    """Parse one YAML document with line numbers; raise ``YamlSyntaxError`` on bad syntax."""
    try:
        return yaml.load(text, Loader=LineLoader)  # noqa: S506 - LineLoader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = exc.problem or exc.context or "invalid YAML"
        raise YamlSyntaxError(reason, line) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(str(exc), None) from exc
