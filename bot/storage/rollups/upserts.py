"""Adding to rollup rows: ``INSERT ... ON CONFLICT DO UPDATE`` on PostgreSQL and SQLite.

Each writer adds its amounts in one statement per batch of rows; the database adds them to what
is stored, so writers on several replicas never read, change and write back a row (no lost
update), and rows are taken in key order (no deadlock between two writers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, Table, bindparam
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


@dataclass(frozen=True)
class _Compiled:
    """An adding upsert as the driver takes it: its SQL and how to pass a row to it."""

    sql: str
    #: The columns in the table's order: a row's values come in this order.
    names: tuple[str, ...]
    #: Whether the driver takes a tuple (SQLite) or a dict (psycopg) per row.
    positional: bool
    #: The positions of values the driver takes converted (SQLite's dates, as text).
    convert: tuple[tuple[int, Callable[[Any], Any]], ...]


_COMPILED: dict[tuple[str, str, tuple[str, ...]], _Compiled] = {}


def _compiled(connection: Connection, table: Table, measures: Sequence[str]) -> _Compiled:
    """The upsert compiled once per database kind and table.

    A writer sends hundreds of rows per batch, and SQLAlchemy's handling of each row's
    parameters cost more time than the database's work on them.
    """
    key = (connection.dialect.name, table.name, tuple(measures))
    found = _COMPILED.get(key)
    if found is None:
        names = tuple(column.name for column in table.columns)
        values = {name: bindparam(name, type_=table.c[name].type) for name in names}
        compiled = _adding(_insert(connection, table).values(values), table, measures).compile(
            dialect=connection.dialect
        )
        if compiled.positional and tuple(compiled.positiontup or ()) != names:
            raise RuntimeError(f"unexpected parameter order for {table.name}")
        convert = []
        for index, name in enumerate(names):
            kind = table.c[name].type.dialect_impl(connection.dialect)
            processor = kind.bind_processor(connection.dialect)
            if processor is not None:
                convert.append((index, processor))
        found = _Compiled(str(compiled), names, compiled.positional, tuple(convert))
        _COMPILED[key] = found
    return found


def add_rows(
    connection: Connection,
    table: Table,
    measures: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """Add each row's measures to the stored row with its key (made when there is none).

    A row is a value for every column, in the table's order; ``rows`` in key order, each key
    once.
    """
    if not rows:
        return
    upsert = _compiled(connection, table, measures)
    parameters: list[Any] = [tuple(row) for row in rows]
    if upsert.convert:
        converted = []
        for row in rows:
            values = list(row)
            for index, convert in upsert.convert:
                values[index] = convert(values[index])
            converted.append(tuple(values))
        parameters = converted
    if not upsert.positional:
        parameters = [dict(zip(upsert.names, values, strict=True)) for values in parameters]
    for start in range(0, len(parameters), _CHUNK):
        connection.exec_driver_sql(upsert.sql, parameters[start : start + _CHUNK])


def add_selected(
    connection: Connection, table: Table, measures: Sequence[str], query: Select[Any]
) -> None:
    """Add the rows a query gives (its columns named as the table's) to the stored rows."""
    names = [column.name for column in query.selected_columns]
    statement = _insert(connection, table).from_select(names, query)
    connection.execute(_adding(statement, table, measures))
