"""API and page throughput through gunicorn: one worker pinned to core 0, the load generator pinned to core 1.

Every endpoint is measured in the same run as GET /healthz (a view that runs SELECT 1), and reported as a ratio to
it, with p50 and p99 latency. The load generator is in this file: threads, each with a keep-alive
``http.client`` connection to 127.0.0.1, each phase bounded by time (``--seconds``) and by request count.

Two modes:
- default: a throw-away database (PostgreSQL from DATABASE_URL or the local server, else SQLite), filled with
  ``generate_load_data`` at a small size plus a market and traders, then dropped;
- ``--existing-db``: the database DATABASE_URL names as it is (e.g. after ``manage.py generate_load_data`` at
  1,000,000 forecasts); read endpoints only unless ``--writes`` (writes add rows to that database). The signed-in
  phase adds one session row for a forecaster of the hot question and deletes it at the end.

Usage: .venv/bin/python benchmarks/bench_api.py [--seconds 5] [--clients 4] [--existing-db [--writes]]
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from _load import run_phase  # benchmarks/ is on sys.path: this script's own folder

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/readout_bench"
SERVER_CORE, CLIENT_CORE = 0, 1


def _postgres_reachable(host: str = "127.0.0.1", port: int = 5432) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def choose_database() -> None:
    """PostgreSQL when DATABASE_URL names it or the local server answers; else the SQLite default."""
    if not os.environ.get("DATABASE_URL") and _postgres_reachable():
        os.environ["DATABASE_URL"] = DEFAULT_PG


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _taskset(core: int) -> list[str]:
    from shutil import which

    return ["taskset", "-c", str(core)] if which("taskset") and (os.cpu_count() or 1) > 1 else []


def start_server(port: int, db_url: str, log_path: Path) -> subprocess.Popen:
    """gunicorn, one gthread worker with one thread (keep-alive), pinned to SERVER_CORE."""
    from _setup import gunicorn_start

    return gunicorn_start(port=port, db_url=db_url, log_path=log_path, prefix=tuple(_taskset(SERVER_CORE)),
                          extra_env={"ALLOWED_HOSTS": "127.0.0.1,localhost"})


def stop_server(proc: subprocess.Popen) -> None:
    from _setup import gunicorn_stop

    gunicorn_stop(proc)


# ---------------------------------------------------------------------------------------------------------------
# Load generator
# ---------------------------------------------------------------------------------------------------------------
def get(path_or_paths, headers: dict | None = None, must_contain: bytes = b""):
    """GET one of the paths; a success is a 200 whose body holds ``must_contain`` (e.g. proof of being signed in)."""
    paths = [path_or_paths] if isinstance(path_or_paths, str) else list(path_or_paths)

    def request(conn, rng, state):
        path = rng.choice(paths)
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        missing = "" if must_contain in body else f" without {must_contain!r}"
        return response.status == 200 and not missing, f"GET {path} {response.status}{missing}: {body[:200]!r}"
    return request


def post_json(path_fn, body_fn, tokens, expect=201):
    def request(conn, rng, state):
        path, body = path_fn(rng), body_fn(rng)
        conn.request("POST", path, body=json.dumps(body), headers={
            "Content-Type": "application/json", "Authorization": f"Token {tokens[state['i'] % len(tokens)]}"})
        response = conn.getresponse()
        payload = response.read()
        return response.status == expect, f"POST {path} {response.status}: {payload[:200]!r}"
    return request


# ---------------------------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------------------------
def populate_small(n_clients: int, forecasts: int) -> dict:
    """Load data at a small size, one LMSR market, and one token per client (traders with a large grant)."""
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    from forecasting.management.commands.generate_load_data import generate
    from markets.models import Question
    from markets.services import account_for_user, account_grant, market_create

    generate(users=2000, questions=200, forecasts=forecasts, seed=11, log=lambda m: None)
    staff = User.objects.create(username="bench-admin", is_staff=True)
    open_binary = list(Question.objects.filter(status="open", type="binary").order_by("pk")[:4])
    markets = [market_create(question=q, b=200, created_by=staff).pk for q in open_binary[1:4]]
    tokens = []
    for i in range(n_clients):
        user = User.objects.create(username=f"bench-client-{i}")
        account_grant(account=account_for_user(user=user), amount_millipoints=10_000_000_000, key=f"grant:api:{i}")
        tokens.append(Token.objects.create(user=user).key)
    return {"markets": markets, "tokens": tokens}


def targets(*, writes_ok: bool, data: dict | None) -> dict:
    """Paths to request, read from the database: the hot question, a spread of others, a forecastable question."""
    from markets.models import Question

    visible = Question.objects.filter_visible()
    hot = visible.order_by("-forecaster_count", "pk").first()
    spread = list(visible.order_by("?").values_list("slug", flat=True)[:200])
    resolved = list(visible.filter(status="resolved").order_by("?").values_list("slug", flat=True)[:50])
    open_binary = visible.filter(status="open", type="binary").order_by("-forecaster_count", "pk").first()
    return {"hot": hot, "spread": spread, "resolved": resolved, "open_binary": open_binary, "data": data,
            "writes_ok": writes_ok, "session": _forecaster_session(hot)}


def _forecaster_session(question):
    """A signed-in session (in the configured session store; deleted after the run) for someone who forecast
    ``question``: their page has the forecast form, their history and their current forecast on top of what
    anyone sees."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from forecasting.models import ForecasterQuestion

    fq = ForecasterQuestion.objects.filter(question=question).select_related("user").order_by("pk").first()
    if fq is None:
        return None
    store = import_module(settings.SESSION_ENGINE).SessionStore()  # the engine the server reads sessions from
    store.update({SESSION_KEY: str(fq.user.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                  HASH_SESSION_KEY: fq.user.get_session_auth_hash()})
    store.create()
    return store


def phases(t: dict) -> list[tuple[str, object]]:
    hot, spread = t["hot"], t["spread"]
    out = [
        ("GET /healthz (baseline)", get("/healthz")),
        ("GET /api/v1/questions/", get("/api/v1/questions/")),
        ("GET /questions/", get("/questions/")),
        (f"GET /questions/<hot>/ ({hot.forecaster_count:,} forecasters)", get(f"/questions/{hot.slug}/")),
    ]
    if t["session"] is not None:
        from django.conf import settings

        cookie = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={t['session'].session_key}"}
        out.append(("GET /questions/<hot>/ signed in, as a forecaster",
                    get(f"/questions/{hot.slug}/", cookie, must_contain=b'class="q-forecast-form"')))
    out += [
        ("GET /questions/<random>/", get([f"/questions/{s}/" for s in spread])),
    ]
    if t["resolved"]:
        out.append(("GET /questions/<resolved>/", get([f"/questions/{s}/" for s in t["resolved"]])))
    out += [
        ("GET /leaderboards/", get("/leaderboards/")),
        ("GET /api/v1/leaderboards/", get("/api/v1/leaderboards/")),
    ]
    if t["writes_ok"] and t["data"]:
        tokens, markets, qid = t["data"]["tokens"], t["data"]["markets"], t["open_binary"].pk
        out.append(("POST /api/v1/questions/<id>/forecasts/", post_json(
            lambda rng: f"/api/v1/questions/{qid}/forecasts/",
            lambda rng: {"probability": round(rng.uniform(0.05, 0.95), 3)}, tokens)))
        out.append(("POST /api/v1/markets/<id>/trades/", post_json(
            lambda rng: f"/api/v1/markets/{rng.choice(markets)}/trades/",
            lambda rng: {"outcome": rng.randrange(2), "shares": rng.randint(1, 5)}, tokens)))
    return out


def measure(*, seconds: float, clients: int, writes_ok: bool, data: dict | None, log=print) -> dict:
    """Start the server on the current database, run every phase (healthz first and last), return the results."""
    from django.db import connection

    from _setup import ROOT, database_url

    t = targets(writes_ok=writes_ok, data=data)
    url = database_url()
    connection.close()  # the server uses the database from here on
    if _taskset(CLIENT_CORE):
        os.sched_setaffinity(0, {CLIENT_CORE})
    port = _free_port()
    log_path = ROOT / f".bench-api-{port}.log"
    server = start_server(port, url, log_path)
    results = []
    try:
        plan = phases(t)
        for _, request in plan:  # warm-up: imports, connection, caches, templates
            run_phase(port, clients, 0.5, request, max_requests=200)
        for name, request in plan:
            r = run_phase(port, clients, seconds, request)
            results.append((name, r))
            log(f"  {name}: {r['rate']:.0f} req/s, p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms"
                + (f", {r['errors']} errors: {r['error_samples'][:1]}" if r["errors"] else ""))
        results.append(("GET /healthz (again, drift check)", run_phase(port, clients, seconds, get("/healthz"))))
    finally:
        stop_server(server)
        log_path.unlink(missing_ok=True)
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
        if t["session"] is not None:
            t["session"].delete()
    return {"vendor": connection.vendor, "results": results, "hot": t["hot"].slug, "clients": clients,
            "seconds": seconds, "pinned": bool(_taskset(CLIENT_CORE))}


def run(*, seconds: float = 5.0, clients: int = 4, forecasts: int = 50_000, log=print) -> dict:
    """The default mode on a throw-away database (for run_all.py)."""
    from _setup import django_with_test_db

    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        django_with_test_db()
    else:
        _sqlite_file_db()  # the server process must see the same database: a file, not the in-memory test db
    data = populate_small(clients, forecasts)
    return measure(seconds=seconds, clients=clients, writes_ok=True, data=data, log=log)


def _sqlite_file_db() -> None:
    import atexit
    import tempfile

    import django
    from django.core.management import call_command

    path = Path(tempfile.gettempdir()) / f"readout-bench-api-{os.getpid()}.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    atexit.register(lambda: [Path(f"{path}{s}").unlink(missing_ok=True) for s in ("", "-wal", "-shm")])


def print_table(out: dict) -> None:
    from _setup import machine_description

    results = out["results"]
    base = results[0][1]["rate"]
    print(f"gunicorn 1 gthread worker x 1 thread{' on core 0, load generator on core 1' if out['pinned'] else ''}; "
          f"{out['clients']} keep-alive clients on 127.0.0.1, {out['seconds']:g} s per endpoint; "
          f"database {out['vendor']}; {machine_description()}")
    width = max(len(name) for name, _ in results)
    print(f"{'endpoint':<{width}} {'req/s':>8} {'/healthz':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} "
          f"{'requests':>8} {'errors':>6}")
    for name, r in results:
        print(f"{name:<{width}} {r['rate']:>8.0f} {r['rate'] / base:>8.3f} {r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f} "
              f"{r['max_ms']:>7.1f} {r['count']:>8} {r['errors']:>6}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--forecasts", type=int, default=50_000, help="load size of the throw-away database")
    parser.add_argument("--existing-db", action="store_true", help="measure the database DATABASE_URL names")
    parser.add_argument("--writes", action="store_true", help="with --existing-db: also POST forecasts/trades")
    parser.add_argument("--json", help="also write the results to this file (for run_all.py)")
    args = parser.parse_args()
    if args.existing_db:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from _setup import ROOT  # noqa: F401 - sets sys.path and the settings module

        import django

        django.setup()
        data = None
        if args.writes:
            data = _existing_writers(args.clients)
        out = measure(seconds=args.seconds, clients=args.clients, writes_ok=args.writes, data=data)
    else:
        choose_database()
        out = run(seconds=args.seconds, clients=args.clients, forecasts=args.forecasts)
    print_table(out)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh)
    return 1 if any(r["errors"] for _, r in out["results"]) else 0


def _existing_writers(n_clients: int) -> dict:
    """On an existing load database: a market and token-holding traders (created once, reused)."""
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    from markets.models import Market, Question
    from markets.services import account_for_user, account_grant, market_create

    staff, _ = User.objects.get_or_create(username="bench-admin", defaults={"is_staff": True})
    qs = list(Question.objects.filter(status="open", type="binary").order_by("pk")[1:4])
    markets = []
    for q in qs:
        m = Market.objects.filter(question=q).first() or market_create(question=q, b=200, created_by=staff)
        markets.append(m.pk)
    tokens = []
    for i in range(n_clients):
        user, created = User.objects.get_or_create(username=f"bench-client-{i}")
        if created:
            account_grant(account=account_for_user(user=user), amount_millipoints=10_000_000_000,
                          key=f"grant:api:{i}")
        tokens.append(Token.objects.get_or_create(user=user)[0].key)
    return {"markets": markets, "tokens": tokens}


if __name__ == "__main__":
    sys.exit(main())
