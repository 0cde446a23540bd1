"""The ``safebot`` command line, one module per command group (like ``spacy/cli/``).

Each module registers its sub-commands with thin argument parsing over plain functions that
take settings and keyword options, so tests can call them directly.
"""

from bot.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
