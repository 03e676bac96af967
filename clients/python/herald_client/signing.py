"""What a product's backend signs and checks itself: readers' tokens (HS256 with the tenant's
signing secret, as ``POST /v1/tokens`` makes them) and delivery webhooks' signatures."""

from __future__ import annotations

import hashlib
import hmac
import time

import jwt


def mint_reader_token(signing_secret: str, user_id: str, ttl_seconds: int = 3600,
                      now: float | None = None) -> str:
    """A reader's JWT for the gateway, without a round trip to Herald."""
    issued = int(time.time() if now is None else now)
    return jwt.encode({"sub": user_id, "iat": issued, "exp": issued + ttl_seconds},
                      signing_secret, algorithm="HS256")


class BadSignature(ValueError):
    """The webhook request was not signed by Herald with this secret, or is too old."""


def verify_webhook(secret: str, header: str, body: bytes, tolerance: int = 300,
                   now: float | None = None) -> None:
    """Check a delivery webhook's ``Herald-Signature`` (``t=<unix>,v1=<hex HMAC-SHA256 of
    "<t>.<raw body>">``) against the raw body; raises ``BadSignature``. ``tolerance``
    seconds bound a replay."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        sent_at = int(fields["t"])
    except (KeyError, ValueError) as exc:
        raise BadSignature("no t= in Herald-Signature") from exc
    expected = hmac.new(secret.encode(), f"{sent_at}.".encode() + body,
                        hashlib.sha256).hexdigest()
    given = [v for k, v in fields.items() if k == "v1"]
    if not given or not hmac.compare_digest(expected, given[0]):
        raise BadSignature("Herald-Signature does not match the body")
    if abs((time.time() if now is None else now) - sent_at) > tolerance:
        raise BadSignature(f"Herald-Signature is older than {tolerance} s")
