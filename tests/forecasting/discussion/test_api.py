"""The discussion API: lists (paginated, constant queries), create, reply, edit, delete, moderation; 400s naming the
field, 403s for the wrong person, 409s for the wrong state."""
import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from forecasting.discussion import services
from forecasting.discussion.models import Comment
from forecasting.forecasts.services.forecasts import forecast_create
from tests import factories

pytestmark = pytest.mark.django_db


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def url(question) -> str:
    return f"/api/v1/questions/{question.pk}/comments/"


def test_post_and_list_comments_on_a_question(open_question, author, reader):
    forecast = forecast_create(question=open_question, user=author, probability=0.35)
    response = client_for(author).post(url(open_question), {"body": "I updated to **35%** because...",
                                                            "forecast": forecast.pk}, format="json")
    assert response.status_code == 201, response.data
    created = response.json()
    assert created["html"] == "<p>I updated to <strong>35%</strong> because...</p>"
    assert created["forecast"]["text"] == "35%" and created["can_edit"] and created["replies"] == []
    listing = client_for(reader).get(url(open_question)).json()
    assert listing["count"] == 1 and listing["locked"] is False
    [thread] = listing["results"]
    assert thread["author"]["username"] == "amira" and thread["author"]["url"] == "/users/amira/"
    assert thread["can_edit"] is False and thread["forecast"]["probability"] == 0.35


def test_anonymous_may_read_but_not_post(open_question, author):
    services.comment_create(author=author, question=open_question, body="hello")
    assert client_for().get(url(open_question)).status_code == 200
    assert client_for().post(url(open_question), {"body": "x"}, format="json").status_code == 403


def test_unverified_users_get_403(open_question, unverified):
    response = client_for(unverified).post(url(open_question), {"body": "x"}, format="json")
    assert response.status_code == 403 and not Comment.objects.exists()


