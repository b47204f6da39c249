"""Errors that services raise and every edge (API, UI, CLI) turns into a clear message."""

from __future__ import annotations


class DomainError(Exception):
    """A rule was broken. `field` names the input at fault when there is one."""

    code = "invalid"
    status = 400

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class NotFound(DomainError):
    code = "not_found"
    status = 404


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403


class Conflict(DomainError):
    code = "conflict"
    status = 409


class LaunchRefused(DomainError):
    """The launch gate said no; the message is what the learner reads."""

    code = "launch_refused"
    status = 403
