"""The loader: daily exports → raw.* (hotline.load). Export folders are built by hand here (csv module, openpyxl,
manifests with real sha256), independent of the generator."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import duckdb
import openpyxl
import pytest

from hotline.contract import HEADERS, csv_name, manifest_name
from hotline.load import LoadError, load_folder
from hotline.load import batch as batch_mod
from hotline.load import loader as loader_mod
from hotline.load import stage as stage_mod
from hotline.warehouse import WarehouseBusy, connect

RAW_TABLES = ("ticket_rows", "quarantine", "exports", "load_audit")


# ----------------------------------------------------------------------------------------------------------------
# fixtures: building exports by hand


def good(i: int, day: str = "2024-11-01", **over: str) -> list[str]:
    """A valid row; ``over`` replaces columns by English-ish keyword via the ``cols`` dict below."""
    ymd = day.replace("-", "")[2:]
    d = {
        "工单编号": f"HX{ymd}{i:08d}",
        "受理时间": f"{day} 08:{i % 60:02d}:00",
        "来源渠道": "电话",
        "专线类别": "",
        "诉求目的": "投诉",
        "一级分类": "城乡建设",
        "二级分类": "物业服务",
        "诉求内容": f"小区物业不作为，第{i}号",
        "诉求人": "张三",
        "联系电话": "13800000000",
        "诉求地址": "昆仑路1号",
        "办理方式": "工单转办",
        "承办单位": "市住房和城乡建设局、 市城管局 ",
        "派单时间": f"{day} 09:00:00",
        "应回复时间": "2024-11-12",
        "回复时间": "",
        "办结时间": "",
        "工单状态": "已派单",
        "退回次数": "0",
        "回访时间": "",
        "回访结果": "",
        "超期说明": "",
        "更新时间": f"{day} 09:00:00",
    }
    for k, v in over.items():
        d[COLS.get(k, k)] = v
    return [d[h] for h in HEADERS]


#: keyword aliases for good(..., **over)
COLS = {
    "id": "工单编号",
    "received": "受理时间",
    "channel": "来源渠道",
    "line": "专线类别",
    "purpose": "诉求目的",
    "content": "诉求内容",
    "handling": "办理方式",
    "dispatched": "派单时间",
    "due": "应回复时间",
    "replied": "回复时间",
    "status": "工单状态",
    "returns": "退回次数",
    "callback": "回访时间",
    "result": "回访结果",
    "updated": "更新时间",
    "dept": "承办单位",
}


def csv_line(cells: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(cells)
    return buf.getvalue()


def csv_bytes(rows: list, header: list[str] = HEADERS, encoding: str = "utf-8-sig", eol: str = "\r\n") -> bytes:
    """rows: lists (written with the csv module) or str (a raw line written verbatim)."""
    lines = [csv_line(header)] + [r if isinstance(r, str) else csv_line(r) for r in rows]
    return "".join(line + eol for line in lines).encode(encoding)


def xlsx_bytes(rows: list[list[str]], header: list[str] = HEADERS) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_export(
    folder: Path,
    day: str,
    data: bytes,
    *,
    fmt: str = "csv",
    rows: int | None = None,
    exported_at: str | None = None,
    manifest: dict | None | bool = True,
) -> Path:
    """Write the data file and (unless manifest=False) its manifest; ``manifest`` dict overrides fields."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (csv_name(day) if fmt == "csv" else csv_name(day).replace(".csv", ".xlsx"))
    path.write_bytes(data)
    if manifest is not False:
        if rows is None:
            rows = count_rows(data, fmt)
        doc = {
            "export_date": day,
            "row_count": rows,
            "sha256": hashlib.sha256(data).hexdigest(),
            "exported_at": exported_at or f"{next_day(day)}T00:30:00+08:00",
        }
        if isinstance(manifest, dict):
            doc.update(manifest)
        (folder / manifest_name(day)).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def count_rows(data: bytes, fmt: str) -> int:
    if fmt == "xlsx":
        return openpyxl.load_workbook(io.BytesIO(data)).active.max_row - 1
    text = ""
    for enc in ("utf-8-sig", "gb18030", "latin-1"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    return max(sum(1 for r in csv.reader(io.StringIO(text, newline="")) if r) - 1, 0)


def next_day(day: str) -> str:
    import datetime as dt

    return (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()


# ----------------------------------------------------------------------------------------------------------------
# helpers on the warehouse


def query(wh: Path, sql: str, params=None) -> list[tuple]:
    con = connect(wh, read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def snapshot(wh: Path) -> dict[str, tuple[int, str]]:
    """Row count and content hash of every raw table."""
    out = {}
    con = connect(wh, read_only=True)
    try:
        for t in RAW_TABLES:
            rows = con.execute(f"SELECT * FROM raw.{t} ORDER BY ALL").fetchall()
            out[t] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    finally:
        con.close()
    return out


def assert_control_totals(wh: Path) -> None:
    bad = query(
        wh,
        "SELECT file_name, rows_read, rows_loaded, rows_quarantined FROM raw.load_audit "
        "WHERE rows_read <> rows_loaded + rows_quarantined",
    )
    assert bad == []
    # exports agree with the tables
    mismatch = query(
        wh,
        """
        SELECT e.export_date FROM raw.exports e
        WHERE e.rows_loaded <> (SELECT count(*) FROM raw.ticket_rows t WHERE t._export_date = e.export_date)
           OR e.rows_quarantined <> (SELECT count(*) FROM raw.quarantine q WHERE q._export_date = e.export_date)
           OR e.rows_loaded + e.rows_quarantined <> e.manifest_row_count""",
    )
    assert mismatch == []


def statuses(report) -> dict[str, str]:
    return {f.file_name: f.status for f in report.files}


# ----------------------------------------------------------------------------------------------------------------
# tests


def test_good_folder_loads(tmp_path):
    dumps, wh = tmp_path / "dumps", tmp_path / "wh" / "warehouse.duckdb"
    tricky = good(
        3, content='他说："要,逗号"\r\n第二行 "引号"', result="满意", callback="2024-11-01 12:00:00", line="营商环境"
    )
    rows1 = [good(1), good(2, returns="", dept=""), tricky]
    write_export(dumps, "2024-11-01", csv_bytes(rows1))
    write_export(dumps, "2024-11-02", csv_bytes([good(1, "2024-11-02"), good(2, "2024-11-02")]))
    write_export(dumps, "2024-11-03", csv_bytes([]))  # a day with no activity
    seen = []
    report = load_folder(dumps, wh, progress=lambda d, t, n: seen.append((d, t, n)))

    assert statuses(report) == {
        "hotline_20241101.csv": "loaded",
        "hotline_20241102.csv": "loaded",
        "hotline_20241103.csv": "loaded",
    }
    assert [(f.rows_read, f.rows_loaded, f.rows_quarantined) for f in report.files] == [(3, 3, 0), (2, 2, 0), (0, 0, 0)]
    assert seen[-1][:2] == (3, 3) and seen[0] == (0, 3, "hotline_20241101.csv")
    cols = [
        r[0]
        for r in query(
            wh,
            "SELECT column_name FROM information_schema.columns WHERE table_schema='raw' "
            "AND table_name='ticket_rows' ORDER BY ordinal_position",
        )
    ]
    assert cols == ["_export_date", "_file_name", "_file_sha256", "_row_number", "_loaded_at", "_caller_key", *HEADERS]
    # the phone's keyed pseudonym: sha256(key | digits), the key from the environment (tests/conftest.py)
    key = os.environ["HOTLINE_PII_KEY"]
    assert query(wh, "SELECT DISTINCT _caller_key FROM raw.ticket_rows") == [
        (hashlib.sha256(f"{key}|13800000000".encode()).hexdigest(),)
    ]
    got = query(wh, "SELECT * EXCLUDE (_loaded_at, _file_sha256, _caller_key) FROM raw.ticket_rows ORDER BY ALL")
    assert len(got) == 5
    day1 = [r for r in got if str(r[0]) == "2024-11-01"]
    assert [r[2] for r in day1] == [1, 2, 3]
    assert day1[0][1] == "hotline_20241101.csv"
    # normalized once: trimmed at both ends (inner whitespace and line breaks kept), empty string -> NULL
    expect = [None if v.strip() == "" else v.strip() for v in tricky]
    assert list(day1[2][3:]) == expect and expect[HEADERS.index("诉求内容")].count("\r\n") == 1
    assert day1[0][3 + HEADERS.index("承办单位")] == "市住房和城乡建设局、 市城管局"
    assert day1[1][3 + HEADERS.index("退回次数")] is None
    exports = query(
        wh,
        "SELECT export_date::VARCHAR, file_name, format, encoding, manifest_row_count, rows_loaded "
        "FROM raw.exports ORDER BY 1",
    )
    assert exports == [
        ("2024-11-01", "hotline_20241101.csv", "csv", "utf-8-sig", 3, 3),
        ("2024-11-02", "hotline_20241102.csv", "csv", "utf-8-sig", 2, 2),
        ("2024-11-03", "hotline_20241103.csv", "csv", "utf-8-sig", 0, 0),
    ]
    sha = hashlib.sha256((dumps / "hotline_20241101.csv").read_bytes()).hexdigest()
    assert query(wh, "SELECT DISTINCT _file_sha256 FROM raw.ticket_rows WHERE _export_date = '2024-11-01'") == [(sha,)]
    assert query(wh, "SELECT status, count(*) FROM raw.load_audit GROUP BY 1") == [("loaded", 3)]
    assert_control_totals(wh)


def test_loading_twice_is_a_no_op(tmp_path):
    dumps, wh = tmp_path / "dumps", tmp_path / "w.duckdb"
    write_export(dumps, "2024-11-01", csv_bytes([good(1), good(2, status="宇宙")]))
    write_export(dumps, "2024-11-02", csv_bytes([good(1, "2024-11-02")]))
    write_export(dumps, "2024-11-03", b"\xff\xfe garbage")  # rejected both times
    first = load_folder(dumps, wh)
    before = snapshot(wh)
    second = load_folder(dumps, wh)
    assert statuses(first) == {
        "hotline_20241101.csv": "loaded",
        "hotline_20241102.csv": "loaded",
        "hotline_20241103.csv": "rejected",
    }
    assert statuses(second) == {
        "hotline_20241101.csv": "unchanged",
        "hotline_20241102.csv": "unchanged",
        "hotline_20241103.csv": "rejected",
    }
    assert all(f.rows_loaded == 0 for f in second.files)
    assert snapshot(wh) == before  # all four raw tables, load_audit included
    assert before["ticket_rows"][0] == 2 and before["quarantine"][0] == 1 and before["exports"][0] == 2


def test_unchanged_deliveries_are_not_rehashed_but_a_file_altered_after_loading_is_caught(tmp_path, monkeypatch):
    """A nightly run over a long history trusts (manifest sha256, file name, file not modified since loaded)
    instead of re-hashing every file; a data file altered later (manifest untouched) is checked in full."""
    import os
    import time

    from hotline.load import loader

    dumps, wh = tmp_path / "dumps", tmp_path / "w.duckdb"
    first = write_export(dumps, "2024-11-01", csv_bytes([good(1)]))
    write_export(dumps, "2024-11-02", csv_bytes([good(1, "2024-11-02")]))
    old = time.time() - 3600
    for p in dumps.iterdir():
        os.utime(p, (old, old))
    load_folder(dumps, wh)
    hashed: list[str] = []
    real = hashlib.sha256

    def spy(data=b"", *a, **k):
        hashed.append(len(data))
        return real(data, *a, **k)

    for mod in (loader, stage_mod):  # the loader's file hashing only
        monkeypatch.setattr(mod, "hashlib", types.SimpleNamespace(sha256=spy))
    again = load_folder(dumps, wh)
    assert statuses(again) == {"hotline_20241101.csv": "unchanged", "hotline_20241102.csv": "unchanged"}
    assert hashed == []
    first.write_bytes(csv_bytes([good(1), good(2)]))  # altered after loading, manifest left as it was
    third = load_folder(dumps, wh)
    assert statuses(third)["hotline_20241101.csv"] == "rejected"
    assert "differs from the manifest" in {f.file_name: f for f in third.files}["hotline_20241101.csv"].message


def test_redelivery_replaces_the_day_atomically(tmp_path):
    dumps, wh = tmp_path / "dumps", tmp_path / "w.duckdb"
    old_rows = [good(i) for i in range(1, 6)] + [good(9, id="BAD")]
    write_export(dumps, "2024-11-01", csv_bytes(old_rows), exported_at="2024-11-02T00:30:00+08:00")
    write_export(dumps, "2024-11-02", csv_bytes([good(1, "2024-11-02")]))
    load_folder(dumps, wh)
    other_day = query(wh, "SELECT * FROM raw.ticket_rows WHERE _export_date = '2024-11-02'")
    old_sha = hashlib.sha256((dumps / "hotline_20241101.csv").read_bytes()).hexdigest()

    # corrected re-delivery: fewer rows, different content, no bad row
    new_rows = [good(1, status="已办结"), good(7)]
    write_export(dumps, "2024-11-01", csv_bytes(new_rows), exported_at="2024-11-05T10:00:00+08:00")
    report = load_folder(dumps, wh)
    assert statuses(report) == {"hotline_20241101.csv": "replaced", "hotline_20241102.csv": "unchanged"}
    new_sha = hashlib.sha256((dumps / "hotline_20241101.csv").read_bytes()).hexdigest()
    got = query(
        wh,
        "SELECT _row_number, 工单编号, 工单状态, _file_sha256 FROM raw.ticket_rows "
        "WHERE _export_date = '2024-11-01' ORDER BY 1",
    )
    assert got == [(1, "HX24110100000001", "已办结", new_sha), (2, "HX24110100000007", "已派单", new_sha)]
    assert query(wh, "SELECT count(*) FROM raw.quarantine WHERE _export_date = '2024-11-01'") == [(0,)]
    assert query(wh, "SELECT count(*) FROM raw.ticket_rows WHERE _file_sha256 = ?", [old_sha]) == [(0,)]
    assert query(wh, "SELECT * FROM raw.ticket_rows WHERE _export_date = '2024-11-02'") == other_day
    assert query(
        wh, "SELECT file_sha256, exported_at, rows_loaded FROM raw.exports WHERE export_date = '2024-11-01'"
    ) == [(new_sha, "2024-11-05T10:00:00+08:00", 2)]
    assert query(
        wh,
        "SELECT status, replaced_sha256, rows_read FROM raw.load_audit "
        "WHERE file_name = 'hotline_20241101.csv' ORDER BY attempted_at",
    ) == [("loaded", None, 6), ("replaced", old_sha, 2)]

    # an older delivery than the one in force is refused
    write_export(dumps, "2024-11-01", csv_bytes(old_rows), exported_at="2024-11-02T00:30:00+08:00")
    report = load_folder(dumps, wh)
    assert report.files[0].status == "rejected" and "older delivery" in report.files[0].message
    assert query(wh, "SELECT count(*) FROM raw.ticket_rows WHERE _export_date = '2024-11-01'") == [(2,)]
    assert_control_totals(wh)


def test_bad_rows_are_quarantined_with_reason_and_raw_text(tmp_path):
    dumps, wh = tmp_path / "dumps", tmp_path / "w.duckdb"
    day = "2024-11-01"
    multiline = good(2, content='第一行\r\n第二行, "引号"')
    bad = {
        "missing_ticket_id": good(0, id=""),
        "bad_ticket_id": good(0, id="HX2411010000001X"),
        "bad_timestamp": good(10, received="2024-02-30 08:00:00"),
        "bad_timestamp ": good(11, updated="2024/11/01 09:00:00"),
        "bad_timestamp  ": good(12, updated=""),  # required
        "bad_timestamp   ": good(13, callback="2024-11-01 24:00:00"),
        "bad_date": good(14, due="2024-11-31"),
        "unknown_enum": good(15, channel="传真"),
        "unknown_enum ": good(16, result="很满意"),
        "unknown_enum  ": good(17, handling=""),  # required enum empty
        "unknown_enum   ": good(18, line="环保"),
        "unknown_enum    ": good(19, purpose="闲聊"),
        "unknown_enum     ": good(20, status="已删除"),
        "bad_integer": good(21, returns="-1"),
        "bad_integer ": good(22, returns="1.0"),
        "impossible_timeline": good(26, updated="2024-11-02 00:00:00"),  # after the export day
        "impossible_timeline ": good(27, replied="2024-11-01 08:59:00"),  # replied before it was dispatched
        "inconsistent_values": good(28, channel="微信", handling="直接答复"),  # a transfer is a work order
    }
    short = csv_line(good(23)[:22])
    long = csv_line(good(24) + ["多余"])
    stray_quote = csv_line(good(25)).replace("小区物业", 'a"b"c小区物业')
    lines = [good(1), multiline]
    for v in bad.values():
        lines.append(v)
    lines += [
        good(30),
        good(30, status="已办结"),  # duplicate ticket id: both rows quarantined
        short,
        long,
        stray_quote,
        good(31, channel="\u3000电话 ", received=" 2024-11-01 08:00:00"),  # spaces around: valid, trimmed
        good(32, result="", line=""),
    ]
    write_export(dumps, day, csv_bytes(lines))
    report = load_folder(dumps, wh)
    f = report.files[0]
    assert (f.status, f.rows_read) == ("loaded", len(lines))
    assert f.rows_loaded == 4 and f.rows_quarantined == len(lines) - 4

    q = query(wh, "SELECT _row_number, reason_code, reason, raw_text, _file_name FROM raw.quarantine ORDER BY 1")
    by_row = {r[0]: r for r in q}
    expected_codes = (
        [k.strip() for k in bad]
        + ["duplicate_ticket_in_file"] * 2
        + ["wrong_column_count", "wrong_column_count", "malformed_csv"]
    )
    assert [r[1] for r in q] == expected_codes
    for rn in range(3, 3 + len(bad)):
        assert by_row[rn][3] == csv_line(lines[rn - 1])  # raw text of the line, exactly
    assert by_row[21][3] == csv_line(good(30)) and "rows 21, 22" in by_row[21][2]
    assert by_row[23][3] == short and "22 fields" in by_row[23][2]
    assert by_row[24][3] == long and "24 fields" in by_row[24][2]
    assert by_row[25][3] == stray_quote
    assert "受理时间 '2024-02-30 08:00:00'" in by_row[5][2]
    assert "更新时间 is empty" in by_row[7][2]
    assert "传真" in by_row[10][2] and "来源渠道" in by_row[10][2]
    assert by_row[18][2] == "更新时间 2024-11-02 00:00:00 is after the export day 2024-11-01"
    assert by_row[19][2] == "回复时间 2024-11-01 08:59:00 is before 派单时间 2024-11-01 09:00:00"
    assert "微信 is a transfer" in by_row[20][2] and "直接答复" in by_row[20][2]
    assert {r[4] for r in q} == {"hotline_20241101.csv"}

    loaded = query(wh, "SELECT _row_number, 来源渠道, 受理时间, 诉求内容 FROM raw.ticket_rows ORDER BY 1")
    assert [r[0] for r in loaded] == [1, 2, 26, 27]
    assert loaded[1][3] == '第一行\r\n第二行, "引号"'
    assert loaded[2][1:3] == ("电话", "2024-11-01 08:00:00")  # the one normalized value every layer sees
    assert_control_totals(wh)


def test_rows_of_a_batch_are_judged_file_by_file(tmp_path):
    """Several exports are checked in one query per batch: a ticket updated on two days is no duplicate, a
    ticket twice in one file is, and every quarantined row keeps its own file's raw text."""
    dumps, wh = tmp_path / "dumps", tmp_path / "w.duckdb"
    day1, day2 = "2024-11-01", "2024-11-02"
    ids = [f"HX24110100000{i:03d}" for i in range(1, 4)]
    first = [good(i, day1, id=ids[i - 1]) for i in range(1, 4)] + [good(9, day1, channel="传真")]
    second = [good(i, day2, id=ids[i - 1], updated=f"{day2} 10:00:00") for i in range(1, 4)] + [
        good(3, day2, id=ids[2], status="已办结"),
        good(8, day2, returns="x"),
    ]
    write_export(dumps, day1, csv_bytes(first))
    write_export(dumps, day2, csv_bytes(second))
    report = load_folder(dumps, wh)
    assert [(f.rows_loaded, f.rows_quarantined) for f in report.files] == [(3, 1), (2, 3)]
    q = query(wh, "SELECT _export_date::VARCHAR, _row_number, reason_code, raw_text FROM raw.quarantine ORDER BY 1, 2")
    assert [r[:3] for r in q] == [
        (day1, 4, "unknown_enum"),
        (day2, 3, "duplicate_ticket_in_file"),
        (day2, 4, "duplicate_ticket_in_file"),
        (day2, 5, "bad_integer"),
    ]
    assert q[0][3] == csv_line(first[3]) and q[1][3] == csv_line(second[2]) and q[3][3] == csv_line(second[4])
    assert_control_totals(wh)


def test_bad_files_are_rejected_with_a_message(tmp_path):
    dumps, wh = tmp_path / "dumps", tmp_path / "w.duckdb"
    rows = lambda d: [good(1, d), good(2, d)]  # noqa: E731
    write_export(dumps, "2024-11-01", csv_bytes(rows("2024-11-01")))  # good
    write_export(dumps, "2024-11-02", csv_bytes(rows("2024-11-02")) + b"\xff\xfe\x80")  # undecodable
    hdr = [h for h in HEADERS if h != "诉求目的"]
    write_export(dumps, "2024-11-03", csv_bytes([r[:4] + r[5:] for r in rows("2024-11-03")], header=hdr))
    swapped = HEADERS[:]
    swapped[5], swapped[6] = swapped[6], swapped[5]
    write_export(dumps, "2024-11-04", csv_bytes(rows("2024-11-04"), header=swapped))
    write_export(dumps, "2024-11-05", csv_bytes(rows("2024-11-05")), manifest=False)
    write_export(dumps, "2024-11-06", csv_bytes(rows("2024-11-06")))
    (dumps / manifest_name("2024-11-06")).write_text('{"export_date": "2024-11-06", "row_count": 2,')
    write_export(dumps, "2024-11-07", csv_bytes(rows("2024-11-07")), manifest={"sha256": "0" * 64})
    full = csv_bytes([good(i, "2024-11-08") for i in range(1, 6)])
    write_export(dumps, "2024-11-08", full[: full.rindex(b"\r\n", 0, len(full) - 2) + 2], rows=5)  # truncated
    write_export(dumps, "2024-11-09", csv_bytes(rows("2024-11-09")), manifest={"export_date": "2024-11-10"})
    wb = openpyxl.Workbook()
    buf = io.BytesIO()
    wb.save(buf)
    write_export(dumps, "2024-11-11", buf.getvalue(), fmt="xlsx", rows=0)  # empty xlsx
    write_export(dumps, "2024-11-12", b"PK\x03\x04 not really a zip", fmt="xlsx", rows=2)  # unreadable xlsx
    (dumps / manifest_name("2024-11-13")).write_text("{}")  # orphan manifest
    # csv and xlsx for one day: the manifest's sha256 says which one is the delivery
    write_export(dumps, "2024-11-14", csv_bytes(rows("2024-11-14")))
    write_export(dumps, "2024-11-14", xlsx_bytes(rows("2024-11-14")), fmt="xlsx", manifest=False)
    write_export(dumps, "2024-11-15", b"")  # empty file
    (dumps / "hotline_20241131.csv").write_bytes(csv_bytes([]))  # no such date
    (dumps / "notes.txt").write_text("ignored")

    report = load_folder(dumps, wh)
    res = {f.file_name: f for f in report.files}
    expect = {
        "hotline_20241102.csv": "undecodable bytes",
        "hotline_20241103.csv": "missing column(s) 诉求目的",
        "hotline_20241104.csv": "columns out of order: 二级分类, 一级分类",
        "hotline_20241105.csv": "manifest hotline_20241105.manifest.json is missing",
        "hotline_20241106.csv": "is not valid JSON",
        "hotline_20241107.csv": "differs from the manifest",
        "hotline_20241108.csv": "the file has 4 data rows but the manifest says 5",
        "hotline_20241109.csv": "manifest export_date 2024-11-10 differs from the file name's date 2024-11-09",
        "hotline_20241111.xlsx": "empty xlsx",
        "hotline_20241112.xlsx": "unreadable xlsx",
        "hotline_20241113.manifest.json": "manifest without a data file",
        "hotline_20241114.xlsx": "the manifest is for hotline_20241114.csv",
        "hotline_20241115.csv": "no header row",
        "hotline_20241131.csv": "is not a real date",
    }
    for name, needle in expect.items():
        assert res[name].status == "rejected", name
        assert needle in res[name].message and name in res[name].message, (name, res[name].message)
    assert res["hotline_20241101.csv"].status == "loaded"
    assert res["hotline_20241114.csv"].status == "loaded"
    assert len(report.files) == len(expect) + 2
    loaded_days = query(wh, "SELECT DISTINCT _export_date::VARCHAR FROM raw.ticket_rows ORDER BY 1")
    assert loaded_days == [("2024-11-01",), ("2024-11-14",)]
    assert query(wh, "SELECT count(*) FROM raw.quarantine") == [(0,)]
    audit = query(wh, "SELECT file_name, status, message, rows_read FROM raw.load_audit WHERE status = 'rejected'")
    assert {a[0] for a in audit} == set(expect)
    assert all(a[2] and a[0] in a[2] and a[3] == 0 for a in audit)
    assert_control_totals(wh)


@pytest.mark.parametrize("variant", ["utf-8", "gb18030", "xlsx", "lf"])
def test_encodings_and_xlsx_load_like_utf8_bom(tmp_path, variant):
    rows = [
        good(1, content='多行\n内容,带逗号 "引号"'),
        good(2, id="X1"),
        good(3, status="未知"),
        good(4, dept=" 市城管局 "),
    ]
    day = "2024-11-01"

    def load(kind: str) -> tuple[list, list, list]:
        dumps, wh = tmp_path / kind / "dumps", tmp_path / kind / "w.duckdb"
        if kind == "xlsx":
            write_export(dumps, day, xlsx_bytes(rows), fmt="xlsx")
        elif kind == "lf":
            write_export(dumps, day, csv_bytes(rows, eol="\n"))
        else:
            write_export(dumps, day, csv_bytes(rows, encoding=kind))
        report = load_folder(dumps, wh)
        assert report.files[0].status == "loaded", report.files[0].message
        assert_control_totals(wh)
        return (
            query(wh, "SELECT * EXCLUDE (_file_name, _file_sha256, _loaded_at) FROM raw.ticket_rows ORDER BY ALL"),
            query(wh, "SELECT _row_number, reason_code, reason, raw_text FROM raw.quarantine ORDER BY ALL"),
            query(wh, "SELECT format, encoding FROM raw.exports"),
        )

    ref = load("utf-8-sig")
    got = load(variant)
    assert got[0] == ref[0] and len(ref[0]) == 2
    assert got[1] == ref[1] and [r[1] for r in ref[1]] == ["bad_ticket_id", "unknown_enum"]
    assert ref[2] == [("csv", "utf-8-sig")]
    assert got[2] == [
        {"utf-8": ("csv", "utf-8"), "gb18030": ("csv", "gb18030"), "xlsx": ("xlsx", None), "lf": ("csv", "utf-8-sig")}[
            variant
        ]
    ]


@pytest.mark.parametrize("case", ["clean", "short_row", "duckdb_disagrees"])
def test_python_path_matches_duckdb_fast_path(tmp_path, monkeypatch, case):
    from hotline.load import readers

    rows: list = [good(i, content=f'内容{i}\r\n第二行 "{i}"') if i % 3 == 0 else good(i) for i in range(1, 40)]
    rows[5] = good(6, received="2024-13-01 00:00:00")
    rows[7] = good(7)  # duplicate of row 7
    if case == "short_row":  # DuckDB skips it; the loader finds it by counting fields
        rows[20] = csv_line(good(21)[:20])
    data = csv_bytes(rows)
    results = []
    for fast in (True, False):
        dumps, wh = tmp_path / str(fast) / "dumps", tmp_path / str(fast) / "w.duckdb"
        write_export(dumps, "2024-11-01", data)
        used = []  # each sample check's verdict: True = DuckDB's rows were taken (with its batch or on its own)
        real = stage_mod.sample_agrees
        for mod in (stage_mod, batch_mod):  # a file read on its own, and a batch's files
            monkeypatch.setattr(
                mod, "sample_agrees", lambda *a, _used=used, _real=real, **k: _used.append(_real(*a, **k)) or _used[-1]
            )
        if not fast:
            monkeypatch.setattr(readers.CsvExport, "fast_path_ok", property(lambda self: False))
        if case == "duckdb_disagrees" and fast:  # the sample check must send the file down the Python path
            real_parse = readers.CsvExport.parse_rows
            monkeypatch.setattr(
                readers.CsvExport,
                "parse_rows",
                lambda self, rns, _real=real_parse: [r[:-1] + ["x"] for r in _real(self, rns)],
            )
        load_folder(dumps, wh)
        monkeypatch.undo()
        assert any(used) == (fast and case != "duckdb_disagrees")
        results.append(
            (
                query(wh, "SELECT * EXCLUDE (_loaded_at) FROM raw.ticket_rows ORDER BY ALL"),
                query(wh, "SELECT * FROM raw.quarantine ORDER BY ALL"),
            )
        )
    assert results[0] == results[1]
    short = case == "short_row"
    assert len(results[0][0]) == 36 - short and len(results[0][1]) == 3 + short


def test_failure_in_the_middle_of_a_load_leaves_the_warehouse_as_before(tmp_path, monkeypatch):
    dumps, wh = tmp_path / "dumps", tmp_path / "w.duckdb"
    write_export(dumps, "2024-11-01", csv_bytes([good(1), good(2), good(3, id="")]))
    load_folder(dumps, wh)
    before = snapshot(wh)
    write_export(dumps, "2024-11-01", csv_bytes([good(5), good(6, id="")]), exported_at="2024-11-03T00:00:00+08:00")

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(batch_mod, "_insert_quarantine", boom)  # after the day's rows were deleted and inserted
    with pytest.raises(RuntimeError, match="disk on fire"):
        load_folder(dumps, wh)
    assert snapshot(wh) == before
    monkeypatch.undo()
    assert statuses(load_folder(dumps, wh)) == {"hotline_20241101.csv": "replaced"}
    assert query(wh, "SELECT 工单编号 FROM raw.ticket_rows") == [("HX24110100000005",)]


def test_a_row_number_twice_in_raw_fails_the_batch(tmp_path, monkeypatch):
    """raw.ticket_rows has no primary key: the batch's control totals check its row numbers."""
    dumps, wh = tmp_path / "dumps", tmp_path / "w.duckdb"
    write_export(dumps, "2024-11-01", csv_bytes([good(1), good(2)]))
    load_folder(dumps, wh)
    before = snapshot(wh)
    write_export(dumps, "2024-11-01", csv_bytes([good(5), good(6)]), exported_at="2024-11-03T00:00:00+08:00")
    real = batch_mod._insert_quarantine

    def renumber(con, meta, rows):  # a bug that gives two rows the same number, the counts still right
        con.execute("UPDATE raw.ticket_rows SET _row_number = 1 WHERE _export_date = ? AND _row_number = 2", [meta[0]])
        real(con, meta, rows)

    monkeypatch.setattr(batch_mod, "_insert_quarantine", renumber)
    with pytest.raises(RuntimeError, match="row numbers occur twice"):
        load_folder(dumps, wh)
    assert snapshot(wh) == before


def test_concurrent_writer_gets_warehouse_busy(tmp_path):
    dumps, wh = tmp_path / "dumps", tmp_path / "w.duckdb"
    write_export(dumps, "2024-11-01", csv_bytes([good(1)]))
    load_folder(dumps, wh)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); sys.stdin.read()",
            str(wh),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(WarehouseBusy) as e:
            load_folder(dumps, wh)
        assert str(e.value).startswith(f"warehouse {wh} is in use by another process (pid {holder.pid})")
        assert "\n" not in str(e.value)
        with pytest.raises(WarehouseBusy):
            connect(wh, read_only=True)
    finally:
        holder.stdin.close()
        holder.wait(timeout=20)
    assert statuses(load_folder(dumps, wh)) == {"hotline_20241101.csv": "unchanged"}


def test_load_error_for_missing_or_empty_folder(tmp_path):
    with pytest.raises(LoadError, match="does not exist"):
        load_folder(tmp_path / "nope", tmp_path / "w.duckdb")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.md").write_text("x")
    with pytest.raises(LoadError, match="no exports in"):
        load_folder(tmp_path / "empty", tmp_path / "w.duckdb")
    assert not (tmp_path / "w.duckdb").exists()


def test_connect_creates_parent_dirs(tmp_path):
    con = connect(tmp_path / "a" / "b" / "w.duckdb")
    con.close()
    assert (tmp_path / "a" / "b" / "w.duckdb").exists()
    with pytest.raises(FileNotFoundError):
        connect(tmp_path / "missing.duckdb", read_only=True)
    assert isinstance(duckdb.__version__, str)


def test_csv_record_scan_edge_cases():
    from hotline.load import readers

    head = ",".join(HEADERS)
    r = [csv_line(good(i)) for i in range(1, 4)]
    # no final line break, blank lines (skipped, not counted), LF and CRLF mixed
    body = f"{head}\r\n\r\n{r[0]}\n\n{r[1]}\r\n{r[2]}".encode()
    ex = readers.scan_csv("x.csv", "utf-8", body)
    assert ex.rows_read == 3 and ex.malformed == {} and [ex.raw_text(i) for i in (1, 2, 3)] == r
    # a bare CR outside quotes, a NUL byte, an unterminated quote (runs to the end: swallows the next line)
    body = f'{head}\n{r[0]}\rx\n{r[1]}\x00\n{r[2]}\n"open,{r[0]}\n{r[1]}\n'.encode()
    ex = readers.scan_csv("x.csv", "utf-8", body)
    assert ex.rows_read == 4
    assert set(ex.malformed) == {0, 1, 3}
    assert "carriage return" in ex.malformed[0] and "NUL" in ex.malformed[1] and "never closed" in ex.malformed[3]
    numbers, rows, bad = ex.python_rows()
    assert numbers == [3] and [b.reason_code for b in bad] == ["malformed_csv"] * 3
    assert bad[2].raw_text == f'"open,{r[0]}\n{r[1]}'
    # escaped quotes and an empty quoted field are well-formed
    body = (head + "\n" + csv_line(good(1, content='""a"" ""', dept=""))).encode()
    assert readers.scan_csv("x.csv", "utf-8", body).malformed == {}
    body = (head + '\nHX1,"",""""\n').encode()
    assert readers.scan_csv("x.csv", "utf-8", body).malformed == {}


def test_xlsx_typed_cells_are_written_back_as_contract_text(tmp_path):
    import datetime as dt

    dumps, wh = tmp_path / "dumps", tmp_path / "w.duckdb"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADERS)
    r = good(1)
    r[HEADERS.index("受理时间")] = dt.datetime(2024, 11, 1, 8, 0, 5)  # Excel turned it into a date-time
    r[HEADERS.index("应回复时间")] = dt.date(2024, 11, 12)
    r[HEADERS.index("退回次数")] = 2  # a number
    r[HEADERS.index("回复时间")] = None
    ws.append(r)
    ws.append([None] * len(HEADERS))  # blank row: skipped, not counted
    ws.append(good(2) + ["stray"])  # a 24th cell
    buf = io.BytesIO()
    wb.save(buf)
    write_export(dumps, "2024-11-01", buf.getvalue(), fmt="xlsx", rows=2)
    report = load_folder(dumps, wh)
    assert (report.files[0].status, report.files[0].rows_loaded, report.files[0].rows_quarantined) == ("loaded", 1, 1)
    got = query(wh, "SELECT 受理时间, 应回复时间, 退回次数, 回复时间 FROM raw.ticket_rows")
    assert got == [("2024-11-01 08:00:05", "2024-11-12", "2", None)]
    assert query(wh, "SELECT _row_number, reason_code, raw_text FROM raw.quarantine") == [
        (2, "wrong_column_count", csv_line(good(2) + ["stray"]))
    ]


def test_files_are_written_in_batches_and_an_error_keeps_the_files_checked_before_it(tmp_path, monkeypatch):
    dumps, wh = tmp_path / "dumps", tmp_path / "w.duckdb"
    days = ["2024-11-01", "2024-11-02", "2024-11-03", "2024-11-04"]
    for d in days:
        write_export(dumps, d, csv_bytes([good(1, d), good(2, d), good(3, d, id="")]))
    # 4 accepted rows per batch: two files per transaction, both stamped with the batch's load time
    monkeypatch.setattr(loader_mod, "BATCH_ROWS", 4)
    report = load_folder(dumps, wh)
    assert [f.status for f in report.files] == ["loaded"] * 4
    assert query(wh, "SELECT count(DISTINCT loaded_at) FROM raw.exports") == [(2,)]
    assert (
        query(wh, "SELECT count(DISTINCT _loaded_at) FROM raw.ticket_rows GROUP BY _export_date ORDER BY 1")
        == [(1,)] * 4
    )
    assert_control_totals(wh)

    # re-deliveries of all four days; checking the third one fails unexpectedly: the first two are written
    # (one batch), the error propagates, the third and fourth keep their old delivery
    wh2 = tmp_path / "w2.duckdb"
    load_folder(dumps, wh2)
    for d in days:
        write_export(dumps, d, csv_bytes([good(7, d)]), exported_at="2024-11-20T00:00:00+08:00")
    monkeypatch.setattr(loader_mod, "BATCH_ROWS", 1000)
    real = loader_mod.read_manifest

    def manifest(name, *a):
        if name == "hotline_20241103.csv":
            raise RuntimeError("disk on fire")
        return real(name, *a)

    monkeypatch.setattr(loader_mod, "read_manifest", manifest)
    with pytest.raises(RuntimeError, match="disk on fire"):
        load_folder(dumps, wh2)
    assert query(wh2, "SELECT CAST(_export_date AS VARCHAR), count(*) FROM raw.ticket_rows GROUP BY 1 ORDER BY 1") == [
        ("2024-11-01", 1),
        ("2024-11-02", 1),
        ("2024-11-03", 2),
        ("2024-11-04", 2),
    ]
    assert_control_totals(wh2)


def test_a_file_modified_between_its_checks_and_its_batch_read_is_rejected(tmp_path):
    """A well-formed CSV is read by DuckDB only when its batch is written: if the file changed after its checks
    (sha256 against the manifest), it is rejected then, and the rest of the batch is written."""
    import os

    dumps, wh = tmp_path / "dumps", tmp_path / "w.duckdb"
    for d in ("2024-11-01", "2024-11-02"):
        write_export(dumps, d, csv_bytes([good(1, d), good(2, d)]))
    first = dumps / csv_name("2024-11-01")

    def touch_first(i, n, name):  # called before each file: the first one was checked, not yet read
        if i == 1:
            st = first.stat()
            os.utime(first, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))

    report = load_folder(dumps, wh, progress=touch_first)
    assert [(f.status, f.rows_loaded) for f in report.files] == [("rejected", 0), ("loaded", 2)]
    assert "changed while it was being loaded" in report.files[0].message
    assert query(wh, "SELECT DISTINCT CAST(_export_date AS VARCHAR) FROM raw.ticket_rows") == [("2024-11-02",)]
    assert query(wh, "SELECT file_name, status FROM raw.load_audit ORDER BY file_name") == [
        ("hotline_20241101.csv", "rejected"),
        ("hotline_20241102.csv", "loaded"),
    ]
    assert_control_totals(wh)
    again = load_folder(dumps, wh)  # unchanged since: now it loads
    assert [f.status for f in again.files] == ["loaded", "unchanged"]
    assert_control_totals(wh)


