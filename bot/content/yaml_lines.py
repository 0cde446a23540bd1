"""YAML loading that remembers the line of every key and list item."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class LineDict(dict[Any, Any]):
    """A mapping that knows its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[Any, int]
    duplicate_keys: list[tuple[Any, int]]

    def line_of(self, key: Any) -> int:
        """The line of a key, or of the mapping when the key is missing."""
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    """A list that knows its own line and the line of each item (1-based)."""

    line: int = 0
    item_lines: list[int]


class _Loader(yaml.SafeLoader):
    pass


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    result.duplicate_keys = []
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            result.duplicate_keys.append((key, key_node.start_mark.line + 1))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


class YamlProblem(ValueError):
    """A file is not valid YAML; carries the line where the parser gave up."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def _open_quote_line(text: str, before: int) -> int | None:
    """The first line above ``before`` with an odd number of double quotes (an unclosed one)."""
    for number, line in enumerate(text.splitlines()[:before], start=1):
        if line.lstrip().startswith("#"):
            continue
        quotes = line.count('"') - line.count('\\"')
        if quotes % 2:
            return number
    return None


def _plain_reason(error: yaml.MarkedYAMLError, text: str, line: int) -> str:
    """Explain a YAML parser error in words an editor understands."""
    if _open_quote_line(text, line) == line:
        return (
            'the file could not be read: a quote (") opened on this line is never closed. '
            "Close the quote."
        )
    problem = (error.problem or "").lower()
    context = (error.context or "").lower()
    if "']'" in problem or "flow sequence" in context:
        return (
            "the file could not be read: a list in square brackets [ ... ] is not closed. "
            "Add the missing ']' (or remove the '[')."
        )
    if "tab" in problem:
        return "the file could not be read: it contains a tab character; use spaces to indent."
    if "mapping values are not allowed" in problem:
        return (
            "the file could not be read: a text on this line contains ': '. Put the whole "
            'text in double quotes, like  title: "Help: what now"'
        )
    return (
        "the file could not be read: the indentation is wrong on this line or the one above. "
        "Every line of a "
        "text block starts with two spaces; keys line up under each other. Compare with a "
        "file that works."
    )


def load_yaml(path: Path) -> Any:
    """Parse a YAML file into LineDict/LineList values."""
    text = path.read_text(encoding="utf-8")
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        quote_line = _open_quote_line(text, line)
        if quote_line is not None and quote_line < line:
            line = quote_line
        raise YamlProblem(_plain_reason(error, text, line), line) from None
    except yaml.YAMLError as error:
        raise YamlProblem(f"the file could not be read ({error})", 1) from None
