"""`make bench`: every benchmark in one run, summarised in ONE table where each timing has its baseline.

1. Scoring kernel (in this process): ``score_binary`` on 1,000,000 intervals vs the same formulas as a plain Python
   loop (timed on a subset, per interval); ``crps_unit`` vs ``scoringrules.crps_ensemble`` on the same CDFs.
2. Resolve-to-leaderboard at 100,000 forecasts (bench_resolution.py, a subprocess with its own throw-away
   database) vs reading the same forecast rows.
3. API throughput (bench_api.py, a subprocess): gunicorn with one worker pinned to core 0, the load generator on
   core 1, on loopback; each endpoint as a ratio to /healthz measured in the same run, with p50/p99 latency.

PostgreSQL is used when DATABASE_URL names it or a local server answers on 127.0.0.1:5432 (throw-away databases,
dropped at exit), else SQLite. Each script's own output is printed first; the summary table comes last.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _database_env() -> dict:
    env = dict(os.environ)
    if not env.get("DATABASE_URL"):
        try:
            with socket.create_connection(("127.0.0.1", 5432), timeout=1):
                env["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/readout_bench"
        except OSError:
            pass
    return env


def _script(name: str, args: list[str], env: dict) -> dict | None:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = Path(fh.name)
    try:
        print(f"\n=== {name} {' '.join(args)}", flush=True)
        code = subprocess.call([sys.executable, str(HERE / name), *args, "--json", str(out)], cwd=HERE, env=env)
        text = out.read_text()
        if code != 0:
            print(f"{name} exited with status {code}")
        return json.loads(text) if text else None
    finally:
        out.unlink(missing_ok=True)


def main() -> int:
    import bench_scoring_kernel
    from _setup import machine_description

    env = _database_env()
    print("=== bench_scoring_kernel.py", flush=True)
    kernel: dict = {}
    kernel_status = bench_scoring_kernel.main([], summary=kernel)
    resolution = _script("bench_resolution.py", ["--runs", "1"], env)
    api = _script("bench_api.py", ["--seconds", "5", "--clients", "2"], env)

    rows = []  # (measurement, figure, baseline, baseline figure, ratio)
    m = kernel["intervals"]
    rows.append((f"score_binary, {m:,} intervals", f"{m / kernel['kernel_s']:,.0f} intervals/s",
                 "plain Python loop, same formulas", f"{1 / kernel['loop_s_per_interval']:,.0f} intervals/s",
                 f"{kernel['loop_s_per_interval'] * m / kernel['kernel_s']:,.0f}x faster"))
    rows.append((f"crps_unit (exact), {kernel['cdfs']:,} CDFs", f"{kernel['cdfs'] / kernel['crps_s']:,.0f} CDFs/s",
                 "scoringrules.crps_ensemble", f"{kernel['cdfs'] / kernel['scoringrules_s']:,.0f} CDFs/s",
                 f"{kernel['scoringrules_s'] / kernel['crps_s']:,.1f}x faster"))
    if resolution:
        total = resolution["score_s"] + resolution["leaderboards_s"]
        rows.append((f"resolve->leaderboards, {resolution['forecasts']:,} forecasts ({resolution['vendor']})",
                     f"{total:.2f} s (score {resolution['score_s']:.2f} + boards {resolution['leaderboards_s']:.2f})",
                     "reading the forecast rows", f"{resolution['read_s']:.2f} s",
                     f"{total / resolution['read_s']:.1f}x the read"))
    if api:
        base = api["results"][0][1]
        for name, r in api["results"]:
            rows.append((f"{name} [{api['vendor']}]",
                         f"{r['rate']:,.0f} req/s p50 {r['p50_ms']:.1f} p99 {r['p99_ms']:.1f} ms",
                         "GET /healthz, same run", f"{base['rate']:,.0f} req/s p50 {base['p50_ms']:.1f} ms",
                         f"{r['rate'] / base['rate']:.3f}" + (f" ({r['errors']} errors)" if r["errors"] else "")))

    print(f"\n=== Summary; {machine_description()}")
    if api:
        print(f"API: gunicorn 1 gthread worker x 1 thread{' pinned to core 0, load generator on core 1' if api['pinned'] else ''}, "
              f"{api['clients']} keep-alive clients on 127.0.0.1, {api['seconds']:g} s per endpoint")
    headers = ("measurement", "figure", "baseline (same run)", "baseline figure", "ratio")
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(5)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print(line.format(*headers))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line.format(*r))
    failed = kernel_status != 0 or resolution is None or api is None or any(r["errors"] for _, r in api["results"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
