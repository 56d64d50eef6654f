"""Where things live by default. Every path can be overridden on the command line or in DAG params."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parents[1]  # include/hotline -> repo root
DBT_PROJECT_DIR = PROJECT_DIR / "dbt_project"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
EXPECTATIONS_DIR = PROJECT_DIR / "expectations"


def _env_path(name: str, default: str) -> Path:
    return Path(os.environ.get(name, default))


def default_data_dir() -> Path:
    return _env_path("HOTLINE_DATA_DIR", "data")


def default_dumps_dir() -> Path:
    return _env_path("HOTLINE_DUMPS", str(default_data_dir() / "dumps"))


def default_warehouse() -> Path:
    return _env_path("HOTLINE_WAREHOUSE", str(default_data_dir() / "warehouse.duckdb"))


def default_publish_dir() -> Path:
    return _env_path("HOTLINE_PUBLISH", "publish")
