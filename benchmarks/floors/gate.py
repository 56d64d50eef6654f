"""Floor of the publication gate: the same checks as expectations/*.yml, as plain SQL on the marts (no Great
Expectations, no pandas). Imports duckdb and yaml only: the bulletin identities (`- identities:` entries, a few
dozen comparisons the gate makes in Python on the month's figures) are left out.

    python benchmarks/floors/gate.py WAREHOUSE EXPECTATIONS_DIR MONTH AS_OF
"""

import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import yaml

PHONE = r"(^|[^0-9])1[3-9][0-9]{9}([^0-9]|$)"


def pred(kind: str, kw: dict) -> str | None:
    """SQL predicate that is true for a failing row, or None for table-level checks."""
    col = f'"{kw.get("column", "")}"'
    if kind == "expect_column_values_to_not_be_null":
        return f"{col} is null"
    if kind == "expect_column_values_to_be_between":
        parts = []
        if kw.get("min_value") is not None:
            parts.append(f"{col} < {kw['min_value']}")
        if kw.get("max_value") is not None:
            parts.append(f"{col} > {kw['max_value']}")
        return " or ".join(parts) or "false"
    if kind == "expect_column_values_to_be_in_set":
        vals = ", ".join("'" + str(v).replace("'", "''") + "'" for v in kw["value_set"])
        return f"{col} not in ({vals})"
    if kind == "expect_column_pair_values_a_to_be_greater_than_b":
        op = "<" if kw.get("or_equal") else "<="
        return f'"{kw["column_A"]}" {op} "{kw["column_B"]}"'
    if kind == "expect_column_values_to_match_regex":
        return f"not regexp_matches({col}, '{kw['regex']}')"
    if kind == "expect_column_values_to_not_match_regex":
        return f"regexp_matches({col}, '{PHONE}')"
    return None


def half_up(n, d):
    if d in (None, 0) or n is None:
        return None
    return (Decimal(n) * 100 / Decimal(d)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def main() -> None:
    wh, exp_dir, month, as_of = sys.argv[1:]
    fill = lambda s: s.replace("{month}", month).replace("{as_of}", as_of)  # noqa: E731
    suites = {
        n: yaml.safe_load(fill((Path(exp_dir) / f"{n}.yml").read_text(encoding="utf-8")))
        for n in ("marts", "reconciliation", "rates")
    }
    con = duckdb.connect(wh, read_only=True)
    failed = total = 0
    for mart, body in suites["marts"]["marts"].items():
        con.execute(f"create or replace temp table m as {body.get('query', f'select * from marts.{mart}')}")
        cols = con.execute("select column_name, column_type from (describe m)").fetchall()
        exps = list(body.get("expectations") or [])
        if body.get("no_personal_data", True):
            exps += [{"expect_column_values_to_not_match_regex": {"column": c}} for c, t in cols if t == "VARCHAR"]
        for e in exps:
            ((kind, kw),) = e.items()
            total += 1
            p = pred(kind, kw)
            if p is not None:
                bad = con.execute(f"select count(*) from m where {p}").fetchone()[0]
            elif kind == "expect_table_row_count_to_equal":
                bad = con.execute("select count(*) from m").fetchone()[0] != kw["value"]
            elif kind == "expect_table_row_count_to_be_between":
                n = con.execute("select count(*) from m").fetchone()[0]
                bad = not (kw.get("min_value", 0) <= n <= kw.get("max_value", n))
            elif kind == "expect_column_values_to_be_unique":
                bad = con.execute(f'select count(*) - count(distinct "{kw["column"]}") from m').fetchone()[0]
            else:
                raise SystemExit(f"no SQL for {kind}")
            failed += bool(bad)
    for name, sql in (suites["reconciliation"].get("recounts") or {}).items():  # shared by checks, as in the gate
        con.execute(f"create or replace temp table {name} as {sql}")
    for c in suites["reconciliation"].get("checks") or []:
        if "identities" in c:
            continue
        total += 1
        failed += con.execute(c["expected"]).fetchone() != con.execute(c["actual"]).fetchone()
    for r in suites["rates"].get("rates") or []:
        if "identities" in r:
            continue
        for _key, n, d, rate in con.execute(r["query"]).fetchall():
            total += 1
            want = half_up(n - d, d) if r.get("kind") == "change" and n is not None and d else half_up(n, d)
            failed += (want is None) != (rate is None) or (want is not None and Decimal(str(rate)) != want)
    print(f"{total - failed} of {total} checks passed")


if __name__ == "__main__":
    main()
