"""Errors of the loader."""

from __future__ import annotations

from hotline.errors import HotlineError


class LoadError(HotlineError, ValueError):
    """The load cannot run at all (no dumps folder, no exports in it, a warehouse of another layout)."""


class RejectedFile(HotlineError, ValueError):
    """A file-level problem: nothing of the file is loaded. ``str(e)`` names the file and the problem. The loader
    records it in the file's result (load, nightly and run then exit 1): it reaches no caller by itself."""

    code = 1

    def __init__(self, file_name: str, problem: str):
        self.file_name = file_name
        self.problem = problem
        super().__init__(f"{file_name}: {problem}")
