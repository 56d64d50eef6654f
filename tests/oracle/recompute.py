"""Independent recomputation of every bulletin figure straight from a folder of daily exports.

This is the warehouse's cross-check (test oracle): a test asset, not shipped with the ``hotline`` package, and
nothing in the package imports it. It reads the export files as the contract (docs/daily-dump-contract.md)
describes them and knows nothing of the generator, the loader or dbt: it must not import ``hotline.generate`` or
``hotline.load``. Reference data comes from the dbt seeds (``department_aliases.csv``/``departments.csv``
through :mod:`hotline.departments`, ``hotspot_rollups.csv`` through :mod:`hotline.seeds`).

Rules (``month`` M, cut-off T, Asia/Shanghai wall-clock, compared with the exports' naive timestamps):

* State as of T: a ticket's newest row (over all exports) whose 更新时间 ≤ T; equal 更新时间 → the later
  export wins. Rows updated after T are ignored. An event counts only if its own timestamp ≤ T
  (办结时间 for 办结, 回复时间 for replies, 回访时间 for callbacks).
* One export file per day is assumed (choosing between re-deliveries is the loader's job): two files for the
  same day raise ``ValueError``.
* Rows the loader would have to quarantine (wrong column count, ticket id / 受理时间 / 更新时间 not in the
  contract's format, 来源渠道 / 诉求目的 / 办理方式 / 工单状态 outside the contract's enums, a time after the
  export day, events out of order, a transfer that is not a work order) are skipped; pass ``problems=[]`` to get
  a description of each.
* Month membership is by 受理时间; previous-month figures (``contacts.previous_total``, hot-spot MoM) use the
  same cut-off T.
* 办结 = the state's 办结时间 is set and ≤ T.
* 超期: work orders received in M with 应回复时间 set and either replied (date of 回复时间, ≤ T) after the due
  date, or not replied by T with the due date **before the cut-off's date** (``due < date(T)``): a due date is
  a whole day, a reply on the due date is on time, so the due date has "passed" only once that day is over.
  The due date is the state's 应回复时间; when that is empty but the work order was dispatched (派单时间 ≤ T),
  the platform's rule (7 working days after dispatch, :func:`hotline.workdays.due_date`) stands in. Work orders
  not dispatched yet are never overdue.
* 回访: work orders (办理方式 工单转办, received in any month) whose state as of T carries a callback with
  回访时间 in M and ≤ T and a result of 满意/基本满意/不满意. The state holds only the newest callback per
  ticket, so a ticket counts at most once (an earlier callback in M superseded by a later one before T is not
  seen). Counted under the ticket's lead department.
* Department tables: each work order once, under the lead (first) department of its 承办单位 as of T,
  canonicalized (docs/department-names.md); a work order without any department counts under
  ``未指定承办单位``. ``departments``: the 30 largest by work orders + ``其他单位`` (always present, rank 31, or
  n+1 when fewer than 30). ``satisfaction_by_department``: the 30 largest by callbacks, + ``其他单位`` only
  when more than 30 departments had callbacks.
* Ranks: count descending, ties by canonical name (code-point order); rank = 1-based row position.
* 诉求分类 (demand): the six largest 一级分类 by count are named, all others (including a category literally
  called ``其他`` and empty ones) summed under ``其他``.
* 专线: contacts received in M with a 专线类别, whatever their channel or handling.
* Hot spots: (一级分类, 二级分类) over non-无效 contacts received in M; a 一级分类 listed in
  ``hotspot_rollups.csv`` is one hot spot with ``category_l2`` None; top 10 by count (ties by name), MoM vs
  the previous month's count of the same hot spot (None when that count is 0).
* Rates: numerator / denominator × 100 computed with ``Decimal`` and rounded half-up (halves away from zero,
  also for negative MoM changes) to 2 decimals (:mod:`hotline.rates`, which tests/test_rates.py holds to the dbt
  macros), returned as ``float``; ``None`` when the denominator is 0.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

from hotline.contract import (
    CHANNEL_KEYS,
    CHANNELS,
    COUNTED_CALLBACK_RESULTS,
    DATE_RE,
    DEMAND_OTHER,
    EXPORT_NAME_RE,
    HANDLINGS,
    HEADERS,
    NO_DEPARTMENT,
    OTHER_DEPARTMENTS,
    PURPOSE_KEYS,
    PURPOSES,
    SATISFIED_CALLBACK_RESULTS,
    SPECIAL_LINES,
    STATUSES,
    TICKET_ID_RE,
    TIMESTAMP_RE,
)
from hotline.departments import as_alias_map, load_aliases, split_departments
from hotline.periods import format_as_of, parse_as_of, parse_month, previous_month
from hotline.rates import as_float, change_pct, rate_pct
from hotline.seeds import load_rollups
from hotline.workdays import OutsideCalendar
from hotline.workdays import due_date as workday_due_date

TOP_DEPARTMENTS = 30
TOP_DEMAND = 6
TOP_HOTSPOTS = 10

_TRANSFER_KEY = {"中国政府网": "中国政府网转办", "省州系统": "省州系统转办", "微信": "微信端转办"}
#: 诉求目的 -> purpose.by_type key: 其他类 = 表扬 + 其他.
_PURPOSE_KEY = {"咨询": "咨询", "求助": "求助", "投诉": "投诉", "建议": "建议", "表扬": "其他", "其他": "其他"}

# The columns kept per ticket state (index into the contract's header order).
_KEEP = (
    "工单编号",
    "受理时间",
    "来源渠道",
    "专线类别",
    "诉求目的",
    "一级分类",
    "二级分类",
    "办理方式",
    "承办单位",
    "派单时间",
    "应回复时间",
    "回复时间",
    "办结时间",
    "回访时间",
    "回访结果",
    "超期说明",
    "更新时间",
)
_ENUM_CHECKS = (("来源渠道", CHANNELS), ("诉求目的", PURPOSES), ("办理方式", HANDLINGS), ("工单状态", STATUSES))


# ----------------------------------------------------------------------------------------------- arithmetic
def rate(numerator: int, denominator: int, places: int = 2) -> Decimal | None:
    """numerator / denominator × 100, half-up to ``places`` decimals; None for a zero denominator."""
    return rate_pct(numerator, denominator, places)


def pct(numerator: int, denominator: int, places: int = 2) -> float | None:
    """:func:`rate` as the float that figures carry."""
    return as_float(rate_pct(numerator, denominator, places))


def mom_pct(current: int, previous: int) -> float | None:
    """Month-over-month change in %, half-up to 2 decimals; None when the previous month is 0."""
    return as_float(change_pct(current, previous))


# -------------------------------------------------------------------------------------------------- reading
def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, time):
        return v.strftime("%H:%M:%S")
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _read_rows(path: Path) -> Iterator[list[str]]:
    """Rows of one export (header first), every cell as text."""
    if path.suffix.lower() == ".xlsx":
        from python_calamine import CalamineWorkbook

        for row in CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python():
            yield [_cell(v) for v in row]
        return
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")
    yield from csv.reader(io.StringIO(text, newline=""))


def export_files(dumps_dir: Path) -> list[tuple[str, Path]]:
    """(export date, file) for every export in ``dumps_dir``, oldest first; one file per day."""
    found: dict[str, Path] = {}
    for p in sorted(Path(dumps_dir).iterdir()):
        m = EXPORT_NAME_RE.match(p.name)
        if not m or not p.is_file():
            continue
        day = f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
        if day in found:
            raise ValueError(
                f"two exports for {day} in {dumps_dir}: {found[day].name} and {p.name} "
                "(choosing between re-deliveries is the loader's job)"
            )
        found[day] = p
    return sorted(found.items())


_EVENTS = ("受理时间", "派单时间", "回复时间", "办结时间")
_ALL_TIMES = _EVENTS + ("回访时间", "更新时间")


def _impossible(row: list[str], pos: dict[str, int], day: str) -> str | None:
    """Why a row cannot be a ticket's state at the end of export day ``day`` (the contract's row semantics), or
    None: a time after that day, events out of order (受理 ≤ 派单 ≤ 回复 ≤ 办结, 受理 ≤ 回访, 受理 ≤ 更新), a
    transfer that is not a work order. Timestamps in the contract's format compare as text."""
    times = {h: row[pos[h]] for h in _ALL_TIMES if TIMESTAMP_RE.match(row[pos[h]])}
    for h, t in times.items():
        if t[:10] > day:
            return f"{h} {t} after the export day {day}"
    present = [h for h in _EVENTS if h in times]
    for a, b in zip(present, present[1:], strict=False):  # consecutive pairs
        if times[a] > times[b]:
            return f"{b} {times[b]} before {a} {times[a]}"
    for b in ("回访时间", "更新时间"):
        if b in times and times[b] < times["受理时间"]:
            return f"{b} {times[b]} before 受理时间 {times['受理时间']}"
    if row[pos["来源渠道"]] != "电话" and row[pos["办理方式"]] != "工单转办":
        return f"a transfer from {row[pos['来源渠道']]} handled as {row[pos['办理方式']]}"
    return None


