"""The generator's target specification: one YAML file per (city, month), transcribed from a real bulletin.

See ``include/hotline/specs/golmud-2024-11.yaml`` for a commented example. Fields:

- ``city``, ``month`` (YYYY-MM), ``cutoff`` ("YYYY-MM-DD HH:MM"), ``seed``, ``export_start``/``export_end``
  (must cover the month, and the previous month when ``contacts.previous_total`` is given), ``seats``;
- ``contacts``: ``total``, ``previous_total``, ``channels`` (中国政府网/省州系统/微信 transfers), ``phone``
  (直接答复, 工单转办, 工单转办已办结 = closed by the cut-off, 无效);
- ``special_lines``, ``purposes`` (over phone contacts that are not 无效), ``demand`` (l1 → l2 → count over all
  contacts that are not 无效), ``hotspots`` (``category`` "l1/l2" or "l1", ``count``, ``previous``);
- ``departments`` (bulletin order: ``name``, ``kind``, ``aliases``, ``work_orders``, ``closed``, ``callbacks``,
  ``satisfied``, ``topics``) and ``other_departments`` (summed as 其他单位);
- ``overdue``: ``id``, ``departments`` (the cell as printed), ``due``, ``replied``, ``remark``;
- optional ``totals`` (printed totals, cross-checked), ``places`` (vocabulary), ``callback_share_previous``.

:func:`load_spec` parses and checks the file; every inconsistency raises :class:`SpecError` naming the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from hotline import contract, workdays
from hotline.departments import AliasMap
from hotline.departments import split_departments as _split_departments
from hotline.errors import HotlineError
from hotline.periods import BadPeriod, month_bounds, parse_as_of, parse_month, previous_month

DEFAULT_SPEC = Path(__file__).resolve().parents[1] / "specs" / "golmud-2024-11.yaml"

#: The bulletin's channel labels for the transfer channels.
TRANSFER_CHANNELS = contract.TRANSFER_CHANNELS
PHONE_HANDLINGS = contract.HANDLINGS  # 直接答复, 工单转办, 无效


class SpecError(HotlineError, ValueError):
    """The spec file is invalid; the message names the field."""


@dataclass(frozen=True)
class Department:
    name: str
    kind: str
    aliases: tuple[str, ...]
    work_orders: int
    closed: int
    callbacks: int
    satisfied: int
    topics: tuple[str, ...]  # "l1" or "l1/l2" this department usually handles
    other: bool  # part of 其他单位 (not one of the named rows)
    field: str  # where it is in the spec, for error messages


@dataclass(frozen=True)
class OverdueTicket:
    ticket_id: str
    departments: str  # the 承办单位 cell exactly as printed
    lead: str  # canonical lead department
    due: date
    replied: date
    remark: str
    received: date  # from the ticket id


@dataclass(frozen=True)
class Hotspot:
    l1: str
    l2: str | None  # None: the whole level-1 category is one hot spot
    count: int
    previous: int | None


@dataclass(frozen=True)
class Places:
    province: str
    city: str
    areas: tuple[str, ...]
    streets: tuple[str, ...]
    communities: tuple[str, ...]
    villages: tuple[str, ...]
    companies: tuple[str, ...]
    property_companies: tuple[str, ...]
    plate_prefix: str = ""  # licence plates, e.g. 青H


@dataclass(frozen=True)
class Spec:
    path: Path
    city: str
    month: str
    cutoff: datetime
    seed: int
    export_start: date
    export_end: date
    previous_total: int | None
    total: int
    channels: dict[str, int]  # transfer channel -> contacts (all work orders)
    phone: dict[str, int]  # handling -> phone contacts
    phone_work_orders_closed: int
    special_lines: dict[str, int]
    purposes: dict[str, int]  # over phone contacts that are not 无效
    demand: dict[str, dict[str, int]]  # l1 -> l2 -> count, over all contacts that are not 无效
    departments: tuple[Department, ...]  # the named rows, in bulletin order
    other_departments: tuple[Department, ...]  # summed as 其他单位
    overdue: tuple[OverdueTicket, ...]
    hotspots: tuple[Hotspot, ...]
    places: Places
    seats: tuple[int, int]
    callback_share_previous: float = 0.08  # share of a department's callbacks made on previous-month tickets
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    # ------------------------------------------------------------------ derived figures
    @property
    def month_start(self) -> date:
        return month_bounds(self.month)[0]

    @property
    def month_end(self) -> date:
        """Last day of the month."""
        return month_bounds(self.month)[1] - timedelta(days=1)

    @property
    def work_orders(self) -> int:
        return self.phone["工单转办"] + sum(self.channels.values())

    @property
    def closed(self) -> int:
        return sum(d.closed for d in self.all_departments)

    @property
    def valid(self) -> int:
        return self.total - self.phone["无效"]

    @property
    def phone_valid(self) -> int:
        return self.phone["直接答复"] + self.phone["工单转办"]

    @property
    def all_departments(self) -> tuple[Department, ...]:
        return self.departments + self.other_departments

    def department(self, name: str) -> Department:
        for d in self.all_departments:
            if d.name == name:
                return d
        raise KeyError(name)

    def alias_map(self) -> dict[str, str]:
        """Whitespace-free name or alias -> canonical name."""
        out: dict[str, str] = {}
        for d in self.all_departments:
            out[_nospace(d.name)] = d.name
            for a in d.aliases:
                out[_nospace(a)] = d.name
        return out

    def categories(self) -> list[tuple[str, str, int]]:
        return [(l1, l2, n) for l1, l2s in self.demand.items() for l2, n in l2s.items()]


def _nospace(s: str) -> str:
    return re.sub(r"\s+", "", s)


def split_departments(cell: str, alias_map: dict[str, str]) -> list[str]:
    """docs/department-names.md: canonical departments of a 承办单位 cell, lead first (unknown parts kept,
    whitespace-free). ``alias_map`` is :meth:`Spec.alias_map` (whitespace-free keys): the rule is
    :func:`hotline.departments.split_departments`, with the spec's names kept exactly as written."""
    return [d.name for d in _split_departments(cell, AliasMap(alias_map))]


