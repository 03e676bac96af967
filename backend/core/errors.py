"""Herald's own exceptions. Each carries the HTTP status and code it is answered with, so each
app renders all of them in one exception handler (``backend.api.errors``)."""

from __future__ import annotations

from collections.abc import Sequence


class HeraldError(Exception):
    """Something Herald itself detected and can explain."""

    status_code = 500
    code = "internal_error"


class InvalidInput(HeraldError, ValueError):
    """Input the schema could not judge alone; ``loc`` names the field, as FastAPI's own do."""

    status_code = 422
    code = "value_error"

    def __init__(self, message: str, loc: Sequence[str | int] = ("body",)) -> None:
        super().__init__(message)
        self.loc = tuple(loc)


class NotFound(HeraldError, LookupError):
    status_code = 404
    code = "not_found"


class Unauthorized(HeraldError):
    """Credentials were missing or refused; the message is safe to show the client."""

    status_code = 401
    code = "unauthorized"
    challenge = "ApiKey"  # the WWW-Authenticate scheme to answer with


class Forbidden(HeraldError):
    """Known, and not allowed (e.g. a browser origin no tenant allows)."""

    status_code = 403
    code = "forbidden"


class Unavailable(HeraldError):
    """A server Herald needs does not answer (readiness)."""

    status_code = 503
    code = "unavailable"


class TooLarge(HeraldError):
    """A request over one of the size limits; the message names the limit's setting."""

    status_code = 413
    code = "too_large"


class NotYet(HeraldError):
    """Known, but not ready for this yet (a notification still on its way to storage)."""

    status_code = 409
    code = "not_yet"
    retry_after = 1.0


class TooManyRequests(HeraldError):
    """A tenant over its quota; try again after ``retry_after`` seconds."""

    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after
