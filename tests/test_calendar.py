"""China's working-day calendar (hotline.workdays, docs/calendar.md): the base seed is what the installed
chinesecalendar generates, it agrees with the hand-kept table it replaced, due dates across the long holidays,
overrides (local holidays, a year the package does not cover yet), OutsideCalendar naming the date, and dbt's
int_calendar_working_days agreeing with Python day by day."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from hotline import workdays
from hotline.workdays import OutsideCalendar

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "dbt_project" / "seeds"
OVERRIDES_HEADER = "calendar_date,is_working_day,holiday_name,note\n"

# The hand-kept table that hotline/workdays.py held before the calendar came from chinesecalendar (State
# Council notices for 2024-2026): (first day, last day, name) and the make-up working days.
HAND_KEPT_HOLIDAYS = [
    ("2024-01-01", "2024-01-01", "元旦"),
    ("2024-02-10", "2024-02-17", "春节"),
    ("2024-04-04", "2024-04-06", "清明节"),
    ("2024-05-01", "2024-05-05", "劳动节"),
    ("2024-06-10", "2024-06-10", "端午节"),
    ("2024-09-15", "2024-09-17", "中秋节"),
    ("2024-10-01", "2024-10-07", "国庆节"),
    ("2025-01-01", "2025-01-01", "元旦"),
    ("2025-01-28", "2025-02-04", "春节"),
    ("2025-04-04", "2025-04-06", "清明节"),
    ("2025-05-01", "2025-05-05", "劳动节"),
    ("2025-05-31", "2025-06-02", "端午节"),
    ("2025-10-01", "2025-10-08", "国庆节、中秋节"),
    ("2026-01-01", "2026-01-03", "元旦"),
    ("2026-02-15", "2026-02-23", "春节"),
    ("2026-04-04", "2026-04-06", "清明节"),
    ("2026-05-01", "2026-05-05", "劳动节"),
    ("2026-06-19", "2026-06-21", "端午节"),
    ("2026-09-25", "2026-09-27", "中秋节"),
    ("2026-10-01", "2026-10-07", "国庆节"),
]
HAND_KEPT_MAKEUP = [
    "2024-02-04",
    "2024-02-18",
    "2024-04-07",
    "2024-04-28",
    "2024-05-11",
    "2024-09-14",
    "2024-09-29",
    "2024-10-12",
    "2025-01-26",
    "2025-02-08",
    "2025-04-27",
    "2025-09-28",
    "2025-10-11",
    "2026-01-04",
    "2026-02-14",
    "2026-02-28",
    "2026-05-09",
    "2026-09-20",
    "2026-10-10",
]


def _days(first: str, last: str):
    d, end = date.fromisoformat(first), date.fromisoformat(last)
    while d <= end:
        yield d
        d += timedelta(days=1)


def _seeds_dir(tmp_path: Path, overrides: str = "") -> Path:
    """A seeds folder with the committed base seed and the given override rows."""
    seeds = tmp_path / "seeds"
    seeds.mkdir(parents=True)
    shutil.copy(SEEDS / workdays.BASE_SEED, seeds / workdays.BASE_SEED)
    (seeds / workdays.OVERRIDES_SEED).write_text(OVERRIDES_HEADER + overrides, encoding="utf-8")
    return seeds


# ------------------------------------------------------------------------------------------ the base seed
def test_committed_seed_is_what_the_installed_package_generates():
    """Upgrading chinesecalendar without regenerating the seed fails."""
    committed = (SEEDS / workdays.BASE_SEED).read_bytes()
    assert b"\r" not in committed
    assert committed.decode("utf-8") == workdays.seed_text(), (
        "cn_calendar_days.csv differs from what the installed chinesecalendar generates: "
        "run hotline calendar --write-seed"
    )
    from typer.testing import CliRunner

    from hotline.cli import app

    res = CliRunner().invoke(app, ["calendar"])
    assert res.exit_code == 0 and "up to date" in res.output, res.output


def test_seed_covers_every_year_of_the_package_day_by_day():
    import chinese_calendar

    years = workdays.package_years()
    assert (years.start, years.stop - 1) == (2004, 2026)
    rows = workdays.base_calendar_rows()
    assert [r[0] for r in rows] == list(_days(f"{years.start}-01-01", f"{years.stop - 1}-12-31"))
    for d, working, kind, name in rows:
        assert working == (not chinese_calendar.is_holiday(d)), d
        assert kind in workdays.DAY_TYPES
        assert (kind == "holiday") == bool(name), d
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_holiday(date(years.stop, 1, 4))


def test_seed_file_with_a_changed_day_fails_the_check(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from hotline import paths
    from hotline.cli import app

    seeds = _seeds_dir(tmp_path)
    text = (seeds / workdays.BASE_SEED).read_text(encoding="utf-8")
    (seeds / workdays.BASE_SEED).write_text(
        text.replace("2025-10-08,false,holiday", "2025-10-08,true,workday"), encoding="utf-8"
    )
    monkeypatch.setattr(paths, "SEEDS_DIR", seeds)
    res = CliRunner().invoke(app, ["calendar"])
    assert res.exit_code == 1 and "out of date" in res.output and "--write-seed" in res.output, res.output
    assert CliRunner().invoke(app, ["calendar", "--write-seed"]).exit_code == 0
    assert (seeds / workdays.BASE_SEED).read_text(encoding="utf-8") == text
    assert CliRunner().invoke(app, ["calendar"]).exit_code == 0


def test_hand_kept_2024_2026_table_agrees_with_the_package():
    cal = workdays.calendar()
    rows = {r[0]: r for r in cal.rows()}
    hand_holidays = {d: name for first, last, name in HAND_KEPT_HOLIDAYS for d in _days(first, last)}
    hand_makeup = {date.fromisoformat(d) for d in HAND_KEPT_MAKEUP}
    for d, name in hand_holidays.items():
        assert rows[d] == (d, False, "holiday", name)
    for d in hand_makeup:
        assert rows[d] == (d, True, "makeup_workday", "")
    # and nothing else in 2024-2026 departs from the weekday rule
    for d in _days("2024-01-01", "2026-12-31"):
        if d not in hand_holidays and d not in hand_makeup:
            weekend = d.weekday() >= 5
            assert rows[d] == (d, not weekend, "weekend" if weekend else "workday", ""), d


# ------------------------------------------------------------------------------------------ the rule
@pytest.mark.parametrize(
    "dispatched, due",
    [
        ("2024-11-01", "2024-11-12"),  # an ordinary fortnight
        ("2024-11-02", "2024-11-13"),  # Saturday: counts from Monday
        ("2024-02-08", "2024-02-23"),  # before Spring Festival 02-10..17; Sun 02-18 is a make-up day
        ("2025-01-24", "2025-02-10"),  # Spring Festival 01-28..02-04; Sun 01-26 and Sat 02-08 are make-up days
        ("2026-02-13", "2026-03-02"),  # Spring Festival 02-15..23; Sat 02-14 and Sat 02-28 are make-up days
        ("2024-09-30", "2024-10-15"),  # National Day 10-01..07; Sat 10-12 is a make-up day
        ("2025-09-30", "2025-10-16"),  # National Day + Mid-autumn 10-01..08; Sat 10-11 is a make-up day
        ("2025-10-03", "2025-10-17"),  # dispatched during the holiday: counts from Thu 10-09
        ("2023-09-28", "2023-10-13"),  # 2023: 中秋节、国庆节 09-29..10-06, Sat 10-07 and Sun 10-08 make-up days
        ("2004-01-02", "2004-01-13"),  # the first covered year
    ],
)
def test_due_dates_across_the_long_holidays(dispatched, due):
    assert workdays.due_date(date.fromisoformat(dispatched)) == date.fromisoformat(due)


def test_2023_is_covered():
    assert workdays.FIRST_YEAR == 2004 and workdays.LAST_YEAR == 2026
    rows = {r[0]: r for r in workdays.calendar_rows()}
    assert rows[date(2023, 9, 29)] == (date(2023, 9, 29), False, "holiday", "中秋节、国庆节")
    assert rows[date(2023, 10, 7)] == (date(2023, 10, 7), True, "makeup_workday", "")
    assert workdays.is_working_day(date(2023, 10, 8))
    assert workdays.working_days_between(date(2023, 9, 28), date(2023, 10, 13)) == 7
    assert workdays.working_days_between(date(2023, 10, 13), date(2023, 9, 28)) == -7
    assert workdays.next_working_day(date(2023, 9, 29)) == date(2023, 10, 7)
    assert workdays.add_working_days(date(2023, 9, 28), 1) == date(2023, 10, 7)


# ------------------------------------------------------------------------------------------ coverage
@pytest.mark.parametrize("d", [date(2003, 12, 31), date(2027, 1, 4)])
def test_outside_calendar_names_the_date_and_the_fix(d):
    with pytest.raises(OutsideCalendar) as e:
        workdays.due_date(d)
    msg = str(e.value)
    assert e.value.date == d and str(d) in msg
    assert "hotline calendar --write-seed" in msg and "calendar_overrides.csv" in msg
    assert "2004-01-01..2026-12-31" in msg


def test_a_rule_running_past_the_last_covered_day_names_the_first_uncovered_date():
    assert workdays.due_date(date(2026, 12, 18)) == date(2026, 12, 29)
    with pytest.raises(OutsideCalendar) as e:
        workdays.due_date(date(2026, 12, 24))  # needs 7 working days after Thu 12-24: runs into 2027
    assert e.value.date == date(2027, 1, 1) and "2027-01-01" in str(e.value)
    with pytest.raises(OutsideCalendar):
        workdays.working_days_between(date(2026, 12, 30), date(2027, 1, 5))


# ------------------------------------------------------------------------------------------ overrides
OVERRIDES = (
    "2024-11-13,false,格尔木市建市纪念日,local holiday on a Wednesday\n"
    "2024-11-16,true,,local make-up Saturday\n"
    "2024-10-07,true,,a statutory holiday worked locally\n"
    "2028-01-03,false,元旦,the package does not cover 2028 yet\n"
    "2028-02-12,true,,\n"
)


def test_overrides_in_python(tmp_path):
    cal = workdays.load_calendar(_seeds_dir(tmp_path, OVERRIDES))
    rows = {r[0]: r for r in cal.rows()}
    assert rows[date(2024, 11, 13)] == (date(2024, 11, 13), False, "holiday", "格尔木市建市纪念日")
    assert rows[date(2024, 11, 16)] == (date(2024, 11, 16), True, "makeup_workday", "")
    assert rows[date(2024, 10, 7)] == (date(2024, 10, 7), True, "workday", "")
    # Sat 11-02 → Mon 11-04 + 7 working days: 11-13 is off, Sat 11-16 is worked
    assert cal.due_date(date(2024, 11, 2)) == date(2024, 11, 14)
    assert cal.due_date(date(2024, 11, 8)) == date(2024, 11, 19)
    assert workdays.due_date(date(2024, 11, 8)) == date(2024, 11, 19)  # the shipped calendar is untouched
    assert cal.due_date(date(2024, 11, 7)) == date(2024, 11, 18)
    assert workdays.due_date(date(2024, 11, 7)) == date(2024, 11, 18)
    assert cal.due_date(date(2024, 11, 12)) == date(2024, 11, 21)
    assert workdays.due_date(date(2024, 11, 12)) == date(2024, 11, 21)
    assert cal.working_days_between(date(2024, 11, 11), date(2024, 11, 18)) == 5
    # 2028 is covered by its override rows alone: the weekday rule, then the overrides; 2027 stays a gap
    assert cal.years == (*range(2004, 2027), 2028)
    assert (cal.first_year, cal.last_year) == (2004, 2028)
    assert cal.covered_ranges() == [(date(2004, 1, 1), date(2026, 12, 31)), (date(2028, 1, 1), date(2028, 12, 31))]
    assert not cal.is_working_day(date(2028, 1, 1)) and not cal.is_working_day(date(2028, 1, 3))
    assert rows[date(2028, 1, 1)] == (date(2028, 1, 1), False, "weekend", "")
    assert rows[date(2028, 1, 4)] == (date(2028, 1, 4), True, "workday", "")
    assert rows[date(2028, 2, 12)] == (date(2028, 2, 12), True, "makeup_workday", "")
    assert cal.due_date(date(2028, 1, 1)) == date(2028, 1, 13)
    with pytest.raises(OutsideCalendar) as e:
        cal.due_date(date(2026, 12, 24))
    assert e.value.date == date(2027, 1, 1)
    assert "2004-01-01..2026-12-31, 2028-01-01..2028-12-31" in str(e.value)
    with pytest.raises(OutsideCalendar):
        cal.is_working_day(date(2029, 1, 1))


def test_overrides_file_is_checked(tmp_path):
    with pytest.raises(ValueError, match="listed twice"):
        workdays.load_calendar(_seeds_dir(tmp_path, "2024-11-13,false,a,\n2024-11-13,true,,\n"))
    with pytest.raises(ValueError, match="true or false"):
        workdays.load_calendar(_seeds_dir(tmp_path / "b", "2024-11-13,yes,a,\n"))
    with pytest.raises(ValueError, match="not a date"):
        workdays.load_calendar(_seeds_dir(tmp_path / "c", "13/11/2024,false,a,\n"))


def test_shipped_overrides_file_is_header_only():
    assert (SEEDS / workdays.OVERRIDES_SEED).read_text(encoding="utf-8") == OVERRIDES_HEADER


# ------------------------------------------------------------------------------------------ Python = SQL
def _dbt_calendar(tmp_path: Path, project: Path, monkeypatch) -> list[tuple]:
    from hotline import build

    monkeypatch.setattr(build, "DBT_PROJECT_DIR", project)
    warehouse = tmp_path / "calendar.duckdb"
    build.run_dbt(
        "build",
        warehouse,
        {"month": "2024-11", "as_of": "2024-12-12 10:00:00"},
        select="cn_calendar_days calendar_overrides int_calendar_working_days",
        extra=[],
    )
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(
            "select calendar_date, is_working_day, day_type, coalesce(holiday_name, ''), working_day_index, "
            "next_working_day_index, covered_until, is_overridden "
            "from intermediate.int_calendar_working_days order by calendar_date"
        ).fetchall()
    finally:
        con.close()


def _check_agreement(sql_rows: list[tuple], cal: workdays.Calendar) -> None:
    py_rows = list(cal.rows())
    assert [r[:4] for r in sql_rows] == py_rows  # every covered day, same status, type and name
    ends = {d: b for a, b in cal.covered_ranges() for d in _days(a.isoformat(), b.isoformat())}
    index = 0
    for d, working, _, _, wd_index, next_index, covered_until, _ in sql_rows:
        index += working
        assert (wd_index, next_index, covered_until) == (index, index + (not working), ends[d]), d


def test_sql_calendar_agrees_with_python(tmp_path, monkeypatch):
    sql_rows = _dbt_calendar(tmp_path, REPO / "dbt_project", monkeypatch)
    _check_agreement(sql_rows, workdays.calendar())
    assert len(sql_rows) == (date(2027, 1, 1) - date(2004, 1, 1)).days
    assert not any(r[7] for r in sql_rows)


def test_sql_calendar_agrees_with_python_with_overrides(tmp_path, monkeypatch):
    project = tmp_path / "dbt_project"
    shutil.copytree(REPO / "dbt_project", project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    (project / "seeds" / workdays.OVERRIDES_SEED).write_text(OVERRIDES_HEADER + OVERRIDES, encoding="utf-8")
    sql_rows = _dbt_calendar(tmp_path, project, monkeypatch)
    _check_agreement(sql_rows, workdays.load_calendar(project / "seeds"))
    assert {r[0] for r in sql_rows if r[7]} == {
        date(2024, 11, 13),
        date(2024, 11, 16),
        date(2024, 10, 7),
        date(2028, 1, 3),
        date(2028, 2, 12),
    }


@pytest.mark.slow
def test_build_fails_naming_the_dates_a_due_date_needs_outside_the_calendar(tmp_path, monkeypatch):
    """The hand-made raw layer of test_dbt_project, with a calendar that ends on Fri 2024-11-22: the work orders
    of the month whose rule runs past it fail the build (assert_due_dates_within_calendar), naming the dates;
    their is_overdue is unknown, not false, when only the rule could have said."""
    from hotline import build
    from test_dbt_project import AS_OF, MONTH, build_raw

    project = tmp_path / "dbt_project"
    shutil.copytree(REPO / "dbt_project", project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    seed = project / "seeds" / workdays.BASE_SEED
    lines = seed.read_text(encoding="utf-8").splitlines(keepends=True)
    seed.write_text(lines[0] + "".join(ln for ln in lines[1:] if ln[:10] <= "2024-11-22"), encoding="utf-8")
    monkeypatch.setattr(build, "DBT_PROJECT_DIR", project)
    warehouse = tmp_path / "warehouse.duckdb"
    build_raw(warehouse)
    with pytest.raises(build.BuildError) as failed:
        build.run_dbt("build", warehouse, {"month": MONTH, "as_of": AS_OF}, extra=build.NO_UNIT_TESTS)
    # one line naming the test, the tickets and the dates the calendar lacks
    message = str(failed.value)
    assert "assert_due_dates_within_calendar" in message and "\n" not in message
    for ticket, gap in (("HX24112000000016", "2024-11-23"), ("HX24112800000013", "2024-11-28")):
        assert ticket in message and gap in message, message
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        gaps = con.execute(
            "select ticket_id, dispatch_date, calendar_gap_date, rule_due_date, is_overdue "
            "from marts.fct_work_orders where calendar_gap_date is not null order by 1"
        ).fetchall()
    finally:
        con.close()
    assert gaps == [
        # Wed 11-20: 11-21, 11-22, then the calendar ends
        ("HX24112000000016", date(2024, 11, 20), date(2024, 11, 23), None, False),  # replied 11-25 ≤ platform 11-29
        ("HX24112800000013", date(2024, 11, 28), date(2024, 11, 28), None, True),  # replied after platform's 12-09
        ("HX24113000000014", date(2024, 11, 30), date(2024, 11, 30), None, True),  # unreplied, platform 12-11
    ]
