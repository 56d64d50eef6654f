"""The command line's contract (README.md, "The `hotline` command line"): whatever the arguments, a command exits
with 0, 1 or 2 and never prints a traceback; an error is one line starting with "error:"; `--month` is required;
`hotline load` exits 1 when it rejected a file and still loads the others; `--version`; `validate` on a month that
is not built and `explain` with an unknown key say so in one line; `hotline build` reports its progress node by
node.

The fuzzing invokes every command of the app (also ones added later) with hostile values for each of its options
and arguments, one at a time, against a tiny fixture (three days of exports, loaded, not built), in a temporary
working directory and with HOTLINE_DUMPS/HOTLINE_WAREHOUSE/HOTLINE_PUBLISH pointing into it: nothing outside the
test's folders is touched. Flags are never switched on (`calendar --write-seed` would rewrite the seed).
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import typer.main
from typer.testing import CliRunner

from conftest import AS_OF, MONTH
from hotline.build import build_month, dbt_work_dir
from hotline.cli import app

pytestmark = pytest.mark.slow  # end to end: `make test` runs it, `make test-fast` does not

GROUP = typer.main.get_command(app)
COMMANDS = sorted(GROUP.commands)
#: the commands that take a month
MONTH_COMMANDS = ["build", "validate", "publish", "run", "explain", "audit-bulletin"]

#: values a user (or a script gone wrong) may pass anywhere; paths stay relative to the test's working folder
HOSTILE = [
    "",
    " ",
    "'",
    '"',
    ";",
    "--",
    "-",
    "-1",
    "-2024-11",
    "0",
    "1e309",
    "nan",
    "inf",
    "99999999999999999999999",
    "../",
    "..",
    ".",
    "x" * 300,
    "y" * 5000,
    "a/../../b",
    "$(echo pwned)",
    "`id`",
    "; rm -rf ~",
    "%s%n{0}",
    "[bold]markup[/]",
    ":smile:",
    "2024-02-30",
    "2024-13",
    "2024-00",
    "99999-01",
    "0000-01",
    "2024-11-31",
    "2024-11 ",
    "2024/11",
    "2024-11\n2024-12",
    "２０２４-１１",
    "十一月",
    "2024-11-01 25:00",
    "\u202e2024-11",
    "".join(chr(i) for i in range(1, 32)) + "\x7f",
    "\x1b[31mred\x1b[0m",
    "😀" * 50,
    "\ufeff\ufffe\uffff\U0010ffff",
    "C:\\Windows\\system32",
    "file:///etc/passwd",
]


@dataclass
class Tiny:
    root: Path
    dumps: Path
    warehouse: Path
    publish: Path
    bulletin: Path
    a_file: Path
    a_folder: Path


def _first_days(src: Path, dst: Path, n: int) -> Path:
    dst.mkdir(parents=True)
    for csv in sorted(src.glob("hotline_*.csv"))[:n]:
        for f in (csv, csv.with_name(csv.stem + ".manifest.json")):
            (dst / f.name).write_bytes(f.read_bytes())
    return dst


def _fake_publication(folder: Path) -> None:
    """What `hotline explain` reads: evidence.parquet and figures.json of a published month."""
    folder.mkdir(parents=True)
    con = duckdb.connect()
    con.execute(f"""copy (select * from (values
            ('work_orders.closed', 'count', 'HX0001'), ('work_orders.closed', 'count', 'HX0002'),
            ('work_orders.closure_rate_pct', 'numerator', 'HX0001'),
            ('work_orders.closure_rate_pct', 'denominator', 'HX0001'),
            ('work_orders.closure_rate_pct', 'denominator', 'HX0003'),
            ('contacts.total', 'count', 'HX0004')) t(figure_key, role, ticket_id))
        to '{folder / "evidence.parquet"}' (format parquet)""")
    con.close()
    figures = {
        "month": MONTH,
        "contacts": {"total": 1, "by_channel_pct": {}},
        "purpose": {"by_type_pct": {}},
        "work_orders": {"closed": 2, "closure_rate_pct": 50.0},
    }
    (folder / "figures.json").write_text(json.dumps(figures), encoding="utf-8")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, default_dumps) -> Tiny:
    """Three days of exports (2024-10-01 … 03) loaded into a warehouse (not built), a fake publication of
    2024-11, a bulletin file, a file and a folder."""
    from hotline.load import load_folder

    root = tmp_path_factory.mktemp("contract")
    dumps = _first_days(default_dumps, root / "dumps", 3)
    warehouse = root / "warehouse.duckdb"
    load_folder(dumps, warehouse)
    publish = root / "publish"
    _fake_publication(publish / MONTH)
    bulletin = Path(__file__).parents[1] / "docs" / "reference" / "golmud-12345-bulletin-2024-11.md"
    a_file = root / "a-file.txt"
    a_file.write_text("not a folder, not a warehouse\n", encoding="utf-8")
    (root / "a-folder").mkdir()
    return Tiny(root, dumps, warehouse, publish, bulletin, a_file, root / "a-folder")


@pytest.fixture
def workdir(tmp_path, monkeypatch, tiny) -> Path:
    """A working folder two levels below the test's own (so that "../" stays inside it), with the defaults of
    every folder pointing into the test's folder and the root logger's level restored afterwards (`-v`)."""
    cwd = tmp_path / "cwd" / "deeper"
    cwd.mkdir(parents=True)
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("HOTLINE_DUMPS", str(tmp_path / "default-dumps"))
    monkeypatch.setenv("HOTLINE_WAREHOUSE", str(tmp_path / "default-warehouse.duckdb"))
    monkeypatch.setenv("HOTLINE_PUBLISH", str(tmp_path / "default-publish"))
    level = logging.getLogger().level
    yield tmp_path
    logging.getLogger().setLevel(level)


@pytest.fixture
def runner():
    return CliRunner()


def _lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.strip()]


def assert_contract(res, command: str, args: list[str]) -> None:
    """Exit status 0, 1 or 2; no traceback and no internal error; a failure ends with one "error:" line (its
    last line: a message that wrapped would leave a line after it)."""
    where = f"hotline {' '.join(repr(a) for a in args)}"
    assert res.exception is None or isinstance(res.exception, SystemExit), f"{where}: {res.exception!r}"
    text = res.output
    assert "Traceback" not in text, f"{where}:\n{text}"
    assert "this is a bug" not in text, f"{where}:\n{text}"
    assert res.exit_code in (0, 1, 2), f"{where}: exit {res.exit_code}\n{text}"
    lines = _lines(text)
    errors = [ln for ln in lines if ln.startswith("error:")]
    if res.exit_code == 0:
        assert not errors, f"{where}:\n{text}"
    elif command == "audit-bulletin" and res.exit_code == 1 and lines and re.match(r"\d+ findings in ", lines[-1]):
        assert not errors, f"{where}:\n{text}"  # findings are the command's answer, not an error
    else:
        assert len(errors) == 1 and lines[-1] == errors[0], f"{where}: exit {res.exit_code}\n{text}"


def _base(command: str, tiny: Tiny, tmp_path: Path) -> dict[str, str]:
    """Valid values (by parameter name) that make each command fail fast or finish fast on the tiny fixture:
    2024-10 cannot be built from three days of exports (refused), 2024-11 is "published" for explain."""
    warehouse = tmp_path / "warehouse.duckdb"
    if not warehouse.exists():
        shutil.copy(tiny.warehouse, warehouse)
    published = command in ("explain", "audit-bulletin", "unpublish")
    out = tmp_path / "publish"
    if not out.exists():
        shutil.copytree(tiny.publish, out)
    # generate writes into --dumps: a folder of its own
    dumps = tmp_path / "generated" if command == "generate" else tiny.dumps
    return {
        "dumps": str(dumps),
        "warehouse": str(warehouse),
        "out_dir": str(out),
        "month": MONTH if published else "2024-10",
        "day": "2024-10-09",
        "limit": "5",
        "figure_key": "work_orders.closed",
        "file": str(tiny.bulletin),
        "reason": "fuzz",
    }


def _invocation(command: str, values: dict[str, str | None]) -> list[str]:
    """``command --opt=value … -- ARG …`` (the = and the -- keep values that look like options values)."""
    params = GROUP.commands[command].params
    opts, positional = [], []
    for p in params:
        if p.name not in values or values[p.name] is None:
            continue
        if p.param_type_name == "argument":
            positional.append(values[p.name])
        elif not getattr(p, "is_flag", False):
            opts.append(f"{p.opts[0]}={values[p.name]}")
    return [command, *opts, *(["--", *positional] if positional else [])]


def _valued_params(command: str):
    return [p for p in GROUP.commands[command].params if not getattr(p, "is_flag", False)]


def _base_values(command: str, tiny: Tiny, tmp_path: Path) -> dict[str, str | None]:
    base = _base(command, tiny, tmp_path)
    values: dict[str, str | None] = {}
    for p in _valued_params(command):
        if p.name in base and (p.required or p.name in ("dumps", "warehouse", "out_dir", "day", "limit")):
            values[p.name] = base[p.name]
        elif p.required:
            values[p.name] = "x"
    return values


# ---------------------------------------------------------------------------------------------------- fuzzing
@pytest.mark.parametrize("command", COMMANDS)
def test_hostile_values_never_crash_a_command(runner, workdir, tiny, command):
    base = _base_values(command, tiny, workdir)
    args = _invocation(command, base)
    assert_contract(runner.invoke(app, args), command, args)
    for p in _valued_params(command):
        for value in HOSTILE:
            args = _invocation(command, {**base, p.name: value})
            assert_contract(runner.invoke(app, args), command, args)


@pytest.mark.parametrize("command", COMMANDS)
def test_paths_of_the_wrong_kind_are_one_line(runner, workdir, tiny, command):
    """A file where a folder is expected and the reverse, a path that does not exist, a non-DuckDB warehouse (this
    test's own: generate writes into a folder it is given)."""
    base = _base_values(command, tiny, workdir)
    a_file, a_folder, a_bulletin = workdir / "a-file.txt", workdir / "a-folder", workdir / "bulletin.md"
    shutil.copy(tiny.a_file, a_file)
    shutil.copy(tiny.bulletin, a_bulletin)
    a_folder.mkdir()
    wrong = [str(a_file), str(a_folder), str(workdir / "missing" / "deeper"), str(a_bulletin)]
    for p in _valued_params(command):
        if p.name not in ("dumps", "warehouse", "out_dir", "spec", "file"):
            continue
        for value in wrong:
            args = _invocation(command, {**base, p.name: value})
            assert_contract(runner.invoke(app, args), command, args)


@pytest.mark.parametrize("command", COMMANDS)
def test_missing_required_and_unknown_options_are_usage_errors(runner, workdir, tiny, command):
    base = _base_values(command, tiny, workdir)
    for p in _valued_params(command):
        if p.required:
            args = _invocation(command, {**base, p.name: None})
            res = runner.invoke(app, args)
            assert_contract(res, command, args)
            assert res.exit_code == 2 and len(_lines(res.output)) == 1, res.output
    for extra in (
        ["--no-such-option"],
        ["--month"] if "month" in base else ["--limit"],
        ["stray", "words"],
        ["--help=1"],
    ):
        args = _invocation(command, base) + extra if extra[0] != "stray" else [command, *extra]
        res = runner.invoke(app, args)
        assert_contract(res, command, args)


@pytest.mark.parametrize("command", MONTH_COMMANDS)
def test_month_is_required(runner, workdir, tiny, command):
    values = _base_values(command, tiny, workdir)
    values.pop("month")
    res = runner.invoke(app, _invocation(command, values))
    assert res.exit_code == 2, res.output
    assert _lines(res.output) == [ln for ln in _lines(res.output) if ln.startswith("error:")], res.output
    assert "--month" in res.output and len(_lines(res.output)) == 1, res.output


@pytest.mark.parametrize("args", [[], ["--no-such-option"], ["no-such-command"], ["-v"], ["--version", "build"]])
def test_the_group_itself(runner, workdir, args):
    res = runner.invoke(app, args)
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert res.exit_code in (0, 2) and "Traceback" not in res.output, res.output
    if args[:1] == ["--version"]:
        assert res.exit_code == 0 and res.output.startswith("hotline ")


# ---------------------------------------------------------------------------------------------------- specifics
def test_version(runner):
    from hotline import __version__
    from hotline.publish import code_version

    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0, res.output
    assert res.output.strip() == f"hotline {code_version()}"
    assert __version__ in res.output


def test_help_documents_the_exit_statuses(runner):
    from hotline.cli import EXIT_STATUS

    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0
    text = " ".join(res.output.replace("│", " ").split())
    assert "Exit status: 0 ok; 1 checks failed" in text and "2 usage error" in text and "130 interrupted" in text
    assert set(EXIT_STATUS) == {0, 1, 2, 3, 130}
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    for code in EXIT_STATUS:
        assert f"\n| {code} | " in readme, code


def test_load_exits_1_with_a_rejected_file_and_loads_the_others(runner, workdir, default_dumps):
    dumps, wh = _first_days(default_dumps, workdir / "dumps", 3), workdir / "w.duckdb"
    bad = sorted(dumps.glob("hotline_*.csv"))[1]
    bad.write_bytes(b"\xff\xfe garbage")
    res = runner.invoke(app, ["load", "--dumps", str(dumps), "--warehouse", str(wh)])
    assert res.exit_code == 1, res.output
    lines = _lines(res.output)
    assert any(ln.startswith(f"rejected {bad.name}") for ln in lines), res.output
    assert lines[-1].startswith("error: 1 of 3 exports rejected") and bad.name in lines[-1], res.output
    assert "the others are loaded" in lines[-1]
    con = duckdb.connect(str(wh), read_only=True)
    try:
        loaded = {r[0] for r in con.execute("select file_name from raw.exports").fetchall()}
    finally:
        con.close()
    assert loaded == {p.name for p in dumps.glob("hotline_*.csv")} - {bad.name}
    # loading again: the good ones are unchanged, the bad one is still rejected
    res = runner.invoke(app, ["load", "--dumps", str(dumps), "--warehouse", str(wh)])
    assert res.exit_code == 1 and "2 unchanged" in res.output, res.output


def test_validate_on_a_month_that_is_not_built_says_so(runner, workdir, tiny, built_warehouse):
    # loaded, never built
    res = runner.invoke(app, ["validate", "--month", MONTH, "--warehouse", str(tiny.warehouse)])
    assert res.exit_code == 1, res.output
    assert _lines(res.output) == [_lines(res.output)[0]] and res.output.startswith("error: the marts are not built")
    # built for 2024-11: 2024-10 is not what the marts hold (the warehouse is opened read-only)
    res = runner.invoke(app, ["validate", "--month", "2024-10", "--warehouse", str(built_warehouse)])
    assert res.exit_code == 1, res.output
    (line,) = _lines(res.output)
    assert line.startswith(f"error: the marts hold {MONTH} as of {AS_OF}, not 2024-10 as of 2024-11-12 10:00"), line
    assert "hotline build --month 2024-10" in line
    # a missing warehouse
    res = runner.invoke(app, ["validate", "--month", MONTH, "--warehouse", str(workdir / "none.duckdb")])
    assert res.exit_code == 2 and _lines(res.output)[0].startswith("error: warehouse"), res.output


def test_explain_unknown_key_and_unpublished_month(runner, workdir, tiny):
    out = ["--out", str(tiny.publish)]
    res = runner.invoke(app, ["explain", "work_orders.closed", "--month", MONTH, *out])
    assert res.exit_code == 0 and "work_orders.closed = 2" in res.output, res.output
    res = runner.invoke(app, ["explain", "work_orders.closure_rate", "--month", MONTH, *out])
    (line,) = _lines(res.output)
    assert res.exit_code == 2 and line.startswith("error: no figure 'work_orders.closure_rate'"), res.output
    assert "close keys: work_orders.closure_rate_pct" in line
    res = runner.invoke(app, ["explain", "x", "--month", MONTH, *out])
    (line,) = _lines(res.output)
    assert res.exit_code == 2 and "keys look like: contacts.total" in line, res.output
    res = runner.invoke(app, ["explain", "work_orders.closed", "--month", "2024-10", *out])
    (line,) = _lines(res.output)
    assert res.exit_code == 1 and line.startswith("error: 2024-10 is not published"), res.output
    assert "hotline publish --month 2024-10" in line


def test_build_reports_progress_node_by_node(warehouse_copy):
    """One call per model, seed and test, in order of done, the last one with done == total."""
    calls = []
    result = build_month(warehouse_copy, MONTH, AS_OF, progress=lambda *a: calls.append(a))
    nodes = [r["name"] for r in result.results if not r["name"].startswith("operation.")]  # on-run hooks
    assert len(calls) == len(nodes) > 100
    assert [c[0] for c in calls] == list(range(1, len(nodes) + 1))
    assert calls[-1][0] == calls[-1][1] == len(nodes)
    names = {c[2] for c in calls}
    assert "mart_monthly_kpis" in names and "unique_mart_monthly_kpis_month" in names
    assert {c[3] for c in calls} <= {"success", "pass", "warn"}


def test_build_verbose_prints_a_line_per_node_and_no_dbt_log(runner, workdir, warehouse_copy):
    res = runner.invoke(
        app, ["-v", "build", "--month", MONTH, "--as-of", AS_OF[:16], "--warehouse", str(warehouse_copy)]
    )
    assert res.exit_code == 0, res.output
    nodes = [ln for ln in res.output.splitlines() if re.match(r"\d+/\d+ \S+ \S+$", ln)]
    results = json.loads((dbt_work_dir(warehouse_copy) / "target" / "run_results.json").read_text())["results"]
    n = sum(1 for r in results if not r["unique_id"].startswith("operation."))
    assert len(nodes) == n and nodes[-1].startswith(f"{n}/{n} "), res.output[-2000:]
    for dbt_line in ("Running with dbt=", "Concurrency:", "Finished running", "Completed successfully"):
        assert dbt_line not in res.output
