"""The generator's fault knobs (hotline.generate.faults) and the second city's spec (county-2023-09.yaml).

Faults are checked on files only: a faulted folder is compared with an untouched copy of the same generated
folder (read here with the csv module and a record splitter written here), and every difference must be exactly
what the fault's record says. No pipeline runs.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from hotline import contract, workdays
from hotline.generate import DEFAULT_SPEC, generate, load_spec
from hotline.generate.faults import FAULTS, FaultRecord, apply_fault

REPO = Path(__file__).resolve().parents[1]
COUNTY_SPEC = REPO / "include" / "hotline" / "specs" / "county-2023-09.yaml"
SEEDS = REPO / "dbt_project" / "seeds"
BOM = b"\xef\xbb\xbf"
TS = "%Y-%m-%d %H:%M:%S"
C = {h: i for i, h in enumerate(contract.HEADERS)}
SMALL_DAYS = 20
SPACES = " \u3000"


# ------------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    """Golmud's first 20 export days (2024-10-01 … 2024-10-20)."""
    out = tmp_path_factory.mktemp("small")
    generate(spec_path=DEFAULT_SPEC, out_dir=out, days=SMALL_DAYS)
    return out


@pytest.fixture(scope="module")
def full(default_dumps) -> Path:
    """Golmud's whole export range (2024-10-01 … 2024-12-12): the session's exports, only ever copied here."""
    return default_dumps


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("county")
    generate(spec_path=COUNTY_SPEC, out_dir=out)
    return out


def copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


# ------------------------------------------------------------------------------------------ reading, independently
def records(data: bytes) -> list[str]:
    """The raw records of an export (header first), each without its CRLF; quoted line breaks stay inside."""
    assert data.startswith(BOM)
    text = data[len(BOM) :].decode("utf-8")
    assert text.endswith("\r\n")
    out, cur = [], None
    for line in text[:-2].split("\r\n"):
        cur = line if cur is None else cur + "\r\n" + line
        if cur.count('"') % 2 == 0:
            out.append(cur)
            cur = None
    assert cur is None
    return out


def parse(record: str) -> list[str]:
    rows = list(csv.reader(io.StringIO(record, newline="")))
    assert len(rows) == 1
    return rows[0]


def day_of(p: Path) -> str:
    m = contract.EXPORT_NAME_RE.match(p.name)
    return f"{m.group(1)}-{m.group(2)}-{m.group(3)}"


def csv_path(folder: Path, day: str) -> Path:
    return folder / contract.csv_name(day)


def manifest(folder: Path, day: str) -> dict:
    return json.loads((folder / contract.manifest_name(day)).read_text(encoding="utf-8"))


def rows_of(folder: Path, day: str) -> list[list[str]]:
    return [parse(r) for r in records(csv_path(folder, day).read_bytes())[1:]]


def all_rows(folder: Path) -> dict[tuple[str, int], list[str]]:
    out = {}
    for p in sorted(folder.glob("hotline_*.csv")):
        for n, row in enumerate(rows_of(folder, day_of(p)), start=1):
            out[(day_of(p), n)] = row
    return out


