"""Run every benchmark script in turn (each prints its own table). `make bench` calls this."""
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ["bench_scoring_kernel.py", "bench_forecast_post.py", "bench_resolution.py", "bench_trades.py"]


def main() -> int:
    failed = []
    for name in SCRIPTS:
        path = HERE / name
        if not path.exists():
            continue
        print(f"\n=== {name}", flush=True)
        if subprocess.call([sys.executable, str(path)], cwd=HERE) != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
