"""Before any part runs: settings with every URL and key filled in, handed to it."""

from __future__ import annotations

import os

from backend.cli import running
from backend.cli.embedded import (
    EmbeddedPostgres,
    EmbeddedRedis,
    EmbeddedServers,
    private_dir,
    secret_file,
)
from backend.core.config import Settings, get_settings, use_settings


def _internal_key(settings: Settings) -> str:
    """The configured internal key; in embedded development one is made and kept in data_dir."""
    if settings.internal_key:
        return settings.internal_key
    if not settings.embedded:
        raise RuntimeError("HERALD_INTERNAL_KEY must be set when Redis/PostgreSQL URLs are set")
    return secret_file(settings.data_dir / "internal_key")


def _flower_password(settings: Settings) -> str | None:
    """Flower shows task arguments: in embedded development it gets a password of its own."""
    if settings.flower_password or not settings.embedded:
        return settings.flower_password
    return secret_file(settings.data_dir / "flower.password")


def embedded_servers(settings: Settings) -> EmbeddedServers:
    """The embedded server for every URL left unset (not started), under a private data_dir."""
    if settings.embedded:
        private_dir(settings.data_dir)
    return EmbeddedServers(
        EmbeddedRedis(settings.data_dir / "redis", settings.embedded_redis_port)
        if settings.redis_url is None else None,
        EmbeddedPostgres(settings.data_dir, settings.embedded_postgres_port)
        if settings.database_url is None else None,
    )


def filled_in(settings: Settings, servers: EmbeddedServers) -> Settings:
    """``settings`` with the embedded servers' URLs and the internal key, installed as this
    process's settings (Celery and uvicorn load their apps by name, in this process)."""
    resolved = settings.model_copy(update={**servers.urls(settings),
                                           "internal_key": _internal_key(settings),
                                           "flower_password": _flower_password(settings)})
    return use_settings(resolved)


def resolve() -> tuple[Settings, EmbeddedServers]:
    """This process's settings, with embedded servers started (or reused) for unset URLs."""
    configured = running.adopted(get_settings())
    servers = embedded_servers(configured)
    servers.start()
    return filled_in(configured, servers), servers


def child_env(settings: Settings) -> dict[str, str]:
    """The environment for a part started as a child process: the resolved URLs and key."""
    redis_url, database_url = settings.require_urls()
    env = {**os.environ, "HERALD_REDIS_URL": redis_url, "HERALD_DATABASE_URL": database_url,
           "HERALD_INTERNAL_KEY": settings.require_internal_key(),
           "HERALD_LOG_LEVEL": settings.log_level, "HERALD_LOG_FORMAT": settings.log_format,
           "HERALD_LOG_TASKS": str(settings.log_tasks).lower()}
    if settings.flower_password:
        env["HERALD_FLOWER_PASSWORD"] = settings.flower_password
    return env
