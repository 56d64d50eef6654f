"""The nightly's dbt step, and the manifest astronomer-cosmos renders it from.

The nightly builds staging and the ticket history with the versions of the days it loaded
(``hotline.build.build_nightly``, selection ``hotline.build.NIGHTLY_SELECT``; dbt's unit tests run in CI). The
facts and marts as of a cut-off are filters on that history, built with the month.
``HOTLINE_NIGHTLY_DBT_TASKS`` chooses how it appears in Airflow:

- ``single`` (default): one task, one ``dbt build`` of the whole selection. Every dbt invocation pays dbt's
  start-up and parsing; one per night keeps that cost once. Each node's outcome is in the task's log and in
  dbt's ``run_results.json``.
- ``per_model``: a cosmos ``DbtTaskGroup``, one task per seed/model (``TestBehavior.BUILD``: the model's tests
  run right after it, in the same task; ``HOTLINE_DBT_TEST_BEHAVIOR=after_each`` for separate test tasks),
  with ``TestIndirectSelection.BUILDABLE``. Each model's state and log in Airflow's grid, at one dbt
  start-up per task (benchmarks/README.md).

Cosmos renders the task group from ``manifest.json`` (``LoadMode.DBT_MANIFEST``: reading a file; dbt is
never parsed while a DAG file is imported). The manifest is produced by a build step::

    python -m hotline.orchestration.dbt manifest        # → dbt_project/target/manifest.json

(``scripts/airflow-demo.sh``, ``scripts/airflow-local.sh`` and the tests run it; ``HOTLINE_DBT_MANIFEST`` points
elsewhere). Without a manifest, ``per_model`` falls back to the single task and says how to get the per-model
tasks back.

Every dbt task writes the DuckDB warehouse: they all run in the 1-slot ``hotline_duckdb`` pool. The warehouse
path and the pseudonymization key reach dbt's ``profiles.yml`` through the environment (per cosmos task:
:func:`dbt_env_interceptor`, from the run's params).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hotline.paths import DBT_PROJECT_DIR

if TYPE_CHECKING:
    from airflow.sdk import Context, XComArg
    from cosmos import DbtTaskGroup

log = logging.getLogger(__name__)

PROFILE_NAME, TARGET_NAME = "hotline", "dev"


def nightly_dbt_tasks() -> str:
    """``single`` (default) or ``per_model``, from ``HOTLINE_NIGHTLY_DBT_TASKS``."""
    value = os.environ.get("HOTLINE_NIGHTLY_DBT_TASKS", "").strip().lower() or "single"
    if value not in ("single", "per_model"):
        raise ValueError(f"HOTLINE_NIGHTLY_DBT_TASKS must be single or per_model, got {value!r}")
    return value


def dbt_test_behavior() -> str:
    """``build`` (default): one ``dbt build`` task per seed/model, its tests and unit tests run right after it in
    the same task (half the tasks, half the dbt start-ups); ``after_each``: a separate test task per model.
    ``HOTLINE_DBT_TEST_BEHAVIOR`` picks."""
    value = os.environ.get("HOTLINE_DBT_TEST_BEHAVIOR", "").strip().lower() or "build"
    if value not in ("build", "after_each"):
        raise ValueError(f"HOTLINE_DBT_TEST_BEHAVIOR must be build or after_each, got {value!r}")
    return value


def nightly_select(manifest_path: Path) -> list[str]:
    """Cosmos selectors of the nightly: those of ``hotline nightly`` (``hotline.build.NIGHTLY_SELECT``), checked
    against the manifest (``HOTLINE_NIGHTLY_DBT_SELECT``, comma-separated, overrides)."""
    from hotline.build import NIGHTLY_SELECT

    override = os.environ.get("HOTLINE_NIGHTLY_DBT_SELECT", "").strip()
    if override:
        return [s.strip() for s in override.split(",") if s.strip()]
    selectors = NIGHTLY_SELECT.split()
    nodes = json.loads(Path(manifest_path).read_text(encoding="utf-8")).get("nodes", {})
    names = {n.get("name") for n in nodes.values()}
    missing = [s for s in selectors if not s.startswith("path:") and s.lstrip("+") not in names]
    if missing:
        raise ValueError(
            f"{manifest_path} has no model {', '.join(missing)}: rebuild it "
            "(python -m hotline.orchestration.dbt manifest)"
        )
    return selectors


def dbt_env_interceptor(context: Context, operator: Any) -> None:
    """Cosmos interceptor: point dbt at the run's warehouse and set the nightly vars (dbt needs no secret: the
    loader pseudonymized the phones)."""
    from hotline.build import HIDDEN_FROM_DBT, PERIOD_ENV, nightly_vars
    from hotline.orchestration.config import nightly_run

    run = nightly_run(context)
    run.warehouse.parent.mkdir(parents=True, exist_ok=True)
    # the period as environment variables, not --vars: changing --vars makes every task re-parse the project
    period = {PERIOD_ENV[k]: v for k, v in nightly_vars(run.day).items()}
    env = {k: v for k, v in (operator.env or {}).items() if k not in HIDDEN_FROM_DBT}
    operator.env = {**env, "HOTLINE_WAREHOUSE": str(run.warehouse), **period}


def nightly_dbt_group(
    group_id: str = "dbt_staging_facts", pool: str | None = None, manifest: Path | None = None
) -> DbtTaskGroup | XComArg:
    """The nightly's dbt step: one task (``single``) or the cosmos ``DbtTaskGroup`` (``per_model``, when the
    manifest exists). Call inside a DAG context."""
    from hotline.orchestration.config import settings

    s = settings()
    pool = pool or s.pool
    if nightly_dbt_tasks() == "single":
        return _single_task(group_id, pool)
    manifest = Path(manifest or s.dbt_manifest)
    if not manifest.is_file():
        log.warning(
            "dbt manifest %s not found: the nightly runs dbt as one task. Run "
            "`python -m hotline.orchestration.dbt manifest` for one task per model.",
            manifest,
        )
        return _single_task(group_id, pool)

    from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
    from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior, TestIndirectSelection

    return DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(
            dbt_project_path=DBT_PROJECT_DIR, manifest_path=manifest, project_name="hotline", install_dbt_deps=False
        ),
        profile_config=ProfileConfig(
            profile_name=PROFILE_NAME, target_name=TARGET_NAME, profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml"
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL,
            invocation_mode=InvocationMode.DBT_RUNNER,
            # a model's test task runs only tests whose other parents are built
            # before it (not, e.g., relationships to the monthly marts)
            test_indirect_selection=TestIndirectSelection.BUILDABLE,
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            select=nightly_select(manifest),
            test_behavior=TestBehavior(dbt_test_behavior()),
            emit_datasets=False,
        ),
        operator_args={"pool": pool, "emit_datasets": False, "interceptors": [dbt_env_interceptor]},
    )


def _single_task(group_id: str, pool: str) -> XComArg:
    from airflow.sdk import task

    @task(task_id=group_id, pool=pool)
    def dbt_build_staging_facts(**context: Any) -> dict[str, Any]:
        from hotline.orchestration import tasks

        return tasks.build_staging_facts(context)

    return dbt_build_staging_facts()


def generate_manifest(target: Path | None = None, warehouse: Path | None = None) -> Path:
    """``dbt parse`` into ``target`` (default: the configured manifest's folder); returns manifest.json."""
    from dbt.cli.main import dbtRunner

    from hotline.orchestration.config import settings

    s = settings()
    target = Path(target) if target else s.dbt_manifest.parent
    target.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("HOTLINE_WAREHOUSE", str(warehouse or s.warehouse))
    res = dbtRunner().invoke(
        [
            "parse",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target),
            "--log-path",
            str(target / "logs"),
            "--quiet",
        ]
    )
    manifest = target / "manifest.json"
    if not res.success or not manifest.is_file():
        raise RuntimeError(f"dbt parse failed: {res.exception or 'see ' + str(target / 'logs')}")
    return manifest


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] != "manifest" or len(argv) > 2:
        print("usage: python -m hotline.orchestration.dbt manifest [TARGET_DIR]", file=sys.stderr)
        return 2
    try:
        path = generate_manifest(Path(argv[1]) if len(argv) == 2 else None)
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())


__all__ = [
    "dbt_env_interceptor",
    "generate_manifest",
    "nightly_dbt_group",
    "nightly_select",
    "dbt_test_behavior",
    "nightly_dbt_tasks",
]
