"""Shared fixtures: the default calibrated exports and a warehouse built from them, made once per session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

MONTH, AS_OF = "2024-11", "2024-12-12 10:00:00"

# A fixed test key: pseudonyms must not depend on the developer's environment.
os.environ.setdefault("HOTLINE_PII_KEY", "test-key-not-secret")


@pytest.fixture(scope="session")
def default_dumps(tmp_path_factory) -> Path:
    """The default specification's exports (Golmud, 2024-10-01 … 2024-12-12)."""
    from hotline.generate import DEFAULT_SPEC, generate

    out = tmp_path_factory.mktemp("default_dumps")
    generate(spec_path=DEFAULT_SPEC, out_dir=out)
    return out


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory, default_dumps) -> Path:
    """The default exports loaded and built for 2024-11 as of 2024-12-12 10:00. Read-only for tests: copy it
    (``warehouse_copy``) before changing anything."""
    from hotline.build import build_month
    from hotline.load import load_folder

    wh = tmp_path_factory.mktemp("built") / "warehouse.duckdb"
    load_folder(default_dumps, wh)
    build_month(wh, MONTH, AS_OF)
    return wh


@pytest.fixture
def warehouse_copy(tmp_path, built_warehouse) -> Path:
    target = tmp_path / "warehouse.duckdb"
    shutil.copy(built_warehouse, target)
    wal = built_warehouse.with_name(built_warehouse.name + ".wal")
    if wal.exists():  # not yet checkpointed changes are part of the database
        shutil.copy(wal, target.with_name(target.name + ".wal"))
    return target
