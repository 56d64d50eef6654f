"""The `hotline` command line: every command has help, user mistakes end with one clear line (no traceback),
and the commands work on a user's own folders."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import duckdb
import pytest
from typer.testing import CliRunner

from hotline.build import dbt_work_dir
from hotline.cli import app

COMMANDS = ["generate", "load", "nightly", "build", "validate", "publish", "run", "explain", "audit-bulletin"]


@pytest.fixture
def runner():
    return CliRunner()


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(runner, command):
    res = runner.invoke(app, [command, "--help"])
    assert res.exit_code == 0
    assert "Usage" in res.output


def _one_line_error(res, *needles, code=2):
    """One line starting with "error:", no traceback; exit status 2 for a usage error, 1 when the data or a check
    is the cause (a failed build, a refused month)."""
    text = res.output  # stdout and stderr together
    assert res.exit_code == code, text
    assert "Traceback" not in text
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), text
    for n in needles:
        assert n in lines[0], text


def test_bad_month_is_one_line(runner, tmp_path):
    _one_line_error(
        runner.invoke(app, ["build", "--month", "2024-13", "--warehouse", str(tmp_path / "w.duckdb")]), "2024-13"
    )


def test_cutoff_before_month_end_is_refused(runner, tmp_path):
    _one_line_error(
        runner.invoke(
            app,
            ["build", "--month", "2024-11", "--as-of", "2024-11-20 10:00", "--warehouse", str(tmp_path / "w.duckdb")],
        ),
        "not complete",
    )


def test_missing_dumps_folder_is_one_line(runner, tmp_path):
    _one_line_error(
        runner.invoke(app, ["load", "--dumps", str(tmp_path / "nope"), "--warehouse", str(tmp_path / "w.duckdb")]),
        "nope",
    )
    assert not (tmp_path / "w.duckdb").exists()


def test_missing_warehouse_is_one_line(runner, tmp_path):
    _one_line_error(
        runner.invoke(app, ["build", "--month", "2024-11", "--warehouse", str(tmp_path / "none.duckdb")]),
        "hotline load",
    )


def test_publish_before_load_or_build_is_one_line(runner, tmp_path, warehouse_copy):
    wh = tmp_path / "w.duckdb"
    duckdb.connect(str(wh)).close()
    _one_line_error(
        runner.invoke(app, ["publish", "--month", "2024-11", "--warehouse", str(wh), "--out", str(tmp_path / "p")]),
        "no export is in force",
        "hotline load",
        code=1,
    )
    # built for another cut-off: the marts hold something else
    _one_line_error(
        runner.invoke(
            app,
            [
                "publish",
                "--month",
                "2024-11",
                "--warehouse",
                str(warehouse_copy),
                "--as-of",
                "2024-12-11 10:00",
                "--out",
                str(tmp_path / "p"),
            ],
        ),
        "hotline build",
        code=1,
    )


def test_bad_spec_is_one_line(runner, tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text("month: 2024-11\n", encoding="utf-8")
    res = runner.invoke(app, ["generate", "--spec", str(spec), "--dumps", str(tmp_path / "d")])
    _one_line_error(res)


def test_busy_warehouse_is_one_line(tmp_path):
    """A second writer gets a clear message, not a lock traceback."""
    wh = tmp_path / "w.duckdb"
    dumps = tmp_path / "dumps"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); time.sleep(60)",
            str(wh),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        CliRunner().invoke(app, ["generate", "--dumps", str(dumps)])
        res = subprocess.run(
            [sys.executable, "-m", "hotline.cli", "load", "--dumps", str(dumps), "--warehouse", str(wh)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert res.returncode == 2, res.stderr
        assert "Traceback" not in res.stderr
        assert "in use by another process" in res.stderr
    finally:
        holder.kill()
        holder.wait()


def test_generate_and_load_a_users_own_folders(runner, tmp_path):
    from hotline.generate import load_spec  # noqa: F401 - the second spec ships with the package
    from hotline.paths import PACKAGE_DIR

    spec = PACKAGE_DIR / "specs" / "demo-city-2025-03.yaml"
    dumps, wh = tmp_path / "my exports", tmp_path / "wh" / "mine.duckdb"
    res = runner.invoke(app, ["generate", "--spec", str(spec), "--dumps", str(dumps)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["load", "--dumps", str(dumps), "--warehouse", str(wh)])
    assert res.exit_code == 0, res.output
    assert "0 quarantined" in res.output
    n_files = len(list(dumps.glob("hotline_*.csv")))
    con = duckdb.connect(str(wh), read_only=True)
    assert con.execute("select count(*) from raw.exports").fetchone()[0] == n_files


@pytest.mark.slow
def test_a_warehouse_built_by_an_older_model_needs_full_refresh_and_gets_it(runner, warehouse_copy):
    """The stored ticket history has a column the model no longer makes (as when a release drops one): the
    incremental build fails with a one-line error naming the remedy, and `hotline build --full-refresh`
    rebuilds it."""
    con = duckdb.connect(str(warehouse_copy))
    con.execute("alter table intermediate.int_ticket_versions add column content varchar")
    con.close()
    args = ["build", "--warehouse", str(warehouse_copy), "--month", "2024-11", "--as-of", "2024-12-12 10:00"]
    _one_line_error(runner.invoke(app, args), "out of sync", "--full-refresh", code=1)
    res = runner.invoke(app, args + ["--full-refresh"])
    assert res.exit_code == 0, res.output
    con = duckdb.connect(str(warehouse_copy))
    try:
        cols = [
            r[0]
            for r in con.execute(
                "select column_name from duckdb_columns() where schema_name = "
                "'intermediate' and table_name = 'int_ticket_versions'"
            ).fetchall()
        ]
        assert "content" not in cols and "ticket_id" in cols
        assert (
            con.execute("select count(*) from intermediate.int_ticket_versions").fetchone()
            == con.execute("select count(*) from raw.ticket_rows").fetchone()
        )
    finally:
        con.close()


def _first_days(src, dst, n):
    dst.mkdir()
    for csv in sorted(src.glob("hotline_*.csv"))[:n]:
        for f in (csv, csv.with_name(csv.stem + ".manifest.json")):
            (dst / f.name).write_bytes(f.read_bytes())
    return dst


@pytest.mark.slow
def test_nightly_loads_and_extends_the_ticket_history(runner, tmp_path, default_dumps):
    dumps, wh = _first_days(default_dumps, tmp_path / "dumps", 3), tmp_path / "w.duckdb"
    args = ["nightly", "--dumps", str(dumps), "--warehouse", str(wh)]
    _one_line_error(runner.invoke(app, args + ["--day", "2024-02-30"]), "2024-02-30")
    assert not wh.exists(), "a bad --day is refused before anything is loaded"
    res = runner.invoke(app, args)  # default: the newest export day in force
    assert res.exit_code == 0, res.output
    assert "3 exports (3 loaded)" in res.output and "ticket history through 2024-10-03" in res.output
    con = duckdb.connect(str(wh), read_only=True)
    try:
        assert con.execute("select count(*), max(export_date) from intermediate.int_ticket_versions").fetchone() == (
            con.execute("select count(*) from raw.ticket_rows").fetchone()[0],
            dt.date(2024, 10, 3),
        )
        tables = {
            r[0] for r in con.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()
        }
        assert not tables, "facts and marts as of a cut-off are the monthly build's"
    finally:
        con.close()
    # an earlier day in force is fine; a day that is not in force is one line, after the (no-op) load
    res = runner.invoke(app, args + ["--day", "2024-10-02"])
    assert res.exit_code == 0 and "3 exports (3 unchanged)" in res.output, res.output
    res = runner.invoke(app, args + ["--day", "2024-10-09"])
    last = res.output.strip().splitlines()[-1]
    assert res.exit_code == 2 and "Traceback" not in res.output, res.output
    assert last.startswith("error: the export of 2024-10-09 is not in force") and "newest: 2024-10-03" in last


@pytest.mark.slow
def test_build_runs_unit_tests_only_when_asked(runner, warehouse_copy):
    """Production builds leave dbt's unit tests to CI; --unit-tests runs them beside the data tests."""
    results = dbt_work_dir(warehouse_copy) / "target" / "run_results.json"
    args = ["build", "--warehouse", str(warehouse_copy), "--month", "2024-11", "--as-of", "2024-12-12 10:00"]
    kinds = []
    for extra in ([], ["--unit-tests"]):
        res = runner.invoke(app, args + extra)
        assert res.exit_code == 0, res.output
        ids = [r["unique_id"] for r in json.loads(results.read_text())["results"]]
        kinds.append((sum(i.startswith("unit_test.") for i in ids), sum(i.startswith("test.") for i in ids)))
    (unit_without, data_without), (unit_with, data_with) = kinds
    assert unit_without == 0 and unit_with >= 10
    assert data_without == data_with > 100
