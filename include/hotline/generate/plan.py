"""Calibrated plans: every contact of every month in the export range, with exact marginal counts.

The calibrated month (spec.month) gets the spec's numbers exactly, including the joint constraints of the
bulletin's tables (closed work orders per department, callbacks per department, the fixed overdue list). The
previous month gets the spec's previous total and hot spots, the other months the calibrated month's
proportions; their lifecycles are free apart from the callbacks that must land in the calibrated month.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from hotline.generate.spec import OverdueTicket, Spec, SpecError
from hotline.generate.timeline import DAY, HOUR, Clock, Draft, dispatch_time, time_of_day
from hotline.periods import month_bounds, previous_month

PHONE = "电话"
GROUPS = [
    (PHONE, "直接答复"),
    (PHONE, "工单转办"),
    (PHONE, "无效"),
    ("中国政府网", "工单转办"),
    ("省州系统", "工单转办"),
    ("微信", "工单转办"),
]
TRANSFER_CODES = {"中国政府网": "70", "省州系统": "80", "微信": "90"}


def apportion(weights: Sequence[float], total: int) -> list[int]:
    """Integers proportional to ``weights`` adding up to ``total`` (largest remainder, ties by position)."""
    s = sum(weights)
    if total <= 0 or s <= 0:
        return [0] * len(weights)
    raw = [w * total / s for w in weights]
    out = [int(x) for x in raw]
    rest = total - sum(out)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - out[i]), i))
    for i in order[:rest]:
        out[i] += 1
    return out


@dataclass
class MonthTarget:
    month: str
    first: date  # first covered day
    last: date  # last covered day
    kind: str  # "target", "previous" or "other"
    groups: list[int]  # per GROUPS
    special: dict[str, int]
    purposes: dict[str, int]
    categories: list[int]  # per spec.categories()
    departments: list[int]  # per spec.all_departments

    @property
    def total(self) -> int:
        return sum(self.groups)


def month_targets(spec: Spec) -> list[MonthTarget]:
    out = []
    y, m = spec.export_start.year, spec.export_start.month
    cats = spec.categories()
    cat_w = [n for _, _, n in cats]
    dept_w = [d.work_orders for d in spec.all_departments]
    group_w = [
        spec.phone["直接答复"],
        spec.phone["工单转办"],
        spec.phone["无效"],
        spec.channels["中国政府网"],
        spec.channels["省州系统"],
        spec.channels["微信"],
    ]
    t_start, t_next = month_bounds(spec.month)
    t_days = (t_next - t_start).days
    prev = previous_month(spec.month)
    while True:
        month = f"{y:04d}-{m:02d}"
        start, nxt = month_bounds(month)
        if start > spec.export_end:
            break
        first, last = max(start, spec.export_start), min(nxt - timedelta(days=1), spec.export_end)
        if month == spec.month:
            out.append(
                MonthTarget(
                    month, first, last, "target", group_w, dict(spec.special_lines), dict(spec.purposes), cat_w, dept_w
                )
            )
        else:
            days = (last - first).days + 1
            if month == prev and spec.previous_total is not None:
                total, kind = spec.previous_total, "previous"
            else:
                total, kind = round(spec.total * days / t_days), "other"
            f = total / spec.total
            groups = apportion(group_w, total)
            valid = total - groups[2]
            phone_valid = groups[0] + groups[1]
            wo = groups[1] + sum(groups[3:])
            purposes = dict(zip(spec.purposes, apportion(list(spec.purposes.values()), phone_valid), strict=True))
            n_special = min(round(sum(spec.special_lines.values()) * f), phone_valid)
            special = dict(
                zip(spec.special_lines, apportion(list(spec.special_lines.values()), n_special), strict=True)
            )
            categories = _categories_with_hotspots(spec, valid) if kind == "previous" else apportion(cat_w, valid)
            out.append(
                MonthTarget(month, first, last, kind, groups, special, purposes, categories, apportion(dept_w, wo))
            )
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _categories_with_hotspots(spec: Spec, valid: int) -> list[int]:
    """Previous month's categories: the hot spots at their given previous counts, the rest proportional."""
    cats = spec.categories()
    out = [0] * len(cats)
    fixed: set[int] = set()
    for h in spec.hotspots:
        if h.previous is None:
            continue
        idx = [
            i for i, (l1, l2, _) in enumerate(cats) if l1 == h.l1 and (h.l2 is None or l2 == h.l2) and i not in fixed
        ]
        for i, n in zip(idx, apportion([cats[i][2] for i in idx], h.previous), strict=True):
            out[i] = n
        fixed.update(idx)
    rest = [i for i in range(len(cats)) if i not in fixed]
    remaining = valid - sum(out)
    if remaining < 0:
        raise SpecError(f"{spec.path.name}: hotspots: previous counts exceed the previous month's valid contacts")
    for i, n in zip(rest, apportion([cats[i][2] for i in rest], remaining), strict=True):
        out[i] = n
    return out


