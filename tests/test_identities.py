"""The bulletin identities (expectations/identities.yml, hotline.identities): one file, read by the publication
gate and by `hotline audit-bulletin`."""

from __future__ import annotations

import copy

import pytest

from hotline.audit.findings import arithmetic_findings
from hotline.audit.parse import figures_only, parse_bulletin
from hotline.gate import identity_rows
from hotline.identities import MISSING, Binding, Group, bindings, instances, load_identities, resolve
from hotline.paths import PROJECT_DIR
from reference_figures import REFERENCE_ALIASES

REFERENCE_PATH = PROJECT_DIR / "docs" / "reference" / "golmud-12345-bulletin-2024-11.md"
SUMS = ("sum", "count")


@pytest.fixture(scope="module")
def parsed() -> dict:
    return parse_bulletin(REFERENCE_PATH.read_text(encoding="utf-8"), REFERENCE_ALIASES, rollups={"公共服务"})


def every_identity(entries):
    for e in entries:
        yield from (e.checks if isinstance(e, Group) else [e])


def test_the_file_is_what_the_gate_and_the_audit_read():
    entries = load_identities()
    ids = [i.id for i in every_identity(entries)]
    assert len(ids) == len(set(ids))
    gate_names = [i.gate["name"] for i in every_identity(entries) if i.gate]
    assert len(gate_names) == len(set(gate_names))  # a gate check name means one identity
    assert "channels = total contacts" in gate_names and "department closure rate" in gate_names
    assert all(i.audit or i.gate for i in every_identity(entries))  # nobody reads an identity with neither


def test_the_reference_bulletin_holds_every_sum(parsed):
    rows = identity_rows(figures_only(parsed), load_identities(), SUMS)
    assert {r["name"] for r in rows} >= {
        "channels = total contacts",
        "demand = all valid contacts",
        "department table closed = closed",
        "overdue list = overdue figure",
    }
    assert [r for r in rows if r["expected"] != r["actual"]] == []


def test_one_wrong_figure_fails_the_same_identities_in_the_gate_and_in_the_audit(parsed):
    """市公安局 closed 78 of 77 work orders: the table no longer adds up, nor does its rate."""
    wrong = copy.deepcopy(parsed)
    row = next(r for r in wrong["departments"] if r["name"] == "市公安局")
    row["closed"] += 1
    gate = {
        r["name"]
        for r in identity_rows(figures_only(wrong), load_identities(), ("sum", "count", "rate"))
        if r["expected"] != r["actual"]
    }
    assert {"department table closed = closed", "department closure rate[市公安局]"} <= gate
    found = {f.key for f in arithmetic_findings(wrong)} - {f.key for f in arithmetic_findings(parsed)}
    assert found == {"departments.closed", "departments_total.closed", "departments[市公安局].closure_rate_pct"}


def test_keys_bind_dict_keys_rows_and_joined_rows():
    figures = {
        "a": {"by": {"x": 1, "y": 2}, "total": 3},
        "rows": [{"name": "p", "n": 1}, {"name": "其他单位", "n": 5}, {"name": "q", "n": 2}],
        "other": [{"name": "q", "n": 7}],
    }
    assert [b.key for b in bindings(figures, "a.by.*")] == ["x", "y"]
    rows = bindings(figures, "rows[].n", (("name", "其他单位"),))
    assert [(b.row["name"], b.position) for b in rows] == [("p", 1), ("q", 3)]
    assert resolve(figures, "a.by.*", Binding(key="y")) == 2
    assert resolve(figures, "other[name].n", rows[1]) == 7
    assert resolve(figures, "other[name].n", rows[0]) is MISSING
    assert resolve(figures, "a.nothing") is MISSING and bindings(figures, "nothing.*") == []


def test_sums_over_every_key_unless_bound():
    entries = load_identities()
    figures = {"contacts": {"total": 3, "by_channel": {"a": 1, "b": 2}, "by_channel_pct": {"a": 33.33, "b": 66.67}}}
    got = {
        i.label(): (i.value, i.terms_total())
        for i in instances(figures, entries)
        if i.identity.id == "contacts-by-channel"
    }
    assert got == {"contacts.total": (3, 3)}
    rates = {
        i.label(): str(i.expected_rate()) for i in instances(figures, entries) if i.identity.id == "channel-shares"
    }
    assert rates == {"a": "33.33", "b": "66.67"}


@pytest.mark.parametrize(
    "entry, error",
    [
        ({"id": "x", "relation": "ratio", "figure": "a"}, "relation among"),
        ({"id": "x", "relation": "rate", "figure": "a", "numerator": "b"}, "needs denominator"),
        ({"id": "x", "relation": "same", "figure": "a", "equals": "b", "gate": {"name": "n"}}, "the gate checks only"),
        ({"id": "x", "relation": "sum", "figure": "a", "terms": ["b"], "audit": {"what": "w"}}, "needs `message`"),
        ({"id": "x", "relation": "sum", "figure": "a", "terms": ["b"], "severity": "info"}, "severity"),
    ],
)
def test_an_identity_the_code_cannot_evaluate_is_refused(tmp_path, entry, error):
    import yaml

    path = tmp_path / "identities.yml"
    path.write_text(yaml.safe_dump({"identities": [entry]}, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match=error):
        load_identities(path)


def test_an_id_used_twice_is_refused(tmp_path):
    path = tmp_path / "identities.yml"
    path.write_text("identities:\n" + "  - {id: x, relation: count, figure: a, rows: b}\n" * 2, encoding="utf-8")
    with pytest.raises(ValueError, match="used twice: x"):
        load_identities(path)
