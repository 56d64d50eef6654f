"""A green gate means right figures, or nothing is published and the refusal says why.

Every defect users reported on exports the project did not write, reproduced on generated data (the generator's
fault knobs, hotline.generate.faults), end to end through the same functions the CLI and the DAGs call:

- a missing export day, and the operator's recorded decision to publish anyway;
- hostile rows: future and inverted timestamps, a ticket future-dated at receipt, padded enums, work orders
  without a department: quarantined or normalized, named in the report, and the figures equal the independent
  recomputation;
- a month without data, a cut-off after the newest export: refused up front;
- a re-delivery after publication: the month stays as published until it is restated (new release beside the
  old one, every figure old → new);
- a second city and month (2023, before the old calendar's range) whose departments are in no directory, typed
  with stray spaces: no phantom department, the unknown lead departments fail the month until accepted, and
  then every figure equals the independent recomputation.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from conftest import AS_OF, MONTH
from hotline.build import build_month
from hotline.checks import Decisions
from hotline.cli import app
from hotline.errors import Refused
from hotline.gate import GateFailed, run_gate
from hotline.generate import generate
from hotline.generate.faults import apply_fault
from hotline.load import load_folder
from hotline.orchestration import tasks
from hotline.publish import publish_month, touched_publications
from oracle.recompute import recompute
from webhook import webhook_receiver

pytestmark = pytest.mark.slow  # end to end: `make test` runs it, `make test-fast` does not

REPO = Path(__file__).resolve().parents[1]
COUNTY_SPEC = REPO / "include" / "hotline" / "specs" / "county-2023-09.yaml"
COUNTY_MONTH, COUNTY_AS_OF = "2023-09", "2023-10-12 10:00:00"


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _report(folder: Path) -> dict:
    return json.loads((folder / "reconciliation.json").read_text(encoding="utf-8"))


def _checks(report: dict, status: str | None = None) -> dict[str, dict]:
    return {c["name"]: c for c in report["checks"] if status is None or c["status"] == status}


def _figures(folder: Path) -> dict:
    return json.loads((folder / "figures.json").read_text(encoding="utf-8"))


def _assert_equals_oracle(figures: dict, oracle: dict) -> None:
    for section in ("contacts", "special_lines", "purpose", "demand", "work_orders"):
        ours = {k: v for k, v in figures[section].items() if not k.endswith("_pct") or k in oracle[section]}
        assert ours == oracle[section], section
    for table in ("departments", "satisfaction_by_department"):
        assert figures[table] == oracle[table], table
    ours = sorted(
        ({k: v for k, v in r.items() if k != "departments_printed"} for r in figures["overdue_work_orders"]),
        key=lambda r: r["ticket_id"],
    )
    assert ours == sorted(oracle["overdue_work_orders"], key=lambda r: r["ticket_id"])
    assert [(h["category_l1"], h["category_l2"], h["count"]) for h in figures["hotspots"]] == [
        (h["category_l1"], h["category_l2"], h["count"]) for h in oracle["hotspots"]
    ]


# ------------------------------------------------------------------------------------------ a missing day
@pytest.fixture(scope="module")
def missing_day(tmp_path_factory, default_dumps):
    work = tmp_path_factory.mktemp("missing_day")
    dumps = _copy(default_dumps, work / "dumps")
    record = apply_fault(dumps, "missing-day", "2024-11-15")
    warehouse = work / "warehouse.duckdb"
    load_folder(dumps, warehouse)
    build_month(warehouse, MONTH, AS_OF)
    return work, warehouse, record


def test_a_missing_day_fails_the_month_naming_the_day(missing_day):
    work, warehouse, record = missing_day
    assert record.days == ("2024-11-15",)
    out = work / "publish"
    with pytest.raises(GateFailed) as failed:
        publish_month(warehouse, MONTH, AS_OF, out)
    assert "2024-11-15" in str(failed.value)
    bad = [c for c in failed.value.report.checks if c.status == "fail"]
    assert [c.suite for c in bad] == ["completeness"] and bad[0].subject.items == ["2024-11-15"]
    assert not (out / MONTH).exists()
    audit = json.loads((out / ".audit" / MONTH / "reconciliation.json").read_text(encoding="utf-8"))
    check = next(c for c in audit["checks"] if c["status"] == "fail")
    assert check["severity"] == "fail" and check["subject"] == {"kind": "days", "count": 1, "items": ["2024-11-15"]}


def test_the_cli_refuses_a_missing_day_and_publishes_it_only_as_a_recorded_decision(missing_day, default_dumps):
    work, warehouse, _ = missing_day
    out = work / "publish-cli"
    args = ["publish", "--warehouse", str(warehouse), "--month", MONTH, "--as-of", AS_OF[:16], "--out", str(out)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 1 and "2024-11-15" in res.output and "Traceback" not in res.output, res.output
    res = CliRunner().invoke(app, args + ["--accept-missing-day", "2024-11-15"])
    assert res.exit_code == 2 and "--reason" in res.output, res.output  # a decision needs its reason
    res = CliRunner().invoke(app, args + ["--accept-missing-day", "2024-11-16", "--reason", "typo"])
    assert res.exit_code == 2 and "nothing to accept" in res.output, res.output
    reason = "平台故障，11月15日数据待补传"
    res = CliRunner().invoke(app, args + ["--accept-missing-day", "2024-11-15", "--reason", reason])
    assert res.exit_code == 0, res.output
    month = out / MONTH
    manifest = json.loads((month / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["decisions"] == [{"kind": "accept_missing_day", "value": "2024-11-15", "reason": reason}]
    accepted = [c for c in _report(month)["checks"] if c["decisions"]]
    assert len(accepted) == 1 and accepted[0]["status"] == "warn"
    assert accepted[0]["subject"]["items"] == ["2024-11-15"]
    md = (month / "bulletin.md").read_text(encoding="utf-8")
    annex = md[md.index("附件：数据质量说明") :]
    assert "2024-11-15" in annex and reason in annex
    # the day arrives after all: the published month's inputs changed, and the load says so
    dumps = work / "dumps"
    for f in default_dumps.glob("hotline_20241115*"):
        shutil.copy(f, dumps / f.name)
    res = CliRunner().invoke(app, ["load", "--dumps", str(dumps), "--warehouse", str(warehouse), "--out", str(out)])
    assert res.exit_code == 0 and "warning" in res.output and "2024-11" in res.output, res.output
    assert "2024-11-15" in res.output and "--restate" in res.output


# ------------------------------------------------------------------------------------------ hostile rows
@pytest.fixture(scope="module")
def hostile(tmp_path_factory, default_dumps):
    """The calibrated exports with every kind of bad row the users met, loaded, built and published."""
    work = tmp_path_factory.mktemp("hostile")
    dumps = _copy(default_dumps, work / "dumps")
    records = {
        name: apply_fault(dumps, name, value, seed=7)
        for name, value in [
            ("padded-enums", "25"),
            ("future-updated", "6"),
            ("future-received", "3"),
            ("inverted-timestamps", "6"),
            ("no-department", "30"),
        ]
    }
    warehouse, out = work / "warehouse.duckdb", work / "publish"
    load_folder(dumps, warehouse)
    build_month(warehouse, MONTH, AS_OF)
    result = publish_month(warehouse, MONTH, AS_OF, out)
    return dumps, warehouse, out / MONTH, records, result


def test_impossible_timelines_are_quarantined_and_named(hostile):
    _, warehouse, month, records, _ = hostile
    con = duckdb.connect(str(warehouse), read_only=True)
    quarantined = {
        (str(d), r): (code, reason)
        for d, r, code, reason in con.execute(
            "select _export_date, _row_number, reason_code, reason from raw.quarantine"
        ).fetchall()
    }
    con.close()
    bad_rows = {
        row for name in ("future-updated", "future-received", "inverted-timestamps") for row in records[name].rows
    }
    assert set(quarantined) == bad_rows  # nothing else quarantined, nothing of these loaded
    assert {code for code, _ in quarantined.values()} == {"impossible_timeline"}
    assert any("after the export day" in reason for _, reason in quarantined.values())
    assert any("is before" in reason for _, reason in quarantined.values())
    # the report names each quarantined row and its ticket (a warning: the month is published)
    check = _checks(_report(month))["no quarantined rows in the month's export days"]
    assert check["status"] == "warn" and check["subject"]["count"] == len(bad_rows)
    named = {i["ticket_id"] for i in check["subject"]["items"]}
    future = set(records["future-received"].ticket_ids)
    assert future <= named  # a ticket future-dated at receipt is named, not "expected 9730, got 9729"
    annex = (month / "bulletin.md").read_text(encoding="utf-8").split("附件：数据质量说明")[1]
    assert f"{len(bad_rows)} 行" in annex  # the annex gives the count and the first rows with their tickets
    assert all(i["ticket_id"] in annex for i in check["subject"]["items"][:10])


def test_padded_enums_are_one_value_in_every_layer(hostile):
    _, warehouse, _, records, _ = hostile
    tickets = records["padded-enums"].ticket_ids
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        values = con.execute(
            """select distinct "来源渠道", "办理方式", "诉求目的", "工单状态" from raw.ticket_rows
                                where "工单编号" in (select unnest(?))""",
            [list(tickets)],
        ).fetchall()
        assert values and all(v == v.strip(" \u3000") for row in values for v in row if v)
        assert con.execute("select count(*) from raw.quarantine where reason_code = 'unknown_enum'").fetchone() == (0,)
    finally:
        con.close()


def test_work_orders_without_a_department_are_counted_consistently(hostile):
    _, _, month, records, _ = hostile
    figures = _figures(month)
    row = next(d for d in figures["departments"] if d["name"] == "未指定承办单位")
    assert row["work_orders"] >= len(records["no-department"].ticket_ids)
    checks = _checks(_report(month))
    assert checks["departments.未指定承办单位.work_orders (count)"]["status"] == "pass"  # figure = its evidence
    warn = checks["work orders have a department"]
    tickets = records["no-department"].ticket_ids
    assert warn["status"] == "warn" and warn["subject"]["count"] == len(tickets)
    assert warn["subject"]["items"] == sorted(tickets)[: len(warn["subject"]["items"])]  # the first N, by id


def test_hostile_exports_publish_the_figures_of_the_independent_recomputation(hostile):
    dumps, _, month, _, result = hostile
    assert result.report.success and result.report.warnings
    _assert_equals_oracle(_figures(month), recompute(dumps, MONTH, AS_OF))


# ------------------------------------------------------------------------------------------ refused up front
def test_a_month_without_data_or_a_cut_off_beyond_the_exports_is_refused_up_front(warehouse_copy, tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["build", "--warehouse", str(warehouse_copy), "--month", "2025-01"])
    assert res.exit_code == 1 and "no export of 2025-01 is in force" in res.output, res.output
    res = runner.invoke(
        app, ["build", "--warehouse", str(warehouse_copy), "--month", MONTH, "--as-of", "2027-12-12 10:00"]
    )
    assert res.exit_code == 1 and "newest export in force (2024-12-12)" in res.output, res.output
    with pytest.raises(Refused, match="no export of 2025-01"):
        publish_month(
            warehouse_copy, "2025-01", "2025-02-12 10:00:00", tmp_path / "publish", allow_missing_narrative=True
        )
    assert not (tmp_path / "publish" / "2025-01").exists()


# ---------------------------------------------------------------------------------------- re-delivery after publication
def test_a_redelivery_after_publication_needs_an_explicit_restatement(
    tmp_path, warehouse_copy, default_dumps, monkeypatch
):
    out = tmp_path / "publish"
    first = publish_month(warehouse_copy, MONTH, AS_OF, out)
    old_release, old_figures = (out / MONTH).resolve(), _figures(out / MONTH)
    again = publish_month(warehouse_copy, MONTH, AS_OF, out)  # the same month again: nothing changes
    assert again.unchanged and (out / MONTH).resolve() == old_release

    dumps = _copy(default_dumps, tmp_path / "dumps")
    record = apply_fault(dumps, "late-redelivery", "2024-11-20")
    # the nightly's load task loads the re-delivery and alerts: the published month's inputs changed
    monkeypatch.setenv("HOTLINE_PUBLISH", str(out))
    monkeypatch.delenv("HOTLINE_ALERT_EMAIL", raising=False)
    with webhook_receiver() as (url, received):
        monkeypatch.setenv("HOTLINE_ALERT_WEBHOOK", url)
        summary = tasks.load_exports(
            {"params": {"day": "2024-12-12", "dumps_dir": str(dumps), "warehouse": str(warehouse_copy)}}
        )
    assert summary["counts"] == {"unchanged": 72, "replaced": 1}
    assert summary["touched_publications"] == [{"month": MONTH, "as_of": AS_OF, "days": ["2024-11-20"]}]
    assert len(received) == 1 and "re-delivery touches the published 2024-11" in received[0]["text"]
    assert "2024-11-20" in received[0]["text"] and "--restate" in received[0]["text"]
    build_month(warehouse_copy, MONTH, AS_OF)
    with pytest.raises(Refused, match="2024-11-20 re-delivered") as refused:
        publish_month(warehouse_copy, MONTH, AS_OF, out)
    assert "--restate" in str(refused.value)
    assert (out / MONTH).resolve() == old_release and _figures(out / MONTH) == old_figures

    reason = "11月20日数据更正后重新交付"
    restated = publish_month(warehouse_copy, MONTH, AS_OF, out, restate=reason)
    assert restated.restatement and (out / MONTH).resolve() != old_release and old_release.is_dir()
    diff = json.loads((out / MONTH / "restatement.json").read_text(encoding="utf-8"))
    assert diff["reason"] == reason and diff["restates"]["release"] == old_release.name
    assert [c["export_date"] for c in diff["inputs_changed"]] == ["2024-11-20"]
    new_figures = _figures(out / MONTH)
    changed = {d["key"]: (d["old"], d["new"]) for d in diff["figures_changed"]}
    assert changed
    for key, (old, new) in changed.items():  # every figure that changed, and only those, old → new
        assert old != new and new == _dotted(new_figures, key) and old == _dotted(old_figures, key)
    md = (out / MONTH / "bulletin.md").read_text(encoding="utf-8")
    assert "更正版" in md and reason in md
    log = [json.loads(line) for line in (out / ".audit" / "publications.jsonl").read_text().splitlines()]
    assert [e["action"] for e in log] == ["publish", "restate"] and log[1]["reason"] == reason
    assert first.release_id == old_release.name and record.ticket_ids
    # once restated, publishing the same again is a no-op, and a restatement without change is refused
    assert publish_month(warehouse_copy, MONTH, AS_OF, out).unchanged
    with pytest.raises(Refused, match="nothing to restate"):
        publish_month(warehouse_copy, MONTH, AS_OF, out, restate="again")


def _dotted(figures: dict, key: str):
    """A figure by its flattened key (hotline.publish._flatten): table rows by name, ticket id or hot-spot key."""
    node, parts = figures, key.split(".")
    while parts:
        part = parts.pop(0)
        if isinstance(node, list):
            node = next(
                r
                for r in node
                if part
                in (
                    r.get("name"),
                    r.get("ticket_id"),
                    "/".join(str(r.get(k)) for k in ("category_l1", "category_l2") if r.get(k)),
                )
            )
            continue
        if part not in node:  # a key containing dots
            part = ".".join([part] + parts)
            parts = []
        node = node[part]
    return node


# ------------------------------------------------------------------------------------------ another city, 2023
@pytest.fixture(scope="module")
def county(tmp_path_factory):
    """示例县 2023-09: its own departments (in no directory), typed with stray spaces; a month the old hand-kept
    calendar (2024-2026) could not give due dates for."""
    work = tmp_path_factory.mktemp("county")
    summary = generate(spec_path=COUNTY_SPEC, out_dir=work / "dumps", faults=[("stray-spaces", "0.3")])
    warehouse = work / "warehouse.duckdb"
    load_folder(work / "dumps", warehouse)
    build_month(warehouse, COUNTY_MONTH, COUNTY_AS_OF)
    return work, warehouse, summary


def test_unknown_lead_departments_fail_the_month_naming_them(county):
    work, warehouse, _ = county
    with pytest.raises(GateFailed) as failed:
        publish_month(warehouse, COUNTY_MONTH, COUNTY_AS_OF, work / "refused", allow_missing_narrative=True)
    bad = [c for c in failed.value.report.checks if c.status == "fail"]
    assert [c.name for c in bad] == ["lead departments are in the directory"]
    names = {i["name"] for i in bad[0].subject.items}
    assert any(n in str(failed.value) for n in names)  # the message names the departments
    assert bad[0].subject.count == len(names) >= 10


def test_a_second_city_equals_the_spec_and_the_independent_recomputation(county, monkeypatch):
    from hotline.generate import load_spec

    work, warehouse, summary = county
    names = sorted({i["name"] for i in publish_refusal(county).subject.items})
    # the deployment's threshold: within it the unknown leads are a warning, not a failure
    monkeypatch.setenv("HOTLINE_UNKNOWN_LEAD_WORK_ORDERS_MAX", "100000")
    report = run_gate(warehouse, COUNTY_MONTH, COUNTY_AS_OF)
    assert report.success and _warned(report) == {"lead departments are in the directory"}
    monkeypatch.delenv("HOTLINE_UNKNOWN_LEAD_WORK_ORDERS_MAX")
    # or the operator accepts them by name (whitespace as typed does not matter), recorded
    decisions = Decisions(unknown_departments=tuple(n[:2] + " " + n[2:] for n in names), reason="新县，目录待建")
    result = publish_month(
        warehouse, COUNTY_MONTH, COUNTY_AS_OF, work / "publish", decisions=decisions, allow_missing_narrative=True
    )  # no editors' narrative for the county
    month = work / "publish" / COUNTY_MONTH
    manifest = json.loads((month / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["decisions"]) == len(names) and manifest["decisions"][0]["reason"] == "新县，目录待建"
    accepted = _checks(_report(month))["lead departments accepted although not in the directory"]
    assert accepted["status"] == "warn" and {i["name"] for i in accepted["subject"]["items"]} == set(names)
    figures = _figures(month)
    _assert_equals_oracle(figures, recompute(work / "dumps", COUNTY_MONTH, COUNTY_AS_OF))
    # ground truth: every department of the spec has exactly its work orders, closed work orders, callbacks and
    # satisfied callbacks; a stray space never moved one to a fragment. Co-departments typed with a space between
    # them (a city without a directory cannot tell them from one name) are counted under the lead, as one name
    # that starts with the lead's.
    spec = load_spec(COUNTY_SPEC)
    stray = next(r for r in summary.faults if r.kind == "stray-spaces")
    assert stray.ticket_ids
    known = sorted((d.name for d in spec.all_departments), key=len, reverse=True)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        per_name = con.execute(
            """
            select lead_department, count(*), count(*) filter (where is_closed) from marts.fct_work_orders
            where received_month = ? group by 1""",
            [COUNTY_MONTH],
        ).fetchall()
        callbacks = con.execute(
            """
            select lead_department, count(*), count(*) filter (where is_satisfied) from marts.fct_callbacks
            where callback_month = ? and is_counted group by 1""",
            [COUNTY_MONTH],
        ).fetchall()
    finally:
        con.close()

    def by_lead(rows):
        out: dict[str, list[int]] = {}
        for name, a, b in rows:
            lead = next(k for k in known if (name or "").startswith(k))  # a fragment would have no lead here
            out.setdefault(lead, [0, 0])
            out[lead][0] += a
            out[lead][1] += b
        return out

    assert by_lead(per_name) == {d.name: [d.work_orders, d.closed] for d in spec.all_departments}
    assert by_lead(callbacks) == {d.name: [d.callbacks, d.satisfied] for d in spec.all_departments if d.callbacks}
    # the 2023 calendar (National Day + Mid-Autumn, make-up days) gives the spec's overdue work orders
    assert figures["work_orders"]["overdue"] == len(spec.overdue) == len(figures["overdue_work_orders"])
    assert result.report.success


def publish_refusal(county):
    """The check that failed when the county's month was published without a decision."""
    work, warehouse, _ = county
    with pytest.raises(GateFailed) as failed:
        publish_month(warehouse, COUNTY_MONTH, COUNTY_AS_OF, work / "refused", allow_missing_narrative=True)
    return next(c for c in failed.value.report.checks if c.status == "fail")


