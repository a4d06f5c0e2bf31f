import secrets

from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from assets.errors import StateError, ValidationError
from assets.validators import validate_text
from forecasting.accounts.authentication import KEY_PREFIX, key_hash
from forecasting.accounts.models import BotToken, Profile
from forecasting.common.enqueue import SEND_VERIFICATION_EMAIL, enqueue
from markets.services import account_grant_starting_points

VERIFICATION_SALT = "readout.accounts.email-verification"


DISPLAY_NAME_MAX_LENGTH = 80


def display_name_validate(*, display_name: str, user=None) -> str:
    """A display name as stored: trimmed, at most 80 characters, and not anyone else's in any case ("" means
    none: the username is shown). ``user`` is the profile's owner when editing. Raises ValidationError naming
    ``display_name``. The database enforces the same rule (profile_display_name_unique_ci)."""
    name = " ".join(str(display_name or "").split())
    if len(name) > DISPLAY_NAME_MAX_LENGTH:
        raise ValidationError(f"A display name can be at most {DISPLAY_NAME_MAX_LENGTH} characters.",
                              field="display_name")
    if name:
        taken = Profile.objects.filter(display_name__iexact=name)
        if user is not None and user.pk is not None:
            taken = taken.exclude(user_id=user.pk)
        if taken.exists():
            raise ValidationError(
                f"Someone already uses the display name “{name}”. Choose another, for example with an initial.",
                field="display_name",
            )
    return name


@transaction.atomic
def user_create(*, username: str, email: str, password: str, display_name: str = "") -> User:
    """Create a forecaster from the public sign-up, with a profile whose e-mail address is not verified yet.

    The starting points grant (SCORING.md section 6) is credited by ``user_verify_email``, not here: an account a
    script made without a working address never holds points and cannot forecast (issue 13). The caller sends the
    verification e-mail (``verification_email_enqueue``) once the account is committed."""
    display_name = display_name_validate(display_name=display_name)
    user = User.objects.create_user(username=username, email=email, password=password)
    Profile.objects.create(user=user, display_name=display_name, email_verified=False)
    return user


def verification_token_make(*, user) -> str:
    """A signed, timestamped token naming the user and the address it was sent to (a changed address voids it)."""
    return signing.TimestampSigner(salt=VERIFICATION_SALT).sign_object({"u": user.pk, "e": user.email})


def verification_url(*, user) -> str:
    """The absolute link for the e-mail, on settings.READOUT_SITE_URL (never the request's Host header, which a
    client chooses)."""
    path = reverse("verify-email", kwargs={"token": verification_token_make(user=user)})
    return f"{settings.READOUT_SITE_URL}{path}"


def verification_email_enqueue(*, user) -> None:
    """Have a worker e-mail the user their verification link (``forecasting.tasks.send_verification_email``), so the
    sign-up request does not wait for the mail server (an SMTP conversation is several round trips, seconds when the
    relay is slow or far). Without a broker the task runs in-process at once, as before.

    Precondition: the account is committed (the sign-up view runs outside a transaction; the worker must find the
    user). A broker that cannot be reached is logged and the user can ask for the link again on their profile page."""
    enqueue(SEND_VERIFICATION_EMAIL, user.pk)


def verification_email_send(*, user) -> None:
    """E-mail the user their verification link now (valid READOUT_EMAIL_VERIFICATION_MAX_AGE seconds); the task
    behind ``verification_email_enqueue`` calls this."""
    hours = settings.READOUT_EMAIL_VERIFICATION_MAX_AGE // 3600
    send_mail(
        subject="Confirm your e-mail address for Readout",
        message=(
            f"Hello {user.get_username()},\n\nconfirm this address to start forecasting and receive your starting "
            f"points:\n\n{verification_url(user=user)}\n\nThe link is valid for {hours} hours. If you did not sign "
            "up for Readout, ignore this message.\n"
        ),
        from_email=None,
        recipient_list=[user.email],
    )


@transaction.atomic
def user_verify_email(*, token: str) -> User:
    """Confirm the address named by ``token`` and credit the starting grant (idempotent: the grant has a unique
    ledger key, and a second click changes nothing). Raises ValidationError for a forged, expired or stale link."""
    try:
        data = signing.TimestampSigner(salt=VERIFICATION_SALT).unsign_object(
            token, max_age=settings.READOUT_EMAIL_VERIFICATION_MAX_AGE
        )
    except signing.SignatureExpired:
        raise ValidationError("This link has expired. Log in and ask for a new one.", code="expired") from None
    except signing.BadSignature:
        raise ValidationError("This link is not valid.", code="invalid_link") from None
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or user.email != data.get("e"):
        raise ValidationError("This link is not valid any more (the account or its address changed).",
                              code="invalid_link")
    profile, _ = Profile.objects.select_for_update().get_or_create(user=user)
    if not profile.email_verified or profile.email_verified_at is None:
        profile.email_verified = True
        profile.email_verified_at = timezone.now()
        profile.save(update_fields=["email_verified", "email_verified_at"])
    account_grant_starting_points(user=user)
    return user


def user_token_rotate(*, user) -> Token:
    """Replace the user's API token with a new one (the old key stops working at once)."""
    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        return Token.objects.create(user=user)


def user_tokens_revoke(*, user) -> int:
    """Delete the user's API token and named bot tokens; returns how many were deleted. Called on every password
    change."""
    deleted, _ = Token.objects.filter(user=user).delete()
    bots, _ = BotToken.objects.filter(user=user).delete()
    return deleted + bots


MAX_BOT_TOKENS = 10


@transaction.atomic
def bot_token_create(*, user, name: str) -> tuple[BotToken, str]:
    """A new named bot token for ``user``. Returns the row and the key, which is not stored (only its hash) and
    cannot be shown again. Raises ValidationError for an empty, too long or repeated name, or past MAX_BOT_TOKENS."""
    name = validate_text(name, field="name").strip()
    if not name or len(name) > 60:
        raise ValidationError("Give the token a name of 1 to 60 characters.", field="name")
    # Locks the user's row so two concurrent requests cannot pass the count check together.
    User.objects.select_for_update().filter(pk=user.pk).first()
    if BotToken.objects.filter(user=user).count() >= MAX_BOT_TOKENS:
        raise StateError(f"You have {MAX_BOT_TOKENS} bot tokens; revoke one first.", code="too_many_tokens")
    if BotToken.objects.filter(user=user, name=name).exists():
        raise ValidationError("You already have a bot token with this name.", field="name")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = BotToken.objects.create(user=user, name=name, prefix=key[:12], key_hash=key_hash(key))
    return token, key


def bot_token_revoke(*, user, token_id: int) -> None:
    """Delete one of ``user``'s bot tokens. Raises StateError (409) when they have none with this id (another
    user's token is indistinguishable from a missing one)."""
    deleted, _ = BotToken.objects.filter(user=user, pk=token_id).delete()
    if not deleted:
        raise StateError("You have no bot token with this id.", code="not_found")