def compare(base: Path, faulted: Path, record: FaultRecord, redelivered: bool = False) -> dict:
    """Check the generic promises of a fault; return {(day, n): (old row, new row)} of the changed rows."""
    assert isinstance(record, FaultRecord)
    assert list(record.days) == sorted(set(record.days))
    assert list(record.ticket_ids) == sorted(set(record.ticket_ids))
    assert list(record.rows) == sorted(set(record.rows))
    assert record.detail and "\n" not in record.detail
    base_names = sorted(p.name for p in base.iterdir())
    new_names = sorted(p.name for p in faulted.iterdir())
    assert set(new_names) <= set(base_names)
    changed: dict[tuple[str, int], tuple[list[str], list[str]]] = {}
    changed_days = set()
    for p in sorted(base.glob("hotline_*.csv")):
        day = day_of(p)
        old_csv, new_csv = p.read_bytes(), csv_path(faulted, day)
        m_old = manifest(base, day)
        if not new_csv.exists():
            assert not (faulted / contract.manifest_name(day)).exists()
            changed_days.add(day)
            for n, r in enumerate(records(old_csv)[1:], start=1):
                changed[(day, n)] = (parse(r), None)
            continue
        new_bytes = new_csv.read_bytes()
        m_new = manifest(faulted, day)
        # the manifest describes its csv
        assert m_new["sha256"] == hashlib.sha256(new_bytes).hexdigest(), day
        assert m_new["export_date"] == day
        old_recs, new_recs = records(old_csv), records(new_bytes)
        assert len(new_recs) == len(old_recs), "rows are modified in place, never inserted or deleted"
        assert m_new["row_count"] == len(new_recs) - 1
        assert new_recs[0] == old_recs[0]
        if new_bytes == old_csv:
            assert m_new == m_old
            continue
        changed_days.add(day)
        if redelivered:
            later = datetime.fromisoformat(m_new["exported_at"]) - datetime.fromisoformat(m_old["exported_at"])
            assert later == timedelta(days=40)
        else:
            assert m_new["exported_at"] == m_old["exported_at"]
        for n, (a, b) in enumerate(zip(old_recs[1:], new_recs[1:], strict=True), start=1):
            if a != b:  # untouched rows are byte-identical; touched ones are one csv record still
                old_row, new_row = parse(a), parse(b)
                assert len(new_row) == len(contract.HEADERS)
                assert new_row[C["工单编号"]] == old_row[C["工单编号"]]
                changed[(day, n)] = (old_row, new_row)
    assert set(changed) == set(record.rows)
    assert changed_days == set(record.days)
    assert {old[0] for old, _ in changed.values()} == set(record.ticket_ids)
    return changed


def only_columns(old: list[str], new: list[str], columns: tuple[str, ...]) -> None:
    for h, i in C.items():
        if h not in columns:
            assert old[i] == new[i], h


# ------------------------------------------------------------------------------------------ each fault
def test_registry_names():
    assert set(FAULTS) == {
        "missing-day",
        "padded-enums",
        "future-updated",
        "future-received",
        "inverted-timestamps",
        "late-redelivery",
        "no-department",
        "stray-spaces",
    }


def test_missing_day(small, tmp_path):
    work = copy(small, tmp_path / "w")
    rec = apply_fault(work, "missing-day", "2024-10-05")
    changed = compare(small, work, rec)
    assert rec.kind == "missing-day" and rec.days == ("2024-10-05",)
    assert len(changed) == manifest(small, "2024-10-05")["row_count"]
    assert not csv_path(work, "2024-10-05").exists()
    assert len(list(work.glob("hotline_*.csv"))) == SMALL_DAYS - 1


def test_padded_enums(small, tmp_path):
    work = copy(small, tmp_path / "w")
    rec = apply_fault(work, "padded-enums", "12", seed=3)
    changed = compare(small, work, rec)
    assert len(changed) == 12 and len(rec.rows) == 12
    padded = ("来源渠道", "诉求目的", "办理方式", "工单状态", "回访结果")
    seen_ideographic = False
    for old, new in changed.values():
        only_columns(old, new, padded)
        for h in padded:
            o, v = old[C[h]], new[C[h]]
            if not o:
                assert v == "", "an empty 回访结果 stays empty"
                continue
            assert v != o and v.strip(SPACES) == o and set(v.replace(o, "", 1)) <= set(SPACES), (h, v)
            assert v.strip() == o  # what a loader's strip() recovers
            seen_ideographic |= "\u3000" in v
            assert v not in contract.ENUMS[h]
    assert seen_ideographic


