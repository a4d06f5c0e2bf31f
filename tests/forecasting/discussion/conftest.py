import pytest

from forecasting.accounts.models import Profile
from tests import factories


@pytest.fixture
def author(db):
    return factories.UserFactory(username="amira")


@pytest.fixture
def reader(db):
    return factories.UserFactory(username="benoit")


@pytest.fixture
def moderator(db):
    return factories.StaffFactory(username="mod")


@pytest.fixture
def unverified(db):
    user = factories.UserFactory(username="newcomer")
    Profile.objects.filter(user=user).update(email_verified=False)
    return user


@pytest.fixture
def trial(db):
    return factories.TrialFactory(acronym="SUCCESSOR-2", registry_id="NCT05552976")
