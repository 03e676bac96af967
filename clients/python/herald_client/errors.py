"""The one exception a call raises when Herald refuses it."""

from __future__ import annotations

from typing import Any


class HeraldError(Exception):
    """Herald answered 4xx (or 5xx once retries ran out): ``status``, and Herald's own error
    body, ``detail`` (a sentence, or FastAPI's list of ``{"loc","msg","type"}``)."""

    def __init__(self, status: int, detail: Any, retry_after: float | None = None) -> None:
        super().__init__(f"Herald answered {status}: {detail}")
        self.status = status
        self.detail = detail
        self.retry_after = retry_after

    @property
    def fields(self) -> list[str]:
        """The fields a 422 names, as ``body.recipients.0`` and the like."""
        if not isinstance(self.detail, list):
            return []
        return [".".join(str(part) for part in item.get("loc", [])) for item in self.detail
                if isinstance(item, dict)]
