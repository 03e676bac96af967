"""What one send request may cost: the size of its data, the bytes it writes into the stream
(recipients x one notification) and how many notifications it creates. Each limit is a
setting, and a request over any of them is refused whole (413) before anything is queued."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from backend.core.config import Settings
from backend.core.errors import TooLarge
from backend.notifications.schemas import NotificationCreate

ENTRY_OVERHEAD_BYTES = 300  # ids, tenant, timestamps and field names of one stream entry

Loc = tuple[str | int, ...]


def locations(count: int, batch: bool) -> list[Loc]:
    """Where each notification request of a body is, as FastAPI names fields."""
    return [("body", "items", i) for i in range(count)] if batch else [("body",)] * count


def _dotted(loc: Loc) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)[1:]


@dataclass(frozen=True)
class RequestLimits:
    data_bytes: int
    fanout_bytes: int
    notifications: int

    @classmethod
    def of(cls, settings: Settings) -> RequestLimits:
        return cls(settings.max_data_bytes, settings.max_fanout_bytes,
                   settings.max_notifications_per_request)

    def check_data(self, data: dict[str, Any], loc: Loc = ("body",)) -> None:
        size = len(json.dumps(data, ensure_ascii=False).encode())
        if size > self.data_bytes:
            raise TooLarge(f"{_dotted(loc)}.data is {size:,} bytes; the limit is "
                           f"{self.data_bytes:,} (HERALD_MAX_DATA_BYTES)")

    def check(self, body: NotificationCreate, loc: Loc = ("body",)) -> None:
        where = _dotted(loc)
        self.check_data(body.data, loc)
        one = len(body.model_dump_json(exclude={"recipients"}).encode()) + ENTRY_OVERHEAD_BYTES
        fanout = one * len(body.recipients)
        if fanout > self.fanout_bytes:
            raise TooLarge(f"{where}: {len(body.recipients)} recipients x {one:,} bytes = "
                           f"{fanout:,} bytes; the limit is {self.fanout_bytes:,} "
                           "(HERALD_MAX_FANOUT_BYTES): send fewer recipients or less data")

    def check_all(self, bodies: Sequence[NotificationCreate], batch: bool = False) -> int:
        """Check every item; returns how many notifications the request creates."""
        for body, loc in zip(bodies, locations(len(bodies), batch), strict=True):
            self.check(body, loc)
        count = sum(len(body.recipients) for body in bodies)
        if count > self.notifications:
            raise TooLarge(f"the request creates {count:,} notifications; the limit is "
                           f"{self.notifications:,} (HERALD_MAX_NOTIFICATIONS_PER_REQUEST)")
        return count
