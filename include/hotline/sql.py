"""Quoting for the few SQL statements that cannot take a bound parameter (a COPY target, an ATTACH path, a
file list of read_csv, identifiers): every path or user value that reaches SQL text goes through these."""
from __future__ import annotations


def q(name: str) -> str:
    """An SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(s: str) -> str:
    """An SQL string literal (DuckDB does not interpret backslashes in string literals)."""
    return "'" + str(s).replace("'", "''") + "'"
