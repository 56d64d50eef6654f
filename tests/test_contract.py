"""The contract's enumerations that SQL also needs come from the dbt seeds: one copy for Python and SQL."""

from __future__ import annotations

import csv

from hotline import contract
from hotline.load import load_folder
from hotline.paths import SEEDS_DIR
from test_load import csv_bytes, good, query, write_export


def seed(name: str) -> list[dict[str, str]]:
    with (SEEDS_DIR / name).open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def in_order(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return sorted(rows, key=lambda r: int(r["display_order"]))


def test_the_contract_enumerations_are_the_seeds():
    callbacks = seed("callback_results.csv")
    assert tuple(r["callback_result"] for r in callbacks) == contract.CALLBACK_RESULTS
    counted = tuple(r["callback_result"] for r in callbacks if r["is_counted"] == "true")
    satisfied = tuple(r["callback_result"] for r in callbacks if r["is_satisfied"] == "true")
    assert counted == contract.COUNTED_CALLBACK_RESULTS
    assert satisfied == contract.SATISFIED_CALLBACK_RESULTS
    assert tuple(r["special_line"] for r in in_order(seed("special_lines.csv"))) == contract.SPECIAL_LINES
    assert tuple(r["channel_group"] for r in in_order(seed("bulletin_channels.csv"))) == contract.CHANNEL_KEYS
    groups: list[str] = []
    for r in in_order(seed("bulletin_purposes.csv")):
        if r["purpose_group"] not in groups:
            groups.append(r["purpose_group"])
    assert tuple(groups) == contract.PURPOSE_KEYS
    # the loader's enum check reads them too
    assert contract.ENUMS["回访结果"] == ("", *contract.CALLBACK_RESULTS)
    assert contract.ENUMS["专线类别"] == ("", *contract.SPECIAL_LINES)


def test_the_loader_still_quarantines_an_unknown_callback_result(tmp_path):
    dumps, wh = tmp_path / "dumps", tmp_path / "w.duckdb"
    write_export(dumps, "2024-11-01", csv_bytes([good(1), good(2, result="很满意"), good(3, result="基本满意")]))
    f = load_folder(dumps, wh).files[0]
    assert (f.rows_loaded, f.rows_quarantined) == (2, 1)
    ((row_number, code, reason),) = query(wh, "SELECT _row_number, reason_code, reason FROM raw.quarantine")
    assert (row_number, code) == (2, "unknown_enum") and "回访结果" in reason and "很满意" in reason
