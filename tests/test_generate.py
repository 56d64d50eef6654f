"""The calibrated generator: determinism, the export contract, and the bulletin's figures recomputed from the
files by a small checker written here (csv module + the contract's definitions; no generator internals)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from hotline import contract, workdays
from hotline.generate import DEFAULT_SPEC, SpecError, generate, load_spec

REPO = Path(__file__).resolve().parents[1]
DEMO_SPEC = REPO / "include" / "hotline" / "specs" / "demo-city-2025-03.yaml"
SEEDS = REPO / "dbt_project" / "seeds"
TS = "%Y-%m-%d %H:%M:%S"


# ------------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def golmud(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("golmud")
    generate(spec_path=DEFAULT_SPEC, out_dir=out)
    return out


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate(spec_path=DEMO_SPEC, out_dir=out)
    return out


def _spec(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------------ the checker
def read_exports(folder: Path) -> list[tuple[str, dict]]:
    """(export date, row) for every row of every export, in export order."""
    out = []
    for f in sorted(folder.glob("hotline_*.csv")):
        m = contract.EXPORT_NAME_RE.match(f.name)
        day = f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
        with f.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                out.append((day, row))
    return out


def split_cell(cell: str, aliases: dict[str, str]) -> list[str]:
    """docs/department-names.md."""
    out = []
    for piece in re.split(r"[、;；,，]", cell):
        part = " ".join(piece.split())
        if not part:
            continue
        pieces = [part] if part.replace(" ", "") in aliases else part.split(" ")
        for p in pieces:
            name = aliases.get(p.replace(" ", ""), p.replace(" ", ""))
            if name not in out:
                out.append(name)
    return out


def spec_aliases(spec: dict) -> dict[str, str]:
    out = {}
    for d in spec["departments"] + spec.get("other_departments", []):
        out[d["name"]] = d["name"]
        for a in d.get("aliases", []):
            out[a.replace(" ", "")] = d["name"]
    return out


def month_of(ts: str) -> str:
    return ts[:7]


def recompute(rows: list[tuple[str, dict]], month: str, cutoff: str, aliases: dict[str, str]) -> dict:
    """The bulletin's figures for ``month`` as of ``cutoff`` (docs/daily-dump-contract.md, end)."""
    state: dict[str, tuple[str, str, dict]] = {}
    callbacks: dict[tuple[str, str], str] = {}
    for day, r in rows:
        if r["更新时间"] > cutoff:
            continue
        key = (r["更新时间"], day)
        tid = r["工单编号"]
        if tid not in state or key >= state[tid][:2]:
            state[tid] = (r["更新时间"], day, r)
        if r["回访时间"] and r["回访时间"] <= cutoff:
            callbacks[(tid, r["回访时间"])] = r["回访结果"]
    cur = {tid: s[2] for tid, s in state.items()}
    y, m = map(int, month.split("-"))
    prev = f"{y - (m == 1):04d}-{(m - 2) % 12 + 1:02d}"
    recv = [r for r in cur.values() if month_of(r["受理时间"]) == month]
    f: dict = {"total": len(recv), "previous_total": sum(month_of(r["受理时间"]) == prev for r in cur.values())}
    f["channels"] = Counter(r["来源渠道"] for r in recv if r["来源渠道"] != "电话")
    phone = [r for r in recv if r["来源渠道"] == "电话"]
    f["phone"] = Counter(r["办理方式"] for r in phone)
    f["phone_wo_closed"] = sum(
        1 for r in phone if r["办理方式"] == "工单转办" and r["办结时间"] and r["办结时间"] <= cutoff
    )
    f["special"] = Counter(r["专线类别"] for r in phone if r["专线类别"])
    f["purposes"] = Counter(r["诉求目的"] for r in phone if r["办理方式"] != "无效")
    valid = [r for r in recv if r["办理方式"] != "无效"]
    f["demand_l1"] = Counter(r["一级分类"] for r in valid)
    f["demand_l2"] = Counter((r["一级分类"], r["二级分类"]) for r in valid)
    prev_valid = [r for r in cur.values() if month_of(r["受理时间"]) == prev and r["办理方式"] != "无效"]
    f["prev_l1"] = Counter(r["一级分类"] for r in prev_valid)
    f["prev_l2"] = Counter((r["一级分类"], r["二级分类"]) for r in prev_valid)
    wos = [r for r in recv if r["办理方式"] == "工单转办"]
    f["work_orders"] = len(wos)
    closed = [r for r in wos if r["办结时间"] and r["办结时间"] <= cutoff]
    f["closed"] = len(closed)
    f["dept_wo"] = Counter(split_cell(r["承办单位"], aliases)[0] for r in wos)
    f["dept_closed"] = Counter(split_cell(r["承办单位"], aliases)[0] for r in closed)
    overdue = {}
    for r in wos:
        due = r["应回复时间"]
        replied = r["回复时间"][:10]
        if (replied and replied > due) or (not replied and due < cutoff[:10]):
            overdue[r["工单编号"]] = (r["承办单位"], due, replied, r["超期说明"])
    f["overdue"] = overdue
    counted = Counter()
    satisfied = Counter()
    for (tid, ts), res in callbacks.items():
        if month_of(ts) == month and res in contract.COUNTED_CALLBACK_RESULTS:
            lead = split_cell(cur[tid]["承办单位"], aliases)[0]
            counted[lead] += 1
            satisfied[lead] += res in contract.SATISFIED_CALLBACK_RESULTS
    f["callbacks"], f["satisfied"] = counted, satisfied
    # the same from the latest state only (one callback per ticket): must agree
    latest = Counter(
        split_cell(r["承办单位"], aliases)[0]
        for r in cur.values()
        if month_of(r["回访时间"]) == month and r["回访结果"] in contract.COUNTED_CALLBACK_RESULTS
    )
    f["callbacks_latest"] = latest
    return f


