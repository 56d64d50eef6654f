"""Department-name normalization: the rule of docs/department-names.md, in Python.

Operators type 承办单位 by hand: aliases (``卫生健康委员会`` = ``市卫生健康委员会``), stray spaces inside a name
(``昆仑经济技术开发区 管委会``) and several departments in one cell (``市住房和城乡建设局 市城市管理局``). The
warehouse (dbt ``int_work_order_departments``) applies the same rule; this module is the Python side used by
the independent recomputation, the bulletin-text parser and the generator's spec.

Whitespace inside a name never creates a department: a whitespace-separated piece is a department of its own
only when it is a known name or alias; consecutive unknown pieces are one department, named by their
whitespace-free text (``某某市公安 局`` = ``某某市公安局``). Whitespace is Python's ``\\s`` (``str.isspace``), the
class ``ws_class`` of ``dbt_project/macros/text.sql``.

Reference data: ``dbt_project/seeds/department_aliases.csv`` (``alias,canonical_name``) and
``dbt_project/seeds/departments.csv`` (``canonical_name,display_order,kind``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from hotline.contract import DEPARTMENT_SEPARATORS
from hotline.seeds import read_seed

ALIASES_FILE = "department_aliases.csv"
DEPARTMENTS_FILE = "departments.csv"

_SEPARATOR_RE = re.compile("[" + re.escape(DEPARTMENT_SEPARATORS) + "]")
_WS_RE = re.compile(r"\s+")


@dataclass(frozen=True)
class Department:
    name: str  # canonical name (as listed, cleaned) when known, else the whitespace-free name as typed
    known: bool


class AliasMap(dict[str, str]):
    """``{whitespace-free alias or canonical name: canonical name}``, as built by :func:`load_aliases`.

    Every canonical name maps to itself. A plain ``dict`` of ``alias -> canonical`` is accepted everywhere too;
    it is normalized on the fly (see :func:`as_alias_map`).
    """


def squeeze(text: str) -> str:
    """The whitespace-free form names are matched on."""
    return _WS_RE.sub("", text)


def clean(text: str) -> str:
    """Trimmed, inner whitespace collapsed to one space."""
    return _WS_RE.sub(" ", text).strip()


def as_alias_map(aliases: Mapping[str, str] | None) -> AliasMap:
    if isinstance(aliases, AliasMap):
        return aliases
    out = AliasMap()
    for raw in (aliases or {}).values():
        canonical = clean(raw)
        out[squeeze(canonical)] = canonical
    for alias, raw in (aliases or {}).items():
        key, canonical = squeeze(alias), clean(raw)
        if out.get(key, canonical) != canonical:
            raise ValueError(f"department alias {alias!r} maps to both {out[key]!r} and {canonical!r}")
        out[key] = canonical
    return out


def load_aliases(seeds_dir: Path | str | None = None) -> AliasMap:
    """The alias table: whitespace-free alias or canonical name -> canonical name.

    Reads ``department_aliases.csv`` (required) and ``departments.csv`` (if present; then every alias must
    point at a department listed there) from ``seeds_dir`` (default: the repo's ``dbt_project/seeds``).
    """
    if seeds_dir is None:
        from hotline.paths import SEEDS_DIR

        seeds_dir = SEEDS_DIR
    seeds_dir = Path(seeds_dir)
    aliases_path, departments_path = seeds_dir / ALIASES_FILE, seeds_dir / DEPARTMENTS_FILE
    if not aliases_path.exists():
        raise FileNotFoundError(f"department alias seed not found: {aliases_path}")
    out = AliasMap()
    canonical_names: set[str] | None = None
    if departments_path.exists():
        canonical_names = set()
        for _, row in read_seed(departments_path, ("canonical_name",)):
            name = clean(row["canonical_name"])
            if not name:
                raise ValueError(f"{departments_path}: empty canonical_name")
            canonical_names.add(name)
            out[squeeze(name)] = name
    for _, row in read_seed(aliases_path, ("alias", "canonical_name")):
        alias, canonical = row["alias"] or "", clean(row["canonical_name"] or "")
        if not squeeze(alias) or not canonical:
            raise ValueError(f"{aliases_path}: empty alias or canonical_name in {row}")
        if canonical_names is not None and canonical not in canonical_names:
            raise ValueError(f"{aliases_path}: alias {alias!r} points at {canonical!r}, not in {DEPARTMENTS_FILE}")
        out.setdefault(squeeze(canonical), canonical)
        key = squeeze(alias)
        if out.get(key, canonical) != canonical:
            raise ValueError(f"{aliases_path}: {alias!r} maps to both {out[key]!r} and {canonical!r}")
        out[key] = canonical
    return out


def canonical_name(name: str, aliases: Mapping[str, str] | None) -> Department:
    """One name (a table cell that names exactly one department): its canonical form, without splitting."""
    amap = as_alias_map(aliases)
    key = squeeze(name)
    hit = amap.get(key)
    return Department(hit, True) if hit else Department(key, False)


def split_departments(cell: str | None, aliases: Mapping[str, str] | None) -> list[Department]:
    """All departments named in a 承办单位 cell, lead first, each once (at its first position).

    1. split on the separators ``、 ; ； , ，``, drop empty parts;
    2. a part whose whitespace-free form is a name or alias is that one department;
    3. otherwise the part's whitespace-separated pieces: a known piece is that department (an anchor); each
       maximal run of consecutive unknown pieces, joined without whitespace, is one department: the one it
       names if the joined text is a name or alias, else an unknown department named by the joined text;
    4. an unknown department is named by its whitespace-free form;
    5. a department named twice counts once, at its first position.
    """
    if not cell:
        return []
    amap = as_alias_map(aliases)
    found: list[Department] = []

    def add_run(run: list[str]) -> None:
        if run:
            key = "".join(run)
            hit = amap.get(key)
            found.append(Department(hit, True) if hit else Department(key, False))
            run.clear()

    for part in _SEPARATOR_RE.split(cell):
        key = squeeze(part)
        if not key:
            continue
        hit = amap.get(key)
        if hit:
            found.append(Department(hit, True))
            continue
        run: list[str] = []
        for piece in _WS_RE.split(part):
            if not piece:
                continue
            hit = amap.get(piece)
            if hit:
                add_run(run)
                found.append(Department(hit, True))
            else:
                run.append(piece)
        add_run(run)
    out: list[Department] = []
    seen: set[str] = set()
    for d in found:
        if d.name not in seen:
            seen.add(d.name)
            out.append(d)
    return out


def lead_department(cell: str | None, aliases: Mapping[str, str] | None) -> Department | None:
    deps = split_departments(cell, aliases)
    return deps[0] if deps else None
