"""The `hotline` command line: every command has help, user mistakes end with one clear line (no traceback),
and the commands work on a user's own folders."""
from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest
from hotline.cli import app
from typer.testing import CliRunner

COMMANDS = ["generate", "load", "build", "validate", "publish", "run", "explain", "audit-bulletin"]


@pytest.fixture
def runner():
    return CliRunner()


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(runner, command):
    res = runner.invoke(app, [command, "--help"])
    assert res.exit_code == 0
    assert "Usage" in res.output


def _one_line_error(res, *needles):
    text = res.output  # stdout and stderr together
    assert res.exit_code == 2, text
    assert "Traceback" not in text
    lines = [l for l in text.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), text
    for n in needles:
        assert n in lines[0], text


def test_bad_month_is_one_line(runner, tmp_path):
    _one_line_error(runner.invoke(app, ["build", "--month", "2024-13", "--warehouse", str(tmp_path / "w.duckdb")]),
                    "2024-13")


def test_cutoff_before_month_end_is_refused(runner, tmp_path):
    _one_line_error(runner.invoke(app, ["build", "--month", "2024-11", "--as-of", "2024-11-20 10:00",
                                        "--warehouse", str(tmp_path / "w.duckdb")]), "not complete")


def test_missing_dumps_folder_is_one_line(runner, tmp_path):
    _one_line_error(runner.invoke(app, ["load", "--dumps", str(tmp_path / "nope"),
                                        "--warehouse", str(tmp_path / "w.duckdb")]), "nope")
    assert not (tmp_path / "w.duckdb").exists()


def test_missing_warehouse_is_one_line(runner, tmp_path):
    _one_line_error(runner.invoke(app, ["build", "--warehouse", str(tmp_path / "none.duckdb")]), "hotline load")


def test_publish_before_build_is_one_line(runner, tmp_path):
    wh = tmp_path / "w.duckdb"
    duckdb.connect(str(wh)).close()
    _one_line_error(runner.invoke(app, ["publish", "--warehouse", str(wh), "--out", str(tmp_path / "p")]),
                    "hotline build")


def test_bad_spec_is_one_line(runner, tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text("month: 2024-11\n", encoding="utf-8")
    res = runner.invoke(app, ["generate", "--spec", str(spec), "--dumps", str(tmp_path / "d")])
    _one_line_error(res)


def test_busy_warehouse_is_one_line(tmp_path):
    """A second writer gets a clear message, not a lock traceback."""
    wh = tmp_path / "w.duckdb"
    dumps = tmp_path / "dumps"
    holder = subprocess.Popen([sys.executable, "-c",
                               "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
                               "time.sleep(60)", str(wh)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        CliRunner().invoke(app, ["generate", "--dumps", str(dumps)])
        res = subprocess.run([sys.executable, "-m", "hotline.cli", "load", "--dumps", str(dumps),
                              "--warehouse", str(wh)], capture_output=True, text=True, timeout=120)
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


def test_a_warehouse_built_by_an_older_model_needs_full_refresh_and_gets_it(runner, warehouse_copy):
    """int_tickets_as_of lost its 诉求内容 column; a warehouse built before that fails the incremental build with a
    one-line error naming the remedy, and `hotline build --full-refresh` rebuilds it."""
    con = duckdb.connect(str(warehouse_copy))
    con.execute("alter table intermediate.int_tickets_as_of add column content varchar")
    con.close()
    args = ["build", "--warehouse", str(warehouse_copy), "--month", "2024-11", "--as-of", "2024-12-12 10:00"]
    _one_line_error(runner.invoke(app, args), "out of sync", "hotline build --full-refresh")
    res = runner.invoke(app, args + ["--full-refresh"])
    assert res.exit_code == 0, res.output
    con = duckdb.connect(str(warehouse_copy))
    try:
        cols = [r[0] for r in con.execute("select column_name from duckdb_columns() where schema_name = "
                                          "'intermediate' and table_name = 'int_tickets_as_of'").fetchall()]
        assert "content" not in cols and "ticket_id" in cols
        assert con.execute("select count(distinct batch_id) from intermediate.int_tickets_as_of").fetchone() == (1,)
    finally:
        con.close()