# ------------------------------------------------------------------------------------------------ affinities
def _topic_vector(spec: Spec, topics: tuple[str, ...]) -> list[float]:
    cats = spec.categories()
    out = []
    for l1, l2, _ in cats:
        w = 1.0
        for t in topics:
            t1, _, t2 = t.partition("/")
            if t1 == l1 and t2 == l2:
                w = max(w, 1000.0)
            elif t1 == l1 and not t2:
                w = max(w, 400.0)
        if l2 == "联系方式查询":
            w *= 0.02
        out.append(w)
    return out


def _direct_vector(spec: Spec) -> list[float]:
    return [8.0 if l1 == "政务咨询" else 1.0 for l1, _, _ in spec.categories()]


_SPECIAL_L1 = {
    "环境保护": ("生态环境",),
    "安全生产": ("应急管理",),
    "营商环境": ("市场监管", "政务咨询"),
    "办不成事": ("政务咨询",),
}


def _purpose_weights(l1: str, l2: str, work_order: bool) -> list[float]:
    # order of contract.PURPOSES: 咨询 求助 投诉 建议 表扬 其他
    w = [1.0, 1.0, 1.0, 0.15, 0.1, 0.15]
    if l1 == "政务咨询":
        w[0] *= 40
    if l2 == "薪资拖欠":
        w[1] *= 4
        w[2] *= 3
    if l1 in ("公共服务", "城乡建设", "交通运输", "市场监管", "生态环境"):
        w[1] *= 2
        w[2] *= 3
    if work_order:
        w[0] *= 0.4
        w[1] *= 2
        w[2] *= 2
    return w


def _ipf(seed: list[list[float]], rows: list[int], cols: list[int], rounds: int = 60) -> list[list[float]]:
    """Scale ``seed`` so that its row sums are ``rows`` and its column sums ``cols`` (both margins add up)."""
    m = [list(r) for r in seed]
    for _ in range(rounds):
        for i, target in enumerate(rows):
            s = sum(m[i])
            if s > 0:
                f = target / s
                m[i] = [x * f for x in m[i]]
        for k, target in enumerate(cols):
            s = sum(r[k] for r in m)
            if s > 0:
                f = target / s
                for r in m:
                    r[k] *= f
    return m


def _round_matrix(m: list[list[float]], rows: list[int], cols: list[int]) -> list[list[int]]:
    """Integers close to ``m`` with exactly the given row and column sums (largest fractions first)."""
    out = [[int(x) for x in r] for r in m]
    rr = [rows[i] - sum(out[i]) for i in range(len(rows))]
    cr = [cols[k] - sum(r[k] for r in out) for k in range(len(cols))]
    cells = sorted(
        ((m[i][k] - out[i][k], i, k) for i in range(len(rows)) for k in range(len(cols))),
        key=lambda c: (-c[0], c[1], c[2]),
    )
    for _, i, k in cells:
        if rr[i] > 0 and cr[k] > 0:
            out[i][k] += 1
            rr[i] -= 1
            cr[k] -= 1
    for i in range(len(rows)):  # what is left: any cell with both residuals
        for k in range(len(cols)):
            while rr[i] > 0 and cr[k] > 0:
                out[i][k] += 1
                rr[i] -= 1
                cr[k] -= 1
    return out


