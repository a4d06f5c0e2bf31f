"""The load generator shared by the HTTP benchmarks: client threads on keep-alive ``http.client`` connections to
127.0.0.1, started together, each phase bounded by time and by request count."""
from __future__ import annotations

import http.client
import random
import statistics
import threading
import time


def run_phase(port: int, n_clients: int, seconds: float, make_request, max_requests: int = 1_000_000) -> dict:
    """``n_clients`` threads loop ``make_request(conn, rng, state) -> (ok, detail)`` until ``seconds`` have passed or
    ``max_requests`` have been sent; ``state`` is the client's own dict, starting as ``{"i": client index}``.
    Latencies of successful requests only; errors are counted and the first five kept."""
    latencies: list[list[float]] = [[] for _ in range(n_clients)]
    errors: list[str] = []
    error_count = [0]
    sent = [0]
    lock = threading.Lock()
    barrier = threading.Barrier(n_clients + 1)
    stop_at = [0.0]

    def client(i: int):
        rng = random.Random(i)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = latencies[i]
        state = {"i": i}
        barrier.wait()
        while time.perf_counter() < stop_at[0]:
            with lock:
                if sent[0] >= max_requests:
                    break
                sent[0] += 1
            t0 = time.perf_counter()
            try:
                ok, detail = make_request(conn, rng, state)
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                ok, detail = False, repr(exc)
            if ok:
                mine.append(time.perf_counter() - t0)
            else:
                with lock:
                    error_count[0] += 1
                    if len(errors) < 5:
                        errors.append(detail)
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(n_clients)]
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + seconds
    t_start = time.perf_counter()
    barrier.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t_start
    flat = sorted(x for per in latencies for x in per)
    return {
        "count": len(flat), "rate": len(flat) / elapsed,
        "p50_ms": 1000 * statistics.median(flat) if flat else float("nan"),
        "p99_ms": 1000 * flat[int(0.99 * (len(flat) - 1))] if flat else float("nan"),
        "max_ms": 1000 * flat[-1] if flat else float("nan"),
        "errors": error_count[0], "error_samples": errors,
    }
