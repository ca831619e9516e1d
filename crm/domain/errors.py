"""The CRM's one error type: a refusal a person can act on, and the HTTP status it means.

Every refusal (a rule, a missing record, a bad value, a missing sign-in, Asterisk not answering)
is a ``HotlineError``; ``crm.http.errors`` turns any of them into the one JSON shape
``{"error": message, "path": …, **details}``. ``message`` is Chinese, for the staff member.
"""

from __future__ import annotations


class HotlineError(Exception):
    """Base of every refusal; ``status`` is the HTTP status, ``details`` extra JSON fields."""

    status = 400

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class RuleViolation(HotlineError):
    """An action the hotline's rules forbid (docs/hotline-rules.md); ``rule`` names the rule."""

    status = 409

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message, rule=rule)
        self.args = (f"{rule}: {message}",)
        self.rule = rule


class NotFound(HotlineError, LookupError):
    """A record the request names does not exist."""

    status = 404

    def __init__(self, what: str, key: object) -> None:
        super().__init__(f"{what} {key} 不存在")


class InvalidInput(HotlineError, ValueError):
    """A request that is well-formed but makes no sense (an end date before the start)."""

    status = 422


class Conflict(HotlineError):
    """A change that collides with what is stored: a taken 工号, unit code, special-line number
    or article slug (a unique column of the database)."""

    status = 409


class Forbidden(HotlineError, PermissionError):
    """Signed in, but the role (or the order's confidentiality) does not allow this."""

    status = 403


class Unauthenticated(HotlineError):
    """Nobody signed in, and no valid service token."""

    status = 401


class NotSignedIn(Unauthenticated):
    """No valid console session: a page redirects to the sign-in form, the API answers 401."""


class Unavailable(HotlineError):
    """A part of the hotline the request needs (Asterisk) did not answer."""

    status = 503
