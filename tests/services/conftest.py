"""Fixtures for tests against the real services: PostgreSQL, Redis and a Celery worker process.

They run when DATABASE_URL is PostgreSQL and REDIS_URL is set (as in CI). Otherwise they are skipped, unless
READOUT_REQUIRE_SERVICES=1, in which case a missing service is an error: CI must not pass by skipping them.
"""
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

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


@pytest.fixture
def celery_worker_process(require_services, transactional_db):
    """A real `celery worker` subprocess on its own queue, using the test database. Yields the queue name."""
    from forecasting.celery import app

    queue = f"test-{uuid.uuid4().hex[:8]}"
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{connection.settings_dict['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
    }
    log = open(REPO_ROOT / f".celery-worker-{queue}.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "forecasting", "worker", "--pool=solo", "-Q", queue,
         "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    old = (app.conf.task_always_eager, app.conf.task_default_queue)
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"celery worker exited: {Path(log.name).read_text()[-3000:]}")
            if "ready." in Path(log.name).read_text():
                break
            time.sleep(0.3)
        else:
            raise RuntimeError(f"celery worker did not start: {Path(log.name).read_text()[-3000:]}")
        yield queue
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = old
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        Path(log.name).unlink(missing_ok=True)


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