def _states_as_of(dumps_dir: Path, cutoff: str, problems: list[str]) -> dict[str, tuple[str, str, tuple]]:
    """ticket id -> (更新时间, export date, kept values) of its newest row with 更新时间 ≤ cutoff."""
    states: dict[str, tuple[str, str, tuple]] = {}
    for day, path in export_files(dumps_dir):
        rows = _read_rows(path)
        header = next(rows, None)
        if header is None:  # an empty file: treat like a header-only day
            continue
        header = [h.strip().lstrip("\ufeff") for h in header]
        missing = [h for h in HEADERS if h not in header]
        if missing:
            raise ValueError(f"{path.name}: header lacks {', '.join(missing)}")
        pos = {h: header.index(h) for h in HEADERS}
        keep = [pos[h] for h in _KEEP]
        i_id, i_rec, i_upd = pos["工单编号"], pos["受理时间"], pos["更新时间"]
        enum_checks = [(pos[h], h, allowed) for h, allowed in _ENUM_CHECKS]
        width = len(header)
        for n, raw in enumerate(rows, start=1):
            if not any(c.strip() for c in raw):
                continue
            if len(raw) != width:
                problems.append(f"{path.name} row {n}: {len(raw)} fields, header has {width}")
                continue
            row = [c.strip() for c in raw]
            tid, upd = row[i_id], row[i_upd]
            bad = None
            if not TICKET_ID_RE.match(tid):
                bad = f"工单编号 {tid!r}"
            elif not TIMESTAMP_RE.match(row[i_rec]):
                bad = f"受理时间 {row[i_rec]!r}"
            elif not TIMESTAMP_RE.match(upd):
                bad = f"更新时间 {upd!r}"
            else:
                for i, h, allowed in enum_checks:
                    if row[i] not in allowed:
                        bad = f"{h} {row[i]!r}"
                        break
            if bad is None:
                bad = _impossible(row, pos, day)
            if bad:
                problems.append(f"{path.name} row {n}: bad {bad}")
                continue
            if upd > cutoff:
                continue
            old = states.get(tid)
            if old is None or (upd, day) >= (old[0], old[1]):
                states[tid] = (upd, day, tuple(row[i] for i in keep))
    return states