def check_against_spec(f: dict, spec: dict) -> None:
    c = spec["contacts"]
    assert f["total"] == c["total"]
    if "previous_total" in c:
        assert f["previous_total"] == c["previous_total"]
    for ch, n in c["channels"].items():
        assert f["channels"].get(ch, 0) == n, ch
    for h in ("直接答复", "工单转办", "无效"):
        assert f["phone"].get(h, 0) == c["phone"][h], h
    assert f["phone_wo_closed"] == c["phone"]["工单转办已办结"]
    for line, n in spec.get("special_lines", {}).items():
        assert f["special"].get(line, 0) == n, line
    assert dict(f["purposes"]) == {k: v for k, v in spec["purposes"].items() if v}
    l1_expected = {l1: sum(l2s.values()) for l1, l2s in spec["demand"].items()}
    assert dict(f["demand_l1"]) == l1_expected
    for l1, l2s in spec["demand"].items():
        for l2, n in l2s.items():
            assert f["demand_l2"][(l1, l2)] == n, (l1, l2)
    depts = spec["departments"]
    others = spec.get("other_departments", [])
    assert f["work_orders"] == sum(d["work_orders"] for d in depts + others)
    assert f["closed"] == sum(d.get("closed", d["work_orders"]) for d in depts + others)
    for d in depts + others:
        assert f["dept_wo"][d["name"]] == d["work_orders"], d["name"]
        assert f["dept_closed"][d["name"]] == d.get("closed", d["work_orders"]), d["name"]
        assert f["callbacks"][d["name"]] == d.get("callbacks", 0), d["name"]
        assert f["satisfied"][d["name"]] == d.get("satisfied", 0), d["name"]
    assert set(f["dept_wo"]) <= {d["name"] for d in depts + others}
    assert sum(f["callbacks"].values()) == sum(d.get("callbacks", 0) for d in depts)
    assert f["callbacks_latest"] == f["callbacks"]
    # the 30 largest are exactly the named rows
    smallest_named = min(d["work_orders"] for d in depts)
    assert all(d["work_orders"] < smallest_named for d in others)
    expected_overdue = {
        o["id"]: (o["departments"], str(o["due"]), str(o["replied"]), o.get("remark") or "")
        for o in spec.get("overdue", [])
    }
    assert f["overdue"] == expected_overdue
    for h in spec.get("hotspots", []):
        l1, _, l2 = h["category"].partition("/")
        now = f["demand_l2"][(l1, l2)] if l2 else f["demand_l1"][l1]
        assert now == h["count"]
        if "previous" in h:
            before = f["prev_l2"][(l1, l2)] if l2 else f["prev_l1"][l1]
            assert before == h["previous"], h


