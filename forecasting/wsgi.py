import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forecasting.settings")
application = get_wsgi_application()

from forecasting.warmup import warm_up_and_freeze  # noqa: E402 - needs the configured application

warm_up_and_freeze()
