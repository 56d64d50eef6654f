"""hotline.rates (Python) and dbt_project/macros/rates.sql (SQL) round every percentage the same way: the
macros' own SQL, rendered with plain jinja2 and run in DuckDB, against rates.rate_pct / rates.change_pct."""

from __future__ import annotations

import random
from decimal import Decimal

import duckdb
import jinja2
import pytest

from hotline.paths import DBT_PROJECT_DIR
from hotline.periods import previous_month
from hotline.rates import as_float, change_pct, rate_pct, round_half_up

MACROS = (DBT_PROJECT_DIR / "macros" / "rates.sql").read_text(encoding="utf-8")

# Exact ties at the second decimal (x.xx5: 1/32 = 3.125 %, 1/160 = 0.625 %, 1/800 = 0.125 %, 1/4000 = 0.025 %,
# 1/20000 = 0.005 %), their neighbours, zero and whole percentages, and the bulletin's own figures.
TIES = [(n, d) for d in (8, 32, 160, 800, 4000, 20000) for n in (1, 3, 5, 7, 9, 11, 13)]
EDGES = [
    (0, 1),
    (0, 7),
    (1, 1),
    (7, 7),
    (1, 3),
    (2, 3),
    (1, 6),
    (5, 6),
    (1, 7),
    (999, 1000),
    (1, 1000),
    (1, 100000),
    (99999, 100000),
    (2**31 - 1, 2**31 + 1),
    (10**12, 3 * 10**12),
    (26, 4151),
    (1046, 4151),
    (762, 3848),
    (1088, 1094),
    (1041, 1046),
    (121, 127),
]
random.seed(12345)
RANDOM = [(random.randint(0, 5000), random.randint(1, 5000)) for _ in range(60)]
PAIRS = TIES + EDGES + RANDOM
# current, previous: rises, falls (negative ties round away from zero too), no change, from and to zero
CHANGES = [(4151, 4049), (31, 32), (33, 32), (3, 2), (0, 5), (5, 5), (161, 160), (159, 160), (799, 800)] + [
    (c, p) for c, p in RANDOM if c
]


def sql_values(macro: str, pairs: list[tuple[int | None, int | None]]) -> list[Decimal | None]:
    """``macro(a, b)`` of rates.sql for every pair, computed by DuckDB."""
    expr = jinja2.Environment().from_string(MACROS + "{{ " + macro + "('a', 'b') }}").render()
    con = duckdb.connect()
    con.execute("create table pairs (i integer, a bigint, b bigint)")
    con.executemany("insert into pairs values (?, ?, ?)", [(i, a, b) for i, (a, b) in enumerate(pairs)])
    return [r[0] for r in con.execute(f"select {expr} from pairs order by i").fetchall()]


def test_rate_pct_is_the_sql_macro():
    assert len(PAIRS) >= 100
    sql = sql_values("rate_pct", PAIRS)
    assert [(p, s) for p, s in zip(PAIRS, sql, strict=True) if s != rate_pct(*p)] == []


def test_change_pct_is_the_sql_macro():
    sql = sql_values("change_pct", CHANGES)
    assert [(p, s) for p, s in zip(CHANGES, sql, strict=True) if s != change_pct(*p)] == []


def test_no_rate_without_a_denominator_in_both():
    pairs = [(5, 0), (0, 0), (None, 5), (5, None)]
    assert sql_values("rate_pct", pairs) == [rate_pct(*p) for p in pairs] == [None] * 4
    assert sql_values("change_pct", [(5, 0), (None, 5)]) == [change_pct(5, 0), change_pct(None, 5)] == [None] * 2


def test_half_up_not_half_even():
    assert rate_pct(1, 160) == Decimal("0.63")  # round(0.625, 2) == 0.62
    assert rate_pct(1, 32) == Decimal("3.13")
    assert change_pct(31, 32) == Decimal("-3.13")  # a falling tie rounds away from zero
    assert rate_pct(26, 4151, places=1) == Decimal("0.6") and rate_pct(1046, 4151) == Decimal("25.20")
    assert change_pct(4151, 4049) == Decimal("2.52")
    assert round_half_up(96.875) == Decimal("96.88") and round_half_up("2.5", 0) == Decimal(3)
    assert as_float(rate_pct(1, 8)) == 12.5 and as_float(None) is None


@pytest.mark.parametrize("month, previous", [("2024-11", "2024-10"), ("2024-01", "2023-12"), ("2000-12", "2000-11")])
def test_previous_month(month, previous):
    assert previous_month(month) == previous