def test_values_are_normalized_with_the_whitespace_class_dbt_splits_names_on():
    """One whitespace rule: the loader trims with the class dbt's department rule splits on."""
    from hotline.load.rows import WS_CHARS, WS_CLASS

    macro = (Path(__file__).parents[1] / "dbt_project" / "macros" / "text.sql").read_text(encoding="utf-8")
    assert f"{{% macro ws_class() -%}} {WS_CLASS} {{%- endmacro %}}" in macro
    assert "".join(chr(i) for i in range(0x110000) if chr(i).isspace()) == WS_CHARS
    con = duckdb.connect()
    everything = "".join(chr(i) for i in range(1, 0x3100))
    assert (
        con.execute(f"select regexp_replace(?, '[^{WS_CLASS[1:-1]}]', '', 'g')", [everything]).fetchone()[0] == WS_CHARS
    )


def test_a_raw_layer_written_by_an_older_loader_is_refused(tmp_path):
    """Values stored untrimmed and no timeline rules: reloading is the fix, not a silent mix of both."""
    from hotline.load.errors import LoadError

    dumps, wh = tmp_path / "dumps", tmp_path / "w.duckdb"
    write_export(dumps, "2024-11-01", csv_bytes([good(1)]))
    load_folder(dumps, wh)
    con = duckdb.connect(str(wh))
    con.execute("DROP TABLE raw.layer_info")  # as an older loader left it
    con.close()
    write_export(dumps, "2024-11-02", csv_bytes([good(1, "2024-11-02")]))
    with pytest.raises(LoadError, match="older loader"):
        load_folder(dumps, wh)


