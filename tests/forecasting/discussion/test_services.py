"""The discussion's rules, case by case: bodies, threading, edit window, deletion, moderation, locks, attached
forecasts and the hidden community forecast."""
import datetime as dt

import pytest
from django.utils import timezone

from assets.errors import PermissionDenied, StateError, ValidationError
from forecasting.discussion import selectors, services
from forecasting.discussion.models import Comment, CommentRevision
from forecasting.discussion.signals import comment_posted
from forecasting.forecasts.services.forecasts import forecast_create, forecast_withdraw
from tests import factories

pytestmark = pytest.mark.django_db


def view_of(comment, viewer, question=None):
    comment = Comment.objects.select_related("author__profile", "forecast").get(pk=comment.pk)
    return selectors.comment_view(comment, viewer=viewer, question=question or comment.question, locked=False)


# ---------------------------------------------------------------------------------------------------- bodies
def test_a_comment_is_posted_stripped_on_a_question(open_question, author):
    comment = services.comment_create(author=author, question=open_question, body="  I expect HR 0.65.  \n")
    assert comment.body == "I expect HR 0.65."
    assert comment.question == open_question and comment.trial is None and comment.parent is None


def test_a_comment_on_a_trial(trial, author):
    comment = services.comment_create(author=author, trial=trial, body="Enrollment finished early.")
    assert comment.trial == trial and comment.question is None


@pytest.mark.parametrize("body, message", [
    ("", "blank"), ("   \n\t ", "blank"), ("\u200b\u200b", "blank"), ("\ufeff \u2060", "blank"),
    ("a" * 10_001, "10,000"), ("nul \x00 here", "NUL"), ("lone \ud800", "surrogate"), (None, "required"),
    (42, "text"),
])
def test_bad_bodies_are_refused_naming_body(open_question, author, body, message):
    with pytest.raises(ValidationError) as exc:
        services.comment_create(author=author, question=open_question, body=body)
    assert exc.value.field == "body" and message in exc.value.message
    assert not Comment.objects.exists()


def test_a_body_of_exactly_10000_characters_is_accepted(open_question, author):
    comment = services.comment_create(author=author, question=open_question, body="x" * 10_000)
    assert len(comment.body) == 10_000


def test_exactly_one_target(open_question, trial, author):
    with pytest.raises(ValidationError):
        services.comment_create(author=author, question=open_question, trial=trial, body="both")
    with pytest.raises(ValidationError):
        services.comment_create(author=author, body="neither")


def test_unverified_and_anonymous_users_cannot_comment(open_question, unverified):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied) as exc:
        services.comment_create(author=unverified, question=open_question, body="hello")
    assert exc.value.code == "email_unverified"
    with pytest.raises(PermissionDenied):
        services.comment_create(author=AnonymousUser(), question=open_question, body="hello")
    assert not Comment.objects.exists()


def test_draft_questions_take_no_comments(author):
    draft = factories.QuestionFactory(status="draft")
    with pytest.raises(StateError):
        services.comment_create(author=author, question=draft, body="early")


# ---------------------------------------------------------------------------------------------------- signal
def test_comment_posted_is_sent_on_commit_for_comments_and_replies(open_question, author, reader,
                                                                    django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, comment_id, **kwargs):
        received.append((sender, comment_id))

    comment_posted.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            top = services.comment_create(author=author, question=open_question, body="top")
        assert received == []  # not before the commit
        for callback in callbacks:
            callback()
        with django_capture_on_commit_callbacks(execute=True):
            reply = services.comment_create(author=reader, parent=top, body="reply")
        assert received == [(Comment, top.pk), (Comment, reply.pk)]
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
            services.comment_create(author=reader, parent=top, body="")
        assert len(received) == 2  # a refused comment sends nothing
    finally:
        comment_posted.disconnect(receiver)


# ---------------------------------------------------------------------------------------------------- threading
def test_replies_are_one_level_deep(open_question, author, reader):
    top = services.comment_create(author=author, question=open_question, body="top")
    reply = services.comment_create(author=reader, parent=top, body="reply")
    assert reply.parent == top and reply.question == open_question
    with pytest.raises(ValidationError) as exc:
        services.comment_create(author=author, parent=reply, body="reply to a reply")
    assert exc.value.field == "parent" and "one level" in exc.value.message


def test_a_reply_must_be_on_the_parents_target(open_question, author, reader):
    top = services.comment_create(author=author, question=open_question, body="top")
    other = factories.QuestionFactory()
    with pytest.raises(ValidationError) as exc:
        services.comment_create(author=reader, question=other, parent=top, body="elsewhere")
    assert exc.value.field == "parent"