def test_future_updated(small, tmp_path):
    work = copy(small, tmp_path / "w")
    rec = apply_fault(work, "future-updated", "6", seed=1)
    changed = compare(small, work, rec)
    assert len(changed) == 6
    kinds = Counter()
    for (day, _), (old, new) in changed.items():
        only_columns(old, new, ("更新时间",))
        upd = datetime.strptime(new[C["更新时间"]], TS)
        end = datetime.fromisoformat(day) + timedelta(days=1)
        assert upd >= end, "after the end of the export day"
        kinds["next day" if upd < end + timedelta(days=1) else "years" if upd.year >= end.year + 5 else "?"] += 1
    assert kinds == {"next day": 3, "years": 3}


def test_future_received(small, tmp_path):
    work = copy(small, tmp_path / "w")
    rec = apply_fault(work, "future-received", "5", seed=2)
    changed = compare(small, work, rec)
    assert len(changed) == 5 and len(rec.ticket_ids) == 5
    before = all_rows(small)
    first = {}
    for (d, n), row in sorted(before.items()):
        first.setdefault(row[0], (d, n))
    for (day, n), (old, new) in changed.items():
        only_columns(old, new, ("受理时间",))
        assert first[old[0]] == (day, n), "the ticket's first row"
        assert old[C["受理时间"]][:10] == day, "the export of its receipt day"
        assert new[C["受理时间"]] > f"{day} 23:59:59"
        assert new[C["更新时间"]] == old[C["更新时间"]]


def test_inverted_timestamps(small, tmp_path):
    work = copy(small, tmp_path / "w")
    rec = apply_fault(work, "inverted-timestamps", "7", seed=4)
    changed = compare(small, work, rec)
    assert len(changed) == 7
    kinds = Counter()
    for old, new in changed.values():
        diff = [h for h, i in C.items() if old[i] != new[i]]
        assert len(diff) == 1
        col = diff[0]
        if col == "回复时间":
            assert old[C["派单时间"]] and new[C["回复时间"]] < new[C["派单时间"]]
        elif col == "办结时间":
            assert old[C["办结时间"]] and new[C["办结时间"]] < new[C["受理时间"]]
        else:
            assert col == "更新时间" and new[C["更新时间"]] < new[C["受理时间"]]
        assert re.match(contract.TIMESTAMP_RE, new[C[col]])
        kinds[col] += 1
    assert kinds == {"回复时间": 3, "办结时间": 2, "更新时间": 2}


def test_late_redelivery(full, tmp_path):
    from oracle.recompute import recompute

    work = copy(full, tmp_path / "w")
    day = "2024-11-20"
    rec = apply_fault(work, "late-redelivery", day, seed=5)
    changed = compare(full, work, rec, redelivered=True)
    assert rec.days == (day,) and 3 <= len(changed) <= 10
    assert manifest(work, day)["exported_at"] == "2024-12-31" + manifest(full, day)["exported_at"][10:]
    flips, reopened = Counter(), Counter()
    for old, new in changed.values():
        diff = {h for h, i in C.items() if old[i] != new[i]}
        if diff == {"回访结果"}:
            assert old[C["回访时间"]] and old[C["回访结果"]] in contract.SATISFIED_CALLBACK_RESULTS
            assert new[C["回访结果"]] == "不满意"
            flips[old[C["回访时间"]][:7]] += 1
        else:
            assert diff == {"办结时间", "工单状态"}
            assert old[C["工单状态"]] == "已办结" and new[C["工单状态"]] == "已回复" and new[C["办结时间"]] == ""
            reopened[old[C["受理时间"]][:7]] += 1
    assert flips and reopened
    # the corrections change the figures of the months they belong to (each row is its ticket's newest)
    for month in sorted(set(flips) | set(reopened)):
        a = recompute(full, month, "2024-12-12 10:00")["work_orders"]
        b = recompute(work, month, "2024-12-12 10:00")["work_orders"]
        assert a["satisfied"] - b["satisfied"] == flips[month], month
        assert a["closed"] - b["closed"] == reopened[month], month


