"""Adding to rollup rows: ``INSERT ... ON CONFLICT DO UPDATE`` on PostgreSQL and SQLite.

Each writer adds its amounts in one statement per batch of rows; the database adds them to what
is stored, so writers on several replicas never read, change and write back a row (no lost
update), and rows are taken in key order (no deadlock between two writers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Select, Table
from sqlalchemy.dialects import postgresql, sqlite

#: Rows per statement.
_CHUNK = 1000


def _insert(connection: Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _adding(
    statement: postgresql.Insert | sqlite.Insert, table: Table, measures: Sequence[str]
) -> postgresql.Insert | sqlite.Insert:
    keys = [column.name for column in table.primary_key.columns]
    return statement.on_conflict_do_update(
        index_elements=keys,
        set_={name: table.c[name] + statement.excluded[name] for name in measures},
    )


def add_rows(
    connection: Connection,
    table: Table,
    measures: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
) -> None:
    """Add each row's measures to the stored row with its key (made when there is none).

    ``rows`` must be in key order, each key once.
    """
    if not rows:
        return
    statement = _adding(_insert(connection, table), table, measures)
    for start in range(0, len(rows), _CHUNK):
        connection.execute(statement, list(rows[start : start + _CHUNK]))


def add_selected(
    connection: Connection, table: Table, measures: Sequence[str], query: Select[Any]
) -> None:
    """Add the rows a query gives (its columns named as the table's) to the stored rows."""
    names = [column.name for column in query.selected_columns]
    statement = _insert(connection, table).from_select(names, query)
    connection.execute(_adding(statement, table, measures))
