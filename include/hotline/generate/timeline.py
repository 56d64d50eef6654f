"""Ticket lifecycles: from a planned ticket (:class:`Draft`) to its daily versions (export rows).

Times are integer seconds since midnight of the first export day (naive Asia/Shanghai wall-clock time), so that
the day of an event is ``ts // DAY``. A ticket's lifecycle is a list of events; the export of day D carries the
state after the last event of D, with 更新时间 = that event's time.
"""

from __future__ import annotations

import random
import re
from bisect import bisect_left
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from hotline import workdays
from hotline.generate.spec import OverdueTicket
from hotline.generate.text import ContentMaker, Vocabulary, mobile, person_name

DAY = 86400
HOUR = 3600
MINUTE = 60
TOD = [f" {h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]

# status values (contract.STATUSES)
ACCEPTED, DISPATCHED, IN_PROGRESS, REPLIED, RETURNED, CLOSED, DISMISSED = (
    "已受理",
    "已派单",
    "办理中",
    "已回复",
    "退回重办",
    "已办结",
    "已关闭",
)

#: Notes operators write on late work orders (random overdue ones outside the calibrated month).
OVERDUE_NOTES = (
    "部门相互推诿导致超期",
    "承办单位未及时签收导致超期",
    "工单到期之后退回导致超期",
    "需多部门协调处理导致超期",
    "现场核实时间较长导致超期",
)


def q(field: str) -> str:
    """CSV-quote a field when needed (minimal quoting, like csv.QUOTE_MINIMAL)."""
    if '"' in field:
        return '"' + field.replace('"', '""') + '"'
    if "," in field or "\n" in field or "\r" in field:
        return '"' + field + '"'
    return field


class Clock:
    """Day indexes ↔ dates, timestamp formatting and the working-day calendar over the export range."""

    def __init__(self, start: date, end: date, margin: int = 90):
        self.start = start
        self.n_days = (end - start).days + 1
        last_cal = date(workdays.LAST_YEAR, 12, 31)
        total = min(self.n_days + margin, (last_cal - start).days + 1)
        self.total = total
        self.dates = [start + timedelta(days=i) for i in range(total)]
        self.day_str = [d.isoformat() for d in self.dates]
        self.working = [workdays.is_working_day(d) for d in self.dates]
        self._wd = [i for i in range(total) if self.working[i]]
        self._due: dict[int, int] = {}

    def idx(self, d: date) -> int:
        return (d - self.start).days

    def fmt(self, ts: int) -> str:
        return self.day_str[ts // DAY] + TOD[ts % DAY]

    def date_str(self, day: int) -> str:
        return self.day_str[day]

    def due(self, day: int) -> int:
        """Day index of the platform's due date for a dispatch on ``day`` (workdays.due_date)."""
        v = self._due.get(day)
        if v is None:
            v = self._due[day] = self.idx(workdays.due_date(self.dates[day]))
        return v

    def add_working(self, day: int, k: int) -> int:
        """The k-th working day after ``day`` (k ≥ 1); ``day`` itself for k = 0."""
        if k <= 0:
            return day
        pos = bisect_left(self._wd, day + 1) + k - 1
        if pos >= len(self._wd):
            return day + k + k // 2
        return self._wd[pos]


class Draft:
    """One planned contact. Roles (``role``) for work orders:

    closed  – closed by the cut-off (calibrated month) / normally (other months)
    open    – replied on time, still not closed at the end of the exports
    late    – replied on time, closed on the cut-off day after the cut-off
    free    – no constraint (other months)

    ``cb``: a counted callback (its result) that must fall in the calibrated month; None otherwise (then no
    counted callback may fall in the calibrated month).
    """

    __slots__ = (
        "cb",
        "channel",
        "dept",
        "dept_raw",
        "disp",
        "fixed",
        "handling",
        "l1",
        "l2",
        "overdue",
        "purpose",
        "recv",
        "role",
        "seat",
        "special",
        "tid",
    )

    def __init__(self, recv: int, channel: str, handling: str):
        self.tid = ""
        self.recv = recv
        self.channel = channel
        self.handling = handling
        self.special = ""
        self.purpose = "其他"
        self.l1 = ""
        self.l2 = ""
        self.dept = ""
        self.dept_raw = ""
        self.disp = -1
        self.fixed: OverdueTicket | None = None
        self.role = "free"
        self.cb: str | None = None
        self.overdue = False

    def copy(self) -> Draft:
        d = Draft.__new__(Draft)
        (
            d.tid,
            d.recv,
            d.channel,
            d.special,
            d.purpose,
            d.l1,
            d.l2,
            d.handling,
            d.dept,
            d.dept_raw,
            d.disp,
            d.fixed,
            d.role,
            d.cb,
            d.overdue,
        ) = (
            self.tid,
            self.recv,
            self.channel,
            self.special,
            self.purpose,
            self.l1,
            self.l2,
            self.handling,
            self.dept,
            self.dept_raw,
            self.disp,
            self.fixed,
            self.role,
            self.cb,
            self.overdue,
        )
        return d


# ------------------------------------------------------------------------------------------ receipt times
_PHONE_HOURS = (0.3, 0.2, 0.15, 0.1, 0.1, 0.2, 0.5, 1.5, 4, 7, 8, 7.5, 4.5, 4, 5.5, 7, 7, 6, 4, 3, 2.5, 2, 1.2, 0.6)
_TRANSFER_HOURS = (0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.2, 0.5, 3, 6, 6, 5, 2, 2, 4, 6, 6, 4, 1, 0.5, 0.4, 0.3, 0.2, 0.1)


def _cum(ws: Iterable[float]) -> list[float]:
    out, s = [], 0.0
    for w in ws:
        s += w
        out.append(s)
    return out


_PHONE_CUM = _cum(_PHONE_HOURS)
_TRANSFER_CUM = _cum(_TRANSFER_HOURS)


def time_of_day(rng: random.Random, channel: str) -> int:
    cum = _PHONE_CUM if channel == "电话" else _TRANSFER_CUM
    h = bisect_left(cum, rng.random() * cum[-1])
    return h * HOUR + int(rng.random() * HOUR)


def dispatch_time(rng: random.Random, clock: Clock, recv: int, channel: str, fixed: bool = False) -> int:
    """When the hotline dispatches a work order received at ``recv``."""
    tod = recv % DAY
    day = recv // DAY
    r = rng.random
    if fixed:
        return recv + 300 + int(r() * 3300)
    if channel == "电话":
        if 8 * HOUR <= tod < 20 * HOUR:
            return recv + 120 + int(r() * 2400)
        nxt = day if tod < 8 * HOUR else day + 1
        return nxt * DAY + 8 * HOUR + 1800 + int(r() * 5400)
    # transfers from other platforms: during office hours
    if 8 * HOUR + 1800 <= tod < 17 * HOUR + 1800:
        return recv + 1800 + int(r() * 3 * HOUR)
    nxt = day if tod < 8 * HOUR + 1800 else day + 1
    return nxt * DAY + 8 * HOUR + 1800 + int(r() * 2 * HOUR)


# ------------------------------------------------------------------------------------------ lifecycle
_REPLY_K = _cum((6, 18, 20, 17, 13, 10, 8, 8))  # working days after dispatch: 0..7


class Lifecycle:
    """Builds the versions of tickets for one generation run."""

    def __init__(self, clock: Clock, vocab: Vocabulary, cutoff_ts: int, target: tuple[int, int]):
        self.clock = clock
        self.vocab = vocab
        self.content = ContentMaker(vocab)
        self.cutoff = cutoff_ts
        self.t0, self.t1 = target  # calibrated month [t0, t1)
        self.end = clock.n_days * DAY  # first second after the last export day

    # -- the static part of a row (columns 1-12)
    def prefix(self, t: Draft, rng: random.Random) -> str:
        if t.handling == "无效":
            name = person_name(rng) if rng.random() < 0.3 else ""
            address = ""
        else:
            name = person_name(rng)
            address = self.vocab.address(rng) if rng.random() < 0.85 else ""
        content = self.content.content(rng, t.l1, t.l2, t.purpose, t.channel != "电话")
        return ",".join(
            (
                t.tid,
                self.clock.fmt(t.recv),
                t.channel,
                t.special,
                t.purpose,
                t.l1,
                t.l2,
                q(content),
                name,
                mobile(rng),
                q(address),
                t.handling,
            )
        )

    # -- all versions: [(day, columns 13-23)]
    def versions(self, t: Draft, rng: random.Random) -> list[tuple[int, str]]:
        events = self._work_order(t, rng) if t.handling == "工单转办" else self._simple(t, rng)
        return self._render(t, events)

    def _simple(self, t: Draft, rng: random.Random) -> list[Any]:
        r = rng.random
        if t.handling == "直接答复":
            end = t.recv + 120 + int(r() * 900)
            status = CLOSED
        else:
            end = t.recv + 20 + int(r() * 150)
            status = DISMISSED
        if t.recv <= self.cutoff < end and end // DAY == self.cutoff // DAY:
            end = self.cutoff
        ev: list[Any] = []
        if end // DAY != t.recv // DAY:
            ev.append((t.recv, "recv", None))
        ev.append((end, "final", status))
        return ev

    def _work_order(self, t: Draft, rng: random.Random) -> list[Any]:
        clock = self.clock
        r = rng.random
        fixed = t.fixed
        disp = t.disp if t.disp >= 0 else dispatch_time(rng, clock, t.recv, t.channel)
        dday = disp // DAY
        # ---- due date
        if fixed is not None:
            due = clock.idx(fixed.due)
        else:
            due = clock.due(dday)
            if r() < 0.012:
                due = clock.add_working(due, 2 + int(r() * 6))  # approved extension
        # ---- upper bounds from the role
        INF = 1 << 40
        cb_hi = INF
        close_hi = INF
        reply_hi = INF if (t.overdue or fixed is not None) else due * DAY + DAY - 1
        designated = t.cb is not None
        if designated:
            cb_hi = self.t1 - 300
            close_hi = cb_hi - HOUR
        if t.role == "closed" and t.recv >= self.t0 and t.recv < self.t1:
            close_hi = min(close_hi, self.cutoff - 1800)
        if t.role in ("open", "late"):
            reply_hi = min(reply_hi, (self.cutoff // DAY) * DAY - HOUR)
        reply_hi = min(reply_hi, close_hi - 1800)
        # ---- reply
        lo = disp + 1200
        if fixed is not None:
            rday = clock.idx(fixed.replied)
            reply = rday * DAY + 9 * HOUR + int(r() * 9 * HOUR)
            reply = max(reply, lo)
        else:
            if t.overdue:
                rday = due + 1 + int(r() * 8)
            else:
                k = bisect_left(_REPLY_K, r() * _REPLY_K[-1])
                rday = dday + k if r() < 0.05 else clock.add_working(dday, k)
            reply = rday * DAY + 8 * HOUR + 1800 + int(r() * 10 * HOUR)
            if reply < lo:
                reply = lo + int(r() * 3 * HOUR)
            if reply > reply_hi:
                reply = lo + int(r() * max(0, reply_hi - lo)) if reply_hi > lo else reply_hi
        # ---- returns and acceptance between dispatch and reply
        ev: list[Any] = [(t.recv, "recv", None), (disp, "disp", due)]
        n_ret = 0
        returns: list[int] = []
        remark = ""
        if fixed is not None:
            remark = fixed.remark
            day_hint = _remark_day(remark, clock, t.recv)
            if day_hint is not None and disp < day_hint * DAY + 10 * HOUR < reply - 2 * HOUR:
                start = day_hint * DAY + 10 * HOUR
                returns.append(start + int(r() * min(6 * HOUR, reply - 2 * HOUR - start)))
            elif "推诿" in remark:
                n_ret = 2
        else:
            x = r()
            n_ret = 0 if x < 0.86 else 1 if x < 0.96 else 2 if x < 0.99 else 3
            if t.overdue and r() < 0.4:
                remark = OVERDUE_NOTES[int(r() * len(OVERDUE_NOTES))]
        span = reply - disp - 3 * HOUR
        if n_ret and span > n_ret * 4 * HOUR:
            returns.extend(_daytime(disp + HOUR + int(r() * span), disp + HOUR, reply - 2 * HOUR) for _ in range(n_ret))
        returns.sort()
        first = returns[0] if returns else reply
        if r() < 0.7:
            acc = disp + 600 + int(r() * 5 * HOUR)
            if acc < first - 600:
                ev.append((acc, "status", IN_PROGRESS))
        for i, rt in enumerate(returns, 1):
            nxt = returns[i] if i < len(returns) else reply
            ev.append((rt, "return", i))
            redisp = min(rt + 1800 + int(r() * 2 * HOUR), (rt + nxt) // 2)
            ev.append((redisp, "status", DISPATCHED))
        ev.append((reply, "reply", remark))
        # ---- close
        close = None
        if t.role == "late":
            close = self.cutoff + HOUR + int(r() * 6 * HOUR)
        elif t.role != "open":
            x = r()
            lag = (
                1800 + int(r() * 6 * HOUR)
                if x < 0.6
                else 6 * HOUR + int(r() * 30 * HOUR)
                if x < 0.9
                else 36 * HOUR + int(r() * 44 * HOUR)
            )
            close = _daytime(reply + lag, reply + 60, close_hi)
            if close > close_hi:
                close = reply + 60 + int(r() * max(0, close_hi - reply - 60)) if close_hi > reply + 60 else reply + 60
            ev.append((close, "close", None))
        else:
            close = None
        if t.role == "late":
            ev.append((close, "close", None))
        # ---- callbacks (only on closed work orders)
        if close is not None and t.role != "late":
            if designated:
                lo_cb = close + HOUR + int(r() * 30 * HOUR)
                if t.recv < self.t0:
                    lo_cb = max(lo_cb, self.t0 + 9 * HOUR + int(r() * 4 * DAY))
                lo_cb = max(lo_cb, self.t0 + 60)
                cb = lo_cb if lo_cb <= cb_hi else max(close + 600, self.t0 + 60, min(cb_hi, close + 1800))
                cb = _daytime(cb, max(close + 600, self.t0), cb_hi)
                if r() < 0.12 and cb - close > 3 * HOUR:
                    ev.append((close + (cb - close) // 3, "callback", "未接通"))
                ev.append((cb, "callback", t.cb))
            else:
                x = r()
                if x < 0.72:
                    cb = _daytime(close + 2 * HOUR + int(r() * 4 * DAY), close + 600, INF)
                    y = r()
                    res = "满意" if y < 0.8 else "基本满意" if y < 0.94 else "不满意"
                    if self.t0 <= cb < self.t1:
                        if r() < 0.3:
                            ev.append((cb, "callback", "未接通"))
                    else:
                        if r() < 0.06 and not (self.t0 <= close + HOUR < self.t1):
                            ev.append((close + HOUR, "callback", "未接通"))
                        ev.append((cb, "callback", res))
                elif x < 0.8:
                    ev.append((_daytime(close + 3 * HOUR + int(r() * 2 * DAY), close + 600, INF), "callback", "未接通"))
        # ---- the cut-off day must not mix events before and after the cut-off in one version
        ev.sort(key=_ts)
        cday = self.cutoff // DAY
        if any(ts // DAY == cday and ts <= self.cutoff for ts, _, _ in ev) and any(
            ts // DAY == cday and ts > self.cutoff for ts, _, _ in ev
        ):
            ev = [(ts + DAY if ts > self.cutoff else ts, k, a) for ts, k, a in ev]
        return ev

    def _render(self, t: Draft, ev: list[Any]) -> list[tuple[int, str]]:
        clock = self.clock
        fmt = clock.fmt
        end = self.end
        dept = disp_s = due_s = reply_s = close_s = cbt = cbr = note = ""
        status = ACCEPTED
        nret = 0
        out = []
        n = len(ev)
        for i in range(n):
            ts, kind, arg = ev[i]
            if ts >= end:
                break
            if kind == "disp":
                dept = q(t.dept_raw)
                disp_s = fmt(ts)
                due_s = clock.day_str[arg]
                status = DISPATCHED
            elif kind == "status":
                status = arg
            elif kind == "return":
                status = RETURNED
                nret = arg
            elif kind == "reply":
                reply_s = fmt(ts)
                status = REPLIED
                if arg:
                    note = q(arg)
            elif kind == "close":
                close_s = fmt(ts)
                status = CLOSED
            elif kind == "callback":
                cbt = fmt(ts)
                cbr = arg
            elif kind == "final":
                status = arg
                if arg == CLOSED:
                    close_s = fmt(ts)
            day = ts // DAY
            if i == n - 1 or ev[i + 1][0] // DAY != day:
                out.append(
                    (day, ",".join((dept, disp_s, due_s, reply_s, close_s, status, str(nret), cbt, cbr, note, fmt(ts))))
                )
        return out


def _ts(e: tuple[int, str, object]) -> int:
    return e[0]


def _daytime(ts: int, lo: int, hi: int) -> int:
    """Move ``ts`` into 09:00-20:00 when that stays within [lo, hi]."""
    tod = ts % DAY
    if 9 * HOUR <= tod < 20 * HOUR:
        return ts
    cand = (ts // DAY + (1 if tod >= 20 * HOUR else 0)) * DAY + 9 * HOUR + (ts % 5400)
    if lo <= cand <= hi:
        return cand
    return min(max(ts, lo), hi)


def _remark_day(remark: str, clock: Clock, recv: int) -> int | None:
    """'11月18日工单到期之后退回导致超期' -> day index of Nov 18 (in the year of receipt)."""
    m = re.search(r"(\d{1,2})月(\d{1,2})日", remark or "")
    if not m:
        return None
    year = clock.dates[recv // DAY].year
    try:
        return clock.idx(date(year, int(m.group(1)), int(m.group(2))))
    except ValueError:
        return None
