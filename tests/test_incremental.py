"""The ticket history (int_ticket_versions) is built incrementally by export day; every table built from it
equals the one a ``--full-refresh`` build gives: after new export days and a later cut-off, after a re-delivered
day, after the cut-off moves back. Moving the cut-off never rewrites the history."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from hotline.build import build_month, build_nightly, run_dbt
from hotline.load import load_folder

MONTH = "2024-11"
SPLIT = "20241206"  # exports before this day are loaded first, the rest later


def _copy_days(src: Path, dst: Path, before: str | None = None, since: str | None = None) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for p in sorted(src.iterdir()):
        day = p.name.split("_")[1][:8]
        if (before is None or day < before) and (since is None or day >= since):
            shutil.copy(p, dst / p.name)


def _redeliver_without_last_row(dumps: Path, day: str) -> None:
    """A corrected delivery of ``day``: its last data row removed, a later exported_at, a new manifest."""
    path = dumps / f"hotline_{day}.csv"
    data = path.read_bytes()
    bom = data.startswith(b"\xef\xbb\xbf")
    records = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(records[:-1])
    body = (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")
    path.write_bytes(body)
    man_path = dumps / f"hotline_{day}.manifest.json"
    man = json.loads(man_path.read_text(encoding="utf-8-sig"))
    man.update(
        row_count=len(records) - 2, sha256=hashlib.sha256(body).hexdigest(), exported_at="2030-01-01T00:00:00+08:00"
    )
    man_path.write_text(json.dumps(man, ensure_ascii=False), encoding="utf-8")


def _tables(wh: Path) -> list[tuple[str, str, list[str]]]:
    con = duckdb.connect(str(wh))
    try:
        rows = con.execute("""
            select t.schema_name, t.table_name, list(c.column_name order by c.column_index)
            from duckdb_tables() t join duckdb_columns() c using (database_name, schema_name, table_name)
            where t.schema_name in ('staging', 'intermediate', 'marts') and t.database_name = current_database()
              group by all order by all""").fetchall()
    finally:
        con.close()
    return [(s, t, list(cols)) for s, t, cols in rows]


def _fingerprints(wh: Path, tables) -> dict[str, tuple]:
    """Per table: row count and order-independent sums of row hashes (a multiset fingerprint)."""
    con = duckdb.connect(str(wh))  # dbt-duckdb may still hold the file in this process: same configuration
    try:
        out = {}
        for schema, table, cols in tables:
            row = "hash(" + ", ".join(f'"{c}"' for c in cols) + ")"
            out[f"{schema}.{table}"] = con.execute(
                f"select count(*), sum({row}::hugeint), sum(({row} % 1000003)::hugeint * {row}::hugeint) "
                f"from {schema}.{table}"
            ).fetchone()
        return out
    finally:
        con.close()


def _assert_same_tables(incremental: Path, full: Path) -> None:
    tables = _tables(incremental)
    assert tables == _tables(full)
    names = {t for _, t, _ in tables}
    assert {
        "int_ticket_versions",
        "int_work_order_departments",
        "fct_work_orders",
        "fct_callbacks",
        "mart_monthly_kpis",
    } <= names
    inc, ful = _fingerprints(incremental, tables), _fingerprints(full, tables)
    differ = [t for t in inc if inc[t] != ful[t]]
    assert not differ, f"incremental and full-refresh builds differ in {differ}"


def _full_refresh_copy(wh: Path, tmp: Path, as_of: str) -> Path:
    ref = tmp / f"full-{as_of[:10]}.duckdb"
    shutil.copy(wh, ref)
    wal = wh.with_name(wh.name + ".wal")
    if wal.exists():
        shutil.copy(wal, ref.with_name(ref.name + ".wal"))
    run_dbt("build", ref, {"month": MONTH, "as_of": as_of}, extra=["--full-refresh"])
    return ref


def _history(wh: Path) -> tuple:
    versions = [t for t in _tables(wh) if t[1] == "int_ticket_versions"]
    return _fingerprints(wh, versions)["intermediate.int_ticket_versions"]


def _mark(wh: Path, tickets: list[str]) -> list[tuple]:
    """Mark the stored versions of ``tickets`` behind dbt's back (a version dbt rewrites loses its mark);
    returns what :func:`_unmark` needs to put the marked versions back as they were."""
    con = duckdb.connect(str(wh))
    try:
        saved = con.execute(
            "select export_date, row_number, overdue_note from intermediate.int_ticket_versions "
            "where list_contains(?, ticket_id)",
            [tickets],
        ).fetchall()
        con.execute(
            "update intermediate.int_ticket_versions set overdue_note = 'MARK' where list_contains(?, ticket_id)",
            [tickets],
        )
        return saved
    finally:
        con.close()


def _unmark(wh: Path, saved: list[tuple]) -> None:
    con = duckdb.connect(str(wh))
    try:
        for day, row, note in saved:
            con.execute(
                "update intermediate.int_ticket_versions set overdue_note = ? "
                "where export_date = ? and row_number = ? and overdue_note = 'MARK'",
                [note, day, row],
            )
    finally:
        con.close()


def _marked(wh: Path) -> set[str]:
    return {
        t
        for (t,) in _query(
            wh, "select distinct ticket_id from intermediate.int_ticket_versions where overdue_note = 'MARK'"
        )
    }


@pytest.mark.slow
def test_incremental_build_equals_full_refresh(tmp_path, default_dumps):
    dumps, wh = tmp_path / "dumps", tmp_path / "warehouse.duckdb"

    # 1. the exports up to 2024-12-05, built as of that evening
    _copy_days(default_dumps, dumps, before=SPLIT)
    load_folder(dumps, wh)
    build_month(wh, MONTH, "2024-12-05 18:00:00")

    # 2. one more export day (a nightly: the history takes the touched tickets' versions only), then six more
    #    and a later cut-off
    _copy_days(default_dumps, dumps, since=SPLIT, before="20241207")
    load_folder(dumps, wh)
    touched = {
        t for (t,) in _query(wh, "select distinct 工单编号 from raw.ticket_rows where _export_date = date '2024-12-06'")
    }
    old = {t for (t,) in _query(wh, "select distinct ticket_id from intermediate.int_ticket_versions")}
    relinked = sorted(touched & old)[:20]  # tickets with stored versions and a new one
    kept = sorted(old - touched)[:20]
    assert relinked and kept
    saved = _mark(wh, relinked + kept)
    build_nightly(wh, "2024-12-06")
    assert _marked(wh) == set(kept), "the nightly rewrites the touched tickets' versions, and only those"
    _unmark(wh, saved)
    _copy_days(default_dumps, dumps, since="20241207")
    load_folder(dumps, wh)
    build_month(wh, MONTH, "2024-12-12 10:00:00")
    _assert_same_tables(wh, _full_refresh_copy(wh, tmp_path, "2024-12-12 10:00:00"))

    # 3. a day re-delivered with one row less: its versions are replaced and its tickets' neighbours re-linked
    _redeliver_without_last_row(dumps, "20241210")
    report = load_folder(dumps, wh)
    assert [f.status for f in report.files if f.status != "unchanged"] == ["replaced"]
    build_month(wh, MONTH, "2024-12-12 10:00:00")
    _assert_same_tables(wh, _full_refresh_copy(wh, tmp_path, "2024-12-12 10:00:00"))

    # 4. the cut-off moves back (as the monthly publication does after the nightly): a filter on the same
    #    history, which the build leaves as it was
    history = _history(wh)
    some = [t for (t,) in _query(wh, "select ticket_id from intermediate.int_ticket_versions limit 5")]
    saved = _mark(wh, some)
    build_month(wh, MONTH, "2024-12-08 10:00:00")
    assert _marked(wh) == set(some), "a new cut-off rewrites no version"
    _unmark(wh, saved)
    assert _history(wh) == history
    build_month(wh, MONTH, "2024-12-08 10:00:00")  # the facts again, from the history without the marks
    _assert_same_tables(wh, _full_refresh_copy(wh, tmp_path, "2024-12-08 10:00:00"))


def _query(wh: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(wh))
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()
