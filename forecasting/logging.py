"""Structured logs and request ids.

``JsonFormatter`` writes one JSON object per line: ``timestamp`` (ISO 8601, UTC, milliseconds), ``level``,
``logger``, ``message``, ``request_id`` inside a web request, ``task_id`` and ``task`` inside a Celery task,
``exc_info`` (the formatted traceback) when an exception is logged, and any ``extra={...}`` fields the caller
passes. Selected with LOG_FORMAT=json (the production default; settings.LOGGING).

``RequestIdMiddleware`` gives every request an id: the incoming ``X-Request-ID`` header when it is a sane token
(a load balancer or proxy set it), else a new uuid4 hex. It is logged with every line of the request and returned
in the ``X-Request-ID`` response header.

(This module is ``forecasting.logging``; ``import logging`` elsewhere still means the standard library.)
"""
from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import sys
import uuid

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is written out too.
_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "request_id", "task_id"}


def _current_task() -> tuple[str | None, str | None]:
    """(task id, task name) of the Celery task running in this thread, or (None, None). Only looks if Celery is
    already imported, so web processes that never touch Celery pay nothing."""
    if "celery" not in sys.modules:
        return None, None
    from celery import current_task

    task = current_task._get_current_object() if current_task else None
    if task is None or task.request is None or task.request.id is None:
        return None, None
    return task.request.id, task.name


class JsonFormatter(logging.Formatter):
    """One JSON object per line; see the module docstring for the keys. Values that JSON cannot hold are written
    with ``str``."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "timestamp": dt.datetime.fromtimestamp(record.created, tz=dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if not request_id:
            # Django logs 4xx/5xx responses ("Bad Request: /path", logger django.request) after the middleware has
            # returned and the context is reset; those records carry the request, which carries its id.
            request_id = getattr(getattr(record, "request", None), "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        task_id, task_name = _current_task()
        if task_id:
            entry["task_id"], entry["task"] = task_id, task_name
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class RequestIdMiddleware:
    """Set ``request.request_id`` (and the logging context) from X-Request-ID or a new uuid4; echo it back."""

    header = "HTTP_X_REQUEST_ID"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get(self.header, "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response
