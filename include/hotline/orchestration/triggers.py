"""The trigger behind the deferrable export sensor: it polls the dumps folder in the triggerer (no worker slot
is held while waiting) and fires once the day's export verifies or the deadline passes.

The triggerer must see the same dumps folder as the workers (docker-compose mounts it into both).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from hotline.orchestration.exports import check_export


class ExportReadyTrigger(BaseTrigger):
    """Fires ``{"status": "ready", ...ExportStatus}`` or ``{"status": "timeout", "reason": ...}``."""

    def __init__(self, dumps_dir: str, day: str, deadline: str, poke_interval: float = 60.0, **kwargs: Any):
        super().__init__()  # type: ignore[no-untyped-call]  # BaseTrigger.__init__ is unannotated
        self.dumps_dir = str(dumps_dir)
        self.day = day
        self.deadline = deadline  # ISO-8601 UTC
        self.poke_interval = float(poke_interval)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            "hotline.orchestration.triggers.ExportReadyTrigger",
            {
                "dumps_dir": self.dumps_dir,
                "day": self.day,
                "deadline": self.deadline,
                "poke_interval": self.poke_interval,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        deadline = datetime.fromisoformat(self.deadline)
        while True:
            status = await asyncio.to_thread(check_export, Path(self.dumps_dir), self.day)
            if status.ready:
                yield TriggerEvent({"status": "ready", **status.to_json()})
                return
            remaining = (deadline - datetime.now(UTC)).total_seconds()
            if remaining <= 0:
                yield TriggerEvent({"status": "timeout", **status.to_json()})
                return
            self.log.info("waiting for %s: %s (%.0f s left)", self.day, status.reason, remaining)
            await asyncio.sleep(max(0.5, min(self.poke_interval, remaining)))
