"""Celery application. The broker comes from REDIS_URL; without one, settings make tasks run eagerly."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forecasting.settings")

app = Celery("readout")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
