"""``herald``: run the whole system (``herald up``) or any one part of it."""

from __future__ import annotations

import json
import logging
import os
import shlex
import sys
import uuid
from pathlib import Path
from typing import Annotated

import typer

from backend.config import Settings, get_settings
from backend.embedded import EmbeddedServers, ensure_servers

app = typer.Typer(help="Herald notification backend.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
tenant_app = typer.Typer(help="Manage tenants.", no_args_is_help=True)
app.add_typer(tenant_app, name="tenant")
templates_app = typer.Typer(help="Manage templates.", no_args_is_help=True)
app.add_typer(templates_app, name="templates")

PARTS = ("api", "gateway", "bridge", "worker", "beat", "flower")
DEMO_USER = "demo-user"


def _resolve() -> tuple[Settings, EmbeddedServers]:
    """Settings with URLs filled in (starting embedded servers if needed), exported to children."""
    settings = get_settings()
    servers = ensure_servers(settings)
    redis_url, database_url = settings.require_urls()
    os.environ.update(HERALD_REDIS_URL=redis_url, HERALD_DATABASE_URL=database_url,
                      HERALD_INTERNAL_KEY=settings.require_internal_key())
    return settings, servers


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")


def _migrate(settings: Settings) -> None:
    from backend.migrate import upgrade

    upgrade(settings.require_urls()[1])


def _serve(target: str, port: int) -> None:
    import uvicorn

    from backend.logs import redact_uvicorn_logs

    settings, _ = _resolve()
    redact_uvicorn_logs()
    uvicorn.run(target, host=settings.host, port=port, log_level="info",
                ws_max_size=settings.ws_max_frame_bytes,
                ws_ping_interval=settings.ws_ping_interval_seconds, ws_ping_timeout=20,
                proxy_headers=True)


@app.command()
def migrate() -> None:
    """Apply database migrations."""
    settings, _ = _resolve()
    _migrate(settings)
    typer.echo("database is at the latest schema")


@app.command()
def api() -> None:
    """Run the service API."""
    _serve("backend.api.app:app", get_settings().api_port)


@app.command()
def gateway() -> None:
    """Run a gateway node (WebSocket, REST inbox, push API)."""
    _serve("gateway.app:app", get_settings().gateway_port)


@app.command()
def bridge() -> None:
    """Run the stream bridge (ingest stream -> Celery queues)."""
    from backend.bridge import run_bridge

    _logging()
    settings, _ = _resolve()
    run_bridge(settings)


@app.command()
def worker(
    queues: Annotated[str | None, typer.Option(help="comma-separated queues")] = None,
    concurrency: Annotated[int | None, typer.Option()] = None,
) -> None:
    """Run a Celery worker on the notification queues."""
    settings, _ = _resolve()
    from tasks import queues as q
    from tasks.app import app as celery_app

    name = f"herald-{uuid.uuid4().hex[:6]}@%h"
    argv = ["worker", "-l", "INFO", "-Q", queues or ",".join(q.ALL),
            "-c", str(concurrency or settings.worker_concurrency), "-n", name]
    celery_app.worker_main(argv)


@app.command()
def beat() -> None:
    """Run celery beat (scheduled and periodic work). Run exactly one."""
    _logging()
    settings, _ = _resolve()
    from backend.redis_client import get_redis
    from tasks import beat_lock
    from tasks.app import app as celery_app

    beat_lock.acquire(get_redis(), settings.beat_lock_ttl_seconds)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    schedule = (settings.data_dir / "celerybeat-schedule").resolve()
    celery_app.start(["beat", "-l", "INFO", "-s", str(schedule)])


@app.command()
def flower() -> None:
    """Run Flower, the Celery monitor."""
    settings, _ = _resolve()
    from tasks.app import app as celery_app

    celery_app.start(["flower", f"--port={settings.flower_port}",
                      f"--address={settings.host}"])


@tenant_app.command("create")
def tenant_create(
    name: str,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    default_locale: Annotated[str, typer.Option()] = "en",
) -> None:
    """Create a tenant and print its keys (shown only once)."""
    from backend.db import session_scope
    from backend.tenants import create_tenant

    _resolve()
    with session_scope() as session:
        creds = create_tenant(session, name, default_locale)
    if as_json:
        typer.echo(json.dumps(creds.as_dict()))
    else:
        for key, value in creds.as_dict().items():
            typer.echo(f"{key:16} {value}")


@tenant_app.command("jwt-key")
def tenant_jwt_key(
    tenant: Annotated[str, typer.Argument(help="tenant id")],
    algorithm: Annotated[str, typer.Option(help="RS256, ES256, or HS256 to go back")],
    public_key: Annotated[Path | None, typer.Option(help="PEM file of the public key")] = None,
) -> None:
    """Let the tenant sign readers' tokens itself (RS256/ES256 with its own private key)."""
    from backend.db import session_scope
    from backend.models import Tenant
    from backend.security import ASYMMETRIC

    if algorithm not in (*ASYMMETRIC, "HS256"):
        raise typer.BadParameter("RS256, ES256 or HS256", param_hint="--algorithm")
    if algorithm != "HS256" and public_key is None:
        raise typer.BadParameter(f"{algorithm} needs the public key", param_hint="--public-key")
    _resolve()
    with session_scope() as session:
        row = session.get(Tenant, _tenant_uuid(tenant))
        if row is None:
            raise typer.BadParameter(f"no tenant {tenant}", param_hint="TENANT")
        row.jwt_algorithm = algorithm
        row.jwt_public_key = public_key.read_text() if public_key else None
    typer.echo(f"tenant {tenant}: readers' tokens are now verified with {algorithm}")


@templates_app.command("load")
def templates_load(
    directory: Annotated[Path, typer.Argument(exists=True, file_okay=False,
                                              help="DIR/<key>/<locale>.yaml or .json")],
    tenant: Annotated[str, typer.Option(help="tenant id")],
) -> None:
    """Load template files in bulk; all are checked first, and none is loaded if one is bad."""
    from backend import templates
    from backend.db import session_scope
    from backend.models import Tenant
    from backend.template_files import TemplateFileError, read_all

    _resolve()
    try:
        found = read_all(directory)
    except TemplateFileError as exc:
        typer.echo(f"nothing loaded:\n{exc}", err=True)
        raise typer.Exit(1) from exc
    with session_scope() as session:
        if session.get(Tenant, _tenant_uuid(tenant)) is None:
            raise typer.BadParameter(f"no tenant {tenant}", param_hint="--tenant")
        with typer.progressbar(found, label=f"loading {len(found)} templates") as bar:
            for item in bar:
                templates.add_version(session, _tenant_uuid(tenant), item.key, item.locale,
                                      item.fields)
    typer.echo(f"loaded {len(found)} template versions")


@app.command()
def token(
    user_id: str,
    tenant: Annotated[str, typer.Option(help="tenant id")],
    ttl: Annotated[int, typer.Option(help="seconds")] = 3600,
) -> None:
    """Print a JWT for one reader's browser."""
    from backend.db import session_scope
    from backend.models import Tenant
    from backend.security import issue_token

    _resolve()
    with session_scope() as session:
        row = session.get(Tenant, _tenant_uuid(tenant))
        if row is None:
            raise typer.BadParameter(f"no tenant {tenant}", param_hint="--tenant")
        typer.echo(issue_token(user_id, row.signing_secret, ttl))


def _tenant_uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise typer.BadParameter(f"not a tenant id: {value}", param_hint="--tenant") from exc


@app.command()
def send(
    user_id: str,
    title: Annotated[str, typer.Option()],
    tenant: Annotated[str, typer.Option(help="tenant id")],
    body: Annotated[str, typer.Option()] = "",
    priority: Annotated[str, typer.Option()] = "normal",
) -> None:
    """Send one notification to a reader (as the API would)."""
    from pydantic import ValidationError

    from backend import intake
    from backend.db import session_scope
    from backend.models import Tenant
    from backend.redis_client import get_redis
    from backend.schemas import NotificationCreate

    settings, _ = _resolve()
    try:
        request = NotificationCreate(recipients=[user_id], content={"title": title, "body": body},
                                     priority=priority)
    except ValidationError as exc:
        raise typer.BadParameter(str(exc)) from exc
    with session_scope() as session:
        if session.get(Tenant, _tenant_uuid(tenant)) is None:
            raise typer.BadParameter(f"no tenant {tenant}", param_hint="--tenant")
        answer = intake.accept(session, get_redis(), _tenant_uuid(tenant), request,
                               settings.idempotency_ttl_seconds)
    typer.echo(json.dumps(answer))


def _demo_credentials(settings: Settings) -> dict[str, str]:
    """The demo tenant, created on the first run and remembered under data_dir."""
    from backend.db import session_scope
    from backend.models import Tenant
    from backend.tenants import create_tenant

    path = settings.data_dir / "demo-tenant.json"
    with session_scope() as session:
        if path.exists():
            creds = json.loads(path.read_text())
            if session.get(Tenant, uuid.UUID(creds["tenant_id"])) is not None:
                return creds
        creds = create_tenant(session, "demo").as_dict()
    path.write_text(json.dumps(creds, indent=2))
    path.chmod(0o600)
    return creds


def _banner(settings: Settings, creds: dict[str, str]) -> str:
    from backend.security import issue_token

    demo_token = issue_token(DEMO_USER, creds["signing_secret"], 86_400)
    host = settings.host
    return "\n".join([
        "Herald is starting:",
        f"  service API   http://{host}:{settings.api_port}   (docs: /docs)",
        f"  gateway       http://{host}:{settings.gateway_port}   (demo inbox: /demo)",
        f"  Flower        http://{host}:{settings.flower_port}",
        f"  Redis         {settings.redis_url}",
        f"  PostgreSQL    {settings.database_url}",
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


@app.command()
def down() -> None:
    """Stop the embedded Redis and PostgreSQL that parts run alone left running."""
    from backend.embedded import EmbeddedPostgres, EmbeddedRedis

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


@app.command()
def up() -> None:
    """Run the whole system on this machine: embedded Redis and PostgreSQL unless configured."""
    from honcho.manager import Manager

    settings, servers = _resolve()
    returncode = 1
    try:
        typer.echo("applying migrations ...")
        _migrate(settings)
        creds = _demo_credentials(settings)
        typer.echo(_banner(settings, creds), err=False)
        manager = Manager()
        me = shlex.quote(sys.executable)
        for part in PARTS:
            manager.add_process(part, f"exec {me} -m backend.cli {part}", env=dict(os.environ),
                                cwd=str(Path.cwd()))
        manager.loop()
        returncode = manager.returncode or 0
    finally:
        servers.stop_started()
        typer.echo("embedded servers stopped" if servers.redis or servers.postgres else "stopped")
    raise typer.Exit(returncode)


if __name__ == "__main__":
    app()
