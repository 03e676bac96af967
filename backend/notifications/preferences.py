"""Readers' preferences: channels per category, quiet hours, digests; tenant defaults below."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from backend.db.models import ReaderView, Tenant

# In-app is the inbox itself: quiet hours never hold it, only the channels that interrupt.
INTERRUPTING = ("web_push", "email", "slack")


@dataclass(frozen=True)
class Preferences:
    categories: dict[str, dict[str, bool]] = field(default_factory=dict)
    quiet_start: time | None = None
    quiet_end: time | None = None
    digest: str = "off"
    required: frozenset[str] = frozenset()

    def allows(self, category: str | None, channel: str) -> bool:
        if category in self.required:
            return True
        for scope in (category or "", "*"):
            choice = self.categories.get(scope, {}).get(channel)
            if choice is not None:
                return choice
        return True

    def quiet_until(self, timezone: str | None, now: datetime | None = None) -> datetime | None:
        """When the current quiet window ends, if the reader is inside one now."""
        if self.quiet_start is None or self.quiet_end is None:
            return None
        tz = ZoneInfo(timezone or "UTC")
        local = (now or datetime.now(UTC)).astimezone(tz)
        start = local.replace(hour=self.quiet_start.hour, minute=self.quiet_start.minute,
                              second=self.quiet_start.second, microsecond=0)
        end = local.replace(hour=self.quiet_end.hour, minute=self.quiet_end.minute,
                            second=self.quiet_end.second, microsecond=0)
        if self.quiet_start < self.quiet_end:  # e.g. 13:00-14:00
            return end.astimezone(UTC) if start <= local < end else None
        # Across midnight, e.g. 22:00-07:00.
        if local >= start:
            return (end + timedelta(days=1)).astimezone(UTC)
        return end.astimezone(UTC) if local < end else None


def _merge(base: dict[str, dict[str, bool]], top: dict[str, dict[str, bool]]) -> dict:
    merged = {k: dict(v) for k, v in base.items()}
    for category, channels in top.items():
        merged.setdefault(category, {}).update(channels)
    return merged


def effective(tenant: Tenant, reader: ReaderView) -> Preferences:
    defaults: dict[str, Any] = tenant.preference_defaults or {}
    mine: dict[str, Any] = reader.preferences or {}
    quiet = mine.get("quiet_hours") or defaults.get("quiet_hours") or {}
    return Preferences(
        categories=_merge(defaults.get("categories", {}), mine.get("categories", {})),
        quiet_start=time.fromisoformat(quiet["start"]) if quiet.get("start") else None,
        quiet_end=time.fromisoformat(quiet["end"]) if quiet.get("end") else None,
        digest=mine.get("digest") or defaults.get("digest") or "off",
        required=frozenset(tenant.required_categories or []),
    )