@pytest.mark.parametrize("payload, field", [
    ({}, "body"), ({"body": ""}, "body"), ({"body": "   "}, "body"), ({"body": "x" * 10_001}, "body"),
    ({"body": "a\u0000b"}, "body"), ({"body": 5}, "body"), ({"body": ["x"]}, "body"),
    ({"body": "ok", "forecast": "abc"}, "forecast"), ({"body": "ok", "forecast": 0}, "forecast"),
    ({"body": "ok", "forecast": 2**70}, "forecast"), ({"body": "ok", "forecast": 123456}, "forecast"),
])
def test_bad_input_is_a_400_naming_the_field(open_question, author, payload, field):
    response = client_for(author).post(url(open_question), payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Comment.objects.exists()


def test_another_users_forecast_is_a_400_naming_forecast(open_question, author, reader):
    theirs = forecast_create(question=open_question, user=reader, probability=0.8)
    response = client_for(author).post(url(open_question), {"body": "x", "forecast": theirs.pk}, format="json")
    assert response.status_code == 400 and "forecast" in response.json()


def test_unknown_and_draft_questions_are_404(author):
    assert client_for(author).get("/api/v1/questions/999999/comments/").status_code == 404
    assert client_for(author).get(f"/api/v1/questions/{2**64}/comments/").status_code == 404
    draft = factories.QuestionFactory(status="draft")
    assert client_for(author).get(url(draft)).status_code == 404
    assert client_for(author).post(url(draft), {"body": "x"}, format="json").status_code == 404


def test_reply_and_no_reply_to_a_reply(open_question, author, reader):
    top = services.comment_create(author=author, question=open_question, body="top")
    response = client_for(reader).post(f"/api/v1/comments/{top.pk}/replies/", {"body": "reply"}, format="json")
    assert response.status_code == 201 and response.json()["parent"] == top.pk
    reply_id = response.json()["id"]
    again = client_for(author).post(f"/api/v1/comments/{reply_id}/replies/", {"body": "deeper"}, format="json")
    assert again.status_code == 400 and "parent" in again.json()
    thread = client_for().get(url(open_question)).json()["results"][0]
    assert [r["body"] for r in thread["replies"]] == ["reply"]


def test_edit_by_the_author_and_403_for_others(open_question, author, reader, moderator):
    comment = services.comment_create(author=author, question=open_question, body="first")
    path = f"/api/v1/comments/{comment.pk}/"
    for user in (reader, moderator):
        assert client_for(user).patch(path, {"body": "rewritten"}, format="json").status_code == 403
    response = client_for(author).patch(path, {"body": "second"}, format="json")
    assert response.status_code == 200 and response.json()["body"] == "second"
    assert response.json()["edited_at"] is not None
    assert client_for(author).patch(path, {"body": ""}, format="json").status_code == 400


def test_edit_after_the_window_is_409_naming_body(open_question, author, settings):
    settings.READOUT_COMMENT_EDIT_WINDOW_SECONDS = 60
    comment = services.comment_create(author=author, question=open_question, body="old",
                                      at=timezone.now() - dt.timedelta(seconds=61))
    response = client_for(author).patch(f"/api/v1/comments/{comment.pk}/", {"body": "new"}, format="json")
    assert response.status_code == 409 and "body" in response.json()


def test_delete_by_the_author_only(open_question, author, reader):
    comment = services.comment_create(author=author, question=open_question, body="x")
    services.comment_create(author=reader, parent=comment, body="reply")
    path = f"/api/v1/comments/{comment.pk}/"
    assert client_for(reader).delete(path).status_code == 403
    assert client_for(author).delete(path).status_code == 204
    assert client_for(author).delete(path).status_code == 409
    shown = client_for(reader).get(path).json()
    assert shown["state"] == "deleted" and shown["body"] is None and shown["author"]["display_name"] == "[deleted]"


def test_hide_and_unhide_are_staff_only(open_question, author, reader, moderator):
    comment = services.comment_create(author=author, question=open_question, body="rude")
    hide = f"/api/v1/comments/{comment.pk}/hide/"
    assert client_for(reader).post(hide, {"reason": "no"}, format="json").status_code == 403
    assert client_for(author).post(hide, {"reason": "no"}, format="json").status_code == 403
    assert client_for().post(hide, {"reason": "no"}, format="json").status_code == 403
    assert client_for(moderator).post(hide, {}, format="json").status_code == 400
    response = client_for(moderator).post(hide, {"reason": "Personal attack"}, format="json")
    assert response.status_code == 200 and response.json()["hidden_reason"] == "Personal attack"
    seen = client_for(reader).get(f"/api/v1/comments/{comment.pk}/").json()
    assert seen["state"] == "hidden" and seen["body"] is None and seen["html"] is None
    assert seen["hidden_reason"] is None
    mine = client_for(author).get(f"/api/v1/comments/{comment.pk}/").json()
    assert mine["body"] == "rude" and mine["hidden_reason"] == "Personal attack"
    unhide = f"/api/v1/comments/{comment.pk}/unhide/"
    assert client_for(reader).post(unhide).status_code == 403
    assert client_for(moderator).post(unhide).status_code == 200
    assert client_for(moderator).post(unhide).status_code == 409


def test_lock_and_unlock(open_question, author, reader, moderator):
    lock = f"/api/v1/questions/{open_question.pk}/comments/lock/"
    assert client_for(reader).post(lock, {}, format="json").status_code == 403
    response = client_for(moderator).post(lock, {"reason": "Cooling off"}, format="json")
    assert response.status_code == 200 and response.json()["locked"] is True
    assert client_for(moderator).post(lock, {}, format="json").status_code == 409
    refused = client_for(reader).post(url(open_question), {"body": "x"}, format="json")
    assert refused.status_code == 409
    listing = client_for().get(url(open_question)).json()
    assert listing["locked"] is True and listing["lock_reason"] == "Cooling off"
    unlock = f"/api/v1/questions/{open_question.pk}/comments/unlock/"
    assert client_for(reader).post(unlock).status_code == 403
    assert client_for(moderator).post(unlock).status_code == 200
    assert client_for(reader).post(url(open_question), {"body": "x"}, format="json").status_code == 201


def test_trial_comments(trial, author, moderator):
    path = f"/api/v1/trials/{trial.registry_id}/comments/"
    assert client_for(author).post(path, {"body": "On the trial"}, format="json").status_code == 201
    assert client_for().get(f"/api/v1/trials/{trial.slug}/comments/").json()["count"] == 1
    assert client_for().get("/api/v1/trials/NCT00000000/comments/").status_code == 404
    assert client_for(moderator).post(f"/api/v1/trials/{trial.slug}/comments/lock/", {}, format="json").status_code == 200
    assert client_for(author).post(path, {"body": "again"}, format="json").status_code == 409


def test_hidden_community_withholds_attached_forecasts_in_the_api(hidden_question, author, reader):
    forecast = forecast_create(question=hidden_question, user=author, probability=0.35)
    services.comment_create(author=author, question=hidden_question, body="why", forecast=forecast.pk)
    chip = client_for(reader).get(url(hidden_question)).json()["results"][0]["forecast"]
    assert chip["shown"] is False and chip["probability"] is None and "35" not in chip["text"]
    assert client_for(author).get(url(hidden_question)).json()["results"][0]["forecast"]["probability"] == 0.35


def test_pagination_of_top_level_comments(open_question, author):
    for i in range(25):
        services.comment_create(author=author, question=open_question, body=f"c{i}")
    first = client_for().get(url(open_question)).json()
    assert first["count"] == 25 and len(first["results"]) == 20 and first["next"]
    assert first["results"][0]["body"] == "c0"  # oldest first
    second = client_for().get(url(open_question) + "?page=2").json()
    assert [c["body"] for c in second["results"]] == [f"c{i}" for i in range(20, 25)]


def _discussion(question, n, users):
    for i in range(n):
        top = services.comment_create(author=users[i % len(users)], question=question, body=f"**top** {i}")
        services.comment_create(author=users[(i + 1) % len(users)], parent=top, body=f"reply {i}")


@pytest.mark.parametrize("n", [5, 50])
def test_list_queries_are_constant_in_the_number_of_comments(open_question, n, django_assert_max_num_queries):
    users = [factories.UserFactory() for _ in range(5)]
    for user in users:
        forecast = forecast_create(question=open_question, user=user, probability=0.4)
        services.comment_create(author=user, question=open_question, body="with forecast", forecast=forecast.pk)
    _discussion(open_question, n, users)
    viewer = client_for(users[0])
    with django_assert_max_num_queries(6):
        response = viewer.get(url(open_question) + "?page_size=100")
    assert response.status_code == 200 and len(response.json()["results"]) == n + 5
