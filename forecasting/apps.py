from django.apps import AppConfig


class ForecastingConfig(AppConfig):
    name = "forecasting"
    verbose_name = "Forecasting"

    def ready(self):
        # Register the Celery tasks in every process (web and worker), so forecasting.common.enqueue can find them
        # by name; the rooms' services never import their task modules.
        from forecasting.pipeline import tasks  # noqa: F401
