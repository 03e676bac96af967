"""API keys (stored only as hashes) and readers' JWTs."""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

import jwt

from backend.core.errors import HeraldError
from backend.core.validation import is_user_id

# A tenant's one algorithm is fixed in advance: never the one a token names for itself.
ASYMMETRIC = ("RS256", "ES256")
SECRET_PREFIX = "sk_"
PUBLISHABLE_PREFIX = "pk_"


class TokenError(HeraldError):
    """A reader's token is missing, malformed, expired or signed by someone else."""


def new_key(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(24)


def hash_key(key: str) -> str:
    # Keys are 192 random bits, so a fast hash is enough; no password stretching needed.
    return hashlib.sha256(key.encode()).hexdigest()


def new_signing_secret() -> str:
    return secrets.token_urlsafe(32)


def issue_token(user_id: str, signing_secret: str, ttl_seconds: int) -> str:
    now = int(time.time())
    claims = {"sub": user_id, "iat": now, "exp": now + ttl_seconds}
    return jwt.encode(claims, signing_secret, algorithm="HS256")


def verify_token(token: str, key: str, algorithm: str = "HS256") -> dict[str, Any]:
    """Claims of a valid token; ``key`` is the HS256 secret or the RS256/ES256 public key."""
    try:
        claims = jwt.decode(token, key, algorithms=[algorithm],
                            options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("token expired") from exc
    except jwt.InvalidTokenError as exc:
        raise TokenError(f"invalid token: {exc}") from exc
    if not is_user_id(claims.get("sub")):
        raise TokenError("invalid token: sub must be a user id (1 to 200 characters, no "
                         "control characters, no surrounding spaces)")
    return claims
