"""`herald up` from an empty data directory runs the whole system, the README's tour works
against it, and Ctrl-C stops every part, embedded servers included."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import time

import httpx
import psutil

from backend.notifications.queues import DELIVER_BATCH
from tests.support.harness import REPO, free_port, port_open, wait_until
from tests.support.sockets import Socket
from tests.support.system import READY_LINE


def _printed_demo_link(output: str) -> str:
    found = re.search(r"Demo inbox: (\S+)", output)
    assert found, "herald up prints the demo link once every part serves"
    return found.group(1)


def _flower_task_names(url: str, user: str, password: str) -> set[str]:
    tasks = httpx.get(f"{url}api/tasks", auth=(user, password), timeout=30).json()
    return {task["name"] for task in tasks.values()}


def _printed_flower_login(output: str) -> tuple[str, str]:
    found = re.search(r"Flower login\s+(\S+?):(\S+)", output)
    assert found, "herald up prints Flower's login"
    return found.group(1), found.group(2)


async def test_herald_up_runs_the_tour_and_stops_cleanly(tmp_path):
    ports = {name: free_port() for name in
             ("API", "GATEWAY", "FLOWER", "WORKER_METRICS", "OUTBOUND_METRICS",
              "EMBEDDED_REDIS", "EMBEDDED_POSTGRES")}
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
    env.update({f"HERALD_{name}_PORT": str(port) for name, port in ports.items()})
    env["HERALD_DATA_DIR"] = str(tmp_path / ".herald")
    log = (tmp_path / "up.log").open("wb")
    up = subprocess.Popen([sys.executable, "-m", "backend.cli", "up"], cwd=REPO, env=env,
                          stdout=log, stderr=subprocess.STDOUT)
    output = lambda: (tmp_path / "up.log").read_text(errors="replace")  # noqa: E731
    try:
        wait_until(lambda: READY_LINE in output() or up.poll() is not None,
                   timeout=120, what="herald up to say every part serves")
        wait_until(lambda: port_open(ports["FLOWER"]), timeout=60, what="flower")
        assert "secret_key" in output() and "Press Ctrl-C to stop." in output()
        assert ("Note: running as root" in output()) == (os.geteuid() == 0)
        creds = json.loads((tmp_path / ".herald" / "demo-tenant.json").read_text())
        api = f"http://127.0.0.1:{ports['API']}"
        demo_link = _printed_demo_link(output())
        assert demo_link == creds["demo_url"]
        demo = httpx.get(demo_link, timeout=30)
        assert demo.status_code == 200 and "herald-inbox" in demo.text

        # The tour: mint a token, open a socket, send with curl-like POST, receive it.
        token = httpx.post(f"{api}/v1/tokens", headers={"X-API-Key": creds["secret_key"]},
                           json={"user_id": "demo-user"}).json()["token"]
        import websockets

        ws = await websockets.connect(f"ws://127.0.0.1:{ports['GATEWAY']}/ws"
                                      f"?api_key={creds['publishable_key']}&token={token}")
        sock = Socket(ws)
        await sock.send({"type": "hello", "since": 0})
        await sock.next_of("welcome")
        sent = httpx.post(f"{api}/v1/notifications", headers={"X-API-Key": creds["secret_key"]},
                          json={"recipients": ["demo-user"],
                                "content": {"title": "Hello from Herald"}})
        assert sent.status_code == 202
        frame = await sock.next_of("notification", timeout=30)
        assert (frame["title"], frame["seq"]) == ("Hello from Herald", 1)
        await sock.close()
        # The status line follows what happened; `herald status` has every figure.
        wait_until(lambda: "accepted 1 · delivered 1" in output(), timeout=30,
                   what="the status line to count the delivery")
        # The README's way: the checkout's ./herald wrapper, in a shell with no venv active.
        status = subprocess.run([str(REPO / "herald"), "status", "--json"],
                                cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
        figures = json.loads(status.stdout)
        assert figures["notifications"] == {"delivered": 1}
        assert figures["waiting_in_stream"] == 0 and len(figures["gateway_nodes"]) == 1
        assert figures["flower_max_tasks"] == 10_000  # Flower's memory is bounded
        # Another shell, none of the port variables set: the running Herald's own ports.
        other_shell = {k: v for k, v in env.items() if not k.endswith("_PORT")}
        again = subprocess.run([str(REPO / "herald"), "status", "--json"], cwd=REPO,
                               env=other_shell, capture_output=True, text=True, timeout=60)
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["notifications"] == {"delivered": 1}
        running = json.loads((tmp_path / ".herald" / "running.json").read_text())
        assert running["urls"]["api"] == api
        assert sum(figures["queues"].values()) == 0
        flower_url = f"http://127.0.0.1:{ports['FLOWER']}/"
        assert httpx.get(flower_url, timeout=30).status_code == 401  # task arguments are private
        user, password = _printed_flower_login(output())
        flower = httpx.get(flower_url, auth=(user, password), timeout=30)
        assert flower.status_code == 200 and "Flower" in flower.text
        # Flower shows the work: the notification's task, not beat's five ticks a second.
        wait_until(lambda: DELIVER_BATCH in _flower_task_names(flower_url, user, password),
                   timeout=30, what="Flower to show the deliver_batch task")
        assert not [n for n in _flower_task_names(flower_url, user, password)
                    if n.startswith("herald.periodic.")]
        assert stat.S_IMODE((tmp_path / ".herald").stat().st_mode) & 0o067 == 0
        for written in [*(tmp_path / ".herald").glob("celerybeat-schedule*"),
                        tmp_path / ".herald" / "supervisord.log"]:
            assert stat.S_IMODE(written.stat().st_mode) == 0o600, written
        # Flower's extra paths ask for its login too.
        for path in ("metrics", "healthcheck"):
            assert httpx.get(f"{flower_url}{path}", timeout=30).status_code == 401
            assert httpx.get(f"{flower_url}{path}", auth=(user, password),
                             timeout=30).status_code == 200
        # The worker's pool counts into files its parent sums: the tour's sends are there.
        worker_metrics = httpx.get(f"http://127.0.0.1:{ports['WORKER_METRICS']}/metrics",
                                   timeout=30).text
        assert re.search(r'herald_notifications_stored_total\{priority="normal"\} [1-9]',
                         worker_metrics), worker_metrics[:2000]
        _a_second_copy_is_told_which_herald_holds_its_ports(env, ports, tmp_path)
        _the_demo_tenant_gets_development_tokens(ports, creds)
        children = psutil.Process(up.pid).children(recursive=True)
        assert len(children) >= 6
    finally:
        stopping = time.monotonic()
        up.send_signal(signal.SIGINT)
        up.wait(60)
    assert time.monotonic() - stopping < 20, "Ctrl-C took longer than 20 s"
    # A quiet terminal from start to stop: no traceback, no logging error, nothing restored.
    for noise in ("Traceback", "Logging error", "WorkerLostError", "Restoring",
                  "Task herald.periodic", "Sending due task", "spawned:",
                  "SecurityWarning", "superuser privileges"):
        assert noise not in output(), noise
    assert up.returncode is not None
    for child in children:
        assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE, child
    assert not port_open(ports["EMBEDDED_REDIS"]) and not port_open(ports["EMBEDDED_POSTGRES"])
    assert not port_open(ports["API"]) and not port_open(ports["GATEWAY"])
    assert not (tmp_path / ".herald" / "running.json").exists()


def test_parts_run_alone_leave_servers_that_herald_down_stops(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
    redis_port, pg_port = free_port(), free_port()
    env.update(HERALD_DATA_DIR=str(tmp_path / ".herald"),
               HERALD_EMBEDDED_REDIS_PORT=str(redis_port),
               HERALD_EMBEDDED_POSTGRES_PORT=str(pg_port))

    def herald(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "backend.cli", *args], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=120)

    assert herald("migrate").returncode == 0
    assert port_open(redis_port) and port_open(pg_port)  # left running for other parts
    created = herald("tenant", "create", "acme", "--json")
    assert set(json.loads(created.stdout)) == {"tenant_id", "secret_key", "publishable_key",
                                               "signing_secret"}
    stopped = herald("down")
    assert "stopped embedded Redis" in stopped.stdout
    assert not port_open(redis_port) and not port_open(pg_port)


def _a_second_copy_is_told_which_herald_holds_its_ports(env: dict, ports: dict, tmp_path):
    """Every taken port named at once, with the Herald holding it and its data folder."""
    second = subprocess.run([sys.executable, "-m", "backend.cli", "up"], cwd=REPO,
                            env={**env, "HERALD_DATA_DIR": str(tmp_path / "second")},
                            capture_output=True, text=True, timeout=120)
    said = second.stdout + second.stderr
    assert second.returncode != 0
    for name in ("API", "GATEWAY", "FLOWER", "WORKER_METRICS"):
        assert f"port {ports[name]} (HERALD_{name}_PORT) is taken by another Herald" in said
    assert f"data folder {tmp_path / '.herald'}" in said
    assert "Traceback" not in said and "address already in use" not in said
    alone = subprocess.run([sys.executable, "-m", "backend.cli", "api"], cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=120)
    said = (alone.stdout + alone.stderr).strip()
    assert alone.returncode != 0 and len(said.splitlines()) == 1, said
    assert f"port {ports['API']} (HERALD_API_PORT) is taken by another Herald" in said


def _the_demo_tenant_gets_development_tokens(ports: dict, creds: dict):
    """The README's herald.js snippet works as pasted: a token from the gateway, for the
    demo tenant only, while herald up runs the embedded servers."""
    gateway = f"http://127.0.0.1:{ports['GATEWAY']}"
    got = httpx.get(f"{gateway}/v1/me/dev-token", timeout=30, params={
        "user": "snippet-user", "api_key": creds["publishable_key"]})
    assert got.status_code == 200, got.text
    inbox = httpx.get(f"{gateway}/v1/me/unread-count", timeout=30, headers={
        "Authorization": f"Bearer {got.json()['token']}",
        "X-API-Key": creds["publishable_key"]})
    assert inbox.status_code == 200 and inbox.json() == {"count": 0}
