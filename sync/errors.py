"""Typed errors of the platform client. The outbox decides from the type alone what to do with an
item: :class:`PlatformUnavailable` (no connection, a timeout, HTTP 5xx, 408/429) → keep it pending
and try again later; :class:`PlatformAuthFailed` (401) → keep everything pending, the workstation's
token is wrong; :class:`PlatformRejected` (any other 4xx, with the platform's field errors) → park
the item for the operator, never drop it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One validation error as the platform names it: a dotted field path and a message (Chinese
    first, English beside it)."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class PlatformError(Exception):
    """Any failure talking to the management platform."""


class PlatformUnavailable(PlatformError):
    """The platform could not be reached or did not answer in time, or answered with a server error
    (5xx, 408, 429): nothing is known about whether it took the request, so the same request (same
    Idempotency-Key) is sent again later."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class PlatformAuthFailed(PlatformUnavailable):
    """401: the platform does not accept the workstation's token. Retrying later is right (an admin
    fixes the token), parking the item is not: it is the configuration that is wrong, not the item."""


class PlatformRejected(PlatformError):
    """The platform refused the request (4xx other than 401/408/429): validation errors naming the
    field (422), another institution's booking (403), an Idempotency-Key reused with a different
    body or a conflicting decision (409). Sending it again unchanged will not help."""

    def __init__(self, message: str, status: int, errors: tuple[FieldError, ...] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.errors = errors

    def describe(self) -> str:
        """The status and every field error on one line each (what the operator is shown)."""
        lines = [f"HTTP {self.status}: {self}"]
        lines += [f"  {e}" for e in self.errors]
        return "\n".join(lines)
