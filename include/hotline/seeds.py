"""Reading the reference data the warehouse keeps as dbt seeds (dbt_project/seeds/*.csv) from Python: the same
files dbt loads, so Python and SQL read one copy of each rule."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path


def read_seed(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line number, row)`` for every non-blank row of the seed ``path`` (UTF-8, a BOM allowed); a missing
    required column is an error naming the file."""
    with Path(path).open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(missing)} (has {reader.fieldnames})")
        for n, row in enumerate(reader, start=2):
            if any((v or "").strip() for v in row.values()):
                yield n, row


ROLLUPS_FILE = "hotspot_rollups.csv"


def load_rollups(seeds_dir: Path | str | None = None) -> set[str]:
    """The level-1 categories reported as one hot spot (``hotspot_rollups.csv``; default: the repo's seeds)."""
    if seeds_dir is None:
        from hotline.paths import SEEDS_DIR

        seeds_dir = SEEDS_DIR
    path = Path(seeds_dir) / ROLLUPS_FILE
    if not path.exists():
        raise FileNotFoundError(f"hot-spot roll-up seed not found: {path}")
    return {
        row["category_l1"].strip() for _, row in read_seed(path, ("category_l1",)) if (row["category_l1"] or "").strip()
    }
