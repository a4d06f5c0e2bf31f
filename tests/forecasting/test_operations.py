"""Operations: JSON log lines, request ids, the health endpoint and broker-tolerant enqueueing."""
import json
import logging

import pytest
from django.db import DatabaseError
from kombu.exceptions import OperationalError

from forecasting.logging import JsonFormatter, request_id_var
from forecasting.pipeline import tasks


def _record(message="scored %s", args=(7,), **extra):
    record = logging.LogRecord("forecasting.services.scoring", logging.WARNING, __file__, 1, message, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_a_json_log_line_is_one_object_with_timestamp_level_logger_and_message():
    line = JsonFormatter().format(_record())
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "forecasting.services.scoring"
    assert entry["message"] == "scored 7"
    assert entry["timestamp"].endswith("+00:00")
    assert "request_id" not in entry and "task_id" not in entry


def test_a_json_log_line_carries_the_request_id_extra_fields_and_the_traceback():
    token = request_id_var.set("abc123")
    try:
        try:
            raise ValueError("bad\nline")
        except ValueError:
            import sys

            record = _record(question_id=12, when=object())
            record.exc_info = sys.exc_info()
        entry = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert entry["request_id"] == "abc123"
    assert entry["question_id"] == 12
    assert entry["when"].startswith("<object")  # not JSON-serialisable: written with str()
    assert "ValueError: bad" in entry["exc_info"]


def test_a_json_log_line_inside_a_celery_task_carries_the_task_id(settings):
    from celery import shared_task

    @shared_task
    def log_something():
        return JsonFormatter().format(_record())

    entry = json.loads(log_something.apply(task_id="task-42").get())
    assert entry["task_id"] == "task-42"
    assert entry["task"].endswith("log_something")


@pytest.mark.django_db
def test_every_response_has_a_request_id_and_a_sane_incoming_one_is_kept(client):
    generated = client.get("/healthz")["X-Request-ID"]
    assert len(generated) == 32
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a.1")["X-Request-ID"] == "lb-7f3a.1"
    forged = client.get("/healthz", HTTP_X_REQUEST_ID='x"\n{"level": "ERROR"}')["X-Request-ID"]
    assert forged != 'x"\n{"level": "ERROR"}' and len(forged) == 32


@pytest.mark.django_db
def test_plain_healthz_is_cheap_and_deep_healthz_reports_the_database_and_redis(client, settings):
    settings.REDIS_URL = ""
    assert client.get("/healthz").json() == {"status": "ok"}
    deep = client.get("/healthz?deep=1")
    assert deep.status_code == 200
    assert deep.json()["database"] == "ok" and deep.json()["redis"] == "not configured"


@pytest.mark.django_db
def test_deep_healthz_stays_up_when_redis_is_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    deep = client.get("/healthz?deep=1")
    assert deep.status_code == 200
    assert deep.json()["status"] == "ok" and deep.json()["redis"].startswith("down")


@pytest.mark.django_db
def test_deep_healthz_answers_503_when_the_database_is_down(client, monkeypatch):
    from forecasting import views

    class BrokenConnection:
        def cursor(self):
            raise DatabaseError("connection refused")

    monkeypatch.setattr(views, "connection", BrokenConnection())
    deep = client.get("/healthz?deep=1")
    assert deep.status_code == 503
    assert deep.json()["status"] == "down" and deep.json()["database"].startswith("down")


class _Task:
    name = "forecasting.tasks.example"

    def __init__(self, *, eager, error=None):
        self.app = type("App", (), {"conf": type("Conf", (), {"task_always_eager": eager})()})()
        self.error, self.calls = error, []

    def delay(self, *args):
        self.calls.append(args)
        if self.error:
            raise self.error
        return "queued"


def test_enqueue_logs_and_carries_on_when_the_broker_is_unreachable(caplog):
    task = _Task(eager=False, error=OperationalError("Error 111 connecting to 127.0.0.1:6379"))
    with caplog.at_level(logging.WARNING, "forecasting.tasks"):
        assert tasks.enqueue(task, 5) is None
    assert task.calls == [(5,)]
    assert "broker unreachable" in caplog.text and "forecasting.tasks.example(5,)" in caplog.text


def test_enqueue_returns_the_result_when_the_broker_answers():
    assert tasks.enqueue(_Task(eager=False), 5) == "queued"


def test_enqueue_does_not_hide_errors_of_a_task_run_in_process():
    with pytest.raises(ConnectionError):
        tasks.enqueue(_Task(eager=True, error=ConnectionError("raised by the task itself")), 5)


def test_the_sweep_counts_only_what_it_could_enqueue(monkeypatch):
    monkeypatch.setattr("forecasting.pipeline.services.questions_needing_processing", lambda: [1, 2, 3])
    sent = iter(["ok", None, "ok"])
    monkeypatch.setattr(tasks, "enqueue", lambda task, question_id: next(sent))
    assert tasks.sweep_unscored_resolutions() == 2
