"""Issue 13, item 8: staff input that used to be accepted or misreported."""
import io
import json
import logging

import pytest
from rest_framework.test import APIClient

from markets.models import Question
from tests import factories


@pytest.fixture
def staff_api(staff_user):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(staff_user)
    return client


@pytest.mark.parametrize("field, value", [("range_min", -1e308), ("range_max", 1e308), ("range_max", 1e13)])
def test_numeric_ranges_are_limited_to_sane_finite_magnitudes(staff_api, field, value):
    draft = factories.NumericQuestionFactory(status="draft")
    before = (draft.range_min, draft.range_max)
    response = staff_api.patch(f"/api/v1/questions/{draft.pk}/", {field: value}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    draft.refresh_from_db()
    assert (draft.range_min, draft.range_max) == before


def test_patch_status_draft_on_an_open_question_is_refused_saying_why(staff_api, open_question):
    response = staff_api.patch(f"/api/v1/questions/{open_question.pk}/", {"status": "draft", "title": "Renamed?"},
                               format="json")
    assert response.status_code == 409
    assert "publishing a draft" in response.json()["status"][0]
    open_question.refresh_from_db()
    assert open_question.status == Question.Status.OPEN and open_question.title != "Renamed?"


def test_patch_status_open_publishes_a_draft_and_repeating_it_is_harmless(staff_api):
    draft = factories.QuestionFactory(status="draft")
    assert staff_api.patch(f"/api/v1/questions/{draft.pk}/", {"status": "open"}, format="json").status_code == 200
    assert staff_api.patch(f"/api/v1/questions/{draft.pk}/", {"status": "open"}, format="json").status_code == 200


def test_json_logs_keep_the_request_id_on_djangos_4xx_lines(user, open_question):
    from forecasting.logging import JsonFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        client = APIClient()
        client.force_authenticate(user)
        response = client.post(f"/api/v1/questions/{open_question.pk}/forecasts/", {"probability": 2}, format="json",
                               HTTP_X_REQUEST_ID="req-4xx-123")
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 400 and response["X-Request-ID"] == "req-4xx-123"
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    bad_request = [line for line in lines if line["message"].startswith("Bad Request")]
    assert bad_request and all(line.get("request_id") == "req-4xx-123" for line in bad_request)


def test_a_failed_admin_import_shows_the_errors_on_its_job_page(client, staff_user, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from assets.models import Asset

    client.force_login(staff_user)
    bad = SimpleUploadedFile("bad.txt", b"Mezigdomide\nBMS\n", content_type="text/plain")
    with django_capture_on_commit_callbacks(execute=True):  # the job's task is enqueued on commit
        response = client.post("/admin/assets/asset/import/", {"format": "profile", "files": [bad]})
    response = client.get(response["Location"])
    # The upload becomes an import job (run eagerly here); its page shows the failure with the file's error.
    from assets.models import ImportJob

    assert response.status_code == 200 and ImportJob.objects.get().status == "failed"
    assert "bad.txt:3: expected" in response.content.decode()
    assert not Asset.objects.exists()
    assert client.post("/admin/assets/asset/import/", {"format": "profile"}).status_code == 400  # no file
