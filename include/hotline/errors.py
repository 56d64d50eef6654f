"""The errors a user (or their data) must act on. The CLI prints them as one line and exits with ``code``
(1: refused or a data problem, 2: a usage problem); anything else is a bug (exit 3)."""

from __future__ import annotations


class HotlineError(Exception):
    """A problem the user must act on: printed as one line, exit status ``code``. ``retryable``: the same request
    may succeed later without anyone acting (the Airflow tasks retry it instead of failing at once)."""

    code = 2
    retryable = False

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        if code is not None:
            self.code = code


class Refused(HotlineError):
    """The data cannot give a right answer for the request (a month without data, a cut-off after the newest
    export, a published month whose inputs changed): nothing was built or published."""

    code = 1
