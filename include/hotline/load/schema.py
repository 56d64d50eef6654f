"""DDL of the raw layer (docs/ARCHITECTURE.md, "Warehouse"). Idempotent: ``ensure_schema`` creates what is
missing and checks that what exists has the expected columns."""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from hotline.contract import HEADERS
from hotline.load.errors import LoadError
from hotline.sql import lit, q, scalar

STATUSES = ("loaded", "replaced", "unchanged", "rejected")

#: Row-level reason codes, in the order they are tested (a row gets the first that applies; ``reason`` lists
#: every problem found).
REASON_CODES = (
    "malformed_csv",  # broken quoting (a stray quote in an unquoted field, text after a closing quote,
    # an unterminated quoted field) or a bare carriage return outside quotes
    "wrong_column_count",
    "missing_ticket_id",
    "bad_ticket_id",
    "duplicate_ticket_in_file",  # every row of a ticket id that occurs more than once in the file
    "bad_timestamp",
    "bad_date",
    "unknown_enum",
    "bad_integer",
    "impossible_timeline",  # a timestamp after the export day, or events out of order
    "inconsistent_values",  # a transfer that is not a work order
)

META_COLUMNS: list[tuple[str, str]] = [
    ("_export_date", "DATE NOT NULL"),
    ("_file_name", "VARCHAR NOT NULL"),
    ("_file_sha256", "VARCHAR NOT NULL"),
    ("_row_number", "INTEGER NOT NULL"),
    ("_loaded_at", "TIMESTAMP NOT NULL"),
    # the keyed pseudonym of 联系电话, computed here so that nothing downstream ever needs the key
    # (hotline.secrets; rows.caller_key_sql)
    ("_caller_key", "VARCHAR"),
]


def _in(values: Iterable[str]) -> str:
    return ", ".join(lit(v) for v in values)


TABLES: dict[str, list[tuple[str, str]]] = {
    "ticket_rows": META_COLUMNS + [(h, "VARCHAR") for h in HEADERS],
    "quarantine": [
        ("_export_date", "DATE NOT NULL"),
        ("_file_name", "VARCHAR NOT NULL"),
        ("_file_sha256", "VARCHAR NOT NULL"),
        ("_row_number", "INTEGER NOT NULL"),
        ("reason_code", f"VARCHAR NOT NULL CHECK (reason_code IN ({_in(REASON_CODES)}))"),
        ("reason", "VARCHAR NOT NULL"),
        ("raw_text", "VARCHAR NOT NULL"),
    ],
    "exports": [
        ("export_date", "DATE NOT NULL"),
        ("file_name", "VARCHAR NOT NULL"),
        ("file_sha256", "VARCHAR NOT NULL"),
        ("format", "VARCHAR NOT NULL CHECK (format IN ('csv', 'xlsx'))"),
        ("encoding", "VARCHAR"),  # utf-8-sig | utf-8 | gb18030; NULL for xlsx
        ("manifest_row_count", "INTEGER NOT NULL"),
        ("manifest_sha256", "VARCHAR NOT NULL"),
        ("exported_at", "VARCHAR NOT NULL"),  # as written in the manifest
        ("rows_loaded", "INTEGER NOT NULL"),
        ("rows_quarantined", "INTEGER NOT NULL"),
        ("loaded_at", "TIMESTAMP NOT NULL"),  # UTC
        ("load_id", "VARCHAR NOT NULL"),
        ("file_stat", "VARCHAR"),  # inode:size:mtime_ns:ctime_ns when loaded (the unchanged check)
    ],
    "load_audit": [
        ("load_id", "VARCHAR NOT NULL"),  # one id per load_folder() call
        ("attempted_at", "TIMESTAMP NOT NULL"),  # UTC
        ("export_date", "DATE"),
        ("file_name", "VARCHAR NOT NULL"),
        ("format", "VARCHAR"),
        ("encoding", "VARCHAR"),
        ("status", f"VARCHAR NOT NULL CHECK (status IN ({_in(STATUSES)}))"),
        ("message", "VARCHAR"),
        ("rows_read", "INTEGER NOT NULL"),
        ("rows_loaded", "INTEGER NOT NULL"),
        ("rows_quarantined", "INTEGER NOT NULL"),
        ("manifest_row_count", "INTEGER"),
        ("manifest_sha256", "VARCHAR"),
        ("file_sha256", "VARCHAR"),  # computed from the file's bytes
        ("replaced_sha256", "VARCHAR"),  # the delivery this one replaced (status replaced)
    ],
}

CONSTRAINTS: dict[str, list[str]] = {
    # raw.ticket_rows has no PRIMARY KEY: (_export_date, _row_number) is unique by construction (one delivery per
    # date, one row per row number), checked by the loader's control totals in every batch and by the data test
    # of stg_hotline__ticket_rows; an index over a year's rows made a load from empty markedly slower
    # (benchmarks/README.md). A warehouse created with the key keeps it (harmless).
    "quarantine": ["PRIMARY KEY (_export_date, _row_number)"],
    "exports": ["PRIMARY KEY (export_date)"],
    "load_audit": ["CHECK (rows_read = rows_loaded + rows_quarantined)"],
}


#: The raw layer's layout and rules. 2: values stored normalized (rows.clean_sql), timeline and consistency rules,
#: the phone pseudonymized by the loader. A raw layer written by an older loader is refused (load it again into a
#: new warehouse).
SCHEMA_VERSION = 2
#: raw.layer_info: (key, value) facts about the raw layer as a whole
LAYER_INFO = "raw.layer_info"


def ddl() -> list[str]:
    out = ["CREATE SCHEMA IF NOT EXISTS raw"]
    for table, cols in TABLES.items():
        body = ",\n  ".join([f"{q(c)} {t}" for c, t in cols] + CONSTRAINTS.get(table, []))
        out.append(f"CREATE TABLE IF NOT EXISTS raw.{table} (\n  {body}\n)")
    return out


class SchemaMismatch(LoadError):
    pass


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema and tables if missing; raise SchemaMismatch if an existing table differs or was
    written by an older loader (``SCHEMA_VERSION``)."""
    existed = scalar(con, "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'raw' AND table_name = 'exports'")
    for stmt in ddl():
        con.execute(stmt)
    con.execute(f"CREATE TABLE IF NOT EXISTS {LAYER_INFO} (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)")
    version = layer_info(con, "schema_version")
    if version is None:
        if existed and scalar(con, "SELECT count(*) FROM raw.exports"):
            version = "1"
        else:
            set_layer_info(con, "schema_version", str(SCHEMA_VERSION))
            version = str(SCHEMA_VERSION)
    if version != str(SCHEMA_VERSION):
        raise SchemaMismatch(
            f"the raw layer was written by an older loader (layout {version}, this one writes "
            f"{SCHEMA_VERSION}: normalized values, timeline rules, pseudonyms made by the loader); "
            "move the warehouse away and load the exports again"
        )
    for table, cols in TABLES.items():
        have = [
            r[0]
            for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = ? "
                "ORDER BY ordinal_position",
                [table],
            ).fetchall()
        ]
        want = [c for c, _ in cols]
        if have != want:
            raise SchemaMismatch(
                f"raw.{table} has columns {have}, expected {want}: the warehouse was written by "
                "another version of the loader; move it away and load again"
            )


def layer_info(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    row = con.execute(f"SELECT value FROM {LAYER_INFO} WHERE key = ?", [key]).fetchone()
    return None if row is None else row[0]


def set_layer_info(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute(f"INSERT OR REPLACE INTO {LAYER_INFO} VALUES (?, ?)", [key, value])
