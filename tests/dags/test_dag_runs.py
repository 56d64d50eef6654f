"""The real DAGs run end to end with ``dag.test()`` on the generated exports, in order, against one warehouse
(all runs in one subprocess, see run_scenario.py):

1. day 2024-12-12 has not been delivered: the nightly's sensor times out (short timeout via param) and fails
   with the reason; nothing is loaded; the failure callback alerts the configured webhook;
2. the export arrives: the next nightly catches up all 73 exports, builds staging + the ticket history in one dbt task,
   passes freshness and row-level checks and records the ``hotline_raw_layer`` asset event;
3. the same run again changes nothing in the raw layer (row counts and content hashes identical);
4. the monthly DAG builds, validates and publishes 2024-11 as of 2024-12-12 10:00.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from airflow_support import (
    LAST_DAY,
    N_EXPORTS,
    REPO,
    airflow_env,
    asset_events,
    copy_dumps,
    init_airflow_home,
    shared_manifest,
    webhook_receiver,
)

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

HERE = Path(__file__).resolve().parent
STEP_END = re.compile(r"^@@STEP-END (\S+) (\{.*\})$", re.MULTILINE)


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory) -> Path:
    """An AIRFLOW_HOME with a migrated SQLite metadata DB and the hotline_duckdb pool."""
    home = tmp_path_factory.mktemp("airflow-home")
    init_airflow_home(home, airflow_env(home))
    return home


@pytest.fixture(scope="module")
def scenario(tmp_path_factory, airflow_home, default_dumps) -> dict:
    dumps = default_dumps  # tests/conftest.py: the calibrated exports, generated once per session (read-only)
    dbt_manifest = shared_manifest(tmp_path_factory.getbasetemp())
    root = tmp_path_factory.mktemp("dag-runs")
    inbox = copy_dumps(dumps, root / "dumps", exclude_days=(LAST_DAY,))
    late = [dumps / f"hotline_{LAST_DAY.replace('-', '')}{ext}" for ext in (".csv", ".manifest.json")]
    warehouse, publish = root / "warehouse" / "warehouse.duckdb", root / "publish"
    nightly = {"day": LAST_DAY, "sensor_poke_seconds": 1, "sensor_timeout_minutes": 1}
    steps = [
        {"name": "missing_day", "dag_id": "hotline_nightly", "conf": {**nightly, "sensor_timeout_minutes": 0.05}},
        {
            "name": "catch_up",
            "dag_id": "hotline_nightly",
            "conf": nightly,
            "fingerprint": str(warehouse),
            "copy": [[str(p), str(inbox / p.name)] for p in late],
        },  # the late export lands
        # the dbt tasks only rebuild staging/facts: marked done to keep the run short (raw is what must not move)
        {
            "name": "rerun",
            "dag_id": "hotline_nightly",
            "conf": nightly,
            "fingerprint": str(warehouse),
            "mark_success": r"dbt_staging_facts",
        },
        {
            "name": "monthly",
            "dag_id": "hotline_monthly_bulletin",
            "conf": {"month": "2024-11", "as_of": "2024-12-12 10:00"},
        },
    ]
    spec = root / "scenario.json"
    spec.write_text(json.dumps({"steps": steps}))

    t = time.monotonic()
    with webhook_receiver("/alert") as (alert_url, alerts):
        env = airflow_env(
            airflow_home,
            HOTLINE_DUMPS=str(inbox),
            HOTLINE_WAREHOUSE=str(warehouse),
            HOTLINE_PUBLISH=str(publish),
            HOTLINE_DBT_MANIFEST=str(dbt_manifest),
            HOTLINE_ALERT_WEBHOOK=alert_url,
        )
        p = subprocess.run(
            [sys.executable, str(HERE / "run_scenario.py"), str(spec)],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    out = p.stdout + p.stderr
    results, outputs, start = {}, {}, 0
    for m in STEP_END.finditer(p.stdout):
        res = json.loads(m.group(2))
        results[m.group(1)] = res
        outputs[m.group(1)] = p.stdout[start : m.start()]
        start = m.end()
    assert len(results) == len(steps), f"the scenario stopped early\n{out[-6000:]}"
    print(f"dag.test scenario: {time.monotonic() - t:.0f} s for {len(steps)} runs")
    return {
        "results": results,
        "outputs": outputs,
        "home": airflow_home,
        "warehouse": warehouse,
        "publish": publish,
        "alerts": list(alerts),
    }


def _check(s, step, state):
    r = s["results"][step]
    assert r["state"] == state, f"{step}: {r}\n--- output tail\n{s['outputs'][step][-5000:]}"
    return r


def test_1_missing_export_fails_the_sensor_clearly(scenario):
    r = _check(scenario, "missing_day", "failed")
    assert r["tasks"]["wait_for_export"] == "failed"
    assert r["tasks"]["load_exports"] == "upstream_failed"
    out = scenario["outputs"]["missing_day"]
    assert "the export of 2024-12-12 did not arrive within 3 s" in out
    assert "no export for 2024-12-12 yet: hotline_20241212.csv" in out
    # the failure callback alerted the configured webhook, once, with the reason
    first = [a for a in scenario["alerts"] if a["alert"]["run_id"] == r["run_id"]]
    assert [a["alert"]["task_id"] for a in first] == ["wait_for_export"]
    assert "did not arrive" in first[0]["text"] and "day=2024-12-12" in first[0]["text"]


def test_2_next_run_catches_up_every_export(scenario):
    r = _check(scenario, "catch_up", "success")
    assert all(s == "success" for s in r["tasks"].values()), r["tasks"]
    assert r["tasks"]["dbt_staging_facts"] == "success"
    built = re.search(
        r"dbt build of staging \+ the ticket history through 2024-12-12: (\d+) of (\d+) nodes passed",
        scenario["outputs"]["catch_up"],
    )
    # the staging views, the history and their data tests: the facts as of a cut-off are the monthly build's
    assert built and int(built.group(2)) >= 10 and int(built.group(1)) >= int(built.group(2)) - 1, built
    assert "'counts': {'loaded': 73}" in scenario["outputs"]["catch_up"]
    assert int(r["fingerprint"]["exports"][0]) == N_EXPORTS
    events = asset_events(scenario["home"], "hotline_raw_layer")
    assert events and events[-1]["through_day"] == LAST_DAY and events[-1]["exports"] == N_EXPORTS


def test_3_rerun_changes_nothing(scenario):
    r = _check(scenario, "rerun", "success")
    assert "'counts': {'unchanged': 73}" in scenario["outputs"]["rerun"]
    assert r["fingerprint"] == scenario["results"]["catch_up"]["fingerprint"]
    assert len(scenario["alerts"]) == 1, "successful runs send no alert"


def test_4_monthly_bulletin_publishes_the_month(scenario):
    r = _check(scenario, "monthly", "success")
    assert set(r["tasks"].values()) == {"success"}
    out = scenario["publish"] / "2024-11"
    assert out.exists() and any(out.iterdir())
    events = asset_events(scenario["home"], "hotline_monthly_bulletin")
    assert events and events[-1]["month"] == "2024-11"


def test_5_the_key_is_in_no_airflow_log_and_no_file(scenario):
    """The workers loaded the exports with the pseudonymization key: no task log, no file under the Airflow
    home, the warehouse folder (dbt's target and logs included) or the publication holds it."""
    import os

    from scan import derived_forms, find

    key = os.environ["HOTLINE_PII_KEY"]
    forms = derived_forms(key)
    assert not find(forms, scenario["home"], scenario["warehouse"].parent, scenario["publish"])
    # dag.test() runs the tasks in the scenario's process: their logs are its output
    output = "\n".join(scenario["outputs"].values()).encode("utf-8")
    assert "load summary" in output.decode() and not [n for n, f in forms.items() if f in output]
