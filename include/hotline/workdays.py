"""China's working-day calendar: statutory holidays and make-up working days (调休), 2024-2026.

The platform sets a work order's reply due date 7 working days after dispatch; a dispatch on a non-working day
counts from the next working day. The same table is shipped to dbt as the seed ``cn_calendar_days``.
"""
from __future__ import annotations

from datetime import date, timedelta

# Source: the State Council General Office's annual notices on public holiday arrangements.
HOLIDAYS: dict[int, list[tuple[str, str, str]]] = {
    # (first day, last day, name)
    2024: [
        ("2024-01-01", "2024-01-01", "元旦"),
        ("2024-02-10", "2024-02-17", "春节"),
        ("2024-04-04", "2024-04-06", "清明节"),
        ("2024-05-01", "2024-05-05", "劳动节"),
        ("2024-06-10", "2024-06-10", "端午节"),
        ("2024-09-15", "2024-09-17", "中秋节"),
        ("2024-10-01", "2024-10-07", "国庆节"),
    ],
    2025: [
        ("2025-01-01", "2025-01-01", "元旦"),
        ("2025-01-28", "2025-02-04", "春节"),
        ("2025-04-04", "2025-04-06", "清明节"),
        ("2025-05-01", "2025-05-05", "劳动节"),
        ("2025-05-31", "2025-06-02", "端午节"),
        ("2025-10-01", "2025-10-08", "国庆节、中秋节"),
    ],
    2026: [
        ("2026-01-01", "2026-01-03", "元旦"),
        ("2026-02-15", "2026-02-23", "春节"),
        ("2026-04-04", "2026-04-06", "清明节"),
        ("2026-05-01", "2026-05-05", "劳动节"),
        ("2026-06-19", "2026-06-21", "端午节"),
        ("2026-09-25", "2026-09-27", "中秋节"),
        ("2026-10-01", "2026-10-07", "国庆节"),
    ],
}
MAKEUP_WORKDAYS: dict[int, list[str]] = {
    2024: ["2024-02-04", "2024-02-18", "2024-04-07", "2024-04-28", "2024-05-11", "2024-09-14", "2024-09-29",
           "2024-10-12"],
    2025: ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"],
    2026: ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"],
}
FIRST_YEAR, LAST_YEAR = min(HOLIDAYS), max(HOLIDAYS)


def _holiday_names() -> dict[date, str]:
    out: dict[date, str] = {}
    for spans in HOLIDAYS.values():
        for first, last, name in spans:
            d, end = date.fromisoformat(first), date.fromisoformat(last)
            while d <= end:
                out[d] = name
                d += timedelta(days=1)
    return out


_HOLIDAY = _holiday_names()
_MAKEUP = {date.fromisoformat(d) for days in MAKEUP_WORKDAYS.values() for d in days}


class OutsideCalendar(ValueError):
    """A date outside the years the calendar knows: guessing would give wrong due dates."""


def _check(d: date) -> None:
    if not FIRST_YEAR <= d.year <= LAST_YEAR:
        raise OutsideCalendar(f"{d} is outside the working-day calendar ({FIRST_YEAR}-{LAST_YEAR})")


def is_working_day(d: date) -> bool:
    _check(d)
    if d in _MAKEUP:
        return True
    if d in _HOLIDAY:
        return False
    return d.weekday() < 5


def next_working_day(d: date) -> date:
    """``d`` itself when it is a working day, else the first working day after it."""
    while not is_working_day(d):
        d += timedelta(days=1)
    return d


def add_working_days(d: date, n: int) -> date:
    """The n-th working day after ``d`` (``d`` itself not counted)."""
    while n > 0:
        d += timedelta(days=1)
        if is_working_day(d):
            n -= 1
    return d


def due_date(dispatched: date, working_days: int = 7) -> date:
    """The platform's rule: 7 working days after dispatch, a non-working dispatch day counting from the next
    working day."""
    start = dispatched if is_working_day(dispatched) else next_working_day(dispatched)
    return add_working_days(start, working_days)


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]; negative when end is before start."""
    if end < start:
        return -working_days_between(end, start)
    n, d = 0, start
    while d < end:
        d += timedelta(days=1)
        n += is_working_day(d)
    return n


def calendar_rows():
    """(date, is_working_day, day_type, holiday_name) for every day the calendar covers."""
    d, end = date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)
    while d <= end:
        if d in _MAKEUP:
            kind = "makeup_workday"
        elif d in _HOLIDAY:
            kind = "holiday"
        elif d.weekday() >= 5:
            kind = "weekend"
        else:
            kind = "workday"
        yield d, is_working_day(d), kind, _HOLIDAY.get(d, "")
        d += timedelta(days=1)
