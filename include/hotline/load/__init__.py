"""Idempotent loading of the daily exports into the warehouse's raw layer (see ``loader`` for the rules and how
its modules divide the work, ``rows`` for the row checks, ``schema`` for the tables)."""

from hotline.load.audit import FileResult, LoadReport
from hotline.load.errors import LoadError, RejectedFile
from hotline.load.loader import load_folder

__all__ = ["FileResult", "LoadError", "LoadReport", "RejectedFile", "load_folder"]
