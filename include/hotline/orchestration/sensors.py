"""The nightly's sensor: wait until day D's export and its manifest are there and verify.

Deferrable by default (the wait happens in the triggerer, :class:`ExportReadyTrigger`); with
``deferrable=False`` it falls back to ``mode="reschedule"`` (the worker slot is released between pokes).
The day, the folder and the timeout come from the run (``day``, ``dumps_dir``, ``sensor_timeout_minutes``,
``sensor_poke_seconds`` params), so a manual run can wait for another day or give up quickly.
On timeout the task fails (no retry: a missing export is not a transient error) with the last reason seen,
e.g. ``no export for 2024-12-05 yet: hotline_20241205.csv (or .xlsx) is not in /data/dumps``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue
from airflow.sdk.exceptions import AirflowSensorTimeout

from hotline.orchestration.config import NightlyRun, nightly_run, settings
from hotline.orchestration.exports import check_export

if TYPE_CHECKING:
    from airflow.sdk import Context


class ExportSensor(BaseSensorOperator):
    """Waits for the run's export day (see :func:`hotline.orchestration.config.nightly_run`)."""

    ui_color = "#e8f4ea"

    def __init__(self, *, deferrable: bool | None = None, **kwargs: Any):
        kwargs.setdefault("mode", "reschedule")
        kwargs.setdefault("poke_interval", settings().sensor_poke_s)
        kwargs.setdefault("timeout", settings().sensor_timeout_s)
        super().__init__(**kwargs)
        self.deferrable = settings().sensor_deferrable if deferrable is None else deferrable
        self._last_reason = ""

    def _configure(self, context: Context) -> NightlyRun:
        run = nightly_run(context)
        self.timeout = run.sensor_timeout_s
        self.poke_interval = run.sensor_poke_s
        return run

    def poke(self, context: Context) -> PokeReturnValue:
        run = self._configure(context)
        status = check_export(run.dumps_dir, run.day)
        self._last_reason = status.reason
        self.log.info("export %s: %s", run.day, status.reason)
        return PokeReturnValue(is_done=status.ready, xcom_value={**status.to_json(), **run.to_json()})

    def execute(self, context: Context) -> Any:  # noqa: RET503 - self.defer raises TaskDeferred
        run = self._configure(context)
        self.log.info(
            "waiting for the export of %s in %s (timeout %.0f s, deferrable=%s)",
            run.day,
            run.dumps_dir,
            run.sensor_timeout_s,
            self.deferrable,
        )
        if not self.deferrable:
            try:
                return super().execute(context)
            except AirflowSensorTimeout as e:
                raise AirflowSensorTimeout(self._timeout_message(run, self._last_reason)) from e
        status = check_export(run.dumps_dir, run.day)
        if status.ready:
            self.log.info("export %s: %s", run.day, status.reason)
            return {**status.to_json(), **run.to_json()}
        from hotline.orchestration.triggers import ExportReadyTrigger

        deadline = datetime.now(UTC) + timedelta(seconds=run.sensor_timeout_s)
        self.log.info("export %s: %s; deferring until %s", run.day, status.reason, deadline.isoformat())
        self.defer(
            trigger=ExportReadyTrigger(
                dumps_dir=str(run.dumps_dir),
                day=run.day,
                deadline=deadline.isoformat(),
                poke_interval=run.sensor_poke_s,
            ),
            method_name="execute_complete",
            # the trigger reports its own timeout with the reason; this is only a safety net
            timeout=timedelta(seconds=run.sensor_timeout_s + max(300.0, run.sensor_poke_s * 2)),
        )

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> dict[str, Any]:
        run = nightly_run(context)
        event = event or {}
        if event.get("status") != "ready":
            raise AirflowSensorTimeout(self._timeout_message(run, event.get("reason", "no event from the trigger")))
        status = check_export(run.dumps_dir, run.day)  # the worker must see what the triggerer saw
        if not status.ready:
            raise AirflowSensorTimeout(
                f"the triggerer saw the export of {run.day} ready but this worker does not: "
                f"{status.reason} (is {run.dumps_dir} mounted on both?)"
            )
        self.log.info("export %s: %s", run.day, status.reason)
        return {**status.to_json(), **run.to_json()}

    @staticmethod
    def _timeout_message(run: NightlyRun, reason: str) -> str:
        return (
            f"the export of {run.day} did not arrive within {run.sensor_timeout_s:.0f} s in {run.dumps_dir}: "
            f"{reason}. The next run loads it (and every other pending export) once it is delivered."
        )
