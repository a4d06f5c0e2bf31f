import logging
import time

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import render

from assets.selectors import home_highlights
from forecasting.questions.pages import open_questions_for_home
from markets.selectors_index import market_coverage

logger = logging.getLogger(__name__)


def home(request):
    return render(request, "home.html", {**home_highlights(), "open_questions": open_questions_for_home(),
                                         "market_coverage": market_coverage()})


def healthz(request):
    """Liveness and database reachability, for load balancers and the benchmarks' baseline: one ``SELECT 1``.

    ``?deep=1`` also reports the database's latency and whether Redis (broker, and cache if it is Redis) answers a
    PING within a second. Redis down is reported (``"redis": "down: ..."``) but still answers 200, because the site
    keeps working without it (tasks are caught up by the periodic sweep); the database down answers 503.
    """
    if request.GET.get("deep") not in ("1", "true", "yes"):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except DatabaseError as exc:
            # JSON 503, not Django's HTML 500: load balancers and monitors read the status and the body.
            logger.error("healthz: database unreachable: %s", exc)
            return JsonResponse({"status": "down", "database": f"down: {exc.__class__.__name__}"}, status=503)
        return JsonResponse({"status": "ok"})
    return _healthz_deep()


def _healthz_deep():
    checks = {}
    status = 200
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
        checks["database_ms"] = round((time.perf_counter() - started) * 1000, 2)
    except DatabaseError as exc:
        logger.error("healthz: database unreachable: %s", exc)
        checks["database"] = f"down: {exc.__class__.__name__}"
        status = 503
    checks["redis"] = _redis_status()
    return JsonResponse({"status": "ok" if status == 200 else "down", **checks}, status=status)


def _redis_status() -> str:
    """"ok", "not configured" or "down: <error class>"; never raises."""
    if not settings.REDIS_URL:
        return "not configured"
    try:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # noqa: BLE001 - any failure means "down", and must not fail the health check
        logger.warning("healthz: redis unreachable: %s", exc)
        return f"down: {exc.__class__.__name__}"
    return "ok"