def test_the_loader_refuses_without_a_key_or_with_another_one(tmp_path, monkeypatch):
    """Pseudonyms made without a key, or with two keys in one warehouse, would be reversible or inconsistent."""
    from hotline.load.errors import LoadError
    from hotline.secrets import MissingKey

    dumps, wh = tmp_path / "dumps", tmp_path / "w.duckdb"
    write_export(dumps, "2024-11-01", csv_bytes([good(1)]))
    monkeypatch.delenv("HOTLINE_PII_KEY")
    monkeypatch.delenv("HOTLINE_PII_KEY_FILE", raising=False)
    with pytest.raises(MissingKey, match="HOTLINE_PII_KEY is not set"):
        load_folder(dumps, wh)
    assert not wh.exists()
    monkeypatch.setenv("HOTLINE_PII_KEY", "short")
    with pytest.raises(MissingKey, match="too short"):
        load_folder(dumps, wh)
    key_file = tmp_path / "key"
    key_file.write_text("a-key-from-a-mounted-secret\n")
    monkeypatch.delenv("HOTLINE_PII_KEY")
    monkeypatch.setenv("HOTLINE_PII_KEY_FILE", str(key_file))
    key_file.chmod(0o644)
    with pytest.raises(MissingKey, match="chmod 600"):
        load_folder(dumps, wh)
    key_file.chmod(0o600)
    load_folder(dumps, wh)
    expected = hashlib.sha256(b"a-key-from-a-mounted-secret|13800000000").hexdigest()
    assert query(wh, "SELECT DISTINCT _caller_key FROM raw.ticket_rows") == [(expected,)]
    write_export(dumps, "2024-11-02", csv_bytes([good(1, "2024-11-02")]))
    monkeypatch.setenv("HOTLINE_PII_KEY", "another-key-than-the-first-one")
    with pytest.raises(LoadError, match="not the key this warehouse's pseudonyms were made with"):
        load_folder(dumps, wh)


