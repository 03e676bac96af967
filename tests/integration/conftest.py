"""Fixtures: real Redis and PostgreSQL (the embedded ones `herald up` uses) on free ports,
and Herald's parts as real processes. Tests isolate themselves by tenant."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator

import httpx
import pytest
import redis

from tests.support.db import new_tenant
from tests.support.harness import Proc, free_port, logged, ready_when
from tests.support.peers import FAKE_SLACK_POLICY, SlackWebhook, SmtpServer
from tests.support.push_service import Certificate, certificate
from tests.support.stack import Servers, SideStack, Stack, StartPart, TenantKeys


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    from backend.cli.embedded import EmbeddedPostgres, EmbeddedRedis
    from backend.db.migrate import upgrade

    data_dir = tmp_path_factory.mktemp("herald")
    redis = EmbeddedRedis(data_dir / "redis", free_port())
    postgres = EmbeddedPostgres(data_dir, free_port())
    redis.start()
    try:
        postgres.start()
        upgrade(postgres.url)
        yield Servers(redis.port, redis.password, postgres.url, data_dir)
    finally:
        postgres.stop()
        redis.stop()


@pytest.fixture
def slack() -> Iterator[SlackWebhook]:
    hook = SlackWebhook()
    yield hook
    hook.close()


@pytest.fixture(scope="session")
def push_tls(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """The certificate of the tests' own Web Push service, which Herald's parts trust."""
    return certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def base_env(servers: Servers, smtp: SmtpServer, push_tls: Certificate) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
    env.update(
        # The CA bundle of outbound HTTPS (httpx): the tests' push service is its own CA.
        SSL_CERT_FILE=str(push_tls.cert),
        HERALD_REDIS_URL=servers.redis_url(0),
        HERALD_DATABASE_URL=servers.database_url,
        HERALD_INTERNAL_KEY=secrets.token_urlsafe(16),
        HERALD_DATA_DIR=str(servers.data_dir),
        HERALD_SMTP_URL=smtp.url,
        HERALD_EMAIL_FROM="Herald Tests <herald@example.test>",
        HERALD_BRIDGE_BLOCK_MS="200",
        # No metrics port for the workers tests start beside the main one (ports would clash).
        HERALD_WORKER_METRICS_PORT="0",
        HERALD_OUTBOUND_METRICS_PORT="0",
        # Celery's lines per task and beat's per tick: some tests wait for them.
        HERALD_LOG_TASKS="true",
        HERALD_WS_HANDSHAKE_TIMEOUT_SECONDS="2",
        # Small waits so that retries, fallbacks and schedules happen within a test.
        HERALD_RETRY_BASE_SECONDS="0.4",
        HERALD_RETRY_MAX_ATTEMPTS="3",
        HERALD_FALLBACK_BASE_SECONDS="0.4",
        HERALD_FALLBACK_MAX_ATTEMPTS="4",
        HERALD_DISPATCH_INTERVAL_SECONDS="0.2",
        HERALD_STREAM_TRIM_INTERVAL_SECONDS="1",
        HERALD_BEAT_LOCK_TTL_SECONDS="2",
        HERALD_WS_REAUTH_GRACE_SECONDS="1.5",
        HERALD_DIGEST_PERIODS='{"hourly": 3, "daily": 6}',
        HERALD_DEAD_LETTERS_PER_TENANT="30",
        # Per-second schedules, so that runs happen within a test (the default is 60 s).
        HERALD_SCHEDULE_MIN_INTERVAL_SECONDS="1",
        HERALD_WEBHOOK_TIMEOUT_SECONDS="3",
        # Tests poll readers' inboxes 20 times a second; the limit has a test of its own.
        HERALD_INBOX_REQUESTS_PER_SECOND="1000",
        # Delivery webhooks may reach the test's local receiver, and retry quickly.
        HERALD_OUTBOUND_ALLOW="127.0.0.1",
        HERALD_RETENTION_INTERVAL_SECONDS="2",
        HERALD_EVENT_RETRY_BASE_SECONDS="0.3",
        HERALD_EVENT_RETRY_CAP_SECONDS="1",
        **FAKE_SLACK_POLICY,
    )
    # The test process itself uses the same settings (to create tenants, read rows).
    os.environ.update({k: v for k, v in env.items() if k.startswith("HERALD_")})
    from backend.core.config import Settings, use_settings

    use_settings(Settings())
    return env




@pytest.fixture(scope="session")
def start_part(base_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[StartPart]:
    """Factory: start one Herald part with extra settings; every part is stopped at the end."""
    logs = tmp_path_factory.mktemp("logs")
    started: list[Proc] = []

    def start(part: str, name: str | None = None, ready_text: str | None = None,
              args: tuple[str, ...] = (), environ: dict[str, str] | None = None,
              **settings: str) -> Proc:
        env = {**base_env, **(environ or {}),
               **{f"HERALD_{k.upper()}": str(v) for k, v in settings.items()}}
        name = name or part
        if part in ("api", "gateway"):
            port = int(settings.get(f"{part}_port") or free_port())
            env[f"HERALD_{part.upper()}_PORT"] = str(port)
        ready = logged(ready_text) if ready_text else ready_when(part, env)
        proc = Proc(name, [part, *args], env, logs / f"{name}-{len(started)}.log", ready)
        proc.port = int(env.get(f"HERALD_{part.upper()}_PORT", 0))  # type: ignore[attr-defined]
        started.append(proc)
        return proc.start()

    yield start
    for proc in reversed(started):
        proc.stop()


@pytest.fixture(scope="session")
def stack(start_part: StartPart, base_env: dict[str, str]) -> Stack:
    gateway = start_part("gateway")
    gateway_url = f"http://127.0.0.1:{gateway.port}"
    api = start_part("api")
    metrics_port = free_port()
    # As herald up runs them: a delivery worker, and an outbound one for webhooks and email.
    worker = start_part("worker", gateway_url=gateway_url, worker_metrics_port=str(metrics_port),
                        args=("--delivery",))
    outbound_port = free_port()
    outbound = start_part("outbound", gateway_url=gateway_url,
                          outbound_metrics_port=str(outbound_port))
    bridge = start_part("bridge", bridge_consumer="main-bridge")
    beat = start_part("beat", gateway_url=gateway_url)
    return Stack({**base_env, "HERALD_GATEWAY_URL": gateway_url},
                 f"http://127.0.0.1:{api.port}", gateway_url,
                 {"gateway": gateway, "api": api, "worker": worker, "outbound": outbound,
                  "bridge": bridge, "beat": beat}, f"http://127.0.0.1:{metrics_port}/metrics",
                 f"http://127.0.0.1:{outbound_port}/metrics")


@pytest.fixture
def tenant(base_env: dict[str, str]) -> TenantKeys:
    """A fresh tenant: tests never see each other's readers or notifications."""
    return new_tenant()


@pytest.fixture
def api(stack: Stack, tenant: TenantKeys) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.api_url, headers={"X-API-Key": tenant.secret_key},
                      timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def side_stack(start_part: StartPart, stack: Stack, servers: Servers) -> Callable[..., SideStack]:
    def start(db: int, **settings: str) -> SideStack:
        url = servers.redis_url(db)
        redis.Redis.from_url(url).flushdb()
        worker = start_part("worker", name=f"worker-db{db}", redis_url=url,
                            **{"gateway_url": stack.gateway_url, **settings})
        api = start_part("api", name=f"api-db{db}", redis_url=url, **settings)
        bridge = start_part("bridge", name=f"bridge-db{db}", redis_url=url,
                            bridge_consumer=f"bridge-db{db}", **settings)
        return SideStack(f"http://127.0.0.1:{api.port}", url, worker, bridge, api)

    return start
