"""Commands for reviewers and administrators (statistics, dashboard, accounts, retention)."""

from __future__ import annotations

import argparse
from typing import Any


def register_admin_commands(sub: Any) -> None:
    """Add the administrative sub-commands to ``safebot``'s argument parser."""
    del sub
    _ = argparse
