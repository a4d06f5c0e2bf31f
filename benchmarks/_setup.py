"""Shared set-up for benchmark scripts: Django on a throw-away test database (SQLite file or PostgreSQL from
DATABASE_URL), created and migrated at start and destroyed at exit."""
import atexit
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forecasting.settings")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")


def django_with_test_db(verbosity: int = 0):
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.DEBUG = False
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=verbosity, autoclobber=True, keepdb=False, serialize=False)
    atexit.register(lambda: connection.creation.destroy_test_db(old_name, verbosity=verbosity))
    return connection.vendor


def machine_description() -> str:
    import platform

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def database_url() -> str:
    """DATABASE_URL of the test database Django is using now, for a server process to share it."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def gunicorn_start(*, port: int, db_url: str, log_path, workers: int = 1, threads: int = 1,
                   prefix: tuple = (), extra_env: dict | None = None):
    """gunicorn (gthread, keep-alive) on 127.0.0.1:``port`` against ``db_url``; returns once /healthz answers 200.

    ``prefix`` is prepended to the command (e.g. ``taskset -c 0``). Raises RuntimeError if it does not start in 60 s.
    """
    import http.client
    import subprocess
    import time

    env = {
        **os.environ, "DATABASE_URL": db_url, "DEBUG": "false", "CONN_MAX_AGE": "60", "LOG_LEVEL": "WARNING",
        "CELERY_TASK_ALWAYS_EAGER": "true", **(extra_env or {}),
    }
    log = open(log_path, "w")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen(
        [*prefix, sys.executable, "-m", "gunicorn", "forecasting.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--worker-class", "gthread", "--workers", str(workers), "--threads", str(threads),
         "--keep-alive", "30", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {open(log_path).read()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("gunicorn did not start within 60 s")


def gunicorn_stop(proc) -> None:
    import subprocess

    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
