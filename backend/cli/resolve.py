"""Before any part runs: settings with every URL and key filled in, handed to it."""

from __future__ import annotations

import os
import secrets

from backend.cli.embedded import EmbeddedServers, ensure_servers
from backend.core.config import Settings, get_settings, use_settings


def _internal_key(settings: Settings) -> str:
    """The configured internal key; in embedded development one is made and kept in data_dir."""
    if settings.internal_key:
        return settings.internal_key
    if not settings.embedded:
        raise RuntimeError("HERALD_INTERNAL_KEY must be set when Redis/PostgreSQL URLs are set")
    path = settings.data_dir / "internal_key"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def resolve() -> tuple[Settings, EmbeddedServers]:
    """This process's settings, with embedded servers started for unset URLs, installed as the
    process's settings (Celery and uvicorn load their apps by name, in this process)."""
    configured = get_settings()
    servers = ensure_servers(configured)
    resolved = configured.model_copy(update={**servers.urls(configured),
                                             "internal_key": _internal_key(configured)})
    return use_settings(resolved), servers


def child_env(settings: Settings) -> dict[str, str]:
    """The environment for a part started as a child process: the resolved URLs and key."""
    redis_url, database_url = settings.require_urls()
    return {**os.environ, "HERALD_REDIS_URL": redis_url, "HERALD_DATABASE_URL": database_url,
            "HERALD_INTERNAL_KEY": settings.require_internal_key()}