def test_no_replies_to_deleted_or_hidden_comments(open_question, author, reader, moderator):
    deleted = services.comment_create(author=author, question=open_question, body="gone")
    services.comment_delete(comment=deleted, user=author)
    with pytest.raises(StateError) as exc:
        services.comment_create(author=reader, parent=deleted, body="reply")
    assert exc.value.field == "parent" and "deleted" in exc.value.message
    hidden = services.comment_create(author=author, question=open_question, body="rude")
    services.comment_hide(comment=hidden, user=moderator, reason="Personal attack")
    with pytest.raises(StateError):
        services.comment_create(author=reader, parent=hidden, body="reply")


# ---------------------------------------------------------------------------------------------------- edits
def test_edit_within_the_window_keeps_a_revision(open_question, author, settings):
    settings.READOUT_COMMENT_EDIT_WINDOW_SECONDS = 900
    posted = timezone.now() - dt.timedelta(minutes=5)
    comment = services.comment_create(author=author, question=open_question, body="HR 0.7", at=posted)
    services.comment_edit(comment=comment, user=author, body="HR 0.65")
    comment.refresh_from_db()
    assert comment.body == "HR 0.65" and comment.edited_at is not None
    assert list(CommentRevision.objects.values_list("body", flat=True)) == ["HR 0.7"]


def test_the_edit_window_edge_exactly_at_the_limit(open_question, author, settings):
    settings.READOUT_COMMENT_EDIT_WINDOW_SECONDS = 900
    posted = timezone.now() - dt.timedelta(hours=1)
    comment = services.comment_create(author=author, question=open_question, body="first", at=posted)
    limit = posted + dt.timedelta(seconds=900)
    services.comment_edit(comment=comment, user=author, body="second", at=limit)  # exactly at the limit: allowed
    with pytest.raises(StateError) as exc:
        services.comment_edit(comment=comment, user=author, body="third", at=limit + dt.timedelta(microseconds=1))
    assert exc.value.field == "body" and "15 minutes" in exc.value.message
    comment.refresh_from_db()
    assert comment.body == "second"


def test_only_the_author_edits_not_even_staff(open_question, author, reader, moderator):
    comment = services.comment_create(author=author, question=open_question, body="mine")
    for user in (reader, moderator):
        with pytest.raises(PermissionDenied):
            services.comment_edit(comment=comment, user=user, body="rewritten")
    comment.refresh_from_db()
    assert comment.body == "mine" and not CommentRevision.objects.exists()


def test_an_edit_to_the_same_text_changes_nothing(open_question, author):
    comment = services.comment_create(author=author, question=open_question, body="same")
    services.comment_edit(comment=comment, user=author, body="  same ")
    comment.refresh_from_db()
    assert comment.edited_at is None and not CommentRevision.objects.exists()


def test_deleted_and_hidden_comments_cannot_be_edited(open_question, author, moderator):
    hidden = services.comment_create(author=author, question=open_question, body="a")
    services.comment_hide(comment=hidden, user=moderator, reason="Off topic")
    with pytest.raises(StateError):
        services.comment_edit(comment=hidden, user=author, body="sneaky swap")
    deleted = services.comment_create(author=author, question=open_question, body="b")
    services.comment_delete(comment=deleted, user=author)
    with pytest.raises(StateError):
        services.comment_edit(comment=deleted, user=author, body="back")


def test_an_edit_is_validated_like_a_new_body(open_question, author):
    comment = services.comment_create(author=author, question=open_question, body="ok")
    with pytest.raises(ValidationError) as exc:
        services.comment_edit(comment=comment, user=author, body="  ")
    assert exc.value.field == "body"


# ---------------------------------------------------------------------------------------------------- deletion
def test_delete_is_soft_and_author_only(open_question, author, reader, moderator):
    comment = services.comment_create(author=author, question=open_question, body="oops")
    for user in (reader, moderator):
        with pytest.raises(PermissionDenied):
            services.comment_delete(comment=comment, user=user)
    services.comment_delete(comment=comment, user=author)
    comment.refresh_from_db()
    assert comment.deleted_at is not None and comment.body == "oops"
    with pytest.raises(StateError):
        services.comment_delete(comment=comment, user=author)


def test_a_deleted_comment_without_replies_leaves_the_list(open_question, author):
    comment = services.comment_create(author=author, question=open_question, body="oops")
    services.comment_delete(comment=comment, user=author)
    assert list(selectors.threads_queryset(question=open_question)) == []