# ------------------------------------------------------------------------------------------------- figures
def _ranked(counts: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


@dataclass
class _Dept:
    work_orders: int = 0
    closed: int = 0
    callbacks: int = 0
    satisfied: int = 0


def recompute(
    dumps_dir: Path | str,
    month: str,
    as_of: str,
    seeds_dir: Path | str | None = None,
    *,
    aliases=None,
    problems: list[str] | None = None,
) -> dict:
    """Every bulletin figure of ``month`` as of ``as_of``, under the figure keys of docs/ARCHITECTURE.md.

    ``aliases`` overrides the alias table read from ``seeds_dir`` (default: the repo's dbt seeds);
    ``problems``, if given, receives one line per skipped row.
    """
    month = parse_month(month)
    cutoff = format_as_of(parse_as_of(as_of))
    cutoff_date = cutoff[:10]
    prev = previous_month(month)
    problems = [] if problems is None else problems
    amap = as_alias_map(aliases) if aliases is not None else load_aliases(seeds_dir)
    rollups = load_rollups(seeds_dir)

    states = _states_as_of(Path(dumps_dir), cutoff, problems)
    ix = {h: i for i, h in enumerate(_KEEP)}
    I_REC, I_CH, I_SL, I_PUR, I_L1, I_L2, I_HAND, I_DEP = (
        ix[h] for h in ("受理时间", "来源渠道", "专线类别", "诉求目的", "一级分类", "二级分类", "办理方式", "承办单位")
    )
    I_DISP, I_DUE, I_REP, I_CLO, I_CB, I_CBR, I_NOTE = (
        ix[h] for h in ("派单时间", "应回复时间", "回复时间", "办结时间", "回访时间", "回访结果", "超期说明")
    )

    dep_cache: dict[str, list[str]] = {}

    def departments_of(cell: str) -> list[str]:
        got = dep_cache.get(cell)
        if got is None:
            got = [d.name for d in split_departments(cell, amap)] or [NO_DEPARTMENT]
            dep_cache[cell] = got
        return got

    def ts_event(v: str, what: str, tid: str) -> str | None:
        """An event timestamp if set, well-formed and ≤ T."""
        if not v:
            return None
        if not TIMESTAMP_RE.match(v):
            problems.append(f"{tid}: {what} {v!r} is not a timestamp; ignored")
            return None
        return v if v <= cutoff else None

    total = previous_total = 0
    by_channel = dict.fromkeys(CHANNEL_KEYS, 0)
    phone_wo_closed = 0
    special = dict.fromkeys(SPECIAL_LINES, 0)
    special_other = 0
    purpose = dict.fromkeys(PURPOSE_KEYS, 0)
    demand: Counter[str] = Counter()
    hot: Counter[tuple] = Counter()
    hot_prev: Counter[tuple] = Counter()
    dispatched = closed = 0
    depts: dict[str, _Dept] = defaultdict(_Dept)
    overdue: list[tuple[str, dict]] = []
    callbacks = satisfied = 0

    for tid, (_upd, _day, v) in states.items():
        rec_month = v[I_REC][:7]
        handling = v[I_HAND]
        is_wo = handling == "工单转办"

        if rec_month == prev:
            previous_total += 1
            if handling != "无效":
                hot_prev[_hot_key(v[I_L1], v[I_L2], rollups)] += 1

        if is_wo:  # callbacks: any receipt month
            cb_at = ts_event(v[I_CB], "回访时间", tid)
            if cb_at and cb_at[:7] == month and v[I_CBR] in COUNTED_CALLBACK_RESULTS:
                lead = departments_of(v[I_DEP])[0]
                callbacks += 1
                depts[lead].callbacks += 1
                if v[I_CBR] in SATISFIED_CALLBACK_RESULTS:
                    satisfied += 1
                    depts[lead].satisfied += 1

        if rec_month != month:
            continue
        total += 1
        channel = v[I_CH]
        if channel == "电话":
            by_channel["其他" if handling == "无效" else handling] += 1
            if handling != "无效":
                purpose[_PURPOSE_KEY[v[I_PUR]]] += 1
        else:
            by_channel[_TRANSFER_KEY[channel]] += 1
        if v[I_SL]:
            if v[I_SL] in special:
                special[v[I_SL]] += 1
            else:
                special_other += 1
                problems.append(f"{tid}: 专线类别 {v[I_SL]!r} is not in the contract; counted in the total only")
        if handling != "无效":
            demand[v[I_L1]] += 1
            hot[_hot_key(v[I_L1], v[I_L2], rollups)] += 1
        if not is_wo:
            continue

        # a work order received in M
        dispatched += 1
        is_closed = ts_event(v[I_CLO], "办结时间", tid) is not None
        closed += is_closed
        if channel == "电话":
            phone_wo_closed += is_closed
        names = departments_of(v[I_DEP])
        d = depts[names[0]]
        d.work_orders += 1
        d.closed += is_closed

        due = v[I_DUE]
        if due and not DATE_RE.match(due):
            problems.append(f"{tid}: 应回复时间 {due!r} is not a date; not checked for lateness")
            due = ""
        if not due:  # the platform's date is missing: its rule, 7 working days after the dispatch (≤ T)
            disp_at = ts_event(v[I_DISP], "派单时间", tid)
            if disp_at:
                try:
                    due = workday_due_date(date.fromisoformat(disp_at[:10])).isoformat()
                except OutsideCalendar as e:
                    problems.append(f"{tid}: {e}; not checked for lateness")
        if due:
            rep_at = ts_event(v[I_REP], "回复时间", tid)
            rep_date = rep_at[:10] if rep_at else None
            if (rep_date and rep_date > due) or (rep_date is None and due < cutoff_date):
                overdue.append(
                    (
                        v[I_REC],
                        {
                            "ticket_id": tid,
                            "departments": [] if names == [NO_DEPARTMENT] else list(names),
                            "due_date": due,
                            "replied_date": rep_date,
                            "remark": v[I_NOTE] or None,
                        },
                    )
                )

    # --- departments
    wo_rank = _ranked({k: d.work_orders for k, d in depts.items() if d.work_orders})
    dept_rows = []
    for i, (name, n) in enumerate(wo_rank[:TOP_DEPARTMENTS], start=1):
        c = depts[name].closed
        dept_rows.append({"rank": i, "name": name, "work_orders": n, "closed": c, "closure_rate_pct": pct(c, n)})
    rest = [depts[name] for name, _ in wo_rank[TOP_DEPARTMENTS:]]
    rest_n, rest_c = sum(d.work_orders for d in rest), sum(d.closed for d in rest)
    dept_rows.append(
        {
            "rank": len(dept_rows) + 1,
            "name": OTHER_DEPARTMENTS,
            "work_orders": rest_n,
            "closed": rest_c,
            "closure_rate_pct": pct(rest_c, rest_n),
        }
    )

    cb_rank = _ranked({k: d.callbacks for k, d in depts.items() if d.callbacks})
    sat_rows = []
    for i, (name, n) in enumerate(cb_rank[:TOP_DEPARTMENTS], start=1):
        s = depts[name].satisfied
        sat_rows.append({"rank": i, "name": name, "callbacks": n, "satisfied": s, "satisfaction_pct": pct(s, n)})
    if len(cb_rank) > TOP_DEPARTMENTS:
        rest = [depts[name] for name, _ in cb_rank[TOP_DEPARTMENTS:]]
        rn, rs = sum(d.callbacks for d in rest), sum(d.satisfied for d in rest)
        sat_rows.append(
            {
                "rank": len(sat_rows) + 1,
                "name": OTHER_DEPARTMENTS,
                "callbacks": rn,
                "satisfied": rs,
                "satisfaction_pct": pct(rs, rn),
            }
        )

    # --- demand: six largest named level-1 categories + 其他
    named = [(k, n) for k, n in _ranked(dict(demand)) if k and k != DEMAND_OTHER][:TOP_DEMAND]
    demand_rows = dict(named)
    demand_rows[DEMAND_OTHER] = sum(demand.values()) - sum(demand_rows.values())

    # --- hot spots
    hot_rows = []
    for (l1, l2), n in sorted(hot.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][1] or ""))[:TOP_HOTSPOTS]:
        hot_rows.append(
            {"category_l1": l1, "category_l2": l2, "count": n, "mom_change_pct": mom_pct(n, hot_prev.get((l1, l2), 0))}
        )

    overdue.sort(key=lambda t: (t[0], t[1]["ticket_id"]))
    return {
        "month": month,
        "as_of": cutoff,
        "contacts": {
            "total": total,
            "previous_total": previous_total,
            "mom_change_pct": mom_pct(total, previous_total),
            "by_channel": by_channel,
            "work_order_channel_closed": phone_wo_closed,
            "work_order_channel_closure_rate_pct": pct(phone_wo_closed, by_channel["工单转办"]),
        },
        "special_lines": {"total": sum(special.values()) + special_other, "by_category": special},
        "purpose": {"total": sum(purpose.values()), "by_type": purpose},
        "demand": {"total": sum(demand.values()), "by_category": demand_rows},
        "work_orders": {
            "dispatched": dispatched,
            "closed": closed,
            "closure_rate_pct": pct(closed, dispatched),
            "overdue": len(overdue),
            "callbacks": callbacks,
            "satisfied": satisfied,
            "satisfaction_pct": pct(satisfied, callbacks),
        },
        "departments": dept_rows,
        "satisfaction_by_department": sat_rows,
        "overdue_work_orders": [row for _, row in overdue],
        "hotspots": hot_rows,
    }


def _hot_key(l1: str, l2: str, rollups: set[str]) -> tuple[str, str | None]:
    if l1 in rollups:
        return (l1, None)
    return (l1, l2 or None)
