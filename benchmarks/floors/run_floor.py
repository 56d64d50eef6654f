"""Runs one hand-written floor script (floors/*.sql) with the duckdb Python module: the floor of a benchmark is
what DuckDB alone needs for the same work. ``${name}`` placeholders are filled from KEY=VALUE arguments;
``${include:file.sql}`` pastes another script. Imports nothing but duckdb (no dbt, no Great Expectations).

    python benchmarks/floors/run_floor.py WAREHOUSE SCRIPT.sql [KEY=VALUE ...]
"""

import re
import string
import sys
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent


def render(name: str, params: dict) -> str:
    text = (HERE / name).read_text(encoding="utf-8")
    text = re.sub(r"\$\{include:([\w.]+)\}", lambda m: render(m.group(1), params), text)
    return string.Template(text).safe_substitute(params)


def main() -> None:
    warehouse, script, *kv = sys.argv[1:]
    params = dict(a.split("=", 1) for a in kv)
    params = {k: v.replace("'", "''") for k, v in params.items()}
    sql = render(script, params)
    con = duckdb.connect(warehouse)
    con.execute("set enable_progress_bar = false")
    try:
        con.execute(sql)
        result = con.execute("select * from floor_result").fetchall() if "floor_result" in sql else []
    finally:
        con.close()
    print(result[:3])


if __name__ == "__main__":
    main()
