"""Reviewers' statistics: queries, privacy-critical suppression, and output formats."""

from bot.stats.queries import *  # noqa: F403  (temporary, split below)
