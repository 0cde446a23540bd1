"""Reading content files: problems collected with file and line, typed fields, shared checks."""

from __future__ import annotations

import datetime as dt
import string
from pathlib import Path
from typing import Any

from bot.content.html import html_faults
from bot.content.model import (
    Problem,
    Provenance,
    Verification,
    Where,
)
from bot.content.policy import Policy
from bot.content.ui_texts import UI_TEXTS
from bot.content.yaml_lines import LineDict, LineList, YamlProblem, load_yaml

_VERIFICATIONS = ", ".join(v.value for v in Verification)
#: The facts sheet's own spelling of a mark, accepted as it is written there.
_MARK_SPELLINGS = {"verified-secondary": Verification.SECONDARY.value}


class Collector:
    """Reads the files of one content folder and collects every problem with file and line."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self.policy = Policy()
        #: Files that could not be read (already reported): what they hold is unknown, so
        #: nothing else is reported as missing from them.
        self.unreadable: set[Path] = set()

    def unread(self, name: str) -> bool:
        """Whether the content file ``name`` (like "reporting.yml") could not be read."""
        return self.root / name in self.unreadable

    def where(self, path: Path, line: int) -> Where:
        """A place in a file, shown relative to the content folder."""
        try:
            shown = path.relative_to(self.root.parent)
        except ValueError:
            shown = path
        return Where(shown, line)

    def error(self, path: Path, line: int, message: str) -> None:
        """Record an error at a file and line."""
        self.problems.append(Problem(self.where(path, line), message))

    def warning(self, path: Path, line: int, message: str) -> None:
        """Record a warning at a file and line."""
        self.problems.append(Problem(self.where(path, line), message, "warning"))

    def read(self, path: Path, what: str) -> LineDict | None:
        """A YAML file with line numbers, or None (with the problem recorded)."""
        if not path.is_file():
            self.problems.append(Problem(None, f"{what} is missing: create the file {path}."))
            return None
        try:
            data = load_yaml(path)
        except YamlProblem as problem:
            self.unreadable.add(path)
            self.error(path, problem.line, str(problem))
            return None
        except UnicodeDecodeError:
            self.unreadable.add(path)
            self.error(path, 1, "the file is not saved as UTF-8 text; save it again as UTF-8")
            return None
        if not isinstance(data, LineDict):
            self.unreadable.add(path)
            self.error(path, 1, f"{what} must be a list of 'name: value' lines")
            return None
        self._duplicates(path, data)
        return data

    def read_table(self, path: Path, what: str, key: str, entries: str) -> LineDict | None:
        """The table under ``key`` of one file; ``None`` (with a plain error) when it is missing.

        ``entries`` names one entry for the error: "expected 'routes:' followed by one entry
        per route".
        """
        data = self.read(path, what)
        if data is None:
            return None
        table = data.get(key)
        if not isinstance(table, LineDict):
            self.error(path, data.line, f"expected '{key}:' followed by one entry per {entries}")
            return None
        return table

    def _duplicates(self, path: Path, data: Any) -> None:
        if isinstance(data, LineDict):
            for key, line in data.duplicate_keys:
                self.error(path, line, f"'{key}' appears twice; only the last one would be used")
            for value in data.values():
                self._duplicates(path, value)
        elif isinstance(data, LineList):
            for value in data:
                self._duplicates(path, value)

    def text(self, path: Path, data: LineDict, key: str, *, required: bool = True) -> str:
        """A text field, stripped; "" (with an error if required) when missing."""
        value = data.get(key)
        if value is None:
            if required:
                self.error(path, data.line, f"'{key}' is missing")
            return ""
        if isinstance(value, (dict, list)):
            self.error(path, data.line_of(key), f"'{key}' must be a piece of text")
            return ""
        return str(value).strip()

    def boolean(self, path: Path, data: LineDict, key: str, default: bool) -> bool:
        """A true/false field."""
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.error(path, data.line_of(key), f"'{key}' must be true or false")
            return default
        return value

    def provenance(self, path: Path, data: LineDict, what: str) -> Provenance:
        """Where a fact comes from: source, checked_on, verification, note."""
        source = self.text(path, data, "source")
        if "source" in data and not source:
            self.error(path, data.line_of("source"), f"{what}: 'source' is empty")
        checked = data.get("checked_on")
        if not isinstance(checked, dt.date):
            self.error(
                path,
                data.line_of("checked_on"),
                f"{what}: 'checked_on' must be a date written as YYYY-MM-DD",
            )
            checked = dt.date.min
        raw_mark = self.text(path, data, "verification")
        try:
            mark = Verification(_MARK_SPELLINGS.get(raw_mark, raw_mark))
        except ValueError:
            if raw_mark:
                self.error(
                    path,
                    data.line_of("verification"),
                    f"{what}: verification must be one of {_VERIFICATIONS}, not '{raw_mark}'",
                )
            mark = Verification.UNVERIFIED
        if mark is Verification.UNVERIFIED:
            self.warning(path, data.line_of("verification"), f"{what} is unverified: re-check it")
        return Provenance(source, checked, mark, self.text(path, data, "note", required=False))


def str_list(value: Any) -> list[str] | None:
    """A list of texts (numbers allowed), ``[]`` when absent, None when not a list."""
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
        return [str(v) for v in value]
    return None


def local_texts(c: Collector, path: Path, item: LineDict, what: str) -> dict[str, dict[str, str]]:
    """A helpline's texts in other languages (``local:``), checked."""
    raw = item.get("local")
    if raw is None:
        return {}
    if not isinstance(raw, LineDict):
        c.error(
            path,
            item.line_of("local"),
            f"{what}: 'local' must list languages, like  ru: {{name: ...}}",
        )
        return {}
    result: dict[str, dict[str, str]] = {}
    for locale, fields in raw.items():
        if not isinstance(fields, dict) or not set(fields) <= {"name", "hours", "chat"}:
            c.error(
                path,
                raw.line_of(locale),
                f"{what}: 'local' for '{locale}' may only give name, hours and chat",
            )
            continue
        result[str(locale)] = {str(k): str(v) for k, v in fields.items()}
    return result


def check_placeholders(c: Collector, path: Path, line: int, key: str, text: str) -> None:
    """Report ``{placeholders}`` an interface text may not use."""
    allowed = UI_TEXTS.get(key, frozenset())
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        c.error(
            path, line, f"'{key}': a '{{' or '}}' is not closed; write {{{{ or }}}} for a brace"
        )
        return
    for name in sorted(fields - allowed):
        hint = ", ".join("{" + a + "}" for a in sorted(allowed)) or "none"
        c.error(
            path, line, f"'{key}' uses {{{name}}}, which the bot cannot fill in (allowed: {hint})"
        )


def check_html(c: Collector, path: Path, line: int, what: str, text: str) -> None:
    """Report markup in a text that Telegram would refuse."""
    for fault in html_faults(text):
        c.error(path, line, f"{what}: {fault}")


def string_table(c: Collector, path: Path, data: LineDict, key: str) -> LineDict:
    """A ``key: text`` table under ``key``, or an empty one with an error."""
    table = data.get(key)
    if not isinstance(table, LineDict):
        c.error(path, data.line, f"expected '{key}:' followed by 'name: text' lines")
        return LineDict()
    return table