def _warned(report) -> set[str]:
    return {c.name for c in report.warnings if c.suite == "departments" and c.name.startswith("lead")}


def _redeliver_changing(dumps: Path, day: str, column: str, value: str) -> None:
    """Deliver ``day`` again later, with ``column`` of its first row set to ``value``."""
    path = dumps / f"hotline_{day.replace('-', '')}.csv"
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))
    rows[1][rows[0].index(column)] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    data = b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")
    path.write_bytes(data)
    manifest = path.with_name(path.stem + ".manifest.json")
    doc = json.loads(manifest.read_text(encoding="utf-8"))
    doc.update(sha256=hashlib.sha256(data).hexdigest(), exported_at="2025-01-20T10:00:00+08:00")
    manifest.write_text(json.dumps(doc), encoding="utf-8")


def test_a_redelivery_that_changes_no_figure_is_still_restated_explicitly(tmp_path, warehouse_copy, default_dumps):
    """Inputs changed, figures did not (诉求内容 corrected): publishing is refused, a restatement records the new
    inputs with no figure changed; it is not "nothing to restate"."""
    out = tmp_path / "publish"
    publish_month(warehouse_copy, MONTH, AS_OF, out)
    dumps = _copy(default_dumps, tmp_path / "dumps")
    _redeliver_changing(dumps, "2024-12-05", "诉求内容", "更正后的诉求内容")
    load_folder(dumps, warehouse_copy)
    build_month(warehouse_copy, MONTH, AS_OF)
    with pytest.raises(Refused, match="2024-12-05 re-delivered"):
        publish_month(warehouse_copy, MONTH, AS_OF, out)
    result = publish_month(warehouse_copy, MONTH, AS_OF, out, restate="诉求内容更正")
    assert result.restatement["figures_changed"] == []
    assert [c["export_date"] for c in result.restatement["inputs_changed"]] == ["2024-12-05"]
    con = duckdb.connect(str(warehouse_copy))
    assert touched_publications(out, con) == []  # the publication's inputs are the warehouse's again: no alerts
    con.close()
    assert publish_month(warehouse_copy, MONTH, AS_OF, out).unchanged


