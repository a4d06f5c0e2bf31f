from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from assets.models import Asset, Trial


def home(request):
    context = {
        "assets": Asset.objects.select_related("sponsor").order_by("-updated_at")[:6],
        "trials": Trial.objects.select_related("sponsor").order_by("-updated_at")[:6],
    }
    return render(request, "home.html", context)


def healthz(request):
    """Liveness and database reachability, for load balancers and benchmarks' baseline."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
