"""Security and one atomic publication, tried as a hostile or unlucky user would:

- the pseudonymization key never reaches a file, a log or a message, whatever command ran (verbose, failing);
- no personal data in any message, log or audit row, with bad files (a missing header row, a symbolic link
  to a file outside the dumps folder);
- paths with quotes, spaces, Chinese and ``;`` in every path option;
- a kill -9 at every step of a publication leaves the old state or the new one, completed or rolled back by
  the next command; a trial publication elsewhere never touches this folder; a withdrawal is recorded;
- the key can be rotated.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from conftest import AS_OF, MONTH
from hotline.cli import app
from hotline.publish.release import FAULT_ENV, LOG, PENDING, STAGING, published_months
from scan import derived_forms, find

pytestmark = pytest.mark.slow  # end to end: `make test` runs it, `make test-fast` does not

REPO = Path(__file__).resolve().parents[1]
ARGS = ["--month", MONTH, "--as-of", AS_OF[:16]]


def _cli(*args: str, env: dict | None = None):
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def _first_days(src: Path, dst: Path, n: int | None = None) -> Path:
    dst.mkdir(parents=True)
    for f in sorted(src.glob("hotline_*.csv"))[:n]:
        for p in (f, f.with_name(f.stem + ".manifest.json")):
            shutil.copy(p, dst / p.name)
    return dst


# ------------------------------------------------------------------------------------------ the key
def test_the_key_never_reaches_a_file_a_log_or_a_message(tmp_path, default_dumps, monkeypatch, caplog):
    key = "pii-" + secrets.token_hex(16)
    monkeypatch.setenv("HOTLINE_PII_KEY", key)
    data, out = tmp_path / "data", tmp_path / "publish"
    dumps, wh = _first_days(default_dumps, data / "dumps"), data / "warehouse.duckdb"
    (dumps / "hotline_20241213.csv").write_bytes(b"broken")  # a rejected file (after the cut-off): its message
    (dumps / "hotline_20241213.manifest.json").write_text(
        json.dumps(
            {  # is shown
                "export_date": "2024-12-13",
                "row_count": 1,
                "sha256": "0" * 64,
                "exported_at": "2024-12-14T00:30:00+08:00",
            }
        )
    )
    outputs = []
    caplog.set_level(logging.DEBUG)
    for args in (
        ["-v", "load", "--dumps", str(dumps), "--warehouse", str(wh)],
        ["-v", "build", "--warehouse", str(wh), *ARGS],
        ["-v", "validate", "--warehouse", str(wh), "--out", str(out), *ARGS],
        ["-v", "publish", "--warehouse", str(wh), "--out", str(out), *ARGS],
        ["-v", "nightly", "--dumps", str(dumps), "--warehouse", str(wh)],
    ):
        outputs.append(_cli(*args).output)
    # a failing build: a dbt test fails and its message names the rows
    con = duckdb.connect(str(wh))
    con.execute("update raw.exports set loaded_at = now()::timestamp where export_date = date '2024-12-01'")
    con.execute(
        'update raw.ticket_rows set "受理时间" = null, _loaded_at = now()::timestamp '
        "where _export_date = date '2024-12-01' and _row_number = 1"
    )
    con.close()
    res = _cli("-v", "build", "--warehouse", str(wh), *ARGS)
    assert res.exit_code == 1 and "not_null_int_ticket_versions_received_at" in res.output
    outputs.append(res.output)
    assert (out / MONTH / "bulletin.md").is_file() and any((data / "dbt").rglob("dbt.log"))
    forms = derived_forms(key)
    assert not find(forms, data, out), "the key (or a trivial form of it) is on disk"
    text = "\n".join(outputs + [r.getMessage() for r in caplog.records]).encode("utf-8")
    assert not [name for name, form in forms.items() if form in text], "the key is in a message or a log"
    # while the pseudonyms are the keyed hash of the phone (so the key was really used)
    con = duckdb.connect(str(wh), read_only=True)
    phone, pseudonym = con.execute(
        'select "联系电话", _caller_key from raw.ticket_rows where "联系电话" is not null limit 1'
    ).fetchone()
    con.close()
    digits = "".join(c for c in phone if c.isdigit())
    assert pseudonym == hashlib.sha256(f"{key}|{digits}".encode()).hexdigest()


def test_the_key_can_be_rotated(tmp_path, default_dumps, monkeypatch):
    old, new = "old-key-" + secrets.token_hex(8), "new-key-" + secrets.token_hex(8)
    dumps, wh = _first_days(default_dumps, tmp_path / "dumps", 3), tmp_path / "w.duckdb"
    monkeypatch.setenv("HOTLINE_PII_KEY", old)
    assert _cli("load", "--dumps", str(dumps), "--warehouse", str(wh)).exit_code == 0

    def pseudonyms():
        con = duckdb.connect(str(wh), read_only=True)
        try:
            return dict(con.execute('select "工单编号" || _row_number, _caller_key from raw.ticket_rows').fetchall())
        finally:
            con.close()

    before = pseudonyms()
    monkeypatch.setenv("HOTLINE_PII_KEY", new)
    res = _cli("rekey", "--warehouse", str(wh))
    assert res.exit_code != 0 and "HOTLINE_PII_KEY_OLD is not set" in res.output  # the old key is required
    monkeypatch.setenv("HOTLINE_PII_KEY_OLD", new)
    res = _cli("rekey", "--warehouse", str(wh))
    assert res.exit_code != 0 and "nothing to rotate" in res.output
    monkeypatch.setenv("HOTLINE_PII_KEY_OLD", "not-the-old-key-at-all")
    res = _cli("rekey", "--warehouse", str(wh))
    assert res.exit_code != 0 and "not the key this warehouse's pseudonyms were made with" in res.output
    monkeypatch.setenv("HOTLINE_PII_KEY_OLD", old)
    res = _cli("rekey", "--warehouse", str(wh))
    assert res.exit_code == 0 and "--full-refresh" in res.output, res.output
    after = pseudonyms()
    assert after.keys() == before.keys() and all(after[k] != before[k] for k in before if before[k])
    # the new key loads the next day; the old one no longer can
    (dumps / "more").mkdir()
    for f in sorted(default_dumps.glob("hotline_*"))[6:8]:
        shutil.copy(f, dumps / f.name)
    monkeypatch.setenv("HOTLINE_PII_KEY", old)
    res = _cli("load", "--dumps", str(dumps), "--warehouse", str(wh))
    assert res.exit_code != 0 and "not the key this warehouse's pseudonyms were made with" in res.output
    monkeypatch.setenv("HOTLINE_PII_KEY", new)
    assert _cli("load", "--dumps", str(dumps), "--warehouse", str(wh)).exit_code == 0


# ------------------------------------------------------------------------------------------ personal data
def _rewrite(path: Path, data: bytes) -> None:
    """New bytes for an export, with a manifest that matches them (the file passes the checksum)."""
    path.write_bytes(data)
    manifest = path.with_name(path.stem + ".manifest.json")
    doc = json.loads(manifest.read_text(encoding="utf-8"))
    doc["sha256"] = hashlib.sha256(data).hexdigest()
    manifest.write_text(json.dumps(doc), encoding="utf-8")


def _personal(dumps: Path) -> set[str]:
    found: set[str] = set()
    for f in sorted(dumps.glob("hotline_*.csv")):
        with open(f, encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                found |= {row[k] for k in ("诉求人", "联系电话", "诉求地址") if len(row[k]) >= 2}
    return found


def test_no_personal_data_in_messages_logs_or_audit_rows(tmp_path, default_dumps, caplog):
    data = tmp_path / "data"
    dumps, wh = _first_days(default_dumps, data / "dumps", 12), data / "w.duckdb"
    personal = _personal(dumps)
    assert len(personal) > 100
    # the header row is missing: the first line is a caller's row
    day = dumps / "hotline_20241005.csv"
    body = day.read_bytes().removeprefix(b"\xef\xbb\xbf")
    _rewrite(day, b"\xef\xbb\xbf" + body.split(b"\r\n", 1)[1])
    # a symbolic link to a file outside the folder that holds personal data
    outside = tmp_path / "outside.csv"
    shutil.copy(dumps / "hotline_20241006.csv", outside)
    (dumps / "hotline_20241006.csv").unlink()
    (dumps / "hotline_20241006.csv").symlink_to(outside)
    # a row of the wrong width (quarantined: the raw layer keeps its text, no message repeats it)
    bad = dumps / "hotline_20241007.csv"
    rows = bad.read_bytes().split(b"\r\n")
    rows[1] = rows[1] + b",extra"
    _rewrite(bad, b"\r\n".join(rows))
    caplog.set_level(logging.DEBUG)
    res = CliRunner().invoke(app, ["-v", "load", "--dumps", str(dumps), "--warehouse", str(wh)])
    assert res.exit_code == 1 and "header" in res.output and "symbolic link" in res.output, res.output
    con = duckdb.connect(str(wh), read_only=True)
    try:
        audit = [m for (m,) in con.execute("select message from raw.load_audit where message is not null").fetchall()]
        reasons = [m for (m,) in con.execute("select reason from raw.quarantine").fetchall()]
    finally:
        con.close()
    assert len(audit) >= 2 and reasons  # the rejections and the quarantined row are there, and say why
    text = "\n".join([res.output, *audit, *reasons, *(r.getMessage() for r in caplog.records)])
    leaked = sorted(v for v in personal if v in text)
    assert not leaked, leaked[:5]


# ------------------------------------------------------------------------------------------ hostile paths
def test_quotes_spaces_chinese_and_semicolons_in_every_path(tmp_path, default_dumps):
    base = tmp_path / 'it\'s a; 测试 "folder"'
    spec = base / "spec's; 规格.yaml"
    spec.parent.mkdir(parents=True)
    shutil.copy(REPO / "include" / "hotline" / "specs" / "golmud-2024-11.yaml", spec)
    dumps, wh, out = base / "dumps; '导出'", base / "w'h; 仓库" / "ware house.duckdb", base / "pub'; 发布"
    for args in (
        ["generate", "--spec", str(spec), "--dumps", str(dumps)],
        ["load", "--dumps", str(dumps), "--warehouse", str(wh), "--out", str(out)],
        ["build", "--warehouse", str(wh), *ARGS],
        ["validate", "--warehouse", str(wh), "--out", str(out), *ARGS],
        ["publish", "--warehouse", str(wh), "--out", str(out), *ARGS],
        ["explain", "--month", MONTH, "--out", str(out), "work_orders.overdue"],
        ["unpublish", "--month", MONTH, "--out", str(out), "--reason", "it's a test; 测试"],
    ):
        res = CliRunner().invoke(app, args)
        assert res.exit_code == 0 and "Traceback" not in res.output, (args[0], res.output)
    assert (out / ".releases" / MONTH).is_dir() and not (out / MONTH).exists()


# ------------------------------------------------------------------------------------------ one atomic publication
def _bi_months(out: Path) -> list[str]:
    bi = out / "hotline.duckdb"
    if not bi.exists():
        return []
    con = duckdb.connect(str(bi), read_only=True)
    try:
        return [m for (m,) in con.execute("select distinct month from mart_monthly_kpis order by 1").fetchall()]
    finally:
        con.close()


def _consistent(out: Path) -> str:
    """Check the folder is in one consistent state; returns which ("published" or "not published")."""
    months = published_months(out)
    assert _bi_months(out) == months, "the BI file holds exactly the published months"
    assert not (out / PENDING).exists()
    assert not (out / STAGING).exists() or not list((out / STAGING).iterdir())
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp") or ".link-" in p.name]
    releases = sorted((out / ".releases" / MONTH).iterdir()) if (out / ".releases" / MONTH).exists() else []
    log = (
        [json.loads(x) for x in (out / ".audit" / LOG).read_text().splitlines()]
        if (out / ".audit" / LOG).exists()
        else []
    )
    if MONTH in months:
        target = (out / MONTH).resolve()
        assert target in releases and (target / "manifest.json").is_file()
        assert log and log[-1]["action"] == "publish" and log[-1]["release"] == target.name
        return "published"
    assert not log or log[-1]["action"] == "unpublish"
    return "not published"


def test_a_kill_at_any_step_of_a_publication_leaves_one_consistent_state(tmp_path, warehouse_copy, default_dumps):
    out = tmp_path / "publish"
    env = {**os.environ, "PYTHONPATH": str(REPO / "include")}
    cmd = [sys.executable, "-m", "hotline.cli", "publish", "--warehouse", str(warehouse_copy), "--out", str(out), *ARGS]
    seen = {}
    for step in ("staged", "pending", "moved", "switched", "bi", "logged"):
        p = subprocess.run(cmd, env={**env, FAULT_ENV: step}, capture_output=True, text=True, timeout=300, check=False)
        assert p.returncode == -9, (step, p.stdout[-2000:], p.stderr[-2000:])
        # the next command of any kind (here a load of nothing new) completes or rolls back first
        res = _cli("load", "--dumps", str(default_dumps), "--warehouse", str(warehouse_copy), "--out", str(out))
        seen[step] = _consistent(out)
        if seen[step] == "published":
            assert _cli("unpublish", "--month", MONTH, "--out", str(out), "--reason", "reset").exit_code == 0
            assert _consistent(out) == "not published"
        assert res.exit_code == 0, res.output
    # before the switch: the old state, the unpublished release removed; after it: the new one, completed
    assert seen == {
        "staged": "not published",
        "pending": "not published",
        "moved": "not published",
        "switched": "published",
        "bi": "published",
        "logged": "published",
    }
    assert _cli("publish", "--warehouse", str(warehouse_copy), "--out", str(out), *ARGS).exit_code == 0
    assert _consistent(out) == "published"


def test_a_trial_publication_elsewhere_leaves_this_folder_alone(tmp_path, warehouse_copy):
    out, trial = tmp_path / "publish", tmp_path / "trial"
    assert _cli("publish", "--warehouse", str(warehouse_copy), "--out", str(out), *ARGS).exit_code == 0
    before = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert _cli("unpublish", "--month", MONTH, "--out", str(trial), "--reason", "x").exit_code == 1  # nothing there
    assert _cli("publish", "--warehouse", str(warehouse_copy), "--out", str(trial), *ARGS).exit_code == 0
    assert _cli("unpublish", "--month", MONTH, "--out", str(trial), "--reason", "a trial").exit_code == 0
    assert {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} == before
    log = [json.loads(x) for x in (trial / ".audit" / LOG).read_text().splitlines()]
    assert [e["action"] for e in log] == ["publish", "unpublish"] and log[1]["reason"] == "a trial"
    assert _bi_months(trial) == [] and _bi_months(out) == [MONTH]
    res = _cli("unpublish", "--month", MONTH, "--out", str(out))
    assert res.exit_code == 1 and "needs a reason" in res.output
