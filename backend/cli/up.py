"""``herald up`` runs every part on this machine; ``herald down`` stops embedded servers."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer

from backend.cli import running
from backend.cli.embedded import (
    EmbeddedPostgres,
    EmbeddedRedis,
    EmbeddedServers,
)
from backend.cli.monitor import Monitor
from backend.cli.ports import refuse_taken
from backend.cli.resolve import child_env, embedded_servers, filled_in
from backend.cli.supervise import Supervisor
from backend.core.config import Settings, get_settings

DEMO_USER = "demo-user"
# Said once (in the banner, or a worker's INFO line) instead of Celery's multi-line warning.
ROOT_NOTE = ("running as root: Celery accepts JSON messages only here (never pickle), so a "
             "message cannot run code; in production, run the parts as an unprivileged user")


def _demo_credentials(settings: Settings) -> dict[str, str]:
    """The demo tenant, created on the first run and remembered under data_dir."""
    from backend.db.models import Tenant
    from backend.db.session import one_session
    from backend.tenants.accounts import create_tenant

    path = settings.data_dir / "demo-tenant.json"
    with one_session(settings.require_urls()[1]) as session:
        if path.exists():
            creds = json.loads(path.read_text())
            if session.get(Tenant, uuid.UUID(creds["tenant_id"])) is not None:
                return dict(creds)
        creds = create_tenant(session, "demo").as_dict()
    path.write_text(json.dumps(creds, indent=2))
    path.chmod(0o600)
    return creds


def _masked(url: str | None) -> str:
    """A URL fit for a terminal: the password replaced by stars."""
    parts = urlsplit(url or "")
    if not parts.password:
        return url or ""
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()


def _demo_link(settings: Settings, creds: dict[str, str]) -> dict[str, str]:
    """A token for the demo reader and the demo inbox's link, saved beside the keys."""
    from backend.tenants.tokens import issue_token

    token = issue_token(DEMO_USER, creds["signing_secret"], 86_400)
    url = (f"http://{settings.host}:{settings.gateway_port}/demo?"
           f"api_key={creds['publishable_key']}&token={token}")
    creds = {**creds, "demo_user": DEMO_USER, "demo_token": token, "demo_url": url}
    (settings.data_dir / "demo-tenant.json").write_text(json.dumps(creds, indent=2))
    return creds


def command() -> str:
    """How to run herald from this shell: the checkout's ``./herald`` wrapper where there is
    one (``herald`` itself is on PATH only inside the virtual environment)."""
    wrapper = Path.cwd() / "herald"
    return "./herald" if wrapper.is_file() and os.access(wrapper, os.X_OK) else "herald"


def _banner(settings: Settings, creds: dict[str, str]) -> str:
    host = settings.host
    return "\n".join([
        "Herald is starting:",
        f"  service API   http://{host}:{settings.api_port}   (docs: /docs)",
        f"  gateway       http://{host}:{settings.gateway_port}   (demo inbox: /demo)",
        f"  Flower        http://{host}:{settings.flower_port}",
        f"  Flower login  {settings.flower_user}:{settings.flower_password}",
        *([f"  metrics       /metrics on the API and gateway; the workers': "
           f"http://{host}:{settings.worker_metrics_port}/metrics, "
           f"http://{host}:{settings.outbound_metrics_port}/metrics"]
          if settings.worker_metrics_port and settings.outbound_metrics_port else []),
        f"  Redis         {_masked(settings.redis_url)}",
        f"  PostgreSQL    {_masked(settings.database_url)}",
        f"  (passwords of the embedded servers: {settings.data_dir}/*.password, 0600)",
        "Demo tenant (saved in " + str(settings.data_dir / "demo-tenant.json") + "):",
        f"  tenant_id        {creds['tenant_id']}",
        f"  secret_key       {creds['secret_key']}",
        f"  publishable_key  {creds['publishable_key']}",
        f"  token for {DEMO_USER} (24 h):",
        f"  {creds['demo_token']}",
        f"  demo inbox: {creds['demo_url']}",
        *([f"Note: {ROOT_NOTE}."] if os.geteuid() == 0 else []),
        "Press Ctrl-C to stop. The parts log warnings and errors only (--verbose for more); "
        f"`{command()} status` shows everything at once.",
    ])


