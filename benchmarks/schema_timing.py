"""Time GET /api/v1/schema/ (YAML and JSON), five requests each in one process: the first builds the schema, the
others show whether it is served from the cache. Run: .venv/bin/python benchmarks/schema_timing.py"""
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forecasting.settings")
os.environ.setdefault("DATABASE_URL", "sqlite:///:memory:")

import django  # noqa: E402

django.setup()
from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]
client = Client()
for fmt in ("yaml", "json"):
    times = []
    for _ in range(5):
        started = time.perf_counter()
        response = client.get("/api/v1/schema/", {"format": fmt} if fmt == "json" else {})
        assert response.status_code == 200, response.status_code
        times.append((time.perf_counter() - started) * 1000)
    print(f"{fmt}: first {times[0]:.0f} ms, then median {statistics.median(times[1:]):.1f} ms "
          f"({len(response.content):,} bytes)")
