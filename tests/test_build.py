"""How the pipeline drives dbt: each warehouse has its own dbt work folder."""

from __future__ import annotations

import pytest

from hotline.build import dbt_log_file, dbt_work_dir, run_dbt


def _last_invocation(log_file) -> str:
    return log_file.read_text(encoding="utf-8").rsplit("running dbt with arguments", 1)[-1]


@pytest.mark.slow
def test_two_warehouses_in_one_folder_keep_their_own_parse_and_results(tmp_path, monkeypatch):
    """dbt re-parses the whole project when the profile (the warehouse path) differs from the last parse in its
    target (seconds per run at megacity size, and a scratch copy beside the warehouse would cause it every
    time); two warehouses sharing a target would also overwrite each other's run results."""
    monkeypatch.setenv("HOTLINE_PII_KEY", "test-key")
    a, b = tmp_path / "warehouse.duckdb", tmp_path / "scratch.duckdb"
    assert dbt_work_dir(a) != dbt_work_dir(b)
    for wh in (a, b, a):
        assert run_dbt("parse", wh).success
    last = _last_invocation(dbt_log_file(a))
    assert str(dbt_work_dir(a)) in last  # the log is a's own
    assert "Partial parsing enabled" in last and "Unable to do partial parsing" not in last, last[-2000:]
    assert (dbt_work_dir(b) / "target" / "manifest.json").is_file()