# ---------------------------------------------------------------------------------------------- parsing
class _Reader:
    """Typed access to the YAML mapping with field paths in error messages."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, fieldpath: str, msg: str) -> SpecError:
        return SpecError(f"{self.source}: {fieldpath}: {msg}")

    def get(self, m: Any, key: str, path: str, kind: type | tuple[Any, ...] = object, default: Any = ...) -> Any:
        if not isinstance(m, dict):
            raise self.fail(path or "(top level)", "must be a mapping")
        full = f"{path}.{key}" if path else key
        if key not in m or m[key] is None:
            if default is ...:
                raise self.fail(full, "is required")
            return default
        v = m[key]
        if kind is int and (isinstance(v, bool) or not isinstance(v, int)):
            raise self.fail(full, f"must be an integer, got {v!r}")
        if kind is int and v < 0:
            raise self.fail(full, f"must be ≥ 0, got {v}")
        if kind is not object and kind is not int and not isinstance(v, kind):
            raise self.fail(full, f"has the wrong type ({type(v).__name__})")
        return v

    def counts(
        self, m: Any, key: str, path: str, allowed: tuple[str, ...] | None = None, default: Any = ...
    ) -> dict[str, int]:
        v = self.get(m, key, path, dict, default)
        full = f"{path}.{key}" if path else key
        out: dict[str, int] = {}
        for k in v:
            if allowed is not None and k not in allowed:
                raise self.fail(f"{full}.{k}", f"unknown key (allowed: {', '.join(allowed)})")
            out[str(k)] = self.get(v, k, full, int)
        return out

    def day(self, m: Any, key: str, path: str) -> date:
        v = self.get(m, key, path)
        full = f"{path}.{key}" if path else key
        if isinstance(v, datetime):
            return v.date()
        if isinstance(v, date):
            return v
        try:
            return date.fromisoformat(str(v).strip())
        except ValueError:
            raise self.fail(full, f"must be a date YYYY-MM-DD, got {v!r}") from None

    def strings(self, m: Any, key: str, path: str, default: Any = ()) -> tuple[str, ...]:
        v = self.get(m, key, path, (list, tuple, str), default)
        if isinstance(v, str):
            v = [v]
        return tuple(str(x) for x in v)


_CN_DATE = re.compile(r"^\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*$")


def _parse_day(r: _Reader, v: Any, fieldpath: str) -> date:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    s = str(v)
    m = _CN_DATE.match(s)
    if m:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    try:
        return date.fromisoformat(s.strip())
    except ValueError:
        raise r.fail(fieldpath, f"must be a date YYYY-MM-DD, got {v!r}") from None


def load_spec(path: Path | str) -> Spec:
    """Parse and check a spec file."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"spec file {path} does not exist")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise SpecError(f"{path.name}: not valid YAML: {e}") from None
    return parse_spec(raw, source=path.name, path=path)