# ------------------------------------------------------------------------------------------ tests
def test_calibration_golmud(golmud):
    spec = _spec(DEFAULT_SPEC)
    f = recompute(read_exports(golmud), "2024-11", "2024-12-12 10:00:00", spec_aliases(spec))
    check_against_spec(f, spec)
    # headline figures of the reference bulletin, literally
    assert f["total"] == 4151 and f["previous_total"] == 4049
    assert f["work_orders"] == 1094 and f["closed"] == 1088 and len(f["overdue"]) == 41
    assert sum(f["callbacks"].values()) == 805 and sum(f["satisfied"].values()) == 767
    assert f["demand_l1"].most_common(6)[-1] == ("市场监管", 146)
    assert (
        sum(
            n
            for l1, n in f["demand_l1"].items()
            if l1 not in ("政务咨询", "公共服务", "社会事业", "城乡建设", "交通运输", "市场监管")
        )
        == 284
    )
    assert f["purposes"]["表扬"] + f["purposes"]["其他"] == 37
    # hot spots: 联系方式查询 is the largest pair, 薪资拖欠 the largest outside 公共服务 and 联系方式查询
    pairs = [(n, k) for k, n in f["demand_l2"].items() if k[0] != "公共服务"]
    pairs.sort(reverse=True)
    assert pairs[0] == (1254, ("政务咨询", "联系方式查询")) and pairs[1] == (304, ("社会事业", "薪资拖欠"))
    assert pairs[2][0] < 304
    assert round((4151 - 4049) / 4049 * 100, 2) == 2.52


def test_calibration_demo_city(demo):
    spec = _spec(DEMO_SPEC)
    f = recompute(read_exports(demo), spec["month"], spec["cutoff"] + ":00", spec_aliases(spec))
    check_against_spec(f, spec)


def test_cutoff_excludes_a_late_close(golmud):
    rows = read_exports(golmud)
    late = [
        r
        for d, r in rows
        if r["受理时间"].startswith("2024-11")
        and r["办结时间"].startswith("2024-12-12")
        and r["办结时间"] > "2024-12-12 10:00:00"
    ]
    assert late, "one November work order is closed on the cut-off day after 10:00"


