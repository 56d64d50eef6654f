"""Checks, their severity and subject, operator decisions, and the gate's report.

Every check that can stop a publication (the loader's control totals, completeness, dbt's data tests, the
Great Expectations suites, evidence) becomes one :class:`Check` of the month's :class:`GateReport`:

- ``severity`` ``fail``: a failing check blocks publication; ``warn``: the month is published and the check
  is shown in the reconciliation report and in the bulletin's data-quality annex;
- ``status``: ``pass``, ``fail`` (blocks), ``warn`` (shown) or ``skipped``;
- ``subject``: what a failing check is about (the days, ticket ids, rows or department names: the first
  ``SUBJECT_LIMIT`` and their count), so that no check stops a month with an unexplained message.

An operator can publish a month despite a failing completeness or department check only with an explicit,
recorded :class:`Decision` (``hotline publish --accept-missing-day 2024-11-15 --reason "..."``): the check then
has status ``warn`` and carries the decision, which the manifest, the report and the bulletin show.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from hotline.errors import HotlineError

SEVERITIES = ("fail", "warn")
STATUSES = ("pass", "fail", "warn", "skipped")
#: how many items of a subject are listed (the count is always given)
SUBJECT_LIMIT = 20


def plain(v: object) -> Any:
    """JSON-safe, deterministic rendering of numpy/Decimal/date/tuple values."""
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if hasattr(v, "item"):  # numpy scalar
        return v.item()
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


@dataclass
class Subject:
    """What a check is about: ``kind`` (days, tickets, rows, departments, values, …), the first items and how
    many there are in all."""

    kind: str
    items: list[Any] = field(default_factory=list)
    count: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "count": self.count, "items": plain(self.items)}

    def text(self, limit: int = 5) -> str:
        shown = ", ".join(_item_text(i) for i in self.items[:limit])
        hidden = self.count - min(limit, len(self.items))
        more = f" (+{hidden} more)" if hidden > 0 else ""
        return f"{self.count} {self.kind}: {shown}{more}" if shown else f"{self.count} {self.kind}"

    def text_cn(self, limit: int = 10) -> str:
        """The subject for the bulletin's annex: ``3 件工单：HX…、HX…``."""
        shown = "、".join(_item_text_cn(i) for i in self.items[:limit])
        more = " 等" if self.count > min(limit, len(self.items)) else ""
        label = f"{self.count} {KIND_CN.get(self.kind, self.kind)}"
        return f"{label}：{shown}{more}" if shown else label


#: a subject's kind as the bulletin's annex names it
KIND_CN = {
    "days": "个导出日",
    "tickets": "件工单",
    "rows": "行",
    "departments": "个单位",
    "values": "个取值",
    "builds": "次构建",
    "errors": "个错误",
}


def _item_text(item: object) -> str:
    if isinstance(item, dict):
        return " ".join(f"{k}={plain(v)}" for k, v in item.items())
    if isinstance(item, (list, tuple)):
        return "/".join(str(plain(v)) for v in item)
    return str(plain(item))


#: how the annex writes an item's fields (others: their value)
_FIELD_CN = {"row": "第{}行", "reason": "（{}）", "work_orders": "{} 件", "problem": "：{}"}


def _item_text_cn(item: object) -> str:
    if isinstance(item, dict):
        return " ".join(_FIELD_CN.get(k, "{}").format(plain(v)) for k, v in item.items() if v is not None)
    return _item_text(item)


def subject(kind: str, items: Iterable[Any], count: int | None = None, limit: int = SUBJECT_LIMIT) -> Subject:
    items = list(items)
    return Subject(kind, items[:limit], len(items) if count is None else int(count))


@dataclass(frozen=True)
class Decision:
    """An operator's explicit decision to publish despite a failing check."""

    kind: str  # accept_missing_day | accept_unknown_department
    value: str  # the day or the department name
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": self.value, "reason": self.reason}

    def text(self) -> str:
        what = {"accept_missing_day": "缺少导出日", "accept_unknown_department": "未登记承办单位"}.get(
            self.kind, self.kind
        )
        return f"{what} {self.value}：{self.reason}"


