"""The bulletin's identities (``expectations/identities.yml``): the arithmetic that must hold between its
published figures, read once and evaluated on any figures dict — the month's figures in the publication gate
(:mod:`hotline.gate`), a printed bulletin's in ``hotline audit-bulletin`` (:mod:`hotline.audit.findings`).

This module knows the file's vocabulary (keys with ``*`` / ``[]``, the relations) and hands out one
:class:`Instance` per identity and key or row; judging an instance and wording the result is the caller's: the
gate and the audit report differently.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml

from hotline.rates import change_pct, rate_pct

IDENTITIES_FILE = "identities.yml"
RELATIONS = ("sum", "count", "rate", "change", "same", "position", "descending")
#: What the gate can check: the rest compare a printed document with itself.
GATE_RELATIONS = ("sum", "count", "rate", "change")
_AUDIT_TEXT = {
    "sum": "message",
    "count": "message",
    "same": "message",
    "rate": "what",
    "change": "what",
    "position": "what",
    "descending": "what",
}
_SEGMENT = re.compile(r"^(?P<name>[^\[\]]+)(?:\[(?P<select>[^\[\]]*)\])?$")

Figures = Mapping[str, Any]
Exclude = tuple[tuple[str, Any], ...]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


#: What a key the figures do not have resolves to (a null figure resolves to None).
MISSING = _Missing()


def absent(value: object) -> bool:
    return value is None or value is MISSING


@dataclass(frozen=True)
class Identity:
    id: str
    relation: str
    figure: str
    terms: tuple[str, ...] = ()
    numerator: str = ""
    denominator: str = ""
    equals: str = ""
    rows: str = ""
    exclude: Exclude = ()
    severity: str = "fail"
    gate: Mapping[str, Any] | None = None
    audit: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Group:
    """Identities checked row by row (or key by key) over ``each``, in order."""

    id: str
    each: str
    checks: tuple[Identity, ...]
    exclude: Exclude = ()


@dataclass(frozen=True, eq=False)
class Binding:
    """What ``*`` (a dict key) or ``[]`` (a row, with its 1-based position) stands for in one instance."""

    key: str | None = None
    row: Mapping[str, Any] | None = None
    position: int | None = None

    @property
    def bound(self) -> bool:
        return self.key is not None or self.row is not None


# ------------------------------------------------------------------------------------------------ reading
def load_identities(path: Path | str | None = None) -> list[Identity | Group]:
    """The identities of ``path`` (default: ``expectations/identities.yml``), checked for what this module can
    evaluate."""
    if path is None:
        from hotline.paths import EXPECTATIONS_DIR

        path = EXPECTATIONS_DIR / IDENTITIES_FILE
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"bulletin identities {path} are missing")
    spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = [_entry(e, path) for e in spec.get("identities") or []]
    ids = [e.id for e in entries] + [c.id for e in entries if isinstance(e, Group) for c in e.checks]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ValueError(f"{path}: identity ids used twice: {', '.join(dup)}")
    return entries


def _exclude(spec: Mapping[str, Any]) -> Exclude:
    return tuple(sorted((spec.get("except") or {}).items()))


def _entry(spec: Mapping[str, Any], path: Path) -> Identity | Group:
    if "each" in spec:
        checks = tuple(_identity(c, path) for c in spec.get("checks") or [])
        if not checks:
            raise ValueError(f"{path}: {spec.get('id')}: `each` without `checks`")
        return Group(id=str(spec["id"]), each=spec["each"], checks=checks, exclude=_exclude(spec))
    return _identity(spec, path)


def _identity(spec: Mapping[str, Any], path: Path) -> Identity:
    where = f"{path}: identity {spec.get('id')!r}"
    relation = spec.get("relation")
    if not spec.get("id") or relation not in RELATIONS or not spec.get("figure"):
        raise ValueError(f"{where}: needs an id, a figure and a relation among {', '.join(RELATIONS)}")
    needs = {
        "sum": ("terms",),
        "count": ("rows",),
        "rate": ("numerator", "denominator"),
        "change": ("numerator", "denominator"),
        "same": ("equals",),
    }.get(relation, ())
    missing = [k for k in needs if not spec.get(k)]
    if missing:
        raise ValueError(f"{where}: a {relation} needs {', '.join(missing)}")
    gate, audit = spec.get("gate"), spec.get("audit")
    if gate is not None and (relation not in GATE_RELATIONS or not gate.get("name")):
        raise ValueError(f"{where}: the gate checks only {', '.join(GATE_RELATIONS)}, each under a name")
    if audit is not None and not audit.get(_AUDIT_TEXT[relation]):
        raise ValueError(f"{where}: its audit block needs `{_AUDIT_TEXT[relation]}`")
    if spec.get("severity", "fail") not in ("fail", "warn"):
        raise ValueError(f"{where}: severity is fail or warn")
    return Identity(
        id=str(spec["id"]),
        relation=relation,
        figure=spec["figure"],
        terms=tuple(spec.get("terms") or ()),
        numerator=spec.get("numerator") or "",
        denominator=spec.get("denominator") or "",
        equals=spec.get("equals") or "",
        rows=spec.get("rows") or "",
        exclude=_exclude(spec),
        severity=spec.get("severity", "fail"),
        gate=gate,
        audit=audit,
    )


# ------------------------------------------------------------------------------------------------ keys
def resolve(figures: Figures, key: str, binding: Binding = Binding()) -> Any:
    """The value of ``key`` in ``figures``, ``*`` and ``[]`` taken from ``binding``; ``list[field]`` is the row of
    ``list`` whose ``field`` equals the bound row's. :data:`MISSING` when the figures do not have it."""
    node: Any = figures
    for seg in key.split("."):
        m = _SEGMENT.match(seg)
        if m is None:
            raise ValueError(f"figure key {key!r}: cannot read {seg!r}")
        name, select = m["name"], m["select"]
        if name == "*":
            if binding.key is None:
                raise ValueError(f"figure key {key!r}: `*` is not bound here")
            name = binding.key
        if not isinstance(node, Mapping) or name not in node:
            return MISSING
        node = node[name]
        if select is None:
            continue
        if binding.row is None:
            raise ValueError(f"figure key {key!r}: `[{select}]` is not bound to a row here")
        if select == "":
            node = binding.row
        elif not isinstance(node, list):
            return MISSING
        else:
            matching = [r for r in node if r.get(select) == binding.row.get(select)]
            if not matching:
                return MISSING
            node = matching[0]
    return node