def down() -> None:
    """Stop the embedded Redis and PostgreSQL that parts run alone left running."""
    settings = get_settings()
    redis_server = EmbeddedRedis(settings.data_dir / "redis", settings.embedded_redis_port)
    postgres = EmbeddedPostgres(settings.data_dir, settings.embedded_postgres_port)
    for name, server, alive in (("Redis", redis_server, redis_server.running_pid()),
                                ("PostgreSQL", postgres, postgres.running())):
        if alive:
            server.stop()
            typer.echo(f"stopped embedded {name}")
        else:
            typer.echo(f"embedded {name} was not running")


def _log_settings(settings: Settings, verbose: bool) -> dict[str, object]:
    """Parts log warnings only, unless asked for more (a terminal that stays readable)."""
    if verbose:
        return {"log_level": "DEBUG" if settings.log_level == "DEBUG" else "INFO",
                "log_tasks": True}
    # A level the user set (environment or .env) is theirs.
    return {} if "log_level" in settings.model_fields_set else {"log_level": "WARNING"}


def _refuse_taken_ports(settings: Settings, supervised: EmbeddedServers) -> None:
    """Every port this run will listen on is free, or one line says which is not."""
    ports = [("HERALD_API_PORT", settings.api_port, settings.host),
             ("HERALD_GATEWAY_PORT", settings.gateway_port, settings.host),
             ("HERALD_FLOWER_PORT", settings.flower_port, settings.host)]
    for setting in ("worker_metrics_port", "outbound_metrics_port"):
        if port := getattr(settings, setting):
            ports.append((f"HERALD_{setting.upper()}", port, settings.host))
    # The embedded servers listen on loopback only.
    if supervised.redis is not None:
        ports.append(("HERALD_EMBEDDED_REDIS_PORT", settings.embedded_redis_port, "127.0.0.1"))
    if supervised.postgres is not None:
        ports.append(("HERALD_EMBEDDED_POSTGRES_PORT", settings.embedded_postgres_port,
                      "127.0.0.1"))
    refuse_taken(ports)


def _parts_env(configured: Settings, settings: Settings) -> dict[str, str]:
    env = child_env(settings)
    if settings.embedded and "dev_tokens" not in configured.model_fields_set:
        env["HERALD_DEV_TOKENS"] = "true"  # herald.js tried before a backend mints tokens
    return env


def up(verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="the parts' INFO lines too, Celery's line per task included")
       ] = False) -> None:
    """Run the whole system on this machine: embedded Redis and PostgreSQL unless configured.

    Every part runs under supervisord: one that dies is restarted, the others keep serving.
    """
    from backend.db.migrate import upgrade

    configured = get_settings()
    configured = configured.model_copy(update=_log_settings(configured, verbose))
    servers = embedded_servers(configured)
    # Servers left running by parts run alone are reused as they are, not supervised.
    supervised = EmbeddedServers(
        servers.redis if servers.redis and not servers.redis.running_pid() else None,
        servers.postgres if servers.postgres and not servers.postgres.running() else None)
    _refuse_taken_ports(configured, supervised)
    settings = filled_in(configured, servers)
    supervisor = Supervisor(settings.data_dir, supervised)
    try:
        supervisor.start(_parts_env(configured, settings))
        typer.echo("applying migrations ...")
        upgrade(settings.require_urls()[1])
        creds = _demo_link(settings, _demo_credentials(settings))
        typer.echo(_banner(settings, creds))
        running.record(settings)  # `herald status` in another shell finds these ports
        supervisor.start_parts()
    except BaseException:
        running.forget(settings)
        supervisor.stop()  # nothing left running when the start itself fails
        raise
    monitor = Monitor(settings, supervisor.states, typer.echo,
                      ready_note=f"Demo inbox: {creds['demo_url']}")
    try:
        code = supervisor.wait(monitor.tick)
    finally:
        monitor.close()
        running.forget(settings)
    typer.echo("stopped")
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command()(up)
    app.command()(down)
