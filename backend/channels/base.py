"""What every fallback channel is: the ``Channel`` protocol, and the errors a send raises."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.orm import Session

from backend.core.errors import HeraldError
from backend.db.models import Notification, User


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


class Channel(Protocol):
    """A fallback channel: turns a notification into its message, then sends it.

    ``compose`` runs inside the transaction that records the attempt as "sending"; ``send``
    runs outside any transaction and raises one of the errors above, never retrying itself.
    """

    name: str

    def compose(self, session: Session, n: Notification, reader: User) -> Any: ...

    def send(self, message: Any) -> None: ...
