"""``herald up`` runs every part on this machine; ``herald down`` stops embedded servers."""

from __future__ import annotations

import json
import uuid
from urllib.parse import urlsplit

import typer

from backend.cli.embedded import EmbeddedPostgres, EmbeddedRedis, EmbeddedServers
from backend.cli.resolve import child_env, embedded_servers, filled_in
from backend.cli.supervise import Supervisor
from backend.core.config import Settings, get_settings

DEMO_USER = "demo-user"


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


def _banner(settings: Settings, creds: dict[str, str]) -> str:
    from backend.tenants.tokens import issue_token

    demo_token = issue_token(DEMO_USER, creds["signing_secret"], 86_400)
    host = settings.host
    return "\n".join([
        "Herald is starting:",
        f"  service API   http://{host}:{settings.api_port}   (docs: /docs)",
        f"  gateway       http://{host}:{settings.gateway_port}   (demo inbox: /demo)",
        f"  Flower        http://{host}:{settings.flower_port}",
        f"  Flower login  {settings.flower_user}:{settings.flower_password}",
        f"  Redis         {_masked(settings.redis_url)}",
        f"  PostgreSQL    {_masked(settings.database_url)}",
        f"  (passwords of the embedded servers: {settings.data_dir}/*.password, 0600)",
        "Demo tenant (saved in " + str(settings.data_dir / "demo-tenant.json") + "):",
        f"  tenant_id        {creds['tenant_id']}",
        f"  secret_key       {creds['secret_key']}",
        f"  publishable_key  {creds['publishable_key']}",
        f"  token for {DEMO_USER} (24 h):",
        f"  {demo_token}",
        f"  open http://{host}:{settings.gateway_port}/demo?api_key={creds['publishable_key']}"
        f"&token={demo_token}",
        "Press Ctrl-C to stop.",
    ])


def down() -> None:
    """Stop the embedded Redis and PostgreSQL that parts run alone left running."""
    settings = get_settings()
    redis_server = EmbeddedRedis(settings.data_dir / "redis", settings.embedded_redis_port)
    postgres = EmbeddedPostgres(settings.data_dir, settings.embedded_postgres_port)
    for name, server, running in (("Redis", redis_server, redis_server.running_pid()),
                                  ("PostgreSQL", postgres, postgres.running())):
        if running:
            server.stop()
            typer.echo(f"stopped embedded {name}")
        else:
            typer.echo(f"embedded {name} was not running")


def up() -> None:
    """Run the whole system on this machine: embedded Redis and PostgreSQL unless configured.

    Every part runs under supervisord: one that dies is restarted, the others keep serving.
    """
    from backend.db.migrate import upgrade

    configured = get_settings()
    servers = embedded_servers(configured)
    # Servers left running by parts run alone are reused as they are, not supervised.
    supervised = EmbeddedServers(
        servers.redis if servers.redis and not servers.redis.running_pid() else None,
        servers.postgres if servers.postgres and not servers.postgres.running() else None)
    settings = filled_in(configured, servers)
    supervisor = Supervisor(settings.data_dir, supervised)
    try:
        supervisor.start(child_env(settings))
        typer.echo("applying migrations ...")
        upgrade(settings.require_urls()[1])
        typer.echo(_banner(settings, _demo_credentials(settings)))
        supervisor.start_parts()
    except BaseException:
        supervisor.stop()  # nothing left running when the start itself fails
        raise
    code = supervisor.wait()
    typer.echo("stopped")
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command()(up)
    app.command()(down)