def test_a_deleted_comment_with_replies_shows_deleted_and_keeps_its_thread(open_question, author, reader):
    top = services.comment_create(author=author, question=open_question, body="secret plan")
    services.comment_create(author=reader, parent=top, body="interesting")
    services.comment_delete(comment=top, user=author)
    threads = selectors.threads_for(selectors.threads_queryset(question=open_question), viewer=reader,
                                    question=open_question, locked=None)
    [thread] = threads.views
    assert thread.state == "deleted" and thread.html == "" and thread.body == ""
    assert thread.author_name == "[deleted]" and thread.author_url == ""
    assert [r.body for r in thread.replies] == ["interesting"]
    # Even its author and staff see no text: the author took it back.
    assert view_of(top, author).html == ""


def test_a_deleted_reply_leaves_the_thread(open_question, author, reader):
    top = services.comment_create(author=author, question=open_question, body="top")
    reply = services.comment_create(author=reader, parent=top, body="reply")
    services.comment_delete(comment=reply, user=reader)
    threads = selectors.threads_for(selectors.threads_queryset(question=open_question), viewer=author,
                                    question=open_question, locked=None)
    assert threads.views[0].replies == []


# ---------------------------------------------------------------------------------------------------- moderation
def test_hidden_comment_visibility_per_viewer(open_question, author, reader, moderator):
    from django.contrib.auth.models import AnonymousUser

    comment = services.comment_create(author=author, question=open_question, body="**rude** words")
    services.comment_hide(comment=comment, user=moderator, reason="Personal attack")
    comment.refresh_from_db()
    assert comment.hidden_by == moderator and comment.hidden_reason == "Personal attack"
    for viewer in (reader, AnonymousUser()):
        view = view_of(comment, viewer)
        assert view.state == "hidden" and not view.show_text and view.html == "" and view.body == ""
    for viewer in (author, moderator):
        view = view_of(comment, viewer)
        assert view.show_text and view.html == "<p><strong>rude</strong> words</p>"
    services.comment_unhide(comment=comment, user=moderator)
    assert view_of(comment, reader).html == "<p><strong>rude</strong> words</p>"


def test_only_staff_moderate(open_question, author, reader):
    comment = services.comment_create(author=author, question=open_question, body="text")
    with pytest.raises(PermissionDenied):
        services.comment_hide(comment=comment, user=reader, reason="no")
    with pytest.raises(PermissionDenied):
        services.comment_hide(comment=comment, user=author, reason="no")
    with pytest.raises(PermissionDenied):
        services.discussion_lock(user=reader, question=open_question)


def test_hiding_needs_a_reason_and_a_visible_comment(open_question, author, moderator):
    comment = services.comment_create(author=author, question=open_question, body="text")
    with pytest.raises(ValidationError) as exc:
        services.comment_hide(comment=comment, user=moderator, reason="  ")
    assert exc.value.field == "reason"
    with pytest.raises(ValidationError):
        services.comment_hide(comment=comment, user=moderator, reason="x" * 201)
    services.comment_hide(comment=comment, user=moderator, reason="Spam")
    with pytest.raises(StateError):
        services.comment_hide(comment=comment, user=moderator, reason="Spam")
    services.comment_unhide(comment=comment, user=moderator)
    with pytest.raises(StateError):
        services.comment_unhide(comment=comment, user=moderator)


def test_a_lock_stops_comments_replies_and_edits_but_not_deletion(open_question, author, reader, moderator):
    top = services.comment_create(author=author, question=open_question, body="before the lock")
    services.discussion_lock(user=moderator, question=open_question, reason="Heated")
    assert services.discussion_is_locked(question=open_question)
    for call in (
        lambda: services.comment_create(author=reader, question=open_question, body="new"),
        lambda: services.comment_create(author=reader, parent=top, body="reply"),
        lambda: services.comment_edit(comment=top, user=author, body="edited"),
    ):
        with pytest.raises(StateError) as exc:
            call()
        assert exc.value.code == "locked"
    with pytest.raises(StateError):
        services.discussion_lock(user=moderator, question=open_question)
    services.comment_delete(comment=top, user=author)
    services.discussion_unlock(user=moderator, question=open_question)
    services.comment_create(author=reader, question=open_question, body="after")
    with pytest.raises(StateError):
        services.discussion_unlock(user=moderator, question=open_question)


def test_a_lock_is_per_discussion(open_question, trial, author, moderator):
    services.discussion_lock(user=moderator, trial=trial)
    services.comment_create(author=author, question=open_question, body="the question is not locked")
    with pytest.raises(StateError):
        services.comment_create(author=author, trial=trial, body="the trial is")


# ---------------------------------------------------------------------------------------------------- forecasts
def test_the_author_attaches_their_own_forecast(open_question, author):
    forecast = forecast_create(question=open_question, user=author, probability=0.35)
    comment = services.comment_create(author=author, question=open_question, body="I updated to 35% because...",
                                      forecast=forecast.pk)
    assert comment.forecast == forecast
    assert view_of(comment, author).forecast.text == "35%"