def test_a_month_whose_exports_hold_no_contact_is_refused_up_front(tmp_path):
    """Every export day of 2025-01 is in force (header only: nobody called) through the cut-off: no contacts."""
    from datetime import date, timedelta

    dumps = tmp_path / "dumps"
    dumps.mkdir()
    from hotline.contract import HEADERS

    header = ("\ufeff" + ",".join(HEADERS) + "\r\n").encode()
    d = date(2025, 1, 1)
    while d <= date(2025, 2, 12):
        name = f"hotline_{d:%Y%m%d}"
        (dumps / f"{name}.csv").write_bytes(header)
        (dumps / f"{name}.manifest.json").write_text(
            json.dumps(
                {
                    "export_date": d.isoformat(),
                    "row_count": 0,
                    "sha256": hashlib.sha256(header).hexdigest(),
                    "exported_at": f"{d + timedelta(days=1)}T00:30:00+08:00",
                }
            ),
            encoding="utf-8",
        )
        d += timedelta(days=1)
    warehouse = tmp_path / "w.duckdb"
    load_folder(dumps, warehouse)
    res = CliRunner().invoke(app, ["build", "--warehouse", str(warehouse), "--month", "2025-01"])
    assert res.exit_code == 1 and "2025-01 has no contacts" in res.output, res.output
    report = run_gate(warehouse, "2025-01", "2025-02-12 10:00:00")
    assert not report.success and [c.name for c in report.failed] == ["the exports can answer the month"]
    assert "no contacts" in report.failed[0].subject.items[0]
