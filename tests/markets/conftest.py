"""Fixtures for market tests: funded traders and markets on open questions."""
import itertools

import pytest

from markets.models import Account
from markets.services import account_for_user, account_grant, market_create
from tests import factories

_grant_ids = itertools.count(1)


def balance(user) -> int:
    """The user's balance in milli-points (0 without an account)."""
    return Account.objects.filter(user=user).values_list("balance", flat=True).first() or 0


def give(user, points: int = 1000) -> None:
    account_grant(account=account_for_user(user=user), amount_millipoints=points * 1000,
                  key=f"grant:test:{user.pk}:{next(_grant_ids)}")


@pytest.fixture
def trader(db):
    user = factories.UserFactory()
    give(user)
    return user


@pytest.fixture
def other_trader(db):
    user = factories.UserFactory()
    give(user)
    return user


@pytest.fixture
def binary_market(open_question, staff_user):
    return market_create(question=open_question, b=100, created_by=staff_user)


@pytest.fixture
def numeric_market(open_numeric_question, staff_user):
    return market_create(question=open_numeric_question, b=100, buckets=10, created_by=staff_user)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Factories set passwords; the default hasher takes ~0.3 s a user, which property tests cannot afford."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
