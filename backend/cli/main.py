"""``herald``: run the whole system (``herald up``) or any one part of it.

Each part resolves its settings first (``resolve``), then runs in this process: uvicorn and
Celery load the apps by name (``gateway.app``, ``tasks.app``), so ``backend`` never imports
the layers above it.
"""

from __future__ import annotations

import logging
import os
import uuid
import warnings
from functools import partial
from typing import Annotated

import typer

from backend.cli import admin, up
from backend.cli.resolve import resolve
from backend.cli.up import ROOT_NOTE
from backend.core.config import Settings, use_settings
from backend.core.redis import connect
from backend.notifications import queues

# Plain help (no completion flags, no "<bool>" after every flag): what a terminal reads.
app = typer.Typer(help="Herald notification backend.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False, rich_markup_mode=None)
admin.register(app)
up.register(app)

CELERY_APP = "tasks.app"


def _logging(settings: Settings) -> None:
    from backend.core.logs import configure

    configure(settings.log_level, settings.log_format, settings.log_tasks)


def _quiet(settings: Settings) -> bool:
    """Above INFO, startup banners (Celery's) are left out too."""
    return settings.log_level not in ("DEBUG", "INFO")


def _celery(settings: Settings, *args: str) -> None:
    """Run a Celery command on Herald's Celery app, in this process (its logging is ours:
    ``tasks.app`` answers Celery's ``setup_logging`` signal)."""
    from celery.bin.celery import celery

    quiet = ["-q"] if _quiet(settings) else []
    celery.main(args=[*quiet, "-A", CELERY_APP, *args], prog_name="herald")


def _serve(factory: str, settings: Settings, port: int, processes: int = 1) -> None:
    import uvicorn

    from backend.cli.http_protocol import with_deadlines
    from backend.cli.ports import refuse_taken
    from backend.cli.processes import run_copies, serve, serve_on_shared_port

    _logging(settings)
    # One line naming the port and who holds it, not uvicorn's "address already in use".
    setting = "HERALD_GATEWAY_PORT" if factory.startswith("gateway") else "HERALD_API_PORT"
    refuse_taken([(setting, port, settings.host)])
    config = uvicorn.Config(
        factory, factory=True, host=settings.host, port=port, log_config=None,
        log_level=settings.log_level.lower(),
        http=with_deadlines(settings.http_header_timeout_seconds,
                            settings.http_body_timeout_seconds),
        ws_max_size=settings.ws_max_frame_bytes,
        ws_per_message_deflate=settings.ws_per_message_deflate,
        ws_ping_interval=settings.ws_ping_interval_seconds, ws_ping_timeout=20,
        proxy_headers=True, forwarded_allow_ips=settings.trusted_proxies)
    if processes == 1:
        serve(config)
    else:
        run_copies(partial(serve_on_shared_port, config), processes, factory.split(".")[0])


@app.command()
def migrate() -> None:
    """Apply database migrations."""
    from backend.db.migrate import upgrade

    settings, _ = resolve()
    upgrade(settings.require_urls()[1])
    typer.echo("database is at the latest schema")


@app.command()
def api() -> None:
    """Run the service API."""
    settings, _ = resolve()
    _serve("backend.api.app:create_app", settings, settings.api_port)


@app.command()
def gateway() -> None:
    """Run a gateway node (WebSocket, REST inbox, push API)."""
    settings, _ = resolve()
    _serve("gateway.app:create_server", settings, settings.gateway_port,
           settings.gateway_processes)


@app.command()
def bridge() -> None:
    """Run the stream bridge (ingest stream -> Celery queues)."""
    from backend.bridge.consumer import run_bridge

    settings, _ = resolve()
    _logging(settings)
    run_bridge(connect(settings.require_urls()[0]), settings)


@app.command()
def worker(
    queue_names: Annotated[str | None, typer.Option("--queues", help="comma-separated")] = None,
    concurrency: Annotated[int | None, typer.Option()] = None,
    delivery: Annotated[bool, typer.Option(
        "--delivery", help="the delivery queues only: run `herald outbound` beside it for "
                           "webhooks, Slack and email")] = False,
) -> None:
    """Run a Celery worker on the notification queues (all of them, outbound sends too,
    unless --delivery)."""
    from backend.cli.worker_metrics import use_files

    settings, _ = resolve()
    _root_said_once(settings)
    use_files(settings)
    default = queues.DELIVERY if delivery else queues.ALL
    _celery(settings, "worker", "-Q", queue_names or ",".join(default),
            "-c", str(concurrency or settings.worker_concurrency), "-n", _worker_name())


def _worker_name() -> str:
    return f"herald-{uuid.uuid4().hex[:6]}@%h"


@app.command()
def outbound() -> None:
    """Run the outbound worker: delivery webhooks, Slack and email, many sends at once in
    threads, apart from the workers that store and push notifications."""
    settings, _ = resolve()
    _root_said_once(settings)
    use_settings(settings.model_copy(update={"worker_metrics_port":
                                             settings.outbound_metrics_port}))
    _celery(settings, "worker", "-Q", queues.FALLBACK, "-P", "threads",
            "-c", str(settings.outbound_concurrency), "-n", f"outbound-{_worker_name()}")


def _root_said_once(settings: Settings) -> None:
    """Celery's multi-line SecurityWarning for root, as one line: Herald's workers accept JSON
    only (never pickle), so a message cannot run code as root; an unprivileged user is still
    the better habit. (``herald up`` says so in its banner.)"""
    from celery.exceptions import SecurityWarning

    warnings.filterwarnings("ignore", category=SecurityWarning)
    if os.geteuid() == 0:
        _logging(settings)
        logging.getLogger("herald.worker").info(ROOT_NOTE)



@app.command()
def beat() -> None:
    """Run celery beat (scheduled and periodic work). Run exactly one."""
    from backend.cli import beat_lock

    settings, _ = resolve()
    _logging(settings)
    beat_lock.acquire(connect(settings.require_urls()[0]), settings.beat_lock_ttl_seconds)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    schedule = (settings.data_dir / "celerybeat-schedule").resolve()
    _celery(settings, "beat", "-s", str(schedule))


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Stream lag, queue depths, waiting retries, dead letters, sockets and recent failures."""
    import json

    from backend.cli.status import collect, report
    from backend.db.session import one_session

    settings, _ = resolve()
    redis_url, database_url = settings.require_urls()
    with one_session(database_url) as session:
        found = collect(connect(redis_url), session, settings.ingest_partitions,
                        settings.flower_max_tasks)
    typer.echo(json.dumps(found.as_dict(), indent=2) if as_json else report(found))


@app.command()
def flower() -> None:
    """Run Flower, the Celery monitor, behind basic auth."""
    settings, _ = resolve()
    if not settings.flower_password:
        raise typer.BadParameter("set HERALD_FLOWER_PASSWORD: Flower shows every task's "
                                 "arguments (tenants, recipients)")
    # Flower reads its login from the environment; on the command line ``ps`` would show it.
    os.environ["FLOWER_BASIC_AUTH"] = f"{settings.flower_user}:{settings.flower_password}"
    _login_everywhere()
    # Flower warns while no worker answers yet, as at every ``herald up``: at WARNING, errors.
    level = "error" if settings.log_level == "WARNING" else settings.log_level.lower()
    _celery(settings, "flower", f"--port={settings.flower_port}", f"--address={settings.host}",
            f"--logging={level}", f"--max_tasks={settings.flower_max_tasks}")


def _login_everywhere() -> None:
    """Flower serves /metrics (worker names, task counts) and /healthcheck without its login;
    Herald's Flower asks for it there too (Prometheus scrapes with basic auth)."""
    from flower.views import monitor
    from tornado.web import authenticated

    for view in (monitor.Metrics, monitor.Healthcheck):
        view.get = authenticated(view.get)


def main() -> None:
    """The ``herald`` command: an error a user can fix is one line and exit status 1 (a
    traceback only with HERALD_LOG_LEVEL=DEBUG)."""
    from backend.cli.startup_errors import explain

    # What Herald writes (its data folder's logs, beat's schedule, keys) is its own to read.
    os.umask(0o077)
    try:
        app()
    except Exception as exc:
        line = explain(exc)
        if line is None or os.environ.get("HERALD_LOG_LEVEL") == "DEBUG":
            raise
        typer.echo(f"herald: {line}", err=True)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
