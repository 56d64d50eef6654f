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
ALIASES = [("卫生健康委员会", "市卫生健康委员会"), ("昆仑经济技术开发区 管委会", "昆仑经济技术开发区管委会"),
           ("住建局", "市住房和城乡建设局")]


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
    (d / "department_aliases.csv").write_text("\ufeffalias,canonical_name\n卫健委,市卫生健康委员会\n",
                                              encoding="utf-8")
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
    assert got == [Department("某某物业公司", False), Department("市公安局", True), Department("某", False),
                   Department("街道办", False)]
    assert names("某某物业公司、某某物业公司", aliases) == ["某某物业公司"]


def test_empty_cell(aliases):
    assert split_departments("", aliases) == []
    assert split_departments(None, aliases) == []
    assert split_departments(" 、 ", aliases) == []


def test_plain_dict_of_aliases_is_accepted():
    plain = {"卫生健康委员会": "市卫生健康委员会", "昆仑经济技术开发区 管委会": "昆仑经济技术开发区管委会"}
    # the part is not one name as a whole: split on whitespace and looked up piece by piece (rule 3)
    assert split_departments("卫生健康委员会 昆仑经济技术开发区 管委会", plain) == [
        Department("市卫生健康委员会", True), Department("昆仑经济技术开发区", False), Department("管委会", False)]
    assert names("昆仑经济技术开发区 管委会、市卫生健康委员会", plain) == [
        "昆仑经济技术开发区管委会", "市卫生健康委员会"]
    with pytest.raises(ValueError, match="maps to both"):
        as_alias_map({"卫健": "市卫生健康委员会", "卫 健": "市公安局"})


def test_canonical_name_does_not_split(aliases):
    assert canonical_name("卫生健康委员会", aliases) == Department("市卫生健康委员会", True)
    assert canonical_name(" 其他单位 ", aliases) == Department("其他单位", False)


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
