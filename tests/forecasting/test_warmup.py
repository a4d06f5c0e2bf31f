"""Process warm-up (forecasting/warmup.py): what it loads, and that it freezes the collector's view of the heap,
or deliberately does nothing, without ever stopping a worker."""
import gc
import logging
from pathlib import Path

import pytest
from django.conf import settings
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.template.loader import get_template

from forecasting import warmup

TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates"


@pytest.fixture
def unfrozen():
    """Start with nothing frozen (the test process never ran wsgi.py) and leave nothing frozen for later tests."""
    gc.unfreeze()
    yield
    gc.unfreeze()


def page_templates() -> list[Path]:
    return [
        path for path in sorted(TEMPLATES_DIR.rglob("*.html"))
        if path.relative_to(TEMPLATES_DIR).parts[0] != "admin"
    ]


def compiles(path: Path) -> bool:
    try:
        get_template(str(path.relative_to(TEMPLATES_DIR)))
    except (TemplateDoesNotExist, TemplateSyntaxError):
        return False
    return True


def test_warm_up_counts_url_patterns_and_compiled_page_templates():
    counts = warmup.warm_up()

    assert counts["url_patterns"] > 0
    assert counts["templates"] == sum(compiles(path) for path in page_templates())
    # Every page template compiles today, and the admin overrides are left out.
    assert counts["templates"] == len(page_templates()) > 0
    assert any((TEMPLATES_DIR / "admin").rglob("*.html"))
    assert counts["templates"] < len(list(TEMPLATES_DIR.rglob("*.html")))


def test_warm_up_walks_included_url_patterns_too():
    from django.urls import get_resolver

    top_level = len(get_resolver().url_patterns)
    assert warmup.warm_up()["url_patterns"] > top_level  # the app urls (questions:, assets:, ...) are included


def test_warm_up_and_freeze_freezes_the_heap(unfrozen, caplog):
    assert gc.get_freeze_count() == 0
    with caplog.at_level(logging.INFO, logger="forecasting.warmup"):
        warmup.warm_up_and_freeze()

    assert gc.get_freeze_count() > 0
    [done] = [record for record in caplog.records if record.getMessage() == "warm-up done"]
    assert done.frozen_objects > 0  # (not exactly today's count: frozen objects can still be freed)
    assert done.url_patterns > 0 and done.templates > 0


@pytest.mark.parametrize("value", ["false", "FALSE", "0", "no", "off"])
def test_warm_up_and_freeze_does_nothing_when_switched_off(unfrozen, monkeypatch, value):
    monkeypatch.setenv("READOUT_GC_FREEZE", value)
    calls = []
    monkeypatch.setattr(warmup, "warm_up", lambda: calls.append(1) or {})

    warmup.warm_up_and_freeze()

    assert gc.get_freeze_count() == 0
    assert calls == []


@pytest.mark.parametrize("value", ["true", "1", "yes"])
def test_warm_up_and_freeze_runs_when_switched_on(unfrozen, monkeypatch, value):
    monkeypatch.setenv("READOUT_GC_FREEZE", value)
    calls = []
    monkeypatch.setattr(warmup, "warm_up", lambda: calls.append(1) or {})

    warmup.warm_up_and_freeze()

    assert gc.get_freeze_count() > 0
    assert calls == [1]


def test_a_failing_warm_up_is_logged_and_the_heap_still_frozen(unfrozen, monkeypatch, caplog):
    monkeypatch.delenv("READOUT_GC_FREEZE", raising=False)

    def broken():
        raise RuntimeError("a view module failed to import")

    monkeypatch.setattr(warmup, "warm_up", broken)
    with caplog.at_level(logging.INFO, logger="forecasting.warmup"):
        warmup.warm_up_and_freeze()  # does not raise

    assert gc.get_freeze_count() > 0
    [failure] = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert failure.getMessage() == "warm-up failed; continuing without it"
    assert failure.exc_info[0] is RuntimeError
    assert str(failure.exc_info[1]) == "a view module failed to import"
    [done] = [record for record in caplog.records if record.getMessage() == "warm-up done"]
    assert not hasattr(done, "templates")  # no counts to report
