from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from assets.selectors import home_highlights
from forecasting.pages import open_questions_for_home


def home(request):
    return render(request, "home.html", {**home_highlights(), "open_questions": open_questions_for_home()})


def healthz(request):
    """Liveness and database reachability, for load balancers and benchmarks' baseline."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
