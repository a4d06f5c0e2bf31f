"""Trades per second through gunicorn and PostgreSQL with 16 concurrent clients, against a trivial endpoint.

Set-up: a throw-away PostgreSQL test database (created and migrated here, dropped at exit), a few binary markets,
one trader per client with a large grant and an API token. A gunicorn server (gthread workers, keep-alive) is
started on that database. Then, in the same run and against the same server, 16 client threads with keep-alive
HTTP/1.1 connections on loopback:
1. GET /healthz (a view that runs SELECT 1) for --seconds;
2. POST /api/v1/markets/<id>/trades/ for --seconds: random buys by shares, buys by budget and sales of shares the
   client holds, on random markets (so clients contend for the same market rows, as real traders do).
Each trade is the whole stack: token auth, JSON parsing, validation, the market row lock, the account locks, the
ledger entries, q, the position, the trade row and the price point, commit. The ledger check runs at the end.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/readout_bench python benchmarks/bench_trades.py
       [--clients 16] [--seconds 10] [--markets 4] [--workers 16] [--threads 1]
Without DATABASE_URL it tries postgres://postgres@127.0.0.1:5432/readout_bench and skips if PostgreSQL is down.
"""
import argparse
import json
import os
import socket
import sys

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/readout_bench"


def _postgres_reachable(host: str = "127.0.0.1", port: int = 5432) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    if not _postgres_reachable():
        print("bench_trades: needs PostgreSQL (set DATABASE_URL=postgres://...); skipped.")
        sys.exit(0)
    os.environ["DATABASE_URL"] = DEFAULT_URL

from _load import run_phase  # noqa: E402
from _setup import ROOT, database_url, django_with_test_db, gunicorn_start, gunicorn_stop, machine_description  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def populate(n_clients: int, n_markets: int):
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    from markets.services import account_for_user, account_grant, market_create
    from tests.factories import QuestionFactory

    staff = User.objects.create(username="bench-admin", is_staff=True)
    markets = [market_create(question=QuestionFactory(), b=200, created_by=staff).pk for _ in range(n_markets)]
    tokens = []
    for i in range(n_clients):
        user = User.objects.create(username=f"bench-trader-{i}")
        account_grant(account=account_for_user(user=user), amount_millipoints=10_000_000_000, key=f"grant:bench:{i}")
        tokens.append(Token.objects.create(user=user).key)
    return markets, tokens


def healthz_request(conn, rng, state):
    conn.request("GET", "/healthz")
    response = conn.getresponse()
    response.read()
    return response.status == 200, f"healthz {response.status}"


def make_trade_request(markets, tokens):
    def request(conn, rng, state):
        token = tokens[state["i"]]
        market = rng.choice(markets)
        outcome = rng.randrange(2)
        held = state.setdefault("held", {}).get((market, outcome), 0)
        roll = rng.random()
        if held >= 1000 and roll < 0.35:
            sell = rng.randint(1, held // 1000)
            body = {"outcome": outcome, "side": "sell", "shares": sell}
        elif roll < 0.7:
            body = {"outcome": outcome, "shares": rng.randint(1, 20)}
        else:
            body = {"outcome": outcome, "budget": rng.randint(1, 15)}
        conn.request("POST", f"/api/v1/markets/{market}/trades/", body=json.dumps(body),
                     headers={"Content-Type": "application/json", "Authorization": f"Token {token}"})
        response = conn.getresponse()
        payload = response.read()
        if response.status != 201:
            return False, f"trade {response.status}: {payload[:200]!r}"
        shares = int(round(float(json.loads(payload)["shares"]) * 1000))
        state.setdefault("held", {})[(market, outcome)] = held + (shares if body.get("side") != "sell" else -shares)
        return True, ""
    return request


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--markets", type=int, default=4)
    # One thread per worker process: a thread that holds a market's row lock never waits for the GIL behind other
    # requests of its process, which would stretch every lock and idle the other traders of that market. On the
    # 2-core reference machine 16 x 1 gave ~1.7x the trade rate of 4 x 4 (healthz also gains).
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    vendor = django_with_test_db()
    if vendor != "postgresql":
        print("bench_trades: needs PostgreSQL; skipped.")
        return 0
    markets, tokens = populate(args.clients, args.markets)
    from django.db import connection

    connection.close()  # the server's workers use the database from here on
    port = _free_port()
    log_path = ROOT / f".bench-gunicorn-{port}.log"
    server = gunicorn_start(port=port, db_url=database_url(), log_path=log_path, workers=args.workers,
                            threads=args.threads)
    try:
        run_phase(port, args.clients, 1.0, healthz_request)  # warm-up: workers import, connect, fill caches
        run_phase(port, args.clients, 1.0, make_trade_request(markets, tokens))
        health = run_phase(port, args.clients, args.seconds, healthz_request)
        trades = run_phase(port, args.clients, args.seconds, make_trade_request(markets, tokens))
    finally:
        gunicorn_stop(server)
        log_path.unlink(missing_ok=True)

    from markets.models import Trade
    from markets.selectors import ledger_check

    problems = ledger_check()
    print(f"Trades through gunicorn ({args.workers} gthread workers x {args.threads} threads) and {vendor}, "
          f"{args.clients} keep-alive clients on loopback, {args.seconds:g} s per phase, {args.markets} markets; "
          f"{machine_description()}")
    print(f"{'endpoint':<28} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9} {'errors':>7}")
    for name, r in (("GET /healthz", health), ("POST /markets/{id}/trades/", trades)):
        print(f"{name:<28} {r['rate']:>9.1f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['count']:>9} "
              f"{r['errors']:>7}")
    print(f"trades/s divided by healthz/s: {trades['rate'] / health['rate']:.3f}")
    print(f"trade rows in the database: {Trade.objects.count()}; ledger check: "
          f"{'all invariants hold' if not problems else problems[:5]}")
    for err in (health["error_samples"] + trades["error_samples"])[:5]:
        print(f"error: {err}")
    return 1 if problems or trades["errors"] or health["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
