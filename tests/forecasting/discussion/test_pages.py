"""The discussion section on question and trial pages, and its form posts (POST/redirect/GET, inline errors)."""
import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from forecasting.discussion import services
from forecasting.discussion.models import Comment
from forecasting.forecasts.services.forecasts import forecast_create
from tests import factories

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(client, question, **params):
    return client.get(question.get_absolute_url(), params)


def test_empty_state_and_login_prompt(open_question):
    html = page(Client(), open_question).content.decode()
    assert "No comments yet. Say what you expect and why." in html
    assert 'id="discussion"' in html and "Log in</a> to comment" in html


def test_post_redirects_to_the_comment_and_shows_it_with_a_message(open_question, author):
    client = logged_in(author)
    response = client.post(f"/discussion/question/{open_question.pk}/comments/", {"body": "I expect *0.65*."})
    comment = Comment.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"#comment-{comment.pk}")
    html = client.get(response["Location"]).content.decode()
    assert "Your comment is posted." in html and "<em>0.65</em>" in html
    assert f'href="/users/{author.username}/"' in html
    # The message shows once.
    assert "Your comment is posted." not in page(client, open_question).content.decode()


def test_a_refused_post_comes_back_with_the_error_under_the_form_and_the_text_kept(open_question, author):
    client = logged_in(author)
    response = client.post(f"/discussion/question/{open_question.pk}/comments/", {"body": "x" * 10_001})
    assert response.status_code == 302 and response["Location"].endswith("#discussion-form")
    html = client.get(response["Location"]).content.decode()
    assert "the most a comment may have is 10,000" in html and "x" * 10_001 in html
    assert 'id="comment-errors-new"' in html and not Comment.objects.exists()


def test_unverified_users_see_why_they_cannot_comment(open_question, unverified):
    html = page(logged_in(unverified), open_question).content.decode()
    assert "Confirm your e-mail address to comment" in html and 'data-testid="comment-form"' not in html
    logged_in(unverified).post(f"/discussion/question/{open_question.pk}/comments/", {"body": "hi"})
    assert not Comment.objects.exists()