def _wildcard(figures: Figures, key: str) -> tuple[str | None, Any]:
    """``key``'s first ``*`` or ``[]`` and the dict or list it ranges over (:data:`MISSING` when the figures do not
    have it); (None, None) for a key without either."""
    segs = key.split(".")
    for i, seg in enumerate(segs):
        if seg == "*":
            return "*", (resolve(figures, ".".join(segs[:i])) if i else figures)
        m = _SEGMENT.match(seg)
        if m is not None and m["select"] == "":
            return "[]", resolve(figures, ".".join(segs[:i] + [m["name"]]))
    return None, None


def has_wildcard(key: str) -> bool:
    return any(seg == "*" or seg.endswith("[]") for seg in key.split("."))


def container(figures: Figures, key: str) -> Any:
    """The dict ``key``'s ``*`` ranges over or the list its ``[]`` does (:data:`MISSING` when absent)."""
    return _wildcard(figures, key)[1]


def bindings(figures: Figures, key: str, exclude: Exclude = ()) -> list[Binding]:
    """One binding per key of the dict at ``key``'s ``*`` or per row of the list at its ``[]`` (rows matching
    ``exclude`` left out; positions count every row); one empty binding for a key without either."""
    kind, node = _wildcard(figures, key)
    if kind is None:
        return [Binding()]
    if kind == "*":
        return [Binding(key=k) for k in node] if isinstance(node, Mapping) else []
    rows = node if isinstance(node, list) else []
    return [
        Binding(row=r, position=n) for n, r in enumerate(rows, start=1) if not any(r.get(f) == v for f, v in exclude)
    ]


def row_label(row: Mapping[str, Any] | None, sep: str = "/") -> str:
    """How a row is named: its department, ticket id, or hot spot (``一级<sep>二级``, or ``一级``)."""
    row = row or {}
    for f in ("name", "ticket_id"):
        if row.get(f) is not None:
            return str(row[f])
    l1, l2 = row.get("category_l1"), row.get("category_l2")
    return f"{l1}{sep}{l2}" if l2 else str(l1)


