"""The YAML loader for the project's large data files (training data, test sets, rules)."""

from __future__ import annotations

from pathlib import Path

import yaml

#: libyaml's safe loader when it is installed (several times faster on the large files), else
#: PyYAML's. Both report the line and column of a syntax error.
FAST_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def syntax_error_message(path: Path, error: yaml.YAMLError) -> str:
    """A YAML syntax error in an editor's words: the file, the line and the usual cause."""
    mark = getattr(error, "problem_mark", None)
    where = f"{path}, line {mark.line + 1}" if mark is not None else str(path)
    problem = getattr(error, "problem", None) or str(error)
    return (
        f"{where}: this is not valid YAML ({problem}); most often a line is indented "
        "differently from the lines around it, or a ':' or '#' needs quotes"
    )
