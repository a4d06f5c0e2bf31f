"""Celery tasks of the accounts room, registered as ``forecasting.tasks.*`` (enqueued by name through
forecasting.common.enqueue; services never import this module). Thin: take an id, call one service, own the retries."""
import logging
import smtplib

from celery import shared_task
from django.contrib.auth import get_user_model

from forecasting.accounts.services import verification_email_send
from forecasting.common.enqueue import SEND_VERIFICATION_EMAIL

logger = logging.getLogger("forecasting.tasks")


@shared_task(
    name=SEND_VERIFICATION_EMAIL,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=6,
)
def send_verification_email(user_id: int) -> bool:
    """E-mail the user their verification link (sign-up, resend). A user deleted meanwhile is skipped; a user already
    verified is not mailed again. Running twice sends a second, equally valid link (harmless), so no lock is needed.
    SMTP and network errors are retried with backoff (about 10 minutes in all); after that the user can ask for
    the link again on their profile page. Returns whether a message was sent."""
    user = get_user_model().objects.select_related("profile").filter(pk=user_id).first()
    if user is None or getattr(getattr(user, "profile", None), "email_verified", False):
        return False
    verification_email_send(user=user)
    return True
