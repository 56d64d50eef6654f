"""Quoting for the few SQL statements that cannot take a bound parameter (a COPY target, an ATTACH path, a
file list of read_csv, identifiers): every path or user value that reaches SQL text goes through these. And
``scalar``, the one value of a single-row query."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb


def q(name: str) -> str:
    """An SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(s: str) -> str:
    """An SQL string literal (DuckDB does not interpret backslashes in string literals)."""
    return "'" + str(s).replace("'", "''") + "'"


def scalar(con: duckdb.DuckDBPyConnection, sql: str, parameters: object = None) -> Any:
    """The first value of the first row of ``sql``: a query that always returns a row (a count, an aggregate)."""
    row = con.execute(sql, parameters).fetchone()
    if row is None:
        raise RuntimeError(f"query returned no row: {sql.strip()[:80]}")
    return row[0]