def _draw(rng: random.Random, weights: list[float], remaining: list[int]) -> int:
    """Index drawn with probability ∝ weight × remaining (falls back to remaining alone)."""
    ws = [w * n for w, n in zip(weights, remaining, strict=True)]
    s = sum(ws)
    if s <= 0:
        ws = [float(n) for n in remaining]
        s = sum(ws)
    x = rng.random() * s
    acc = 0.0
    for i, w in enumerate(ws):
        acc += w
        if x < acc and w > 0:
            return i
    return max(i for i, w in enumerate(ws) if w > 0)


# ------------------------------------------------------------------------------------------------ planning
class Planner:
    def __init__(self, spec: Spec, clock: Clock, seed: int):
        self.spec = spec
        self.clock = clock
        self.seed = seed
        self.cats = spec.categories()
        self.depts = spec.all_departments
        self.dept_index = {d.name: i for i, d in enumerate(self.depts)}
        self.topic_vec = [_topic_vector(spec, d.topics) for d in self.depts]
        self.direct_vec = _direct_vector(spec)
        t_start, t_next = month_bounds(spec.month)
        self.t0 = clock.idx(t_start) * DAY
        self.t1 = clock.idx(t_next) * DAY
        self.cutoff = (
            clock.idx(spec.cutoff.date()) * DAY + spec.cutoff.hour * HOUR + spec.cutoff.minute * 60 + spec.cutoff.second
        )

    def plan(self) -> dict[int, list[Draft]]:
        """All contacts of the export range, by receipt day, with ids."""
        targets = month_targets(self.spec)
        by_kind = {t.kind: t for t in targets}
        drafts: list[Draft] = []
        target = by_kind["target"]
        t_drafts, prev_results = self._plan_target(target, "previous" in by_kind)
        drafts += t_drafts
        for mt in targets:
            if mt.kind == "target":
                continue
            rng = random.Random(f"{self.seed}:plan:{mt.month}")
            extra = prev_results if mt.kind == "previous" else {}
            drafts += self._plan_month(mt, rng, designate=extra)
        days: dict[int, list[Draft]] = {}
        for d in drafts:
            days.setdefault(d.recv // DAY, []).append(d)
        reserved = {o.ticket_id for o in self.spec.overdue}
        for day, ds in days.items():
            ds.sort(key=lambda t: (t.recv, t.tid))
            assign_ids(ds, self.clock, day, self.spec.seats, random.Random(f"{self.seed}:ids:{day}"), reserved)
            ds.sort(key=lambda t: t.tid)
        return days

    # -- one month with exact marginals; returns drafts
    def _slots(self, mt: MonthTarget, rng: random.Random, fixed: list[OverdueTicket]) -> list[Draft]:
        clock = self.clock
        first, last = clock.idx(mt.first), clock.idx(mt.last)
        days = list(range(first, last + 1))
        weights = []
        for d in days:
            dt = clock.dates[d]
            w = 1.0 if clock.working[d] else (0.78 if dt.weekday() >= 5 else 0.62)
            if clock.working[d] and dt.weekday() == 0:
                w = 1.12
            weights.append(w * (0.92 + 0.16 * rng.random()))
        per_day = apportion(weights, mt.total)
        fixed_per_day: dict[int, int] = {}
        for o in fixed:
            fixed_per_day[clock.idx(o.received)] = fixed_per_day.get(clock.idx(o.received), 0) + 1
        for i, d in enumerate(days):  # a day must hold its fixed tickets
            need = fixed_per_day.get(d, 0) - per_day[i]
            while need > 0:
                j = max(range(len(days)), key=lambda k: per_day[k] - fixed_per_day.get(days[k], 0))
                per_day[j] -= 1
                per_day[i] += 1
                need -= 1
        groups = list(mt.groups)
        groups[1] -= len(fixed)
        pool = [g for g, n in enumerate(groups) for _ in range(n)]
        rng.shuffle(pool)
        out: list[Draft] = []
        fixed_by_day: dict[int, list[OverdueTicket]] = {}
        for o in fixed:
            fixed_by_day.setdefault(clock.idx(o.received), []).append(o)
        k = 0
        for i, d in enumerate(days):
            for o in fixed_by_day.get(d, []):
                t = Draft(d * DAY + 8 * HOUR + 1800 + int(rng.random() * 7.5 * HOUR), PHONE, "工单转办")
                t.fixed = o
                t.tid = o.ticket_id
                out.append(t)
            for _ in range(per_day[i] - len(fixed_by_day.get(d, []))):
                ch, h = GROUPS[pool[k]]
                k += 1
                out.append(Draft(d * DAY + time_of_day(rng, ch), ch, h))
        return out

    def _assign_categories(self, mt: MonthTarget, drafts: list[Draft], rng: random.Random) -> None:
        """Exact category counts; work orders get their department's topics as far as the counts allow.

        The expected (group × category) matrix is fitted to both margins (iterative proportional fitting of the
        affinities); tickets then draw from what their group has left of it."""
        remaining = list(mt.categories)
        cats = self.cats
        valid = [t for t in drafts if t.handling != "无效"]
        special = [t for t in valid if t.special]
        for t in special:  # the few special-line calls first: their line decides the category
            boost = _SPECIAL_L1.get(t.special, ())
            w = [200.0 if c[0] in boost else 1.0 for c in cats]
            i = _draw(rng, w, remaining)
            remaining[i] -= 1
            t.l1, t.l2 = cats[i][0], cats[i][1]
        rest = [t for t in valid if not t.special]
        groups: dict[str, list[Draft]] = {}
        for t in rest:
            groups.setdefault(t.dept if t.handling == "工单转办" else "", []).append(t)
        names = list(groups)
        affinity = [self.topic_vec[self.dept_index[g]] if g else self.direct_vec for g in names]
        expected = _ipf(affinity, [len(groups[g]) for g in names], remaining)
        counts = _round_matrix(expected, [len(groups[g]) for g in names], remaining)
        for gi, g in enumerate(names):
            bag = [k for k, n in enumerate(counts[gi]) for _ in range(n)]
            rng.shuffle(bag)
            for t, k in zip(groups[g], bag, strict=False):  # the fitted counts cover the group (not checked here)
                t.l1, t.l2 = cats[k][0], cats[k][1]

    def _assign_purposes(self, mt: MonthTarget, drafts: list[Draft], rng: random.Random) -> None:
        names = list(self.spec.purposes)  # contract order as given in the spec
        remaining = [mt.purposes.get(p, 0) for p in names]
        order = [_PURPOSE_ORDER.index(p) for p in names]
        phone_valid = [t for t in drafts if t.channel == PHONE and t.handling != "无效"]
        rng.shuffle(phone_valid)
        for t in phone_valid:
            base = _purpose_weights(t.l1, t.l2, t.handling == "工单转办")
            i = _draw(rng, [base[j] for j in order], remaining)
            remaining[i] -= 1
            t.purpose = names[i]
        for t in drafts:
            if t.handling == "无效":
                t.purpose = "其他"
            elif t.channel != PHONE:
                base = _purpose_weights(t.l1, t.l2, True)
                t.purpose = rng.choices(_PURPOSE_ORDER, weights=base)[0]

    def _assign_special(self, mt: MonthTarget, drafts: list[Draft], rng: random.Random) -> None:
        cands = [t for t in drafts if t.channel == PHONE and t.handling != "无效" and t.fixed is None]
        lines = [line for line, n in mt.special.items() for _ in range(n)]
        for t, line in zip(rng.sample(cands, len(lines)), lines, strict=True):
            t.special = line

    def _dept_pool(self, counts: list[int]) -> list[str]:
        return [self.depts[i].name for i, n in enumerate(counts) for _ in range(n)]

    def _plan_target(self, mt: MonthTarget, has_previous: bool) -> tuple[list[Draft], dict[str, list[str]]]:
        spec, clock = self.spec, self.clock
        rng = random.Random(f"{self.seed}:plan:{mt.month}")
        drafts = self._slots(mt, rng, list(spec.overdue))
        self._assign_special(mt, drafts, rng)
        wos = [t for t in drafts if t.handling == "工单转办"]
        # departments: fixed first, then the unclosed ones (received late in the month), then the rest
        counts = list(mt.departments)
        for t in wos:
            if t.fixed is not None:
                t.dept = t.fixed.lead
                t.dept_raw = t.fixed.departments
                counts[self.dept_index[t.dept]] -= 1
        unclosed = [d.name for d in self.depts for _ in range(d.work_orders - d.closed)]
        rng.shuffle(unclosed)
        n_phone_open = spec.phone["工单转办"] - spec.phone_work_orders_closed
        n_transfer_open = len(unclosed) - n_phone_open
        late_from = self.t1 - 10 * DAY
        open_slots: list[Draft] = []
        for phone, n in ((True, n_phone_open), (False, n_transfer_open)):
            cands = [t for t in wos if t.fixed is None and (t.channel == PHONE) == phone]
            late = [t for t in cands if t.recv >= late_from]
            pick_from = late if len(late) >= n else cands
            open_slots += rng.sample(pick_from, n)
        for t, name in zip(open_slots, unclosed, strict=True):
            t.dept = name
            t.role = "open"
            counts[self.dept_index[name]] -= 1
        if open_slots:
            open_slots[0].role = "late"
        rest = [t for t in wos if not t.dept]
        pool = self._dept_pool(counts)
        rng.shuffle(pool)
        for t, name in zip(rest, pool, strict=False):
            t.dept = name
            t.role = "closed"
        for t in wos:
            if t.fixed is not None:
                t.role = "closed"
            if not t.dept_raw:
                t.dept_raw = self.department_raw(rng, t.dept)
            t.disp = dispatch_time(rng, clock, t.recv, t.channel, fixed=t.fixed is not None)
        self._assign_categories(mt, drafts, rng)
        self._assign_purposes(mt, drafts, rng)
        # callbacks: exactly the departments' counts, some on previous-month work orders
        last_day = self.t1 // DAY - 1
        prev_results: dict[str, list[str]] = {}
        for d in self.depts:
            if not d.callbacks:
                continue
            mine = [t for t in wos if t.dept == d.name and t.role == "closed"]
            eligible = [
                t
                for t in mine
                if (
                    clock.idx(t.fixed.replied) <= last_day - 2 if t.fixed is not None else t.disp // DAY <= last_day - 3
                )
            ]
            share = spec.callback_share_previous if has_previous else 0.0
            x = min(len(eligible), d.callbacks - round(d.callbacks * share))
            y = d.callbacks - x
            if y and not has_previous:
                raise SpecError(
                    f"{spec.path.name}: {d.field}.callbacks: {d.callbacks} callbacks but only {x} work "
                    "orders that can be closed and called back within the month, and the export range "
                    "does not cover the previous month"
                )
            results = ["满意" if rng.random() < 0.82 else "基本满意" for _ in range(d.satisfied)]
            results += ["不满意"] * (d.callbacks - d.satisfied)
            rng.shuffle(results)
            for t, res in zip(rng.sample(eligible, x), results, strict=False):  # results[x:] go to the previous month
                t.cb = res
            if y:
                prev_results[d.name] = results[x:]
        return drafts, prev_results

    def _plan_month(self, mt: MonthTarget, rng: random.Random, designate: dict[str, list[str]]) -> list[Draft]:
        clock = self.clock
        counts = list(mt.departments)
        for name, results in designate.items():  # enough work orders for the callbacks they must carry
            i = self.dept_index[name]
            while counts[i] < len(results) + 1:
                j = max(range(len(counts)), key=lambda k: counts[k] - (len(designate.get(self.depts[k].name, [])) + 1))
                counts[j] -= 1
                counts[i] += 1
        drafts = self._slots(mt, rng, [])
        self._assign_special(mt, drafts, rng)
        wos = [t for t in drafts if t.handling == "工单转办"]
        pool = self._dept_pool(counts)
        rng.shuffle(pool)
        for t, name in zip(wos, pool, strict=False):
            t.dept = name
            t.dept_raw = self.department_raw(rng, name)
            t.disp = dispatch_time(rng, clock, t.recv, t.channel)
            t.role = "free"
            t.overdue = rng.random() < 0.035
        self._assign_categories(mt, drafts, rng)
        self._assign_purposes(mt, drafts, rng)
        for name, results in designate.items():
            mine = sorted((t for t in wos if t.dept == name), key=lambda t: (-t.disp, t.recv))
            top = mine[: max(2 * len(results), len(results) + 3)]
            for t, res in zip(rng.sample(top, len(results)), results, strict=True):
                t.cb = res
                t.overdue = False
        return drafts

    # -- how operators type department names
    def department_raw(self, rng: random.Random, lead: str) -> str:
        return department_raw(rng, self.spec, lead)


_PURPOSE_ORDER = ["咨询", "求助", "投诉", "建议", "表扬", "其他"]
_SEPARATORS = ("、", ";", " ", "、", "；")


def department_raw(rng: random.Random, spec: Spec, lead: str) -> str:
    """The 承办单位 cell: the lead (canonical or an alias, maybe with a stray space), sometimes co-departments."""
    d = spec.department(lead)
    r = rng.random
    x = r()
    name = d.name if (x < 0.72 or not d.aliases) else d.aliases[int(r() * len(d.aliases))]
    parts = [name]
    if r() < 0.08:
        others = [o for o in spec.departments if o.name != lead]
        for _ in range(1 if r() < 0.8 else 2):
            o = others[int(r() * len(others))]
            if o.name not in parts:
                parts.append(o.name if r() < 0.8 or not o.aliases else o.aliases[0])
    if len(parts) == 1:
        y = r()
        if y < 0.06 and len(name) > 3:  # a stray space inside the name
            k = 1 + int(r() * (len(name) - 2))
            return name[:k] + " " + name[k:]
        if y < 0.10:
            return " " + name if r() < 0.5 else name + " "
        return name
    sep = _SEPARATORS[int(r() * len(_SEPARATORS))]
    return sep.join(parts)


def assign_ids(
    drafts: list[Draft], clock: Clock, day: int, seats: tuple[int, int], rng: random.Random, reserved: set[str]
) -> None:
    """HX + yymmdd + 60 + seat + 4-digit sequence for phone tickets; HX + yymmdd + channel code + 6 digits for
    transfers. ``reserved`` ids are never handed out; drafts that already have an id keep it."""
    ymd = clock.dates[day].strftime("%y%m%d")
    n_phone = sum(1 for t in drafts if t.channel == PHONE)
    lo, hi = seats
    seat_list = list(range(lo, hi + 1))
    while len(seat_list) * 9000 < n_phone:  # more seats when the volume needs them
        extra = [s for s in range(10, 100) if s not in seat_list]
        if not extra:
            raise ValueError(f"{n_phone} phone contacts on {clock.dates[day]}: more than ticket ids allow")
        seat_list.append(extra[0])
    counters = dict.fromkeys(seat_list, 0)
    chan_counters = dict.fromkeys(TRANSFER_CODES, 0)
    ns = len(seat_list)
    for t in drafts:
        if t.tid:
            continue
        if t.channel == PHONE:
            while True:
                seat = seat_list[int(rng.random() * ns)]
                if counters[seat] < 9999:
                    break
            while True:
                counters[seat] += 1
                tid = f"HX{ymd}60{seat}{counters[seat]:04d}"
                if tid not in reserved:
                    break
        else:
            while True:
                chan_counters[t.channel] += 1
                tid = f"HX{ymd}{TRANSFER_CODES[t.channel]}{chan_counters[t.channel]:06d}"
                if tid not in reserved:
                    break
        t.tid = tid