def test_attaching_another_users_forecast_is_refused(open_question, author, reader):
    theirs = forecast_create(question=open_question, user=reader, probability=0.8)
    with pytest.raises(ValidationError) as exc:
        services.comment_create(author=author, question=open_question, body="look", forecast=theirs.pk)
    assert exc.value.field == "forecast"


def test_attaching_a_forecast_on_another_question_is_refused(open_question, author):
    other = factories.QuestionFactory()
    elsewhere = forecast_create(question=other, user=author, probability=0.4)
    with pytest.raises(ValidationError) as exc:
        services.comment_create(author=author, question=open_question, body="look", forecast=elsewhere.pk)
    assert exc.value.field == "forecast"


def test_attaching_a_withdrawal_is_refused(open_question, author):
    forecast_create(question=open_question, user=author, probability=0.4)
    withdrawal = forecast_withdraw(question=open_question, user=author)
    with pytest.raises(ValidationError) as exc:
        services.comment_create(author=author, question=open_question, body="look", forecast=withdrawal.pk)
    assert exc.value.field == "forecast" and "withdrawal" in exc.value.message


@pytest.mark.parametrize("bad", [999_999, "12", 1.5, True, [1]])
def test_attaching_an_unknown_or_malformed_forecast_is_refused(open_question, author, bad):
    with pytest.raises(ValidationError) as exc:
        services.comment_create(author=author, question=open_question, body="look", forecast=bad)
    assert exc.value.field == "forecast"


def test_trial_comments_take_no_forecast(trial, open_question, author):
    forecast = forecast_create(question=open_question, user=author, probability=0.4)
    with pytest.raises(ValidationError) as exc:
        services.comment_create(author=author, trial=trial, body="look", forecast=forecast.pk)
    assert exc.value.field == "forecast"


def test_a_hidden_community_hides_an_attached_forecast_until_the_reveal(hidden_question, author, reader, moderator):
    forecast = forecast_create(question=hidden_question, user=author, probability=0.35)
    comment = services.comment_create(author=author, question=hidden_question, body="why", forecast=forecast.pk)
    before = view_of(comment, reader).forecast
    assert not before.shown and before.probability is None and "35" not in before.text
    assert before.text.startswith("forecast attached (shown after ")
    assert view_of(comment, author).forecast.text == "35%"
    assert view_of(comment, moderator).forecast.text == "35%"
    from django.contrib.auth.models import AnonymousUser
    assert not view_of(comment, AnonymousUser()).forecast.shown
    # After the reveal time everyone sees it.
    hidden_question.reveal_time = timezone.now() - dt.timedelta(seconds=1)
    hidden_question.save(update_fields=["reveal_time"])
    after = view_of(comment, reader)
    assert after.forecast.shown and after.forecast.text == "35%" and after.forecast.probability == 0.35


def test_a_numeric_forecast_shows_median_and_10_90(open_numeric_question, author, reader):
    forecast = forecast_create(question=open_numeric_question, user=author,
                               quantiles={"0.1": 8, "0.5": 12, "0.9": 18})
    comment = services.comment_create(author=author, question=open_numeric_question, body="why",
                                      forecast=forecast.pk)
    chip = view_of(comment, reader).forecast
    assert chip.text == "median 12 months (10–90%: 8–18)"
    assert (chip.q10, chip.median, chip.q90) == (8, 12, 18)


def test_a_numeric_cdf_forecast_is_read_from_its_cdf(open_numeric_question, author, reader):
    import numpy as np

    cdf = np.linspace(0.0, 0.95, 201)  # closed lower bound (0 at the minimum), open upper (5% above)
    forecast = forecast_create(question=open_numeric_question, user=author, cdf=cdf.tolist())
    comment = services.comment_create(author=author, question=open_numeric_question, body="cdf",
                                      forecast=forecast.pk)
    chip = view_of(comment, reader).forecast
    assert chip.median == pytest.approx(40 * 0.5 / 0.95, rel=1e-6)
    assert chip.text.startswith("median 21.1 months")


def test_locking_twice_at_once_is_a_409_not_a_500(open_question, moderator, monkeypatch):
    from forecasting.discussion.models import DiscussionLock

    services.discussion_lock(user=moderator, question=open_question)
    # The other moderator's check ran before the first lock committed: the unique row refuses the second.
    real_filter = DiscussionLock.objects.filter
    monkeypatch.setattr(DiscussionLock.objects, "filter", lambda **kw: real_filter(pk=-1))
    with pytest.raises(StateError):
        services.discussion_lock(user=moderator, question=open_question)
    assert real_filter(question=open_question).count() == 1
