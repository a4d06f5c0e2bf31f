"""TEST-ONLY hook imported inside a Celery worker when READOUT_TEST_WORKER_HOOK=tests.services.worker_hooks
(forecasting.pipeline.tasks._run_test_hook). It makes scoring pause right after it has written the question's Score
rows, inside the still-open transaction, so a test can SIGKILL the worker mid-write deterministically.

It pauses once: the first worker creates the marker file READOUT_TEST_PAUSE_MARKER and sleeps; a worker that finds
the file already there (the replacement) scores without pausing.
"""
import os
import time
from pathlib import Path

from forecasting.models import Score
from forecasting.scoring.services import scoring

_original_rows_insert = scoring.rows_insert


def _rows_insert_then_pause(model, fields, rows):
    _original_rows_insert(model, fields, rows)
    marker = Path(os.environ["READOUT_TEST_PAUSE_MARKER"])
    if model is Score and not marker.exists():
        marker.write_text(f"{os.getpid()} wrote {len(rows)} score rows\n")
        time.sleep(float(os.environ.get("READOUT_TEST_PAUSE_SECONDS", "120")))


if scoring.rows_insert is _original_rows_insert:  # imported once per worker; never wrap twice
    scoring.rows_insert = _rows_insert_then_pause
