"""Calibrated synthetic daily exports of a 12345 hotline, driven by a spec (``include/hotline/specs/*.yaml``).

    from hotline.generate import generate, load_spec, DEFAULT_SPEC
    summary = generate(spec_path=DEFAULT_SPEC, out_dir=Path("dumps"), seed=None, scale=None, progress=None)

At scale 1 (``scale=None``) the exports reproduce every figure of the spec's bulletin as of its cut-off; with
``scale=X`` every volume is multiplied by X (streamed day by day, memory bounded by the active tickets).
``faults=[("missing-day", "2024-11-05"), ("padded-enums", "5")]`` then reproduces reported defects on the written
files (:mod:`hotline.generate.faults`).
"""

from __future__ import annotations

import gc
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from hotline.generate.faults import FAULTS, FaultRecord, apply_fault, check_fault, parse_fault
from hotline.generate.plan import Planner
from hotline.generate.scale import Scaler
from hotline.generate.spec import DEFAULT_SPEC, Spec, SpecError, load_spec
from hotline.generate.text import Vocabulary
from hotline.generate.timeline import Clock, Draft, Lifecycle
from hotline.generate.writer import write_day

__all__ = [
    "DEFAULT_SPEC",
    "FAULTS",
    "FaultRecord",
    "GenerateSummary",
    "Spec",
    "SpecError",
    "apply_fault",
    "generate",
    "load_spec",
]


@dataclass(frozen=True)
class GenerateSummary:
    days: int  # daily exports written
    rows: int  # data rows written (all exports)
    tickets: int  # distinct contacts received in the written days
    out_dir: Path
    first_day: date
    last_day: date
    seed: int
    scale: float
    faults: tuple[FaultRecord, ...] = ()  # applied after writing, in order

    def get(self, key: str, default: object = None) -> Any:  # dict-like access for callers that expect a mapping
        return getattr(self, key, default)


def generate(
    spec_path: Path | str = DEFAULT_SPEC,
    out_dir: Path | str = Path("dumps"),
    seed: int | None = None,
    scale: float | None = None,
    progress: Callable[[int, int], None] | None = None,
    *,
    days: int | None = None,
    faults: Sequence[tuple[str, str | None]] = (),
) -> GenerateSummary:
    """Write one export (csv + manifest) per day of the spec's export range into ``out_dir``.

    seed: None → the spec's seed. scale: None (or 1) → calibrated; X → every volume × X. days: only the first N
    export days (the same files a full run writes for those days). progress(done_days, total_days) is called
    after each day. Existing files of the same days are replaced; other files are left alone. faults: (name,
    value) pairs applied to the written folder afterwards, in order, with this run's seed
    (:func:`hotline.generate.faults.apply_fault`); rows/days/tickets of the summary are those written before.
    """
    spec = load_spec(spec_path)
    seed = spec.seed if seed is None else int(seed)
    if scale is not None and not scale > 0:
        raise SpecError(f"scale must be a positive number, got {scale}")
    calibrated = scale is None or scale == 1
    faults = [
        parse_fault(f) if isinstance(f, str) else (str(f[0]), None if f[1] is None else str(f[1])) for f in faults
    ]  # ("name", value) pairs; "name=value" strings are accepted too
    for name, value in faults:  # names and values are checked before anything is written
        check_fault(name, value)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    clock = Clock(spec.export_start, spec.export_end)
    planner = Planner(spec, clock, seed)
    plans = planner.plan()
    life = Lifecycle(clock, Vocabulary(spec), planner.cutoff, (planner.t0, planner.t1))
    scaler = None if calibrated or scale is None else Scaler(spec, clock, float(scale))

    n_days = clock.n_days if days is None else max(0, min(int(days), clock.n_days))
    # Only acyclic objects (tuples, strings) pile up in the buckets: the cyclic GC would just scan them again and
    # again at megacity scale.
    gc_enabled = gc.isenabled()
    gc.disable()
    try:
        rows_total, tickets = _stream(out_dir, clock, plans, life, scaler, seed, n_days, progress)
    finally:
        if gc_enabled:
            gc.enable()
    records = tuple(apply_fault(out_dir, name, value, seed=seed) for name, value in faults)
    return GenerateSummary(
        days=n_days,
        rows=rows_total,
        tickets=tickets,
        out_dir=out_dir,
        first_day=clock.dates[0],
        last_day=clock.dates[max(n_days - 1, 0)],
        seed=seed,
        scale=1.0 if calibrated or scale is None else float(scale),
        faults=records,
    )


def _stream(
    out_dir: Path,
    clock: Clock,
    plans: dict[int, list[Draft]],
    life: Lifecycle,
    scaler: Scaler | None,
    seed: int,
    n_days: int,
    progress: Callable[[int, int], None] | None,
) -> tuple[int, int]:
    """Day by day: create the day's contacts, file their versions under the days they happen, write the day.
    Memory holds only the versions still to be written (i.e. tickets still active)."""
    pending: dict[int, list[tuple[str, str]]] = {}
    rows_total = tickets = 0
    for day in range(n_days):
        rng = random.Random(f"{seed}:day:{day}")
        todays = plans.get(day, [])
        if scaler is not None:
            todays = scaler.day(day, todays, rng)
        tickets += len(todays)
        for t in todays:
            prefix = life.prefix(t, rng)
            for vday, suffix in life.versions(t, rng):
                bucket = pending.get(vday)
                if bucket is None:
                    bucket = pending[vday] = []
                bucket.append((prefix, suffix))
        rows = pending.pop(day, [])
        rows.sort()
        rows_total += write_day(out_dir, clock.dates[day], rows)
        del rows
        if progress is not None:
            progress(day + 1, n_days)
    return rows_total, tickets
