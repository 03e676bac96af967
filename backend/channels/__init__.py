"""Fallback channels: each sender raises one of these errors, and never retries itself."""

from __future__ import annotations

from backend.errors import HeraldError


class ChannelError(HeraldError):
    """A send failed."""


class TransientError(ChannelError):
    """Worth another try later, no sooner than ``retry_after`` seconds if given."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(ChannelError):
    """Trying again cannot help (bad address, revoked webhook)."""


class NoAddress(PermanentError):
    """The reader has no address for this channel."""
