"""YAML loading that remembers the line of every key and list item."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml


class LineDict(dict[Any, Any]):
    """A mapping that knows its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[Any, int]
    duplicate_keys: list[tuple[Any, int]]
    #: Per key: the line its value starts on and its style ("|" for a text block).
    value_marks: dict[Any, tuple[int, str | None]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_lines = {}
        self.duplicate_keys = []
        self.value_marks = {}

    def line_of(self, key: Any) -> int:
        """The line of a key, or of the mapping when the key is missing."""
        return self.key_lines.get(key, self.line)

    def block_lines(self, key: Any) -> tuple[int, ...]:
        """The file line of each line of a ``key: |`` text block, after stripping its edges.

        Empty when the value is not such a block (its lines cannot be told apart then).
        """
        raw = self.get(key)
        line, style = self.value_marks.get(key, (0, None))
        if style != "|" or not isinstance(raw, str):
            return ()
        # The block's first line follows the line of the "|"; leading blank lines are stripped.
        first = line + 1 + raw[: len(raw) - len(raw.lstrip())].count("\n")
        return tuple(range(first, first + raw.strip().count("\n") + 1))


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
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            result.duplicate_keys.append((key, key_node.start_mark.line + 1))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
        style = value_node.style if isinstance(value_node, yaml.ScalarNode) else None
        result.value_marks[key] = (value_node.start_mark.line + 1, style)
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


_UNINDENTED = (
    "the file could not be read: this line is not indented like the text above it. "
    "Every line of a text block starts with two spaces; a new field needs 'name: value'."
)
#: A top-level line that is fine where it is: a key, a list item, a document marker.
_TOP_LEVEL = re.compile(
    r"""^(?:[A-Za-z_][\w-]*|"[^"]*"|'[^']*')\s*:(?:\s|$)|^-(?:\s|$)|^---|^\.\.\."""
)


def _unindented_line(text: str, before: int) -> int | None:
    """The first line up to ``before`` that lost its indentation inside a block above it.

    A text line moved to the left margin is read as the start of a new key, and the parser
    only stops lines later (at the next ':' or key): the editor must fix this line.
    """
    indented_above = False
    for number, line in enumerate(text.splitlines()[:before], start=1):
        if not line.strip() or line.startswith("#"):
            continue
        if line[0].isspace():
            indented_above = True
        elif indented_above and not _TOP_LEVEL.match(line):
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
    if "simple key" in context:
        return _UNINDENTED
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


def _mistake(error: yaml.MarkedYAMLError) -> int:
    """The line (1-based) the editor must fix, of the two places the parser names.

    The parser reports where it gave up. For a key it could not finish that is lines below
    the line that started it, which is the one to fix.
    """
    if error.context_mark is not None and "simple key" in (error.context or ""):
        return error.context_mark.line + 1
    mark = error.problem_mark or error.context_mark
    return mark.line + 1 if mark else 1


def load_yaml(path: Path) -> Any:
    """Parse a YAML file into LineDict/LineList values."""
    text = path.read_text(encoding="utf-8")
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        line = _mistake(error)
        unindented = _unindented_line(text, line)
        if unindented is not None:
            raise YamlProblem(_UNINDENTED, unindented) from None
        quote_line = _open_quote_line(text, line)
        if quote_line is not None and quote_line < line:
            line = quote_line
        raise YamlProblem(_plain_reason(error, text, line), line) from None
    except yaml.YAMLError as error:
        raise YamlProblem(f"the file could not be read ({error})", 1) from None
