"""The admin's read-only Bot tokens pages: who has which token, never the key or its hash."""
import pytest
from django.urls import reverse

from forecasting.accounts.models import BotToken
from forecasting.accounts.services import bot_token_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def token_and_key(user):
    return bot_token_create(user=user, name="nightly-importer")


def test_staff_see_bot_tokens_without_their_keys(client, staff_user, user, token_and_key):
    token, key = token_and_key
    client.force_login(staff_user)
    for url in (reverse("admin:forecasting_bottoken_changelist"),
                reverse("admin:forecasting_bottoken_change", args=[token.pk])):
        response = client.get(url)
        assert response.status_code == 200
        content = response.content.decode()
        assert "nightly-importer" in content and user.username in content
        assert key not in content and key[12:20] not in content and token.key_hash not in content


def test_bot_tokens_cannot_be_added_changed_or_deleted_in_the_admin(client, staff_user, token_and_key):
    token, _key = token_and_key
    client.force_login(staff_user)
    assert client.get(reverse("admin:forecasting_bottoken_add")).status_code == 403
    assert client.post(reverse("admin:forecasting_bottoken_change", args=[token.pk]), {"name": "x"}).status_code == 403
    assert client.post(reverse("admin:forecasting_bottoken_delete", args=[token.pk]), {"post": "yes"}).status_code == 403
    assert BotToken.objects.get().name == "nightly-importer"


def test_non_staff_users_are_sent_to_login(client, user, token_and_key):
    client.force_login(user)
    response = client.get(reverse("admin:forecasting_bottoken_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
