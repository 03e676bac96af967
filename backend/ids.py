"""Notification ids: UUIDv7, so they sort by the time the API accepted them."""

import uuid

import uuid6


def new_id() -> uuid.UUID:
    return uuid.UUID(str(uuid6.uuid7()))
