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
