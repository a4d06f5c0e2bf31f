"""Fixtures for tests against the real services: PostgreSQL, Redis and a Celery worker process.

They run when DATABASE_URL is PostgreSQL and REDIS_URL is set (as in CI). Otherwise they are skipped, unless
READOUT_REQUIRE_SERVICES=1, in which case a missing service is an error: CI must not pass by skipping them.
"""
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from kombu import pools as kombu_pools

REPO_ROOT = Path(__file__).resolve().parents[2]


def _services_available() -> str | None:
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return "DATABASE_URL is not PostgreSQL"
    if not settings.REDIS_URL:
        return "REDIS_URL is not set"
    return None


@pytest.fixture(scope="session")
def require_services():
    reason = _services_available()
    if reason:
        if os.environ.get("READOUT_REQUIRE_SERVICES") == "1":
            pytest.fail(f"service tests required but {reason}")
        pytest.skip(f"service tests need PostgreSQL and Redis: {reason}")


def _worker_env(*, broker_url: str, queue: str, extra_env: dict | None = None) -> dict:
    db = settings.DATABASES["default"]
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{connection.settings_dict['NAME']}",
        "REDIS_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        **(extra_env or {}),
    }


class WorkerProcess:
    """A `celery worker --pool=solo` subprocess consuming one queue; its output goes to a log file in the repo."""

    def __init__(self, *, broker_url: str, queue: str, extra_env: dict | None = None, name: str = "worker"):
        self.queue = queue
        self.log_path = REPO_ROOT / f".celery-{name}-{queue}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "forecasting", "worker", "--pool=solo", "-Q", queue,
             "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=REPO_ROOT, env=_worker_env(broker_url=broker_url, queue=queue, extra_env=extra_env),
            stdout=self._log, stderr=subprocess.STDOUT,
        )

    def log(self) -> str:
        return self.log_path.read_text()

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"celery worker exited: {self.log()[-3000:]}")
            if "ready." in self.log():
                return
            time.sleep(0.3)
        raise RuntimeError(f"celery worker did not start: {self.log()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no ack, the open database transaction is cut off mid-way."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=20)

    def stop(self, *, keep_log: bool = False) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=20)
        self._log.close()
        if not keep_log:
            self.log_path.unlink(missing_ok=True)


@contextlib.contextmanager
def celery_app_using(*, broker_url: str, queue: str):
    """Make this (test) process publish real messages to ``broker_url`` on ``queue`` instead of running tasks
    eagerly; restore the app afterwards. The app's cached connection and producer pools are dropped both ways so the
    next publish connects to the URL in force."""
    from forecasting.celery import app

    def reset_pools():
        # kombu keeps its connection and producer pools in process-wide registries keyed by URL: empty them too,
        # or a later use of the same URL gets a closed pool.
        kombu_pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    old = (app.conf.task_always_eager, app.conf.task_default_queue, app.conf.broker_url)
    reset_pools()
    app.conf.task_always_eager, app.conf.task_default_queue, app.conf.broker_url = False, queue, broker_url
    try:
        yield app
    finally:
        reset_pools()
        app.conf.task_always_eager, app.conf.task_default_queue, app.conf.broker_url = old


@pytest.fixture
def celery_worker_process(require_services, transactional_db):
    """A real `celery worker` subprocess on its own queue, using the test database. Yields the queue name."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    worker = WorkerProcess(broker_url=settings.REDIS_URL, queue=queue)
    try:
        worker.wait_ready()
        with celery_app_using(broker_url=settings.REDIS_URL, queue=queue):
            yield queue
    finally:
        worker.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A throw-away redis-server on a free loopback port (no persistence), so a test can stop and restart "the"
    broker without touching the Redis that other tests and engineers share."""

    def __init__(self):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 20
        while time.time() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return
            time.sleep(0.1)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        self.proc = None


@pytest.fixture
def private_redis(require_services):
    """A started PrivateRedis; stopped after the test."""
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
