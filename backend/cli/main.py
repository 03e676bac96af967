"""``herald``: run the whole system (``herald up``) or any one part of it.

Each part resolves its settings first (``resolve``), then runs in this process: uvicorn and
Celery load the apps by name (``gateway.app``, ``tasks.app``), so ``backend`` never imports
the layers above it.
"""

from __future__ import annotations

import logging
import os
import uuid
from typing import Annotated

import typer

from backend.cli import admin, up
from backend.cli.resolve import resolve
from backend.core.config import Settings
from backend.core.redis import connect
from backend.notifications import queues

app = typer.Typer(help="Herald notification backend.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
admin.register(app)
up.register(app)

CELERY_APP = "tasks.app"


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")


def _celery(*args: str) -> None:
    """Run a Celery command on Herald's Celery app, in this process."""
    from celery.bin.celery import celery

    celery.main(args=["-A", CELERY_APP, *args], prog_name="herald")


def _serve(factory: str, settings: Settings, port: int) -> None:
    import uvicorn

    from backend.cli.http_protocol import with_head_deadline
    from backend.core.logs import redact_uvicorn_logs

    redact_uvicorn_logs()
    uvicorn.run(factory, factory=True, host=settings.host, port=port, log_level="info",
                http=with_head_deadline(settings.http_header_timeout_seconds),
                ws_max_size=settings.ws_max_frame_bytes,
                ws_ping_interval=settings.ws_ping_interval_seconds, ws_ping_timeout=20,
                proxy_headers=True)


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
    _serve("gateway.app:create_app", settings, settings.gateway_port)


@app.command()
def bridge() -> None:
    """Run the stream bridge (ingest stream -> Celery queues)."""
    from backend.bridge.consumer import run_bridge

    _logging()
    settings, _ = resolve()
    run_bridge(connect(settings.require_urls()[0]), settings)


@app.command()
def worker(
    queue_names: Annotated[str | None, typer.Option("--queues", help="comma-separated")] = None,
    concurrency: Annotated[int | None, typer.Option()] = None,
) -> None:
    """Run a Celery worker on the notification queues."""
    settings, _ = resolve()
    name = f"herald-{uuid.uuid4().hex[:6]}@%h"
    _celery("worker", "-l", "INFO", "-Q", queue_names or ",".join(queues.ALL),
            "-c", str(concurrency or settings.worker_concurrency), "-n", name)


@app.command()
def beat() -> None:
    """Run celery beat (scheduled and periodic work). Run exactly one."""
    from backend.cli import beat_lock

    _logging()
    settings, _ = resolve()
    beat_lock.acquire(connect(settings.require_urls()[0]), settings.beat_lock_ttl_seconds)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    schedule = (settings.data_dir / "celerybeat-schedule").resolve()
    _celery("beat", "-l", "INFO", "-s", str(schedule))


@app.command()
def flower() -> None:
    """Run Flower, the Celery monitor, behind basic auth."""
    settings, _ = resolve()
    if not settings.flower_password:
        raise typer.BadParameter("set HERALD_FLOWER_PASSWORD: Flower shows every task's "
                                 "arguments (tenants, recipients)")
    # Flower reads its login from the environment; on the command line ``ps`` would show it.
    os.environ["FLOWER_BASIC_AUTH"] = f"{settings.flower_user}:{settings.flower_password}"
    _celery("flower", f"--port={settings.flower_port}", f"--address={settings.host}")


if __name__ == "__main__":
    app()