def test_anonymous_posts_go_to_log_in(open_question):
    response = Client().post(f"/discussion/question/{open_question.pk}/comments/", {"body": "hi"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Comment.objects.exists()


def test_reply_edit_and_delete_through_the_forms(open_question, author, reader):
    top = services.comment_create(author=author, question=open_question, body="top")
    reply = logged_in(reader).post(f"/discussion/comments/{top.pk}/reply/", {"body": "a reply"})
    assert reply.status_code == 302
    assert Comment.objects.filter(parent=top, body="a reply").exists()
    edit = logged_in(author).post(f"/discussion/comments/{top.pk}/edit/", {"body": "top, edited"})
    assert edit.status_code == 302
    top.refresh_from_db()
    assert top.body == "top, edited"
    html = page(Client(), open_question).content.decode()
    assert 'data-testid="comment-edited"' in html and "a reply" in html
    logged_in(author).post(f"/discussion/comments/{top.pk}/delete/")
    html = page(Client(), open_question).content.decode()
    assert "[deleted]" in html and "top, edited" not in html and "a reply" in html


def test_someone_elses_edit_is_refused_and_said(open_question, author, reader):
    top = services.comment_create(author=author, question=open_question, body="mine")
    client = logged_in(reader)
    response = client.post(f"/discussion/comments/{top.pk}/edit/", {"body": "theirs"})
    top.refresh_from_db()
    assert top.body == "mine"
    assert "Only the author can edit" in client.get(response["Location"]).content.decode()


def test_edit_and_delete_controls_only_for_the_author_within_the_window(open_question, author, reader, settings):
    settings.READOUT_COMMENT_EDIT_WINDOW_SECONDS = 600
    fresh = services.comment_create(author=author, question=open_question, body="fresh")
    old = services.comment_create(author=author, question=open_question, body="old",
                                  at=timezone.now() - dt.timedelta(hours=1))
    html = page(logged_in(author), open_question).content.decode()
    assert f"/discussion/comments/{fresh.pk}/edit/" in html and f"/discussion/comments/{old.pk}/edit/" not in html
    assert f"/discussion/comments/{old.pk}/delete/" in html
    other = page(logged_in(reader), open_question).content.decode()
    assert "/edit/" not in other and "/delete/" not in other and "/hide/" not in other


def test_staff_hide_unhide_and_lock_from_the_page(open_question, author, reader, moderator):
    comment = services.comment_create(author=author, question=open_question, body="rude words")
    staff = logged_in(moderator)
    assert f"/discussion/comments/{comment.pk}/hide/" in page(staff, open_question).content.decode()
    staff.post(f"/discussion/comments/{comment.pk}/hide/", {"reason": "Personal attack"})
    assert "Hidden by a moderator." in page(logged_in(reader), open_question).content.decode()
    assert "rude words" not in page(logged_in(reader), open_question).content.decode()
    assert "rude words" in page(logged_in(author), open_question).content.decode()
    staff.post(f"/discussion/comments/{comment.pk}/unhide/")
    assert "rude words" in page(logged_in(reader), open_question).content.decode()
    staff.post(f"/discussion/question/{open_question.pk}/lock/", {"reason": "Cooling off"})
    html = page(logged_in(reader), open_question).content.decode()
    assert "This discussion is locked by a moderator: Cooling off" in html
    assert 'data-testid="comment-form"' not in html


def test_moderation_posts_by_non_staff_are_403(open_question, author, reader):
    comment = services.comment_create(author=author, question=open_question, body="x")
    assert logged_in(reader).post(f"/discussion/comments/{comment.pk}/hide/", {"reason": "r"}).status_code == 403
    assert logged_in(author).post(f"/discussion/question/{open_question.pk}/lock/").status_code == 403
    comment.refresh_from_db()
    assert comment.hidden_at is None


def test_attach_the_current_forecast_from_the_form(hidden_question, author, reader):
    forecast = forecast_create(question=hidden_question, user=author, probability=0.35)
    client = logged_in(author)
    assert "Attach my current forecast (35%)" in page(client, hidden_question).content.decode()
    client.post(f"/discussion/question/{hidden_question.pk}/comments/", {"body": "why", "forecast": forecast.pk})
    assert Comment.objects.get().forecast == forecast
    theirs = page(logged_in(reader), hidden_question).content.decode()
    assert "forecast attached (shown after" in theirs and "35%" not in theirs


def test_the_trial_page_has_a_discussion(trial, author):
    services.comment_create(author=author, trial=trial, body="On the **trial**")
    html = Client().get(trial.get_absolute_url()).content.decode()
    assert 'id="discussion"' in html and "<strong>trial</strong>" in html
    response = logged_in(author).post(f"/discussion/trial/{trial.pk}/comments/", {"body": "second"})
    assert response["Location"].startswith(trial.get_absolute_url())


def test_pages_of_threads_and_the_permalink(open_question, author):
    comments = [services.comment_create(author=author, question=open_question, body=f"comment number {i}")
                for i in range(25)]
    first = page(Client(), open_question).content.decode()
    assert "comment number 0<" in first and "comment number 24<" not in first and "comments_page=2" in first
    second = page(Client(), open_question, comments_page=2).content.decode()
    assert "comment number 24<" in second
    response = Client().get(comments[24].get_absolute_url())
    assert response.status_code == 302 and response["Location"].endswith(f"?comments_page=2#comment-{comments[24].pk}")


def test_payloads_are_escaped_on_the_page(open_question, author):
    services.comment_create(author=author, question=open_question,
                            body='<img src=x onerror="window.__xss=1"> [x](javascript:alert(1)) <script>alert(1)</script>')
    html = page(Client(), open_question).content.decode()
    body = html.split('data-testid="comment-body">', 1)[1].split("</div>", 1)[0]
    assert "<img" not in body and "<script" not in body and 'href="javascript' not in body
    assert "&lt;img" in body


@pytest.mark.parametrize("n", [5, 50])
def test_the_section_queries_are_constant(open_question, n, django_assert_max_num_queries):
    users = [factories.UserFactory() for _ in range(5)]
    for i in range(n):
        top = services.comment_create(author=users[i % 5], question=open_question, body=f"t{i}")
        services.comment_create(author=users[(i + 1) % 5], parent=top, body=f"r{i}")
    from django.test import RequestFactory

    from forecasting.discussion.pages import discussion_context

    request = RequestFactory().get("/")
    request.user = users[0]
    request.session = {}
    with django_assert_max_num_queries(7):
        context = discussion_context(request, open_question)
    assert len(context["threads"]) == min(n, 20)


def test_a_refused_post_returns_to_the_page_it_came_from(open_question, author):
    for i in range(25):
        services.comment_create(author=author, question=open_question, body=f"c{i}")
    client = logged_in(author)
    for page_field, expected in (("2", "?comments_page=2#discussion-form"), ("1", "#discussion-form"),
                                 ("x", "#discussion-form"), ("9" * 40, "#discussion-form")):
        response = client.post(f"/discussion/question/{open_question.pk}/comments/",
                               {"body": " ", "page": page_field})
        assert response.status_code == 302 and response["Location"] == open_question.get_absolute_url() + expected


def test_page_posts_share_the_comments_rate_limit_with_the_api(open_question, author, settings):
    from rest_framework.test import APIClient

    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**rates, "comments": "2/min"}}
    client = logged_in(author)
    assert client.post(f"/discussion/question/{open_question.pk}/comments/", {"body": "one"}).status_code == 302
    api = APIClient()
    api.force_authenticate(author)
    assert api.post(f"/api/v1/questions/{open_question.pk}/comments/", {"body": "two"},
                    format="json").status_code == 201
    third = client.post(f"/discussion/question/{open_question.pk}/comments/", {"body": "three"})
    assert third.status_code == 429 and int(third["Retry-After"]) > 0
    assert Comment.objects.count() == 2


def test_unknown_ids_are_404_not_500(author):
    client = logged_in(author)
    assert client.post("/discussion/question/999999999999999999/comments/", {"body": "x"}).status_code == 404
    assert client.post("/discussion/comments/999999999999999999/reply/", {"body": "x"}).status_code == 404
    assert client.get("/discussion/comments/99999999999999999999999/").status_code == 404
    assert client.post("/discussion/widget/1/comments/", {"body": "x"}).status_code == 404
