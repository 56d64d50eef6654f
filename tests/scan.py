"""Looking for a secret or personal data in everything a run left behind: files (text and binary) and the
tables, views and macros of DuckDB files (whose string storage is compressed: a byte search would miss them)."""

from __future__ import annotations

import base64
import urllib.parse
from pathlib import Path

import duckdb


def derived_forms(secret: str) -> dict[str, bytes]:
    """The secret and the forms it trivially turns into in a file or a log."""
    raw = secret.encode("utf-8")
    return {
        "as is": raw,
        "upper case": secret.upper().encode("utf-8"),
        "hex": raw.hex().encode(),
        "base64": base64.b64encode(raw).rstrip(b"="),
        "urlsafe base64": base64.urlsafe_b64encode(raw).rstrip(b"="),
        "url-quoted": urllib.parse.quote(secret).encode(),
        "utf-16": secret.encode("utf-16-le"),
        "json-escaped": secret.encode("unicode_escape"),
    }


def files_under(*roots: Path) -> list[Path]:
    out: list[Path] = []
    for given in roots:
        root = Path(given)
        if root.is_file():
            out.append(root)
        elif root.is_dir():
            out += [p for p in root.rglob("*") if p.is_file() and not p.is_symlink()]
    return sorted(out)


def duckdb_strings(path: Path) -> list[str]:
    """Every string a DuckDB file holds: its views' and macros' SQL and every VARCHAR value of every table."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        out = [r[0] or "" for r in con.execute("select sql from duckdb_views() where not internal").fetchall()]
        out += [
            str(r[0])
            for r in con.execute(
                "select macro_definition from duckdb_functions() where function_type like '%macro%' and not internal"
            ).fetchall()
        ]
        for schema, table, column in con.execute(
            "select schema_name, table_name, column_name from duckdb_columns() "
            "where data_type = 'VARCHAR' and not internal"
        ).fetchall():
            out += [
                v
                for (v,) in con.execute(
                    f'select distinct "{column}" from "{schema}"."{table}" where "{column}" is not null'
                ).fetchall()
            ]
        return out
    finally:
        con.close()


def _is_duckdb(path: Path) -> bool:
    with open(path, "rb") as f:
        head = f.read(16)
    return head[8:12] == b"DUCK"


def find(needles: dict[str, bytes], *roots: Path) -> list[tuple[str, str]]:
    """(file, which needle) for every file under ``roots`` that contains one of ``needles``."""
    hits: list[tuple[str, str]] = []
    for p in files_under(*roots):
        try:
            if p.stat().st_size >= 16 and _is_duckdb(p):
                try:
                    text = "\n".join(duckdb_strings(p)).encode("utf-8")
                except duckdb.Error as e:  # a file another process holds: say so rather than pass silently
                    raise AssertionError(f"cannot read {p} to scan it: {e}") from None
            else:
                text = p.read_bytes()
        except FileNotFoundError:  # gone since it was listed (SQLite's -shm, -journal): nothing left on disk
            continue
        hits += [(str(p), name) for name, needle in needles.items() if needle and needle in text]
    return hits
