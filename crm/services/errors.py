"""Service-level failures the API maps to JSON errors (rule violations come from the domain)."""

from __future__ import annotations


class NotFound(LookupError):
    def __init__(self, what: str, key: object) -> None:
        super().__init__(f"{what} {key} 不存在")
        self.message = f"{what} {key} 不存在"


class InvalidInput(ValueError):
    """A request that is well-formed but makes no sense (an end date before the start)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Forbidden(PermissionError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
