"""A reader's notifications are numbered (seq) in the order the API accepted them, also when
each is sent on its own and consecutive ones go to the two worker processes at once."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select

from backend.db.models import Notification, User
from tests.support.api import send
from tests.support.db import session_scope
from tests.support.harness import wait_until
from tests.support.stack import Stack

SENT = 40


def _titles_by_seq(external_id: str) -> list[str]:
    with session_scope() as session:
        return list(session.scalars(
            select(Notification.title).join(User, User.id == Notification.reader_id)
            .where(User.external_id == external_id).order_by(Notification.seq)))


def test_seqs_follow_the_order_sent(stack: Stack, api: httpx.Client):
    user = f"order-{uuid.uuid4().hex[:6]}"
    titles = [f"n{n:02}" for n in range(SENT)]
    for title in titles:  # one request each, the next after the 202 of the one before
        send(api, user, title)
    wait_until(lambda: len(_titles_by_seq(user)) == SENT, what="every notification stored")
    assert _titles_by_seq(user) == titles
