"""``herald tenant``, ``herald templates``, ``herald token``, ``herald send``: administration
of one installation from the command line."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from backend.cli.resolve import resolve
from backend.core.config import Settings
from backend.db.models import Tenant
from backend.db.session import one_session

tenant_app = typer.Typer(help="Manage tenants.", no_args_is_help=True)
templates_app = typer.Typer(help="Manage templates.", no_args_is_help=True)

TenantOption = Annotated[str, typer.Option("--tenant", help="tenant id")]


@contextmanager
def _session() -> Iterator[tuple[Settings, Session]]:
    settings, _ = resolve()
    with one_session(settings.require_urls()[1]) as session:
        yield settings, session


def existing_tenant(session: Session, tenant_id: str, hint: str = "--tenant") -> Tenant:
    """The tenant with this id, or a usage error naming the option."""
    try:
        row = session.get(Tenant, uuid.UUID(tenant_id))
    except ValueError as exc:
        raise typer.BadParameter(f"not a tenant id: {tenant_id}", param_hint=hint) from exc
    if row is None:
        raise typer.BadParameter(f"no tenant {tenant_id}", param_hint=hint)
    return row


@tenant_app.command("create")
def tenant_create(
    name: str,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    default_locale: Annotated[str, typer.Option()] = "en",
) -> None:
    """Create a tenant and print its keys (shown only once)."""
    from backend.tenants.accounts import create_tenant

    with _session() as (_, session):
        creds = create_tenant(session, name, default_locale)
    if as_json:
        typer.echo(json.dumps(creds.as_dict()))
    else:
        for key, value in creds.as_dict().items():
            typer.echo(f"{key:16} {value}")


@tenant_app.command("origins")
def tenant_origins(
    tenant: Annotated[str, typer.Argument(help="tenant id")],
    origins: Annotated[list[str] | None, typer.Argument(
        help="the origins allowed from now on, e.g. https://app.example.com")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="allow no origin")] = False,
) -> None:
    """Show, or replace, the browser origins whose pages may call the gateway's REST inbox."""
    from backend.tenants.origins import check_origin, set_origins

    try:
        wanted = [check_origin(o) for o in origins or []]
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="ORIGINS") from exc
    with _session() as (_, session):
        row = existing_tenant(session, tenant, "TENANT")
        current = (set_origins(session, row.id, wanted) if wanted or clear
                   else row.allowed_origins)
    typer.echo("\n".join(current) if current else "no origin allowed (same-origin pages only)")


@tenant_app.command("jwt-key")
def tenant_jwt_key(
    tenant: Annotated[str, typer.Argument(help="tenant id")],
    algorithm: Annotated[str, typer.Option(help="RS256, ES256, or HS256 to go back")],
    public_key: Annotated[Path | None, typer.Option(help="PEM file of the public key")] = None,
) -> None:
    """Let the tenant sign readers' tokens itself (RS256/ES256 with its own private key)."""
    from backend.tenants.tokens import ASYMMETRIC

    if algorithm not in (*ASYMMETRIC, "HS256"):
        raise typer.BadParameter("RS256, ES256 or HS256", param_hint="--algorithm")
    if algorithm != "HS256" and public_key is None:
        raise typer.BadParameter(f"{algorithm} needs the public key", param_hint="--public-key")
    with _session() as (_, session):
        row = existing_tenant(session, tenant, "TENANT")
        row.jwt_algorithm = algorithm
        row.jwt_public_key = public_key.read_text() if public_key else None
    typer.echo(f"tenant {tenant}: readers' tokens are now verified with {algorithm}")


@tenant_app.command("vapid")
def tenant_vapid(
    tenant: Annotated[str, typer.Argument(help="tenant id")],
    default_url: Annotated[str | None, typer.Option(
        help="where a click on a push opens when a notification has no data.url")] = None,
) -> None:
    """Print the tenant's Web Push (VAPID) public key, made now if it has none; the private
    key stays in the database for the workers."""
    from backend.tenants.vapid import keys_of

    with _session() as (_, session):
        row = existing_tenant(session, tenant, "TENANT")
        if default_url is not None:
            row.push_default_url = default_url or None
        public_key = keys_of(session, row.id).public_key
        url = row.push_default_url
    typer.echo(f"public key   {public_key}")
    typer.echo(f"default url  {url or '(the page the reader was on)'}")


@templates_app.command("load")
def templates_load(
    directory: Annotated[Path, typer.Argument(exists=True, file_okay=False,
                                              help="DIR/<key>/<locale>.yaml or .json")],
    tenant: TenantOption,
) -> None:
    """Load template files in bulk; all are checked first, and none is loaded if one is bad."""
    from backend.templates import versions
    from backend.templates.files import TemplateFileError, read_all

    try:
        found = read_all(directory)
    except TemplateFileError as exc:
        typer.echo(f"nothing loaded:\n{exc}", err=True)
        raise typer.Exit(1) from exc
    with _session() as (_, session):
        row = existing_tenant(session, tenant)
        with typer.progressbar(found, label=f"loading {len(found)} templates") as bar:
            for item in bar:
                versions.add_version(session, row.id, item.key, item.locale, item.fields)
    typer.echo(f"loaded {len(found)} template versions")


def token(
    user_id: str,
    tenant: TenantOption,
    ttl: Annotated[int, typer.Option(help="seconds")] = 3600,
) -> None:
    """Print a JWT for one reader's browser."""
    from backend.tenants.tokens import issue_token

    with _session() as (_, session):
        typer.echo(issue_token(user_id, existing_tenant(session, tenant).signing_secret, ttl))


def send(
    user_id: str,
    title: Annotated[str, typer.Option()],
    tenant: TenantOption,
    body: Annotated[str, typer.Option()] = "",
    priority: Annotated[str, typer.Option()] = "normal",
) -> None:
    """Send one notification to a reader (as the API would)."""
    from pydantic import ValidationError

    from backend.core.redis import connect
    from backend.notifications import intake
    from backend.notifications.schemas import NotificationCreate
    from backend.notifications.stream import Ingest

    try:
        request = NotificationCreate.model_validate(
            {"recipients": [user_id], "content": {"title": title, "body": body},
             "priority": priority})
    except ValidationError as exc:
        raise typer.BadParameter(str(exc)) from exc
    with _session() as (settings, session):
        row = existing_tenant(session, tenant)
        ingest = Ingest.of(connect(settings.require_urls()[0]), settings)
        answer = intake.accept(session, ingest, row.id, request)
    typer.echo(json.dumps(answer))


def register(app: typer.Typer) -> None:
    app.add_typer(tenant_app, name="tenant")
    app.add_typer(templates_app, name="templates")
    app.command()(token)
    app.command()(send)
