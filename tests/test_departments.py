"""The department-name rule of docs/department-names.md (hotline.departments)."""

from __future__ import annotations

import pytest

from hotline.departments import Department, as_alias_map, canonical_name, load_aliases, split_departments
from hotline.paths import SEEDS_DIR


def write_seeds(d, aliases: list[tuple[str, str]], departments: list[str] | None):
    d.mkdir(parents=True, exist_ok=True)
    lines = ["alias,canonical_name"] + [f"{a},{c}" for a, c in aliases]
    (d / "department_aliases.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if departments is not None:
        lines = ["canonical_name,display_order,kind"] + [f"{n},{i},government" for i, n in enumerate(departments, 1)]
        (d / "departments.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return d


DEPTS = ["市卫生健康委员会", "市住房和城乡建设局", "市城市管理局", "昆仑经济技术开发区管委会", "市公安局"]
ALIASES = [
    ("卫生健康委员会", "市卫生健康委员会"),
    ("昆仑经济技术开发区 管委会", "昆仑经济技术开发区管委会"),
    ("住建局", "市住房和城乡建设局"),
]


@pytest.fixture
def aliases(tmp_path):
    return load_aliases(write_seeds(tmp_path / "seeds", ALIASES, DEPTS))


def names(cell, aliases):
    return [d.name for d in split_departments(cell, aliases)]


def test_load_aliases_maps_aliases_and_canonical_names_whitespace_free(aliases):
    assert aliases["卫生健康委员会"] == "市卫生健康委员会"
    assert aliases["昆仑经济技术开发区管委会"] == "昆仑经济技术开发区管委会"  # alias key stored whitespace-free
    assert aliases["市公安局"] == "市公安局"  # canonical names map to themselves
    assert "昆仑经济技术开发区 管委会" not in aliases


def test_load_aliases_with_bom_and_without_departments_file(tmp_path):
    d = tmp_path / "s"
    d.mkdir()
    (d / "department_aliases.csv").write_text("\ufeffalias,canonical_name\n卫健委,市卫生健康委员会\n", encoding="utf-8")
    got = load_aliases(d)
    assert got == {"卫健委": "市卫生健康委员会", "市卫生健康委员会": "市卫生健康委员会"}


def test_load_aliases_is_strict(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_aliases(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="not in departments.csv"):
        load_aliases(write_seeds(tmp_path / "a", [("卫健委", "市卫健委")], DEPTS))
    with pytest.raises(ValueError, match="maps to both"):
        load_aliases(write_seeds(tmp_path / "b", [("卫健", "市卫生健康委员会"), ("卫 健", "市公安局")], DEPTS))


def test_whole_part_with_stray_space_is_one_department(aliases):
    assert split_departments("昆仑经济技术开发区 管委会", aliases) == [Department("昆仑经济技术开发区管委会", True)]
    assert names("  昆仑经济技术开发区\u3000 管委会 ", aliases) == ["昆仑经济技术开发区管委会"]


def test_whitespace_separates_departments_when_the_part_is_not_one_name(aliases):
    assert names("市住房和城乡建设局 市城市管理局", aliases) == ["市住房和城乡建设局", "市城市管理局"]


@pytest.mark.parametrize("sep", ["、", ";", "；", ",", "，"])
def test_explicit_separators(aliases, sep):
    assert names(f"卫生健康委员会{sep}市公安局", aliases) == ["市卫生健康委员会", "市公安局"]


def test_lead_first_dedupe_at_first_position(aliases):
    assert names("住建局、市公安局、市住房和城乡建设局 市公安局", aliases) == ["市住房和城乡建设局", "市公安局"]
    assert names("、 ;市公安局;;", aliases) == ["市公安局"]


def test_unknown_pieces_are_kept_and_flagged(aliases):
    got = split_departments("某某物业公司、市公安局  某  街道办", aliases)
    # the run of unknown pieces after the known one is one department, named without whitespace
    assert got == [Department("某某物业公司", False), Department("市公安局", True), Department("某街道办", False)]
    assert names("某某物业公司、某某物业公司", aliases) == ["某某物业公司"]


# ---------------------------------------------------------------- whitespace never creates a department
@pytest.mark.parametrize(
    "cell, expected",
    [
        # both known: two departments
        ("市住房和城乡建设局 市城市管理局", [("市住房和城乡建设局", True), ("市城市管理局", True)]),
        # unknown name with a stray space (a city whose directory is not configured): one department
        ("某某市公安 局", [("某某市公安局", False)]),
        ("市住房和城乡建设局 某某 局", [("市住房和城乡建设局", True), ("某某局", False)]),
        ("某某 局 市城市管理局", [("某某局", False), ("市城市管理局", True)]),
        # the joined run of unknown pieces is itself a known name
        ("市城市 管理局 市公安局", [("市城市管理局", True), ("市公安局", True)]),
        ("住建 局 市公安局", [("市住房和城乡建设局", True), ("市公安局", True)]),
        # anchors split the runs; every run is one department
        (
            "甲 市公安局 乙 丙 市城市管理局 丁",
            [("甲", False), ("市公安局", True), ("乙丙", False), ("市城市管理局", True), ("丁", False)],
        ),
        # a run is not searched for known names inside it: the maximal run is one name
        ("市城市 管理局 某某 局", [("市城市管理局某某局", False)]),
    ],
)
def test_whitespace_inside_a_name_never_creates_a_department(aliases, cell, expected):
    assert [(d.name, d.known) for d in split_departments(cell, aliases)] == expected


@pytest.mark.parametrize(
    "cell", ["某某市公安局", "某某市公安 局", "某某市\u3000公安局", " 某某\u00a0市公安\t局 ", "某 某 市 公 安 局"]
)
def test_all_whitespace_variants_of_an_unknown_name_are_one_department(aliases, cell):
    assert split_departments(cell, aliases) == [Department("某某市公安局", False)]
    assert split_departments(f"{cell}、某某市公安局；{cell} 市公安局", aliases) == [
        Department("某某市公安局", False),
        Department("市公安局", True),
    ]


def test_names_with_spaces_can_be_listed_in_the_directory(tmp_path):
    # seeds: a canonical name and an alias written with spaces
    seeds = write_seeds(
        tmp_path / "seeds",
        [("某某 集团", "某某  集团公司"), ("卫 健 委", "市卫生健康委员会")],
        DEPTS + ["某某  集团公司"],
    )
    plain = {"某某 集团": "某某  集团公司", "卫 健 委": "市卫生健康委员会", "市公安局": "市公安局"}
    for amap in (load_aliases(seeds), plain):
        for cell in ("某某集团公司", "某某　集团 公司", "某 某 集团", " 某某\u00a0集团\t公司 "):
            # the canonical name is kept as listed (cleaned)
            assert split_departments(cell, amap) == [Department("某某 集团公司", True)], cell
        assert names("市公安局 某某 集团公司", amap) == ["市公安局", "某某 集团公司"]
        assert names("某某集团 市公安局、某 某 集团 公司", amap) == ["某某 集团公司", "市公安局"]
        assert names("卫健委、卫 健 委，某 某 集团", amap) == ["市卫生健康委员会", "某某 集团公司"]
        assert canonical_name("某某 集 团", amap) == Department("某某 集团公司", True)


def test_python_whitespace_is_the_sql_ws_class():
    """hotline.departments splits on Python's \\s; macros/text.sql's ws_class lists the same characters."""
    import re

    import duckdb

    from hotline.paths import DBT_PROJECT_DIR

    macro = (DBT_PROJECT_DIR / "macros" / "text.sql").read_text(encoding="utf-8")
    ws_class = re.search(r"macro ws_class\(\) -%\}\s*(.+?)\s*\{%- endmacro", macro).group(1)
    chars = [chr(i) for i in range(1, 0x3100)] + ["\u205f", "\ufeff", "\u200b", "\u180e"]
    con = duckdb.connect()
    got = con.execute(
        f"select list(c) filter (where regexp_matches(c, '^{ws_class}$')) from unnest(?::varchar[]) t(c)", [chars]
    ).fetchone()[0]
    assert sorted(got) == sorted(c for c in chars if re.fullmatch(r"\s", c))


def test_python_separators_are_the_sql_department_separators():
    """contract.DEPARTMENT_SEPARATORS (Python) and macros/text.sql's department_separators (SQL) match the same
    characters: both split a 承办单位 cell, neither may learn a separator alone."""
    import re

    import duckdb

    from hotline.contract import DEPARTMENT_SEPARATORS
    from hotline.paths import DBT_PROJECT_DIR

    macro = (DBT_PROJECT_DIR / "macros" / "text.sql").read_text(encoding="utf-8")
    sep_class = re.search(r"macro department_separators\(\) -%\}\s*(.+?)\s*\{%- endmacro", macro).group(1)
    chars = [chr(i) for i in range(1, 0x3100)] + ["\uff0c", "\uff1b", "\uff0e", "\ufe50", "\ufe51", "\ufe54"]
    got = (
        duckdb.connect()
        .execute(
            f"select list(c) filter (where regexp_matches(c, '^{sep_class}$')) from unnest(?::varchar[]) t(c)", [chars]
        )
        .fetchone()[0]
    )
    assert sorted(got) == sorted(DEPARTMENT_SEPARATORS)


def test_empty_cell(aliases):
    assert split_departments("", aliases) == []
    assert split_departments(None, aliases) == []
    assert split_departments(" 、 ", aliases) == []


def test_plain_dict_of_aliases_is_accepted():
    plain = {"卫生健康委员会": "市卫生健康委员会", "昆仑经济技术开发区 管委会": "昆仑经济技术开发区管委会"}
    # the part is not one name as a whole: split on whitespace; the known piece is one department, the run of
    # unknown pieces after it, joined, names the other (rule 3)
    assert split_departments("卫生健康委员会 昆仑经济技术开发区 管委会", plain) == [
        Department("市卫生健康委员会", True),
        Department("昆仑经济技术开发区管委会", True),
    ]
    assert names("昆仑经济技术开发区 管委会、市卫生健康委员会", plain) == [
        "昆仑经济技术开发区管委会",
        "市卫生健康委员会",
    ]
    with pytest.raises(ValueError, match="maps to both"):
        as_alias_map({"卫健": "市卫生健康委员会", "卫 健": "市公安局"})


def test_canonical_name_does_not_split(aliases):
    assert canonical_name("卫生健康委员会", aliases) == Department("市卫生健康委员会", True)
    assert canonical_name(" 其他单位 ", aliases) == Department("其他单位", False)
    assert canonical_name("某某市公安\u3000局", aliases) == Department("某某市公安局", False)


@pytest.mark.skipif(not (SEEDS_DIR / "department_aliases.csv").exists(), reason="department seeds not written yet")
def test_repo_seeds_canonicalize_every_name_the_reference_prints():
    from reference_figures import REFERENCE

    repo = load_aliases()
    for table in ("departments", "satisfaction_by_department"):
        for row in REFERENCE[table]:
            if row["name"] != "其他单位":
                printed = row.get("name_printed", row["name"])
                assert canonical_name(printed, repo) == Department(row["name"], True), printed
    for row in REFERENCE["overdue_work_orders"]:
        got = split_departments(row["departments_printed"], repo)
        assert got == [Department(n, True) for n in row["departments"]], row["departments_printed"]


# ------------------------------------------------------------------- Python and SQL apply the same rule
#: names with spaces added to the repo's directory for the property test (canonical, then alias → canonical)
EXTRA_DEPARTMENTS = ["某某 集团公司", "测试  物业 中心"]
EXTRA_ALIASES = [("某某 集团", "某某 集团公司"), ("卫 健 委", "市卫生健康委员会"), ("测试物业", "测试 物业 中心")]
WHITESPACE = [" ", "  ", "\u3000", "\u00a0", "\t", " \u3000"]
SEPARATORS = ["、", ";", "；", ",", "，", "、 ", " ；"]
UNKNOWN_BITS = ["某某", "物业", "公司", "街道办", "社区", "市", "局", "公安", "管理", "城市", "甲", "乙", "服务中心"]


def _spaced(rng, name: str) -> str:
    """``name`` with random whitespace inside (sometimes none)."""
    out = name[0]
    for ch in name[1:]:
        out += (rng.choice(WHITESPACE) if rng.random() < 0.15 else "") + ch
    return out


def random_cells(rng, amap, n: int) -> list[str]:
    canonicals = sorted(set(amap.values()))
    aliases = sorted(amap)
    cells = []
    for _ in range(n):
        items = []
        for _ in range(rng.choice([1, 1, 2, 2, 3, 4])):
            x = rng.random()
            if x < 0.25:
                name = rng.choice(canonicals)
            elif x < 0.45:
                name = rng.choice(aliases)
            elif x < 0.6:  # a known name cut in two: the halves are (usually) unknown, the joined run known
                name = rng.choice(canonicals)
                k = rng.randrange(1, len(name)) if len(name) > 1 else 1
                name = name[:k] + rng.choice(WHITESPACE) + name[k:]
            else:
                name = "".join(rng.choice(UNKNOWN_BITS) for _ in range(rng.randint(1, 3)))
            items.append(_spaced(rng, name))
        cell = items[0]
        for item in items[1:]:
            cell += rng.choice(SEPARATORS if rng.random() < 0.5 else WHITESPACE) + item
        if rng.random() < 0.1:
            cell = rng.choice(WHITESPACE + SEPARATORS) + cell + rng.choice(WHITESPACE + SEPARATORS)
        cells.append(cell)
    return cells


@pytest.mark.slow
def test_python_and_sql_agree_on_random_cells(tmp_path):
    """Random 承办单位 cells (names, aliases, names with spaces in the directory, unknown names with random
    inner whitespace incl. U+3000 and NBSP, random separators) as raw work orders through dbt's
    int_work_order_departments give exactly split_departments' departments, in order, lead first."""
    import json
    import random
    import shutil

    import duckdb

    from test_dbt_project import AS_OF, MONTH, _ticket, _versions, build_raw, dbt

    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, seeds)
    with (seeds / "departments.csv").open("a", encoding="utf-8") as f:
        f.writelines(f"{n},{900 + i},测试\n" for i, n in enumerate(EXTRA_DEPARTMENTS))
    with (seeds / "department_aliases.csv").open("a", encoding="utf-8") as f:
        f.writelines(f"{a},{c}\n" for a, c in EXTRA_ALIASES)
    amap = load_aliases(seeds)

    rng = random.Random(12345)
    cells = random_cells(rng, amap, 400)
    cells += [
        "某某市公安 局",
        "市住房和城乡建设局 某某 局",
        "某某 局 市城市管理局",
        "市城市 管理局 市公安局",
        "某某\u3000集团 公司",
        "、 ；",
        "\u3000",
    ]
    rows = []
    for i, cell in enumerate(cells):
        rows += _versions(
            _ticket(
                f"HX241115{i:08d}",
                "2024-11-15 08:00:00",
                handling="工单转办",
                purpose="投诉",
                l1="公共服务",
                l2="供暖",
                depts=cell,
                status="已派单",
                dispatched="2024-11-15 09:00:00",
                due="2024-11-26",
                updated="2024-11-15 09:00:00",
            )
        )
    warehouse = tmp_path / "warehouse.duckdb"
    build_raw(warehouse, rows)
    dbt_vars = ["--vars", json.dumps({"month": MONTH, "as_of": AS_OF})]
    res = dbt(
        "seed", warehouse, tmp_path, "--select", "departments", "department_aliases", "callback_results", *dbt_vars
    )
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    con = duckdb.connect(str(warehouse))
    con.executemany(
        "insert into reference.departments (canonical_name, display_order, kind) values (?, ?, '测试')",
        [[n, 900 + i] for i, n in enumerate(EXTRA_DEPARTMENTS)],
    )
    con.executemany(
        "insert into reference.department_aliases (alias, canonical_name) values (?, ?)",
        [list(a) for a in EXTRA_ALIASES],
    )
    con.close()
    res = dbt(
        "run",
        warehouse,
        tmp_path,
        "--select",
        "+int_work_order_departments",
        "--exclude",
        "resource_type:seed",
        *dbt_vars,
    )
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]

    con = duckdb.connect(str(warehouse), read_only=True)
    got: dict[str, list] = {}
    for tid, pos, name, known, lead in con.execute(
        "select ticket_id, department_position, department_name, is_known_department, is_lead "
        "from intermediate.int_work_order_departments where ticket_id like 'HX241115%' "
        "order by ticket_id, department_position"
    ).fetchall():
        assert pos == len(got.get(tid, [])) + 1 and lead == (pos == 1), (tid, pos)
        got.setdefault(tid, []).append((name, known))
    con.close()
    mismatches = []
    for i, cell in enumerate(cells):
        expected = [(d.name, d.known) for d in split_departments(cell, amap)]
        if got.get(f"HX241115{i:08d}", []) != expected:
            mismatches.append((cell, got.get(f"HX241115{i:08d}", []), expected))
    assert not mismatches, mismatches[:10]
    # the random cells did exercise the rule: joined runs, known and unknown, and names with spaces
    everything = [d for cell in cells for d in split_departments(cell, amap)]
    assert {"某某 集团公司", "测试 物业 中心"} & {d.name for d in everything}
    assert sum(not d.known for d in everything) > 50 and sum(d.known for d in everything) > 200