# ------------------------------------------------------------------------------------------------ instances
@dataclass(frozen=True)
class Instance:
    """One identity for one key or row of some figures."""

    identity: Identity
    binding: Binding
    figures: Figures = field(repr=False)

    def get(self, key: str) -> Any:
        return resolve(self.figures, key, self.binding)

    @property
    def value(self) -> Any:
        """The figure the identity is about (:data:`MISSING` when absent)."""
        return self.get(self.identity.figure)

    def applies(self) -> bool:
        """Whether the figures have what the identity is about: its figure, the rows it counts, the tables its
        terms sum over (a printed bulletin may not have a table; published figures have them all)."""
        if self.value is MISSING:
            return False
        if self.identity.relation == "count":
            return self.get(self.identity.rows) is not MISSING
        return not any(
            container(self.figures, t.lstrip("-")) is MISSING
            for t in self.identity.terms
            if not self.binding.bound and has_wildcard(t)
        )

    def terms_total(self) -> int | None:
        """Σ terms of a sum (each term's ``*`` / ``[]`` summed over, unless the instance is bound), or the row
        count of a count; None when a term or the rows are absent or null."""
        if self.identity.relation == "count":
            rows = self.get(self.identity.rows)
            return len(rows) if isinstance(rows, list) else None
        total: int = 0
        for term in self.identity.terms:
            sign, key = (-1, term[1:]) if term.startswith("-") else (1, term)
            if self.binding.bound or not has_wildcard(key):
                values = [self.get(key)]
            elif absent(container(self.figures, key)):
                return None  # a table the bulletin does not print adds up to nothing
            else:
                values = [resolve(self.figures, key, b) for b in bindings(self.figures, key)]
            if any(absent(v) for v in values):
                return None
            total += sign * sum(values)
        return total

    def operands(self) -> tuple[Any, Any]:
        """(numerator, denominator) of a rate or change."""
        return self.get(self.identity.numerator), self.get(self.identity.denominator)

    def expected_rate(self, places: int = 2) -> Decimal | None:
        """What a rate or change should be at ``places`` decimals (None when it has none)."""
        num, den = (None if absent(v) else v for v in self.operands())
        return (rate_pct if self.identity.relation == "rate" else change_pct)(num, den, places)

    def key(self, template: str | None = None) -> str:
        """``template`` (default: the figure's key) with ``*`` and ``[]`` filled in, as audit findings name it."""
        key = template or self.identity.figure
        if self.binding.key is not None:
            key = key.replace("*", self.binding.key)
        if self.binding.row is not None:
            key = key.replace("[]", f"[{row_label(self.binding.row)}]")
        return key

    def label(self) -> str:
        """How the gate names the instance: the bound key, the row as the marts name it, or the figure's key."""
        if self.binding.key is not None:
            return self.binding.key
        if self.binding.row is not None:
            return row_label(self.binding.row, " / ")
        return self.identity.figure

    def fields(self) -> dict[str, Any]:
        """What an audit message may say: the bound key, the row's fields, its position, the operands."""
        out: dict[str, Any] = dict(self.binding.row or {})
        out.update(key=self.binding.key, position=self.binding.position)
        if self.identity.numerator:
            out["numerator"], out["denominator"] = self.operands()
        return out


def instances(figures: Figures, entries: list[Identity | Group]) -> Iterator[Instance]:
    """Every identity of ``entries`` for every key or row of ``figures`` it applies to, in order (a group's
    checks row by row). A ``descending`` identity is one instance: its rows are compared in pairs."""
    for entry in entries:
        if isinstance(entry, Group):
            for b in bindings(figures, entry.each, entry.exclude):
                for identity in entry.checks:
                    yield Instance(identity, b, figures)
        elif entry.relation == "descending":
            yield Instance(entry, Binding(), figures)
        else:
            for b in bindings(figures, entry.figure, entry.exclude):
                yield Instance(entry, b, figures)


def out_of_order(instance: Instance) -> Iterator[tuple[Instance, Instance]]:
    """(row above, row below) for every pair of consecutive rows of a ``descending`` identity whose lower row
    has the larger figure."""
    identity, figures = instance.identity, instance.figures
    rows = [Instance(identity, b, figures) for b in bindings(figures, identity.figure, identity.exclude)]
    for above, below in pairwise(rows):
        a, b = above.value, below.value
        if not absent(a) and not absent(b) and b > a:
            yield above, below
