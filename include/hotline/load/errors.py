"""Errors of the loader."""
from __future__ import annotations


class LoadError(ValueError):
    """The load cannot run at all (no dumps folder, no exports in it, a warehouse of another layout)."""


class RejectedFile(ValueError):
    """A file-level problem: nothing of the file is loaded. ``str(e)`` names the file and the problem."""

    def __init__(self, file_name: str, problem: str):
        self.file_name = file_name
        self.problem = problem
        super().__init__(f"{file_name}: {problem}")