def test_exports_match_the_contract(golmud):
    phone_re = re.compile(r"^1[3-9]\d{9}$")
    files = sorted(golmud.glob("hotline_*.csv"))
    assert len(files) == 73
    first_seen: dict[str, str] = {}
    for f in files:
        data = f.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf")
        manifest = json.loads((golmud / f.name.replace(".csv", ".manifest.json")).read_text(encoding="utf-8"))
        day = manifest["export_date"]
        assert f.name == contract.csv_name(day)
        assert manifest["sha256"] == hashlib.sha256(data).hexdigest()
        assert re.match(r"^\d{4}-\d{2}-\d{2}T00:1\d:\d{2}\+08:00$", manifest["exported_at"])
        assert manifest["exported_at"][:10] == (date.fromisoformat(day) + timedelta(days=1)).isoformat()
        reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
        assert next(reader) == contract.HEADERS
        rows = [dict(zip(contract.HEADERS, r, strict=True)) for r in reader]
        assert len(rows) == manifest["row_count"]
        ids = [r["工单编号"] for r in rows]
        assert len(ids) == len(set(ids))
        for r in rows:
            assert len(r) == 23
            assert contract.TICKET_ID_RE.match(r["工单编号"])
            assert r["工单编号"][2:8] == r["受理时间"][2:10].replace("-", "")
            for col, allowed in contract.ENUMS.items():
                assert r[col] in allowed, (col, r[col])
            for col in contract.TIMESTAMP_COLUMNS:
                assert r[col] == "" or (contract.TIMESTAMP_RE.match(r[col]) and datetime.strptime(r[col], TS))
            assert r["应回复时间"] == "" or contract.DATE_RE.match(r["应回复时间"])
            for col in contract.REQUIRED_COLUMNS:
                assert r[col], col
            assert r["退回次数"].isdigit()
            assert r["更新时间"][:10] == day  # a row is the state at the end of its export day
            assert r["受理时间"] <= r["更新时间"]
            if r["来源渠道"] in contract.TRANSFER_CHANNELS:
                assert r["办理方式"] == "工单转办"
            if r["办理方式"] != "工单转办":
                assert r["承办单位"] == "" and r["派单时间"] == ""
            if r["派单时间"]:
                assert r["承办单位"].strip() and r["应回复时间"] >= r["派单时间"][:10]
            for a, b in (("派单时间", "回复时间"), ("回复时间", "办结时间"), ("办结时间", "回访时间")):
                if r[a] and r[b]:
                    assert r[a] <= r[b], (a, b, r["工单编号"])
            assert r["联系电话"] == "" or phone_re.match(r["联系电话"])
            assert first_seen.setdefault(r["工单编号"], r["受理时间"]) == r["受理时间"]


def test_due_dates_follow_the_working_day_rule(golmud):
    rows = [r for _, r in read_exports(golmud) if r["派单时间"]]
    mismatched = {
        r["工单编号"]
        for r in rows
        if r["应回复时间"] != workdays.due_date(date.fromisoformat(r["派单时间"][:10])).isoformat()
    }
    assert "HX24112060340023" in mismatched  # the approved extension
    for r in rows:  # extensions only move the due date later
        assert r["应回复时间"] >= workdays.due_date(date.fromisoformat(r["派单时间"][:10])).isoformat()
    assert len(mismatched) < 0.03 * len({r["工单编号"] for r in rows})


def test_realistic_mess(golmud):
    rows = read_exports(golmud)
    spec = _spec(DEFAULT_SPEC)
    aliases = spec_aliases(spec)
    cells = {r["承办单位"] for _, r in rows if r["承办单位"]}
    canon = {d["name"] for d in spec["departments"] + spec["other_departments"]}
    assert any(c.strip() != c for c in cells) or any(" " in c.strip() for c in cells)  # stray spaces
    assert any(c in aliases and c not in canon for c in cells)  # aliases
    assert any("、" in c for c in cells) and any(";" in c for c in cells)  # several departments
    for c in cells:  # every cell resolves to known departments
        assert set(split_cell(c, aliases)) <= canon, c
    assert max(int(r["退回次数"]) for _, r in rows) >= 2
    assert any(r["工单状态"] == "退回重办" for _, r in rows)
    assert any(r["回访结果"] == "未接通" for _, r in rows)
    versions = Counter(r["工单编号"] for _, r in rows)
    assert max(versions.values()) >= 4
    contents = [r["诉求内容"] for _, r in rows]
    assert any("\n" in c for c in contents) and any('"' in c for c in contents)
    assert any("“" in c for c in contents) and any("，" in c for c in contents)
    assert any(r["更新时间"] > "2024-12-12 10:00:00" for _, r in rows)
    assert any(r["受理时间"] >= "2024-12-01" for _, r in rows)
    months = Counter(r["回访时间"][:7] for _, r in rows if r["回访结果"] in contract.COUNTED_CALLBACK_RESULTS)
    assert months["2024-10"] and months["2024-12"]


