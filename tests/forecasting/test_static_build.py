"""The production static build (docs/deploy.md, "Building a release"): collectstatic with WhiteNoise's compressed
manifest storage succeeds on the vendored front-end files (after ``node scripts/vendor.js``), and the pages then
render with DEBUG off, where every ``{% static %}`` name must be in the manifest: a missing entry is a 500 on every
page, which no test with the development storage can see."""
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client, override_settings

from tests import factories

MANIFEST_STORAGE = {
    **django_settings.STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
VENDOR = Path(django_settings.BASE_DIR) / "static" / "vendor"


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """A production build of the static files, once for the module (collectstatic takes a few seconds): the
    directory, and the error collectstatic raised if any (each test reports it as its failure)."""
    if not (VENDOR / "chart.umd.min.js").exists():
        return None, "static/vendor/ is empty: run `make static` (npm ci, then node scripts/vendor.js) first."
    root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(STATIC_ROOT=root, STORAGES=MANIFEST_STORAGE, DEBUG=False):
        try:
            call_command("collectstatic", interactive=False, verbosity=0)
        except Exception as exc:  # noqa: BLE001 - the build failing is what the tests report
            return root, f"collectstatic failed: {exc}"
    return root, None


def collected(build) -> Path:
    """The build's directory, failing the calling test (not erroring its set-up) when collectstatic failed."""
    root, error = build
    assert error is None, error
    return root


def production_client(settings, static_root) -> Client:
    settings.STATIC_ROOT = static_root
    settings.STORAGES = MANIFEST_STORAGE
    settings.DEBUG = False
    # As in production: WhiteNoise serves the collected files only (read when the client's handler is built).
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False
    return Client()


def test_collectstatic_keeps_every_vendored_file_and_the_source_map_it_names(build):
    static_root = collected(build)
    manifest = (static_root / "staticfiles.json").read_text()
    for name in ("vendor/chart.umd.min.js", "vendor/chartjs-adapter-date-fns.bundle.min.js", "vendor/axe.min.js"):
        assert f'"{name}"' in manifest, name
    # The manifest storage rewrote Chart.js's source-map comment to the hashed map, which was collected too.
    chart = next((static_root / "vendor").glob("chart.umd.min.*.js"))
    hashed_map = re.search(r"sourceMappingURL=(\S+)", chart.read_text()).group(1)
    assert hashed_map != "chart.umd.min.js.map"
    assert (static_root / "vendor" / hashed_map).exists()


@pytest.mark.django_db
def test_pages_render_with_debug_off_and_hashed_static_files(build, settings):
    client = production_client(settings, collected(build))
    trial = factories.TrialFactory(assets=[factories.AssetFactory(name="Mezigdomide")], acronym="SUCCESSOR-2")
    question = factories.QuestionFactory(asset=trial.assets.get(), trial=trial)
    for url in ("/", question.get_absolute_url(), "/questions/", trial.assets.get().get_absolute_url(),
                trial.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == 200, url
        assert re.search(r'src="/static/js/readout\.[0-9a-f]{12}\.js"', response.content.decode()), url
        # Chart.js only where a chart is drawn (the question page), hashed like every static file.
        has_chart = re.search(r'src="/static/vendor/chart\.umd\.min\.[0-9a-f]{12}\.js"', response.content.decode())
        assert bool(has_chart) == (url == question.get_absolute_url()), url

    # WhiteNoise serves the hashed names from the build, the source map included.
    html = client.get(question.get_absolute_url()).content.decode()
    chart_url = re.search(r'src="(/static/vendor/chart\.umd\.min\.[0-9a-f]{12}\.js)"', html).group(1)
    chart = client.get(chart_url)
    assert chart.status_code == 200
    body = b"".join(chart.streaming_content).decode()
    map_url = chart_url.rsplit("/", 1)[0] + "/" + re.search(r"sourceMappingURL=(\S+)", body).group(1)
    assert client.get(map_url).status_code == 200