def parse_spec(raw: Any, source: str = "spec", path: Path | None = None) -> Spec:
    r = _Reader(source)
    if not isinstance(raw, dict):
        raise r.fail("(top level)", "must be a mapping")
    city = str(r.get(raw, "city", ""))
    try:
        month = parse_month(str(r.get(raw, "month", "")))
    except BadPeriod as e:
        raise r.fail("month", str(e)) from None
    cut = r.get(raw, "cutoff", "")
    try:
        cutoff = cut if isinstance(cut, datetime) else parse_as_of(str(cut))
    except BadPeriod as e:
        raise r.fail("cutoff", str(e)) from None
    seed = r.get(raw, "seed", "", int)
    export_start = r.day(raw, "export_start", "")
    export_end = r.day(raw, "export_end", "")

    contacts = r.get(raw, "contacts", "", dict)
    total = r.get(contacts, "total", "contacts", int)
    previous_total = r.get(contacts, "previous_total", "contacts", int, None)
    channels = r.counts(contacts, "channels", "contacts", TRANSFER_CHANNELS)
    for ch in TRANSFER_CHANNELS:
        channels.setdefault(ch, 0)
    phone_m = r.get(contacts, "phone", "contacts", dict)
    phone = {h: r.get(phone_m, h, "contacts.phone", int) for h in PHONE_HANDLINGS}
    for k in phone_m:
        if k not in PHONE_HANDLINGS + ("工单转办已办结",):
            raise r.fail(f"contacts.phone.{k}", f"unknown key (allowed: {', '.join(PHONE_HANDLINGS)}, 工单转办已办结)")
    phone_closed = r.get(phone_m, "工单转办已办结", "contacts.phone", int)

    special = r.counts(raw, "special_lines", "", contract.SPECIAL_LINES, {})
    purposes = r.counts(raw, "purposes", "", contract.PURPOSES)

    demand_raw = r.get(raw, "demand", "", dict)
    demand: dict[str, dict[str, int]] = {}
    for l1 in demand_raw:
        if str(l1) == "其他":
            raise r.fail(f"demand.{l1}", "no level-1 category may be named 其他 (the bulletin's 其他 is the remainder)")
        demand[str(l1)] = r.counts(demand_raw, l1, "demand")
        if not demand[str(l1)]:
            raise r.fail(f"demand.{l1}", "needs at least one level-2 category")

    departments = tuple(_departments(r, raw, "departments", other=False))
    others = tuple(_departments(r, raw, "other_departments", other=True, default=[]))

    places_m = r.get(raw, "places", "", dict, {})
    places = Places(
        province=str(r.get(places_m, "province", "places", str, "")),
        city=str(r.get(places_m, "city", "places", str, city)),
        areas=r.strings(places_m, "areas", "places"),
        streets=r.strings(places_m, "streets", "places"),
        communities=r.strings(places_m, "communities", "places"),
        villages=r.strings(places_m, "villages", "places"),
        companies=r.strings(places_m, "companies", "places"),
        property_companies=r.strings(places_m, "property_companies", "places"),
        plate_prefix=str(r.get(places_m, "plate_prefix", "places", str, "")),
    )
    seats_v = r.get(raw, "seats", "", (list, tuple), [20, 40])
    if len(seats_v) != 2 or not all(isinstance(x, int) for x in seats_v) or not 10 <= seats_v[0] <= seats_v[1] <= 99:
        raise r.fail("seats", "must be [first, last] seat numbers between 10 and 99")
    share = r.get(raw, "callback_share_previous", "", (int, float), 0.08)

    spec = Spec(
        path=path or Path(source),
        city=city,
        month=month,
        cutoff=cutoff,
        seed=seed,
        export_start=export_start,
        export_end=export_end,
        previous_total=previous_total,
        total=total,
        channels=channels,
        phone=phone,
        phone_work_orders_closed=phone_closed,
        special_lines=special,
        purposes=purposes,
        demand=demand,
        departments=departments,
        other_departments=others,
        overdue=(),
        hotspots=(),
        places=places,
        seats=(seats_v[0], seats_v[1]),
        callback_share_previous=float(share),
        raw=raw,
    )
    overdue = tuple(_overdue(r, raw, spec))
    hotspots = tuple(_hotspots(r, raw, spec))
    spec = replace(spec, overdue=overdue, hotspots=hotspots)
    _check(r, spec)
    return spec