def test_determinism(golmud, tmp_path):
    again = tmp_path / "again"
    generate(spec_path=DEFAULT_SPEC, out_dir=again)
    names = sorted(p.name for p in golmud.iterdir())
    assert names == sorted(p.name for p in again.iterdir())
    for n in names:
        assert (golmud / n).read_bytes() == (again / n).read_bytes(), n
    other = tmp_path / "other"
    generate(spec_path=DEFAULT_SPEC, out_dir=other, seed=7, days=3)
    assert all((golmud / n).read_bytes() != (other / n).read_bytes() for n in (p.name for p in other.glob("*.csv")))


def test_days_prefix_matches_full_run(golmud, tmp_path):
    generate(spec_path=DEFAULT_SPEC, out_dir=tmp_path, days=5)
    files = sorted(tmp_path.glob("hotline_*"))
    assert len(files) == 10
    for p in files:
        assert p.read_bytes() == (golmud / p.name).read_bytes()


def test_scale_multiplies_volumes(golmud, tmp_path):
    scale = 12.5
    summary = generate(spec_path=DEFAULT_SPEC, out_dir=tmp_path, scale=scale, days=4)
    assert summary.days == 4
    base = Counter(r["受理时间"][:10] for d, r in read_exports(golmud) if d <= "2024-10-04" and r["受理时间"][:10] == d)
    scaled_rows = read_exports(tmp_path)
    scaled = Counter(r["受理时间"][:10] for d, r in scaled_rows if r["受理时间"][:10] == d)
    assert sum(scaled.values()) == round(sum(base.values()) * scale)
    for day, n in base.items():
        assert abs(scaled[day] - n * scale) <= scale + 1
    ids = [r["工单编号"] for d, r in scaled_rows]
    per_file = Counter(zip([d for d, _ in scaled_rows], ids, strict=True))
    assert max(per_file.values()) == 1
    channels = Counter(r["办理方式"] for d, r in scaled_rows if r["受理时间"][:10] == d)
    assert channels["工单转办"] > 0.2 * sum(channels.values())


def test_seeds_match_the_spec():
    spec = load_spec(DEFAULT_SPEC)
    with (SEEDS / "departments.csv").open(encoding="utf-8", newline="") as fh:
        depts = list(csv.DictReader(fh))
    with (SEEDS / "department_aliases.csv").open(encoding="utf-8", newline="") as fh:
        aliases = list(csv.DictReader(fh))
    assert [d["canonical_name"] for d in depts] == [d.name for d in spec.all_departments]
    assert [int(d["display_order"]) for d in depts] == list(range(1, len(depts) + 1))
    assert all(d["kind"] for d in depts)
    expected = {(a, d.name) for d in spec.all_departments for a in d.aliases}
    assert {(a["alias"], a["canonical_name"]) for a in aliases} == expected
    # every alias the reference bulletin prints resolves
    amap = {a["alias"].replace(" ", ""): a["canonical_name"] for a in aliases}
    for printed, name in (("卫生健康委员会", "市卫生健康委员会"), ("人力资源和社会保障", "市人力资源和社会保障局")):
        assert amap[printed] == name


@pytest.mark.parametrize(
    "path, value, field",
    [
        (("contacts", "total"), 4150, "contacts.total"),
        (("purposes", "咨询"), 2546, "purposes"),
        (("departments", 0, "closed"), 237, "departments[0].closed"),
        (("overdue", 0, "replied"), "2024-11-11", "overdue[0].replied"),
        (("cutoff",), "2024-11-20 10:00", "cutoff"),
        (("departments", 0, "topics"), ["不存在"], "departments[0].topics"),
    ],
)
def test_invalid_spec_names_the_field(tmp_path, path, value, field):
    raw = _spec(DEFAULT_SPEC)
    node = raw
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SpecError, match=re.escape(field)):
        generate(spec_path=bad, out_dir=tmp_path / "out")
