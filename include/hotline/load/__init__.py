"""Idempotent loading of the daily exports into the warehouse's raw layer (see ``loader`` for the rules,
``rows`` for the row checks, ``schema`` for the tables)."""
from hotline.load.errors import LoadError, RejectedFile
from hotline.load.loader import FileResult, LoadReport, load_folder

__all__ = ["FileResult", "LoadError", "LoadReport", "RejectedFile", "load_folder"]
