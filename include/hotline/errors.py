"""The errors a user (or their data) must act on. The CLI prints them as one line and exits with ``code``."""
from __future__ import annotations


class HotlineError(Exception):
    """A problem the user must act on: printed as one line, exit status ``code``."""

    code = 2

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        if code is not None:
            self.code = code


class Refused(HotlineError):
    """The data cannot give a right answer for the request (a month without data, a cut-off after the newest
    export, a published month whose inputs changed): nothing was built or published."""

    code = 1
