"""Months and cut-offs as users type them on the command line and in DAG params."""

from __future__ import annotations

import re
from datetime import date, datetime

from hotline.errors import HotlineError

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: The hotline office publishes month M on the 12th of M+1 at 10:00 (Asia/Shanghai) by default.
DEFAULT_CUTOFF_DAY, DEFAULT_CUTOFF_HOUR = 12, 10


class BadPeriod(HotlineError, ValueError):
    """A month or cut-off the user typed that cannot be understood."""


def parse_month(text: str) -> str:
    m = MONTH_RE.match(text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise BadPeriod(f"month must look like 2024-11, got {text!r}")
    return f"{m.group(1)}-{m.group(2)}"


def parse_day(text: str) -> str:
    """An export day, YYYY-MM-DD."""
    text = str(text).strip()
    try:
        if DAY_RE.match(text):
            return date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    raise BadPeriod(f"day must look like 2024-12-12, got {text!r}")


def month_bounds(month: str) -> tuple[date, date]:
    """First day of ``month`` and first day of the next month."""
    y, m = map(int, parse_month(month).split("-"))
    return date(y, m, 1), date(y + (m == 12), m % 12 + 1, 1)


def previous_month(month: str) -> str:
    y, m = map(int, parse_month(month).split("-"))
    return f"{y - (m == 1):04d}-{(m - 2) % 12 + 1:02d}"


def parse_as_of(text: str) -> datetime:
    """A cut-off in Asia/Shanghai wall-clock time: 'YYYY-MM-DD HH:MM' (seconds optional)."""
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
    raise BadPeriod(f'as-of must look like "2024-12-12 10:00" (Asia/Shanghai), got {text!r}')


def default_as_of(month: str) -> datetime:
    _, nxt = month_bounds(month)
    return datetime(nxt.year, nxt.month, DEFAULT_CUTOFF_DAY, DEFAULT_CUTOFF_HOUR)


def format_as_of(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%d %H:%M:%S")


def resolve(month: str, as_of: str | None) -> tuple[str, str]:
    """Validated (month, as_of) with the default cut-off filled in; the cut-off must come after the month."""
    month = parse_month(month)
    ts = parse_as_of(as_of) if as_of else default_as_of(month)
    start, nxt = month_bounds(month)
    if ts.date() < nxt:
        raise BadPeriod(f"as-of {format_as_of(ts)} is before the end of {month}: the month is not complete yet")
    return month, format_as_of(ts)
