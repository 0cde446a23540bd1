"""The YAML loader for the project's large data files (training data, test sets, rules)."""

from __future__ import annotations

import yaml

#: libyaml's safe loader when it is installed (several times faster on the large files), else
#: PyYAML's. Both report the line and column of a syntax error.
FAST_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
