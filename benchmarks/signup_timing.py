"""Time POST /accounts/signup/ (the whole request: form validation, password hashing, account, log-in, e-mail),
ten sign-ups in one process with the production password hasher. Run:
    .venv/bin/python benchmarks/signup_timing.py [--profile]
--profile prints cProfile's top functions by cumulative time for one sign-up. --smtp-delay-ms N sends the e-mail
through a local SMTP server that answers each command after N ms (a relay N ms away; the default backend is the
in-memory one), and --broker queues the e-mail task instead of running it eagerly (as with REDIS_URL)."""
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forecasting.settings")
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/readout-signup-bench.sqlite3")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")


def slow_smtp_server(delay: float) -> int:
    """A minimal SMTP server on 127.0.0.1 that waits ``delay`` seconds before each reply; returns its port."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)

    def session(conn):
        def reply(text):
            time.sleep(delay)
            conn.sendall(text.encode() + b"\r\n")
        with conn, conn.makefile("rb") as lines:
            reply("220 bench ESMTP")
            in_data = False
            for raw in lines:
                line = raw.decode(errors="replace").strip()
                if in_data:
                    if line == ".":
                        in_data = False
                        reply("250 queued")
                    continue
                verb = line.split(" ")[0].upper()
                if verb == "EHLO":
                    reply("250 bench")
                elif verb == "DATA":
                    in_data = True
                    reply("354 go on")
                elif verb == "QUIT":
                    reply("221 bye")
                    return
                else:
                    reply("250 ok")

    def serve():
        while True:
            conn, _ = server.accept()
            threading.Thread(target=session, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return server.getsockname()[1]


if "--smtp-delay-ms" in sys.argv:
    delay_ms = float(sys.argv[sys.argv.index("--smtp-delay-ms") + 1])
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.smtp.EmailBackend"
    os.environ["READOUT_BENCH_SMTP_PORT"] = str(slow_smtp_server(delay_ms / 1000))

import django  # noqa: E402

django.setup()
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]
if "READOUT_BENCH_SMTP_PORT" in os.environ:
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", int(os.environ["READOUT_BENCH_SMTP_PORT"])
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
if "--broker" in sys.argv:  # as with a broker: the task is queued (here: not run), the request does not wait for it
    from forecasting.celery import app
    from unittest import mock
    mock.patch.object(app.tasks["forecasting.tasks.send_verification_email"], "delay").start()
    app.conf.task_always_eager = False
settings.READOUT_RATE_LIMITS_DISABLED = True
call_command("migrate", verbosity=0)
stamp = int(time.time())


def signup(i: int) -> float:
    client = Client(REMOTE_ADDR=f"10.9.{i // 250}.{i % 250 + 1}")
    started = time.perf_counter()
    response = client.post("/accounts/signup/", {
        "username": f"bench{stamp}{i}", "email": f"bench{stamp}{i}@example.org", "display_name": "",
        "password1": "a long walk in the hills 42", "password2": "a long walk in the hills 42",
    })
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 302, response.content[:2000]
    return elapsed


if "--profile" in sys.argv:
    signup(0)
    profiler = cProfile.Profile()
    profiler.runcall(signup, 1)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
else:
    times = [signup(i) for i in range(10)]
    print(f"sign-up: first {times[0]:.0f} ms, median {statistics.median(times):.0f} ms, max {max(times):.0f} ms")
