from django.contrib.auth.models import User
from django.db import transaction

from forecasting.accounts.models import Profile
from markets.services import account_grant_starting_points


@transaction.atomic
def user_create(*, username: str, email: str, password: str, display_name: str = "") -> User:
    """Create a forecaster with a profile and credit the starting points grant (SCORING.md section 6)."""
    user = User.objects.create_user(username=username, email=email, password=password)
    Profile.objects.create(user=user, display_name=display_name)
    account_grant_starting_points(user=user)
    return user
