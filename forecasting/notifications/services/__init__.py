"""Notification services. ``delivery`` stores and e-mails notifications (idempotent, batched); the modules beside it
compute who is told what for each kind of event (docs/notifications.md)."""
from forecasting.notifications.services.resolution import question_notify_resolution  # noqa: F401