@dataclass(frozen=True)
class Decisions:
    """The decisions an operator passed for one publication."""

    missing_days: tuple[str, ...] = ()
    unknown_departments: tuple[str, ...] = ()
    reason: str = ""

    def __post_init__(self) -> None:
        if (self.missing_days or self.unknown_departments) and not self.reason.strip():
            from hotline.errors import HotlineError

            raise HotlineError(
                'accepting a missing day or an unknown department needs --reason "...": the '
                "decision is recorded in the publication"
            )

    def all(self) -> list[Decision]:
        return [Decision("accept_missing_day", d, self.reason) for d in sorted(self.missing_days)] + [
            Decision("accept_unknown_department", n, self.reason) for n in sorted(self.unknown_departments)
        ]

    def to_json(self) -> list[dict[str, Any]]:
        return [d.to_json() for d in self.all()]


@dataclass
class Check:
    suite: str
    name: str
    description: str
    expected: object
    actual: object
    status: str  # pass | fail | warn | skipped
    severity: str = "fail"  # fail | warn
    subject: Subject | None = None
    decisions: list[Decision] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"check {self.name!r}: severity must be one of {SEVERITIES}, got {self.severity!r}")
        if self.status not in STATUSES:
            raise ValueError(f"check {self.name!r}: status must be one of {STATUSES}, got {self.status!r}")

    @classmethod
    def judged(
        cls,
        suite: str,
        name: str,
        description: str,
        expected: object,
        actual: object,
        passed: bool,
        severity: str = "fail",
        subject: Subject | None = None,
    ) -> Check:
        """A check whose status follows from ``passed`` and its severity."""
        status = "pass" if passed else ("fail" if severity == "fail" else "warn")
        return cls(suite, name, description, expected, actual, status, severity, None if passed else subject)

    def accept(self, decisions: list[Decision]) -> Check:
        """The operator accepted what this failing check is about: published, shown as a warning."""
        if self.status == "fail" and decisions:
            self.status = "warn"
            self.decisions = list(decisions)
        return self

    def to_json(self) -> dict[str, Any]:
        doc = {k: plain(v) for k, v in asdict(self).items() if k not in ("subject", "decisions")}
        doc["subject"] = self.subject.to_json() if self.subject else None
        doc["decisions"] = [d.to_json() for d in self.decisions]
        return doc

    def line(self) -> str:
        """One line for a terminal or a log: name, what was expected, what was found, and its subject."""
        text = f"{self.name}: expected {plain(self.expected)}, got {plain(self.actual)}"
        if self.subject is not None:
            text += f" — {self.subject.text()}"
        if self.decisions:
            text += " — accepted: " + self.decisions[0].reason
        return text


@dataclass
class GateReport:
    month: str
    as_of: str
    checks: list[Check] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fail"]

    @property
    def warnings(self) -> list[Check]:
        return [c for c in self.checks if c.status == "warn"]

    @property
    def failed_count(self) -> int:
        return len(self.failed)

    @property
    def success(self) -> bool:
        return self.failed_count == 0 and bool(self.checks)

    def to_json(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "as_of": self.as_of,
            "success": self.success,
            "checks_total": len(self.checks),
            "checks_failed": self.failed_count,
            "checks_warned": len(self.warnings),
            "decisions": [d.to_json() for d in self.decisions],
            "checks": [c.to_json() for c in self.checks],
        }


class GateFailed(HotlineError, RuntimeError):
    """At least one check with severity ``fail`` failed: nothing is published."""

    code = 1

    def __init__(self, report: GateReport):
        self.report = report
        failed = report.failed
        if not report.checks:
            super().__init__(f"no check ran for {report.month}: nothing is published")
            return
        shown = "; ".join(c.line() for c in failed[:5]) + (f" (+{len(failed) - 5} more)" if len(failed) > 5 else "")
        super().__init__(f"{len(failed)} of {len(report.checks)} checks failed for {report.month}: {shown}")
