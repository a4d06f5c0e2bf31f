"""Follows: explicit follow/unfollow, auto-follow on forecasting and commenting (honouring auto_follow and an earlier
unfollow), the API and the follow button/Following page."""
import pytest
from django.core import mail
from django.urls import reverse

from assets.errors import ValidationError
from forecasting.accounts.follows import follow_auto, follow_set, follow_state
from forecasting.accounts.models import Follow, Profile
from forecasting.forecasts.services.forecasts import forecast_create
from forecasting.notifications.models import Notification
from tests import factories
from tests.forecasting.notifications.conftest import post_comment, question, trial  # noqa: F401

pytestmark = pytest.mark.django_db


def test_follow_and_unfollow_keep_one_row(user, question):  # noqa: F811
    follow_set(user=user, target=question)
    follow_set(user=user, target=question)
    assert follow_state(user=user, target=question)
    follow_set(user=user, target=question, active=False)
    row = Follow.objects.get(user=user)
    assert (row.active, row.auto, row.question_id) == (False, False, question.pk)
    assert not follow_state(user=user, target=question)


def test_every_target_kind_can_be_followed(user, other_user, question, trial):  # noqa: F811
    asset = factories.AssetFactory()
    for target in (question, trial, asset, other_user):
        follow_set(user=user, target=target)
    assert Follow.objects.filter(user=user, active=True).count() == 4


def test_nobody_follows_themselves(user):
    with pytest.raises(ValidationError, match="yourself"):
        follow_set(user=user, target=user)


def test_auto_follow_never_refollows_what_was_left(user, question):  # noqa: F811
    follow_set(user=user, target=question, active=False)
    assert follow_auto(user=user, target=question) is None
    assert not Follow.objects.get(user=user).active


def test_auto_follow_off_follows_nothing(user, question):  # noqa: F811
    Profile.objects.filter(user=user).update(auto_follow=False)
    assert follow_auto(user=user, target=question) is None
    assert not Follow.objects.exists()


def test_forecasting_follows_the_question(user, question):  # noqa: F811
    forecast_create(question=question, user=user, probability=0.4)
    row = Follow.objects.get(user=user)
    assert (row.question_id, row.active, row.auto) == (question.pk, True, True)


def test_forecasting_after_unfollowing_does_not_refollow(user, question):  # noqa: F811
    follow_set(user=user, target=question, active=False)
    forecast_create(question=question, user=user, probability=0.4)
    assert not Follow.objects.get(user=user).active


def test_commenting_follows_the_question_or_trial(user, question, trial, django_capture_on_commit_callbacks):  # noqa: F811
    with django_capture_on_commit_callbacks(execute=True):
        post_comment(author=user, question=question)
        post_comment(author=user, trial=trial)
    assert set(Follow.objects.filter(user=user, auto=True).values_list("question_id", "trial_id")) == {
        (question.pk, None), (None, trial.pk)}


def test_commenting_with_auto_follow_off_follows_nothing(user, question, django_capture_on_commit_callbacks):  # noqa: F811
    Profile.objects.filter(user=user).update(auto_follow=False)
    with django_capture_on_commit_callbacks(execute=True):
        post_comment(author=user, question=question)
    assert not Follow.objects.exists()


# --- API --------------------------------------------------------------------------------------------------------
def test_api_follow_unfollow_and_list(user_client, user, question, trial):  # noqa: F811
    url = f"/api/v1/follows/question/{question.pk}/"
    assert user_client.get(url).json() == {"kind": "question", "id": question.pk, "following": False}
    assert user_client.put(url).json()["following"] is True
    user_client.put(f"/api/v1/follows/trial/{trial.pk}/")
    body = user_client.get("/api/v1/me/follows/").json()
    assert body["count"] == 2
    assert {(r["kind"], r["id"]) for r in body["results"]} == {("question", question.pk), ("trial", trial.pk)}
    assert user_client.delete(url).json()["following"] is False
    assert user_client.get("/api/v1/me/follows/").json()["count"] == 1


@pytest.mark.parametrize("path, status, field", [
    ("/api/v1/follows/planet/1/", 400, "kind"),
    ("/api/v1/follows/question/999999/", 404, None),
    ("/api/v1/follows/trial/999999/", 404, None),
])
def test_api_follow_bad_targets(user_client, path, status, field):
    response = user_client.put(path)
    assert response.status_code == status
    if field:
        assert field in response.json()
    assert not Follow.objects.exists()


def test_api_follow_yourself_is_400(user_client, user):
    response = user_client.put(f"/api/v1/follows/user/{user.pk}/")
    assert response.status_code == 400 and "yourself" in response.json()["target"][0]


def test_api_drafts_cannot_be_followed(user_client):
    draft = factories.QuestionFactory(status="draft")
    assert user_client.put(f"/api/v1/follows/question/{draft.pk}/").status_code == 404


def test_api_follows_need_a_login(api_client, question):  # noqa: F811
    assert api_client.put(f"/api/v1/follows/question/{question.pk}/").status_code == 403
    assert api_client.get("/api/v1/me/follows/").status_code == 403


def test_follow_list_queries_do_not_grow(user_client, user, django_assert_num_queries):
    for _ in range(3):
        follow_set(user=user, target=factories.QuestionFactory())
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        user_client.get("/api/v1/me/follows/")
    for _ in range(12):
        follow_set(user=user, target=factories.TrialFactory())
    with django_assert_num_queries(len(few.captured_queries)):
        assert user_client.get("/api/v1/me/follows/").json()["count"] == 15


# --- pages ------------------------------------------------------------------------------------------------------
def test_follow_button_on_pages_posts_and_shows_state(client, user, question, trial):  # noqa: F811
    client.force_login(user)
    asset = factories.AssetFactory()
    other = factories.UserFactory(username="bea")
    for page, kind, pk in ((question.get_absolute_url(), "question", question.pk),
                           (trial.get_absolute_url(), "trial", trial.pk),
                           (asset.get_absolute_url(), "asset", asset.pk),
                           (reverse("scoring:profile", kwargs={"username": "bea"}), "user", other.pk)):
        html = client.get(page).content.decode()
        assert 'data-testid="follow-button"' in html and ">Follow</button>" in html, page
        response = client.post(reverse("follow-toggle", args=[kind, pk]), {"action": "follow", "next": page})
        assert response.status_code == 302 and response["Location"] == page
        assert "✓ Following" in client.get(page).content.decode()
    assert Follow.objects.filter(user=user, active=True).count() == 4


def test_anonymous_visitors_see_a_log_in_link(client, question):  # noqa: F811
    html = client.get(question.get_absolute_url()).content.decode()
    assert "Log in to follow" in html


def test_following_page_lists_unfollows_and_toggles_auto_follow(client, user, question):  # noqa: F811
    client.force_login(user)
    follow_set(user=user, target=question)
    html = client.get(reverse("accounts-following")).content.decode()
    assert question.title in html and "checked" in html
    client.post(reverse("accounts-following"), {})  # the box unticked
    assert Profile.objects.get(user=user).auto_follow is False
    client.post(reverse("follow-toggle", args=["question", question.pk]), {"action": "unfollow"})
    assert "You follow nothing yet" in client.get(reverse("accounts-following")).content.decode()


def test_follow_post_to_an_unknown_target_is_404(client, user):
    client.force_login(user)
    assert client.post(reverse("follow-toggle", args=["question", 424242])).status_code == 404
    assert mail.outbox == [] and not Notification.objects.exists()
