"""The reviewers' web dashboard: anonymised, suppressed statistics behind a login."""

from bot.dashboard.app import create_app

__all__ = ["create_app"]