def _departments(r: _Reader, raw: dict[str, Any], key: str, other: bool, default: Any = ...) -> list[Department]:
    rows = r.get(raw, key, "", list, default)
    out = []
    for i, m in enumerate(rows):
        p = f"{key}[{i}]"
        wo = r.get(m, "work_orders", p, int)
        closed = r.get(m, "closed", p, int, wo)
        cb = r.get(m, "callbacks", p, int, 0)
        sat = r.get(m, "satisfied", p, int, 0)
        topics = r.strings(m, "topics", p)
        out.append(
            Department(
                name=str(r.get(m, "name", p, str)).strip(),
                kind=str(r.get(m, "kind", p, str, "")),
                aliases=r.strings(m, "aliases", p),
                work_orders=wo,
                closed=closed,
                callbacks=cb,
                satisfied=sat,
                topics=topics,
                other=other,
                field=p,
            )
        )
    return out


def _overdue(r: _Reader, raw: dict[str, Any], spec: Spec) -> list[OverdueTicket]:
    rows = r.get(raw, "overdue", "", list, [])
    amap = spec.alias_map()
    out = []
    for i, m in enumerate(rows):
        p = f"overdue[{i}]"
        tid = str(r.get(m, "id", p, str))
        if not contract.TICKET_ID_RE.match(tid):
            raise r.fail(f"{p}.id", f"{tid!r} is not a ticket id (HX + 14 digits)")
        try:
            received = date(2000 + int(tid[2:4]), int(tid[4:6]), int(tid[6:8]))
        except ValueError:
            raise r.fail(f"{p}.id", f"{tid!r} does not start with a valid yymmdd") from None
        cell = str(r.get(m, "departments", p, str))
        depts = split_departments(cell, amap)
        if not depts or depts[0] not in {d.name for d in spec.all_departments}:
            raise r.fail(f"{p}.departments", f"lead department of {cell!r} is not a known department or alias")
        due = _parse_day(r, r.get(m, "due", p), f"{p}.due")
        replied = _parse_day(r, r.get(m, "replied", p), f"{p}.replied")
        remark = str(r.get(m, "remark", p, str, "") or "")
        out.append(
            OverdueTicket(
                ticket_id=tid,
                departments=cell,
                lead=depts[0],
                due=due,
                replied=replied,
                remark=remark,
                received=received,
            )
        )
    return out