def test_a_file_rewritten_with_its_old_size_and_times_is_not_unchanged(tmp_path):
    """Bytes changed in place, size kept, modification time set back: the status-change time gives it away."""
    dumps, wh = tmp_path / "dumps", tmp_path / "w.duckdb"
    path = write_export(dumps, "2024-11-01", csv_bytes([good(1)]))
    load_folder(dumps, wh)
    st = path.stat()
    data = path.read_bytes()
    path.write_bytes(data.replace("投诉".encode(), "求助".encode()))  # same length in UTF-8
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    again = load_folder(dumps, wh)
    assert statuses(again) == {"hotline_20241101.csv": "rejected"}  # checked in full: its sha256 differs
    assert "differs from the manifest" in again.files[0].message


def test_symbolic_links_in_the_dumps_folder_are_never_followed(tmp_path):
    """A link could point anywhere (the first line of /etc/passwd once ended up in an audit row)."""
    dumps, wh = tmp_path / "dumps", tmp_path / "w.duckdb"
    write_export(dumps, "2024-11-01", csv_bytes([good(1)]))
    secret = tmp_path / "outside.csv"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    (dumps / "hotline_20241102.csv").symlink_to(secret)
    (dumps / "hotline_20241102.manifest.json").write_text(
        json.dumps(
            {
                "export_date": "2024-11-02",
                "row_count": 1,
                "exported_at": "2024-11-03T00:30:00+08:00",
                "sha256": hashlib.sha256(secret.read_bytes()).hexdigest(),
            }
        ),
        encoding="utf-8",
    )
    real = write_export(tmp_path / "elsewhere", "2024-11-03", csv_bytes([good(1, "2024-11-03")]))
    (dumps / "hotline_20241103.csv").write_bytes(real.read_bytes())
    (dumps / "hotline_20241103.manifest.json").symlink_to(real.with_name("hotline_20241103.manifest.json"))
    report = load_folder(dumps, wh)
    assert statuses(report) == {
        "hotline_20241101.csv": "loaded",
        "hotline_20241102.csv": "rejected",
        "hotline_20241103.csv": "rejected",
    }
    messages = query(wh, "SELECT file_name, message FROM raw.load_audit WHERE status = 'rejected' ORDER BY 1")
    assert [m for _, m in messages] == [
        "hotline_20241102.csv: is a symbolic link: not followed (deliver the file itself into the dumps folder)",
        "hotline_20241103.csv: manifest hotline_20241103.manifest.json is a symbolic link: not followed (deliver "
        "the file itself into the dumps folder)",
    ]
    assert not any("root" in (m or "") for _, m in messages)
