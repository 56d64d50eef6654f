"""Scaled runs: each day's calibrated contacts, copied ``scale`` times (on average) with fresh times, ids, texts
and personal data. Same shape (channels, categories, departments, lifecycles) at any volume; the exact
calibration and the fixed overdue ids belong to scale 1 only."""

from __future__ import annotations

import random

from hotline.generate.plan import assign_ids, department_raw
from hotline.generate.spec import Spec
from hotline.generate.timeline import DAY, Clock, Draft, time_of_day


class Scaler:
    def __init__(self, spec: Spec, clock: Clock, scale: float):
        if not scale > 0:
            raise ValueError(f"scale must be > 0, got {scale}")
        self.spec = spec
        self.clock = clock
        self.scale = scale
        self.seen = 0  # prototypes so far
        self.made = 0  # copies so far

    def day(self, day: int, protos: list[Draft], rng: random.Random) -> list[Draft]:
        """The copies received on ``day`` (cumulative rounding keeps the total at round(scale × prototypes))."""
        self.seen += len(protos)
        n = round(self.seen * self.scale) - self.made
        self.made += n
        if not protos or n <= 0:
            return []
        whole, extra = divmod(n, len(protos))
        picks = protos * whole + rng.sample(protos, extra)
        out = []
        spec = self.spec
        base = day * DAY
        for p in picks:
            t = p.copy()
            t.tid = ""
            t.recv = base + time_of_day(rng, t.channel)
            t.disp = -1
            if t.handling == "工单转办":
                if t.fixed is not None:
                    t.fixed = None
                    t.overdue = True
                t.dept_raw = department_raw(rng, spec, t.dept)
            out.append(t)
        out.sort(key=_recv)
        assign_ids(out, self.clock, day, spec.seats, rng, set())
        return out


def _recv(t: Draft) -> int:
    return t.recv
