"""Process warm-up for web workers: import what the first requests would import, then take every object alive at
that point out of the garbage collector's reach with ``gc.freeze()``.

Why: a Django process holds ~100,000 long-lived container objects (modules, classes, functions, URL patterns,
compiled templates). CPython's full (generation 2) collection walks all of them; on the benchmark machine that took
60-80 ms and landed on roughly one request in fifty, which alone put the p99 of list pages over 150 ms while their
p50 was 30 ms. Frozen objects are never scanned again, so a full collection then only walks what requests created
since, and takes a few milliseconds. Frozen objects are still freed by reference counting; only a reference cycle
among them would outlive its use, and what is alive after warm-up (modules, URL patterns, compiled templates) lives
as long as the process anyway. (The same call also keeps forked workers from touching, and so copying, the memory
pages of objects they inherited.)

``wsgi.py`` calls :func:`warm_up_and_freeze` once per process after building the application. Set
``READOUT_GC_FREEZE=false`` to skip it (e.g. to compare).
"""
from __future__ import annotations

import gc
import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)


def _walk_patterns(patterns) -> int:
    """Touch every URL pattern (importing each included urls module and its views); return how many."""
    count = 0
    for pattern in patterns:
        count += 1
        if hasattr(pattern, "url_patterns"):
            count += _walk_patterns(pattern.url_patterns)
    return count


def _template_names() -> list[str]:
    """Every page template in the project's template directories (admin overrides excluded: rarely hot)."""
    from django.conf import settings

    names = []
    for engine in settings.TEMPLATES:
        for directory in engine.get("DIRS", []):
            root = Path(directory)
            names += [
                str(path.relative_to(root)) for path in sorted(root.rglob("*.html"))
                if path.relative_to(root).parts[0] not in ("admin",)
            ]
    return names


def warm_up() -> dict:
    """Import the URL tree and views, compile the page templates into the cached loader, build the API schema
    generator's field maps. Returns counts, for the log line."""
    from django.template import TemplateDoesNotExist, TemplateSyntaxError
    from django.template.loader import get_template
    from django.urls import get_resolver, reverse

    patterns = _walk_patterns(get_resolver().url_patterns)
    reverse("home")  # builds the resolver's reverse dictionary
    templates = 0
    for name in _template_names():
        try:
            get_template(name)
            templates += 1
        except (TemplateDoesNotExist, TemplateSyntaxError):  # e.g. an e-mail body that is not a standalone page
            continue
    # The password validators (sign-up, password change) are built on first use; CommonPasswordValidator reads and
    # decompresses its list of 20,000 passwords then, which the first sign-up of each process used to wait for.
    from django.contrib.auth.password_validation import get_default_password_validators

    validators = len(get_default_password_validators())
    return {"url_patterns": patterns, "templates": templates, "password_validators": validators}


def warm_up_and_freeze() -> None:
    if os.environ.get("READOUT_GC_FREEZE", "true").lower() in ("0", "false", "no", "off"):
        return
    try:
        counts = warm_up()
    except Exception:  # a warm-up failure must never stop a worker from serving; the first request will say more
        logger.exception("warm-up failed; continuing without it")
        counts = {}
    gc.collect()
    gc.freeze()
    logger.info("warm-up done", extra={"frozen_objects": gc.get_freeze_count(), **counts})