def test_no_department(full, tmp_path):
    work = copy(full, tmp_path / "w")
    rec = apply_fault(work, "no-department", "4", seed=6)
    changed = compare(full, work, rec)
    assert len(rec.ticket_ids) == 4
    for old, new in changed.values():
        only_columns(old, new, ("承办单位",))
        assert old[C["承办单位"]] and new[C["承办单位"]] == ""
    after = all_rows(work)
    for tid in rec.ticket_ids:
        rows = [r for r in after.values() if r[0] == tid]
        assert all(r[C["承办单位"]] == "" for r in rows), "every row of the ticket"
        assert any(r[C["办理方式"]] == "工单转办" for r in rows)
        assert tid[2:6] == "2411", "received in the month before the last export day's month (2024-11)"
    assert len(changed) == sum(1 for (_, r) in all_rows(full).items() if r[0] in rec.ticket_ids)


def test_no_department_anywhere_when_no_whole_month(small, tmp_path):
    work = copy(small, tmp_path / "w")
    rec = apply_fault(work, "no-department", "3", seed=6)
    compare(small, work, rec)
    assert all(t.startswith("HX2410") for t in rec.ticket_ids)


@pytest.mark.parametrize("share", [0.1, 1.0])
def test_stray_spaces(small, tmp_path, share):
    work = copy(small, tmp_path / "w")
    rec = apply_fault(work, "stray-spaces", str(share), seed=7)
    changed = compare(small, work, rec)
    cells = sum(1 for r in all_rows(small).values() if r[C["承办单位"]])
    assert abs(len(changed) - share * cells) <= max(3, 0.01 * cells)
    per_ticket: dict[str, set] = {}
    seps = set(contract.DEPARTMENT_SEPARATORS)
    for old, new in changed.values():
        only_columns(old, new, ("承办单位",))
        o, v = old[C["承办单位"]], new[C["承办单位"]]
        assert len(v) == len(o) + 1
        i = next(k for k in range(len(v)) if k == len(o) or v[k] != o[k])
        assert v[:i] + v[i + 1 :] == o and v[i] in SPACES
        assert 0 < i < len(v) - 1
        for ch in (v[i - 1], v[i + 1]):  # inside a name: neither a separator nor whitespace next to it
            assert ch not in seps and not ch.isspace(), v
        per_ticket.setdefault(old[0], set()).add((o, v))
    for tid, pairs in per_ticket.items():  # every row of a ticket spelled the same
        assert len({v for o, v in pairs}) == len({o for o, v in pairs}), tid
    before = all_rows(small)
    for (d, n), r in before.items():  # a touched ticket is touched in all its rows with a department
        if r[0] in per_ticket and r[C["承办单位"]]:
            assert (d, n) in changed


def test_stray_spaces_zero_changes_nothing(small, tmp_path):
    work = copy(small, tmp_path / "w")
    rec = apply_fault(work, "stray-spaces", "0")
    assert rec.rows == () and rec.days == ()
    compare(small, work, rec)


# ------------------------------------------------------------------------------------------ all together
def test_determinism_and_seed(small, tmp_path):
    faults = [
        ("padded-enums", "5"),
        ("future-updated", "4"),
        ("inverted-timestamps", "3"),
        ("no-department", "2"),
        ("stray-spaces", "0.2"),
        ("future-received", "3"),
        ("missing-day", "2024-10-07"),
    ]
    out = {}
    for label, seed in (("a", 11), ("b", 11), ("c", 12)):
        work = copy(small, tmp_path / label)
        out[label] = (
            [apply_fault(work, n, v, seed=seed) for n, v in faults],
            {p.name: p.read_bytes() for p in work.iterdir()},
        )
    assert out["a"] == out["b"]
    assert [r.rows for r in out["a"][0][:-1]] != [r.rows for r in out["c"][0][:-1]]


