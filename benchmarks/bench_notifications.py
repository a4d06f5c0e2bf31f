"""One readout resolving 10 questions for 500 followers: the notification job's time and queries (a script, not a
test).

    .venv/bin/python benchmarks/bench_notifications.py [--followers 50 500] [--questions 10] [--smtp]

For each follower count, in a throw-away database (SQLite by default, PostgreSQL when DATABASE_URL points at one):
a trial with ``--questions`` resolved questions, that many users following the trial, each of whom forecast every
question and has a score on it (plus the crowd's score). Then runs ``questions_notify_resolution`` (the body of the
``forecasting.tasks.notify_resolutions`` job) and prints its wall time, its query count, the notification rows and
the e-mails sent (one per user, all questions in it), then runs it again (a retried job: nothing new). ``--smtp``
sends through a real SMTP server (aiosmtpd on a loopback port) instead of the locmem backend.
"""
from __future__ import annotations

import argparse
import socket
import time

from _setup import django_with_test_db, machine_description


def _smtp_server():
    from aiosmtpd.controller import Controller

    class Count:
        received = 0

        async def handle_DATA(self, server, session, envelope):
            Count.received += 1
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Count(), hostname="127.0.0.1", port=port)
    controller.start()
    return controller, Count


def build(n_followers: int, n_questions: int, tag: str):
    from django.contrib.auth.models import User
    from django.utils import timezone

    from forecasting.accounts.models import Follow, Profile
    from forecasting.forecasts.models import ForecasterQuestion
    from forecasting.scoring.models import Score
    from markets.models import Question
    from tests import factories

    now = timezone.now()
    trial = factories.TrialFactory(acronym=f"BENCH-{tag}")
    questions = [
        Question.objects.create(title=f"Bench {tag} question {i}: PFS HR below 0.{60 + i}?",
                                slug=f"bench-{tag}-{i}", type="binary", status="resolved", outcome=float(i % 2),
                                resolution_criteria="-", open_time=now - timezone.timedelta(days=30),
                                scheduled_close_time=now - timezone.timedelta(days=1), known_at=now,
                                actual_close_time=now, resolved_at=now, trial=trial)
        for i in range(n_questions)
    ]
    users = User.objects.bulk_create([User(username=f"{tag}-u{i}", email=f"{tag}-u{i}@example.com")
                                      for i in range(n_followers)])
    Profile.objects.bulk_create([Profile(user=u, display_name=f"Forecaster {i}") for i, u in enumerate(users)])
    Follow.objects.bulk_create([Follow(user=u, trial=trial, created_at=now, updated_at=now) for u in users])
    ForecasterQuestion.objects.bulk_create([
        ForecasterQuestion(question=q, user=u, first_forecast_at=now, updated_at=now) for q in questions for u in users
    ])
    Score.objects.bulk_create(
        [Score(question=q, user=u, loss=0.1 + (k % 7) / 20, coverage=0.9, relative=-0.02 + (k % 5) / 100,
               computed_at=now) for q in questions for k, u in enumerate(users)]
        + [Score(question=q, subject="community_median", loss=0.12, coverage=1.0, computed_at=now)
           for q in questions]
    )
    return [q.pk for q in questions]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, nargs="+", default=[50, 500])
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--smtp", action="store_true", help="send through a real (aiosmtpd) SMTP server")
    args = parser.parse_args()
    vendor = django_with_test_db()

    from django.conf import settings
    from django.core import mail
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from forecasting.notifications.models import Notification
    from forecasting.notifications.services.resolution import questions_notify_resolution

    settings.READOUT_SITE_URL = "https://readout.example"
    controller = counter = None
    if args.smtp:
        controller, counter = _smtp_server()
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", controller.port, False
    else:
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    print(f"machine: {machine_description()}; database: {vendor}; e-mail: {'SMTP (aiosmtpd)' if args.smtp else 'locmem'}")
    print(f"{'followers':>9} {'questions':>9} {'time (s)':>9} {'queries':>8} {'rows':>6} {'e-mails':>8} "
          f"{'retry q':>8} {'retry sent':>10}")
    questions_notify_resolution(question_ids=build(2, args.questions, tag="warm"))  # imports, templates, URL maps
    for n in args.followers:
        ids = build(n, args.questions, tag=f"f{n}")
        mail.outbox = []
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            sent = questions_notify_resolution(question_ids=ids)
            elapsed = time.perf_counter() - started
        rows = Notification.objects.filter(question_id__in=ids).count()
        with CaptureQueriesContext(connection) as retry:
            again = questions_notify_resolution(question_ids=ids)
        print(f"{n:>9} {args.questions:>9} {elapsed:>9.2f} {len(ctx.captured_queries):>8} {rows:>6} {sent:>8} "
              f"{len(retry.captured_queries):>8} {again:>10}")
    if controller is not None:
        controller.stop()
        print(f"SMTP server received {counter.received} messages (2 of them from the warm-up)")


if __name__ == "__main__":
    main()