def _hotspots(r: _Reader, raw: dict[str, Any], spec: Spec) -> list[Hotspot]:
    rows = r.get(raw, "hotspots", "", list, [])
    out = []
    for i, m in enumerate(rows):
        p = f"hotspots[{i}]"
        cat = str(r.get(m, "category", p, str))
        l1, _, l2 = cat.partition("/")
        out.append(
            Hotspot(l1=l1, l2=l2 or None, count=r.get(m, "count", p, int), previous=r.get(m, "previous", p, int, None))
        )
    return out


def _check(r: _Reader, s: Spec) -> None:
    # ---- periods and calendar
    m_start, m_next = month_bounds(s.month)
    if s.export_start > s.export_end:
        raise r.fail("export_end", "is before export_start")
    if s.export_start > m_start or s.export_end < m_next - timedelta(days=1):
        raise r.fail("export_start", f"the export range must cover the whole month {s.month}")
    if s.cutoff.date() < m_next:
        raise r.fail("cutoff", f"must be after the end of {s.month}")
    if s.cutoff.date() > s.export_end:
        raise r.fail("cutoff", "must not be after export_end (events up to the cut-off must be exported)")
    try:
        workdays.due_date(s.export_start)
        workdays.due_date(s.export_end + timedelta(days=45))
    except workdays.OutsideCalendar as e:
        raise r.fail("export_end", f"outside the working-day calendar: {e}") from None
    if s.previous_total is not None:
        p_start = month_bounds(previous_month(s.month))[0]
        if s.export_start > p_start:
            raise r.fail(
                "export_start",
                f"must be on or before {p_start} so that contacts.previous_total can be reproduced from the exports",
            )
    # ---- contacts
    parts = sum(s.channels.values()) + sum(s.phone.values())
    if parts != s.total:
        raise r.fail("contacts.total", f"{s.total} ≠ channels + phone = {parts}")
    if s.phone_work_orders_closed > s.phone["工单转办"]:
        raise r.fail("contacts.phone.工单转办已办结", "more than contacts.phone.工单转办")
    if sum(s.special_lines.values()) > s.phone_valid:
        raise r.fail("special_lines", "more special-line calls than valid phone contacts")
    if sum(s.purposes.values()) != s.phone_valid:
        raise r.fail("purposes", f"sum {sum(s.purposes.values())} ≠ phone contacts that are not 无效 ({s.phone_valid})")
    dsum = sum(n for _, _, n in s.categories())
    if dsum != s.valid:
        raise r.fail("demand", f"sum {dsum} ≠ contacts that are not 无效 ({s.valid})")
    # ---- departments
    names: dict[str, str] = {}
    for d in s.all_departments:
        if not d.name:
            raise r.fail(f"{d.field}.name", "is empty")
        for a in (d.name,) + d.aliases:
            key = _nospace(a)
            if key in names and names[key] != d.name:
                raise r.fail(f"{d.field}.aliases", f"{a!r} is already a name or alias of {names[key]}")
            names[key] = d.name
        if d.closed > d.work_orders:
            raise r.fail(f"{d.field}.closed", f"{d.closed} > work_orders {d.work_orders}")
        if d.satisfied > d.callbacks:
            raise r.fail(f"{d.field}.satisfied", f"{d.satisfied} > callbacks {d.callbacks}")
        if d.other and d.callbacks:
            raise r.fail(f"{d.field}.callbacks", "departments summed as 其他单位 have no counted callbacks")
        for t in d.topics:
            l1, _, l2 = t.partition("/")
            if l1 not in s.demand or (l2 and l2 not in s.demand[l1]):
                raise r.fail(f"{d.field}.topics", f"{t!r} is not a category of demand")
    if not s.departments:
        raise r.fail("departments", "needs at least one department")
    wo = sum(d.work_orders for d in s.all_departments)
    if wo != s.work_orders:
        raise r.fail(
            "departments",
            f"work orders add up to {wo}, but contacts give {s.work_orders} (phone 工单转办 + transfer channels)",
        )
    smallest = min(d.work_orders for d in s.departments)
    for d in s.other_departments:
        if d.work_orders >= smallest:
            raise r.fail(
                f"{d.field}.work_orders",
                f"{d.work_orders} would rank among the named departments (smallest named: {smallest}); must be smaller",
            )
    unclosed = s.work_orders - s.closed
    phone_unclosed = s.phone["工单转办"] - s.phone_work_orders_closed
    if phone_unclosed > unclosed or unclosed - phone_unclosed > sum(s.channels.values()):
        raise r.fail(
            "contacts.phone.工单转办已办结",
            f"inconsistent with the departments' closed counts ({unclosed} unclosed work orders in all)",
        )
    # ---- overdue list
    seen: set[str] = set()
    fixed_per_dept: dict[str, int] = {}
    for i, o in enumerate(s.overdue):
        p = f"overdue[{i}]"
        if o.ticket_id in seen:
            raise r.fail(f"{p}.id", f"duplicate ticket id {o.ticket_id}")
        seen.add(o.ticket_id)
        if not m_start <= o.received < m_next:
            raise r.fail(f"{p}.id", f"{o.ticket_id} was not received in {s.month}")
        if not o.replied > o.due:
            raise r.fail(f"{p}.replied", "an overdue work order is replied after its due date")
        if o.due < workdays.due_date(o.received):
            raise r.fail(
                f"{p}.due",
                f"{o.due} is before the platform's due date "
                f"{workdays.due_date(o.received)} for a dispatch on {o.received}",
            )
        if o.replied >= s.cutoff.date():
            raise r.fail(f"{p}.replied", "must be before the cut-off day")
        if o.ticket_id[8:10] != "60":
            raise r.fail(f"{p}.id", "fixed work orders are phone tickets: the id's digits 9-10 must be 60")
        fixed_per_dept[o.lead] = fixed_per_dept.get(o.lead, 0) + 1
    for d in s.all_departments:
        n_fixed = fixed_per_dept.get(d.name, 0)
        if n_fixed + (d.work_orders - d.closed) > d.work_orders:
            raise r.fail(
                f"{d.field}.work_orders",
                f"too small for its {n_fixed} overdue and {d.work_orders - d.closed} unclosed work orders",
            )
    if len(s.overdue) > s.phone["工单转办"]:
        raise r.fail("overdue", "more overdue work orders than phone work orders")
    # ---- hot spots
    for i, h in enumerate(s.hotspots):
        p = f"hotspots[{i}]"
        if h.l1 not in s.demand or (h.l2 is not None and h.l2 not in s.demand[h.l1]):
            raise r.fail(f"{p}.category", f"{h.l1}/{h.l2} is not a category of demand")
        real = s.demand[h.l1][h.l2] if h.l2 else sum(s.demand[h.l1].values())
        if real != h.count:
            raise r.fail(f"{p}.count", f"{h.count} ≠ demand's {real}")
        if h.previous is not None and s.previous_total is None:
            raise r.fail(f"{p}.previous", "needs contacts.previous_total")
    if s.previous_total is not None:
        prev = sum(h.previous or 0 for h in s.hotspots)
        if prev > s.previous_total:
            raise r.fail("hotspots", "previous counts exceed contacts.previous_total")
    if not 0 <= s.callback_share_previous < 1:
        raise r.fail("callback_share_previous", "must be in [0, 1)")
    # ---- totals cross-checks the spec may repeat from the bulletin
    checks = r.get(s.raw, "totals", "", dict, {})
    actual = {
        "work_orders": s.work_orders,
        "closed": s.closed,
        "overdue": len(s.overdue),
        "callbacks": sum(d.callbacks for d in s.all_departments),
        "satisfied": sum(d.satisfied for d in s.all_departments),
        "valid": s.valid,
        "phone_valid": s.phone_valid,
    }
    for k, v in checks.items():
        if k not in actual:
            raise r.fail(f"totals.{k}", f"unknown key (allowed: {', '.join(actual)})")
        if v != actual[k]:
            raise r.fail(f"totals.{k}", f"{v} ≠ {actual[k]} computed from the rest of the spec")
