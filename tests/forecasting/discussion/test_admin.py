"""The comment admin: lists comments, shows revisions, moderates through the services; never edits or deletes."""
import pytest
from django.test import Client

from forecasting.discussion import services
from forecasting.discussion.models import Comment, DiscussionLock

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(db):
    from tests import factories

    user = factories.StaffFactory(username="root", is_superuser=True)
    client = Client()
    client.force_login(user)
    return client, user


def test_changelist_and_change_page(admin_client, open_question, author):
    client, _ = admin_client
    comment = services.comment_create(author=author, question=open_question, body="first words")
    services.comment_edit(comment=comment, user=author, body="second words")
    assert "second words" in client.get("/admin/forecasting/comment/").content.decode()
    page = client.get(f"/admin/forecasting/comment/{comment.pk}/change/").content.decode()
    assert "first words" in page  # the revision
    assert client.get("/admin/forecasting/comment/add/").status_code == 403


def test_hide_unhide_and_lock_actions(admin_client, open_question, author):
    client, staff = admin_client
    comment = services.comment_create(author=author, question=open_question, body="buy my course")
    client.post("/admin/forecasting/comment/", {"action": "hide_spam", "_selected_action": [comment.pk]})
    comment.refresh_from_db()
    assert comment.hidden_at and comment.hidden_by == staff and comment.hidden_reason == "Spam or advertising"
    client.post("/admin/forecasting/comment/", {"action": "unhide", "_selected_action": [comment.pk]})
    comment.refresh_from_db()
    assert comment.hidden_at is None
    client.post("/admin/forecasting/comment/", {"action": "lock_discussions", "_selected_action": [comment.pk]})
    assert DiscussionLock.objects.filter(question=open_question, locked_by=staff).exists()
    assert Comment.objects.count() == 1
