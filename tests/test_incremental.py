"""Incremental builds (staging by export date, ticket-level models by ticket) give exactly the tables of a
``--full-refresh`` build: after new export days and a later cut-off, after a re-delivered day, after the cut-off
moves back."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from hotline.build import BuildError, build_month, dbt_work_dir, run_dbt
from hotline.load import load_folder

MONTH = "2024-11"
SPLIT = "20241206"  # exports before this day are loaded first, the rest later
# Columns that record which run wrote a row, not what the row says.
RUN_COLUMNS = {"batch_id"}


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
    man.update(row_count=len(records) - 2, sha256=hashlib.sha256(body).hexdigest(),
               exported_at="2030-01-01T00:00:00+08:00")
    man_path.write_text(json.dumps(man, ensure_ascii=False), encoding="utf-8")


def _tables(wh: Path) -> list[tuple[str, str, list[str]]]:
    con = duckdb.connect(str(wh))
    try:
        rows = con.execute("""
            select t.schema_name, t.table_name, list(c.column_name order by c.column_index)
            from duckdb_tables() t join duckdb_columns() c using (database_name, schema_name, table_name)
            where t.schema_name in ('staging', 'intermediate', 'marts') and t.database_name = current_database()
              -- bookkeeping of the incremental runs
              and t.table_name not in ('hotline_incremental_batches', 'hotline_recomputed_tickets',
                                       'hotline_tested', 'hotline_tested_pending')
            group by all order by all""").fetchall()
    finally:
        con.close()
    return [(s, t, [c for c in cols if c not in RUN_COLUMNS]) for s, t, cols in rows]


def _fingerprints(wh: Path, tables) -> dict[str, tuple]:
    """Per table: row count and order-independent sums of row hashes (a multiset fingerprint)."""
    con = duckdb.connect(str(wh))  # dbt-duckdb may still hold the file in this process: same configuration
    try:
        out = {}
        for schema, table, cols in tables:
            row = "hash(" + ", ".join(f'"{c}"' for c in cols) + ")"
            out[f"{schema}.{table}"] = con.execute(
                f"select count(*), sum({row}::hugeint), sum(({row} % 1000003)::hugeint * {row}::hugeint) "
                f"from {schema}.{table}").fetchone()
        return out
    finally:
        con.close()


def _assert_same_tables(incremental: Path, full: Path) -> None:
    tables = _tables(incremental)
    assert tables == _tables(full)
    names = {t for _, t, _ in tables}
    assert {"stg_hotline__ticket_rows", "int_tickets_as_of", "fct_work_orders", "fct_callbacks"} <= names
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


@pytest.mark.slow
def test_incremental_build_equals_full_refresh(tmp_path, default_dumps):
    dumps, wh = tmp_path / "dumps", tmp_path / "warehouse.duckdb"

    # 1. the exports up to 2024-12-05, built as of that evening
    _copy_days(default_dumps, dumps, before=SPLIT)
    load_folder(dumps, wh)
    build_month(wh, MONTH, "2024-12-05 18:00:00")

    # 2. seven more export days and a later cut-off: staging adds the new days, the ticket-level models
    #    recompute the touched tickets only
    _copy_days(default_dumps, dumps, since=SPLIT)
    load_folder(dumps, wh)
    build_month(wh, MONTH, "2024-12-12 10:00:00")
    assert len(_batch_sizes(wh)) == 2, "the second build should have kept the tickets it did not need to recompute"
    _assert_same_tables(wh, _full_refresh_copy(wh, tmp_path, "2024-12-12 10:00:00"))

    # 3. a day re-delivered with one row less: its staging rows are replaced
    _redeliver_without_last_row(dumps, "20241210")
    report = load_folder(dumps, wh)
    assert [f.status for f in report.files if f.status != "unchanged"] == ["replaced"]
    build_month(wh, MONTH, "2024-12-12 10:00:00")
    _assert_same_tables(wh, _full_refresh_copy(wh, tmp_path, "2024-12-12 10:00:00"))

    # 4. the cut-off moves back (as the monthly publication does after the nightly): the ticket-level models
    #    recompute only the tickets with a timestamp between the two cut-offs
    before = _batch_sizes(wh)
    assert len(before) == 1, "a replaced delivery recomputes every ticket"
    build_month(wh, MONTH, "2024-12-08 10:00:00")
    after = _batch_sizes(wh)
    assert len(after) == 2 and 0 < min(after.values()) < max(after.values()), after
    _assert_same_tables(wh, _full_refresh_copy(wh, tmp_path, "2024-12-08 10:00:00"))


def _batch_sizes(wh: Path) -> dict[int, int]:
    con = duckdb.connect(str(wh))
    try:
        return dict(con.execute(
            "select batch_id, count(*) from intermediate.int_tickets_as_of group by 1").fetchall())
    finally:
        con.close()


def _query(wh: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(wh))
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _watermarks(wh: Path) -> dict[str, str]:
    return dict(_query(wh, "select test_id, watermark from intermediate.hotline_tested"))


def _redeliver(wh: Path, day: str, change: str) -> None:
    """Change a day's raw rows behind the loader's back (``change``: ``set … where …``) as if that day had been
    delivered again: staging takes the day again."""
    con = duckdb.connect(str(wh))
    try:
        con.execute(f"update raw.ticket_rows {change} and _export_date = date '{day}'")
        con.execute(f"update raw.ticket_rows set _loaded_at = now()::timestamp where _export_date = date '{day}'")
        con.execute(f"update raw.exports set loaded_at = now()::timestamp where export_date = date '{day}'")
    finally:
        con.close()


@pytest.mark.slow
def test_tests_check_what_changed_since_they_last_passed(tmp_path, default_dumps):
    """The big tables' tests check only export days loaded / tickets recomputed since they last passed
    (dbt_project/macros/tested_increment.sql); a failing test keeps checking its rows until they are fixed."""
    dumps, wh = tmp_path / "dumps", tmp_path / "warehouse.duckdb"
    _copy_days(default_dumps, dumps, before=SPLIT)
    load_folder(dumps, wh)
    build_month(wh, MONTH, "2024-12-05 18:00:00")
    first = _watermarks(wh)
    raw_test = next(t for t in first if t.startswith("test.hotline.not_null_stg_hotline__ticket_rows_ticket_id"))
    ticket_test = next(t for t in first if t.startswith("test.hotline.unique_int_tickets_as_of_ticket_id"))
    failing = "not_null_stg_hotline__ticket_rows_received_at"
    assert len(first) >= 10

    # a new export day, then a row of it whose 受理时间 went missing (broken behind the loader's back)
    _copy_days(default_dumps, dumps, since=SPLIT, before="20241207")
    load_folder(dumps, wh)
    bad, received = _query(wh, "select _row_number, 受理时间 from raw.ticket_rows "
                               "where _export_date = date '2024-12-06' limit 1")[0]
    _redeliver(wh, "2024-12-06", f"set 受理时间 = null where _row_number = {bad}")
    for _ in range(2):  # the failing test's watermark does not move: the next run checks the row again
        with pytest.raises(BuildError, match=failing):
            build_month(wh, MONTH, "2024-12-06 23:59:59")
        marks = _watermarks(wh)
        kept = [t for t in first if t.startswith(f"test.hotline.{failing}") and marks[t] == first[t]]
        assert len(kept) == 1, "the failing test (and only it) keeps its watermark"
        assert marks[raw_test] > first[raw_test], "a passing test moves on"

    # fixed: every test passes and moves on to what the build just saw
    _redeliver(wh, "2024-12-06", f"set 受理时间 = '{received}' where _row_number = {bad}")
    build_month(wh, MONTH, "2024-12-06 23:59:59")
    now = _watermarks(wh)
    assert now[raw_test] > first[raw_test]
    assert int(now[ticket_test]) > int(first[ticket_test])
    # and the filter a scoped test ran with covers that day only, not the history
    run_sql = dbt_work_dir(wh) / "target" / "run"
    compiled = "\n".join(p.read_text() for p in run_sql.rglob("not_null_stg_hotline__ticket_rows_ticket_id*.sql"))
    assert f"loaded_at > timestamp '{marks[raw_test]}'" in compiled