def test_faults_compose(small, tmp_path):
    """Later faults work on what earlier ones left (padded enums, emptied cells); manifests stay valid."""
    work = copy(small, tmp_path / "w")
    for n, v in [
        ("padded-enums", "300"),
        ("no-department", "5"),
        ("stray-spaces", "0.5"),
        ("inverted-timestamps", "6"),
        ("future-received", "4"),
        ("future-updated", "4"),
    ]:
        apply_fault(work, n, v, seed=1)
    for p in work.glob("hotline_*.csv"):
        m = manifest(work, day_of(p))
        data = p.read_bytes()
        assert m["sha256"] == hashlib.sha256(data).hexdigest() and m["row_count"] == len(records(data)) - 1


def test_generate_applies_faults_in_order(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    faults = [("stray-spaces", "0.1"), ("missing-day", "2024-10-03")]
    summary = generate(spec_path=DEFAULT_SPEC, out_dir=a, days=6, faults=faults)
    assert [r.kind for r in summary.faults] == ["stray-spaces", "missing-day"]
    generate(spec_path=DEFAULT_SPEC, out_dir=b, days=6)
    records_b = [apply_fault(b, n, v, seed=summary.seed) for n, v in faults]
    assert list(summary.faults) == records_b
    assert {p.name: p.read_bytes() for p in a.iterdir()} == {p.name: p.read_bytes() for p in b.iterdir()}
    assert summary.days == 6 and summary.get("faults") == summary.faults
    assert generate(spec_path=DEFAULT_SPEC, out_dir=tmp_path / "c", days=2).faults == ()


def test_generate_refuses_a_bad_fault_before_writing(tmp_path):
    out = tmp_path / "never"
    with pytest.raises(ValueError, match="unknown fault 'nope'.*missing-day"):
        generate(spec_path=DEFAULT_SPEC, out_dir=out, days=2, faults=[("nope", None)])
    with pytest.raises(ValueError, match="padded-enums"):
        generate(spec_path=DEFAULT_SPEC, out_dir=out, days=2, faults=[("padded-enums", "many")])
    assert not out.exists()


# ------------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "name, value, message",
    [
        (
            "no-such-fault",
            "1",
            r"unknown fault 'no-such-fault' \(valid: missing-day, padded-enums, future-updated, "
            r"future-received, inverted-timestamps, late-redelivery, no-department, stray-spaces\)",
        ),
        ("missing-day", "2024-11-05", r"no export of 2024-11-05"),
        ("missing-day", "2024-10-32", r"not a day YYYY-MM-DD"),
        ("missing-day", None, r"needs a day"),
        ("late-redelivery", "2023-10-05", r"no export of 2023-10-05"),
        ("padded-enums", "1000000", r"padded-enums=1000000: only \d+ rows"),
        ("padded-enums", "0", r"at least 1"),
        ("future-updated", "x", r"not a whole number"),
        ("future-received", None, r"needs a number"),
        ("future-received", "100000", r"only \d+ tickets"),
        ("inverted-timestamps", "100000", r"needs \d+ rows for 回复时间 before 派单时间"),
        ("no-department", "100000", r"only \d+ work orders"),
        ("stray-spaces", "1.5", r"must be in \[0, 1\], got 1.5"),
        ("stray-spaces", "-0.1", r"must be in \[0, 1\]"),
        ("stray-spaces", "half", r"not a number"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(small, tmp_path, name, value, message):
    work = copy(small, tmp_path / "w")
    with pytest.raises(ValueError, match=message):
        apply_fault(work, name, value)
    assert {p.name: p.read_bytes() for p in work.iterdir()} == {p.name: p.read_bytes() for p in small.iterdir()}


def test_bad_folder(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        apply_fault(tmp_path / "nothing", "padded-enums", "1")
    with pytest.raises(ValueError, match="no daily export"):
        apply_fault(tmp_path, "padded-enums", "1")


# ------------------------------------------------------------------------------------------ CLI
def test_cli_fault_option(tmp_path):
    from typer.testing import CliRunner

    from hotline.cli import app

    runner = CliRunner()
    dumps = tmp_path / "d"
    res = runner.invoke(
        app,
        [
            "generate",
            "--dumps",
            str(dumps),
            "--fault",
            "missing-day=2024-10-03",
            "--fault",
            "padded-enums=4",
            "--fault",
            "stray-spaces=0.05",
        ],
    )
    assert res.exit_code == 0, res.output
    lines = [line for line in res.output.splitlines() if line.startswith("fault ")]
    assert [line.split(":")[0] for line in lines] == ["fault missing-day", "fault padded-enums", "fault stray-spaces"]
    assert "(" in lines[0] and "1 day" in lines[0] and "2024-10-03" in lines[0]
    assert re.search(r"4 tickets, \d+ days?, 4 rows", lines[1])
    assert "3 faults applied" in res.output
    assert not csv_path(dumps, "2024-10-03").exists()
    assert len(list(dumps.glob("hotline_*.csv"))) == 72

    res = runner.invoke(app, ["generate", "--dumps", str(tmp_path / "e"), "--fault", "bogus=1"])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert [line for line in res.output.splitlines() if line.strip()] == [
        "error: unknown fault 'bogus' (valid: missing-day, padded-enums, future-updated, future-received, "
        "inverted-timestamps, late-redelivery, no-department, stray-spaces)"
    ]
    res = runner.invoke(app, ["generate", "--dumps", str(tmp_path / "f"), "--fault", "missing-day=2030-01-01"])
    assert res.exit_code == 2 and "no export of 2030-01-01" in res.output


# ------------------------------------------------------------------------------------------ the county spec
def _seed_names() -> set[str]:
    out = set()
    with (SEEDS / "departments.csv").open(encoding="utf-8-sig", newline="") as fh:
        out |= {re.sub(r"\s+", "", r["canonical_name"]) for r in csv.DictReader(fh)}
    with (SEEDS / "department_aliases.csv").open(encoding="utf-8-sig", newline="") as fh:
        for r in csv.DictReader(fh):
            out |= {re.sub(r"\s+", "", r["alias"]), re.sub(r"\s+", "", r["canonical_name"])}
    return out


def test_county_spec_is_valid_and_unknown_to_the_seeds():
    spec = load_spec(COUNTY_SPEC)
    assert spec.month == "2023-09" and spec.city == "示例县"
    assert 10 <= len(spec.departments) <= 14 and spec.other_departments
    known = _seed_names()
    for d in spec.all_departments:
        assert d.aliases == ()
        assert d.name not in known, d.name
        # a stray space anywhere inside the name must not produce a piece the directory knows
        for k in range(1, len(d.name)):
            assert d.name[:k] not in known and d.name[k:] not in known, (d.name, k)


def test_county_due_dates_follow_the_2023_calendar():
    spec = load_spec(COUNTY_SPEC)
    extended = {"HX23091460170002"}
    for o in spec.overdue:
        rule = workdays.due_date(o.received)
        if o.ticket_id in extended:
            assert o.due > rule
        else:
            assert o.due == rule, o.ticket_id
    assert workdays.due_date(date(2023, 9, 21)) == date(2023, 10, 8)  # counts the make-up Saturday and Sunday
    assert any(o.replied == date(2023, 10, 7) for o in spec.overdue)


def test_county_calibration(county):
    from oracle.recompute import recompute

    raw = yaml.safe_load(COUNTY_SPEC.read_text(encoding="utf-8"))
    f = recompute(county, "2023-09", "2023-10-12 10:00")  # the dbt seeds: none of the county's names is known
    c = raw["contacts"]
    assert f["contacts"]["total"] == c["total"] and f["contacts"]["previous_total"] == c["previous_total"]
    by = f["contacts"]["by_channel"]
    assert (by["中国政府网转办"], by["省州系统转办"], by["微信端转办"]) == tuple(
        c["channels"][k] for k in ("中国政府网", "省州系统", "微信")
    )
    assert (by["直接答复"], by["工单转办"], by["其他"]) == (
        c["phone"]["直接答复"],
        c["phone"]["工单转办"],
        c["phone"]["无效"],
    )
    assert f["contacts"]["work_order_channel_closed"] == c["phone"]["工单转办已办结"]
    assert f["special_lines"]["by_category"] == {k: raw["special_lines"].get(k, 0) for k in contract.SPECIAL_LINES}
    p = raw["purposes"]
    assert f["purpose"]["by_type"] == {
        "咨询": p["咨询"],
        "求助": p["求助"],
        "投诉": p["投诉"],
        "建议": p["建议"],
        "其他": p["表扬"] + p["其他"],
    }
    l1 = {k: sum(v.values()) for k, v in raw["demand"].items()}
    assert f["demand"]["total"] == sum(l1.values())
    top = sorted(l1.items(), key=lambda kv: (-kv[1], kv[0]))[:6]
    assert f["demand"]["by_category"] == dict(top) | {"其他": sum(l1.values()) - sum(n for _, n in top)}
    t = raw["totals"]
    wo = f["work_orders"]
    assert (wo["dispatched"], wo["closed"], wo["overdue"], wo["callbacks"], wo["satisfied"]) == (
        t["work_orders"],
        t["closed"],
        t["overdue"],
        t["callbacks"],
        t["satisfied"],
    )
    assert [
        (o["ticket_id"], o["due_date"], o["replied_date"], o["remark"] or "") for o in f["overdue_work_orders"]
    ] == [(o["id"], str(o["due"]), str(o["replied"]), o.get("remark", "")) for o in raw["overdue"]]
    for h in raw["hotspots"]:
        l1_, _, l2_ = h["category"].partition("/")
        row = next(r for r in f["hotspots"] if (r["category_l1"], r["category_l2"]) == (l1_, l2_ or None))
        assert row["count"] == h["count"]
        assert row["mom_change_pct"] == round((h["count"] - h["previous"]) / h["previous"] * 100 + 1e-9, 2)
    # per department: with the county's own directory (its canonical names) every figure is the spec's
    names = {d["name"]: d["name"] for d in raw["departments"] + raw["other_departments"]}
    g = recompute(county, "2023-09", "2023-10-12 10:00", aliases=names)
    depts = {r["name"]: r for r in g["departments"]}
    sat = {r["name"]: r for r in g["satisfaction_by_department"]}
    for d in raw["departments"] + raw["other_departments"]:
        assert depts[d["name"]]["work_orders"] == d["work_orders"], d["name"]
        assert depts[d["name"]]["closed"] == d.get("closed", d["work_orders"]), d["name"]
        if d.get("callbacks"):
            assert (sat[d["name"]]["callbacks"], sat[d["name"]]["satisfied"]) == (d["callbacks"], d["satisfied"])
    assert [r["name"] for r in g["departments"][:12]] == [d["name"] for d in raw["departments"]]


def test_county_stray_spaces_keep_the_departments(county, tmp_path):
    """Stray spaces inside names of a city whose directory is not configured: the oracle's department tables
    do not move (docs/department-names.md: whitespace inside a name never creates a department)."""
    from oracle.recompute import recompute

    work = copy(county, tmp_path / "w")
    rec = apply_fault(work, "stray-spaces", "0.3", seed=9)
    compare(county, work, rec)
    assert len(rec.ticket_ids) > 50
    a = recompute(county, "2023-09", "2023-10-12 10:00")
    b = recompute(work, "2023-09", "2023-10-12 10:00")
    assert a["departments"] == b["departments"]
    assert a["satisfaction_by_department"] == b["satisfaction_by_department"]
