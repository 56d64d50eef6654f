"""A failing Great Expectations expectation fails the monthly DAG's gate task (and its publish task), and the
last good publication stays as it was."""

from __future__ import annotations

import duckdb
import pytest
from airflow.sdk.exceptions import AirflowFailException

from conftest import AS_OF, MONTH
from hotline.orchestration import tasks

pytestmark = pytest.mark.airflow  # Airflow in a subprocess: `make test` runs it, `make test-fast` does not


@pytest.fixture
def plan(tmp_path, warehouse_copy):
    return {"month": MONTH, "as_of": AS_OF, "warehouse": str(warehouse_copy), "publish_dir": str(tmp_path / "publish")}


def test_gate_task_passes_on_good_marts(plan):
    assert tasks.gate(plan)["failed"] == 0


def test_a_failing_expectation_fails_the_gate_and_publish_tasks(plan, warehouse_copy, caplog):
    publish_dir = plan["publish_dir"]
    from hotline.publish import publish_month

    publish_month(warehouse_copy, MONTH, AS_OF, publish_dir)  # the last good publication
    from pathlib import Path

    link = Path(publish_dir) / MONTH
    before = {p.name: p.read_bytes() for p in link.iterdir() if p.is_file()}
    con = duckdb.connect(str(warehouse_copy))
    con.execute("update marts.mart_department_satisfaction set satisfaction_pct = 120 where rank = 1")
    con.close()

    with pytest.raises(AirflowFailException, match="the gate failed for 2024-11"):
        tasks.gate(plan)
    assert "FAIL department satisfaction rate[" in caplog.text  # 120 % is not satisfied / callbacks
    with pytest.raises(AirflowFailException, match="checks failed"):
        tasks.publish({"outlet_events": {}}, plan)
    assert {p.name: p.read_bytes() for p in link.iterdir() if p.is_file()} == before
