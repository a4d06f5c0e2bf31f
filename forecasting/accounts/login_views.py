"""The HTML log-in. Lock-out is django-axes' (forecasting.accounts.lockout): a locked (username, address) pair gets
HTTP 429 and a page saying when to try again, without a password check; log-in POSTs are also rate-limited per
address (scope "login", forecasting.accounts.throttling). ``next`` is followed only to this site (Django's LoginView
checks it with url_has_allowed_host_and_scheme)."""
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views

from forecasting.accounts.lockout import lockout_reset
from forecasting.accounts.services import user_tokens_revoke


class ThrottledLoginView(auth_views.LoginView):
    redirect_authenticated_user = True


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's log-in form (staff only): authenticate goes through axes like the site and API log-ins."""


class LockoutClearingPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Setting a new password from a reset link lifts any log-in lock-out on the account (otherwise the 429 page's
    advice to reset would not help) and revokes its API tokens."""

    def form_valid(self, form):
        response = super().form_valid(form)
        lockout_reset(username=form.user.get_username())
        user_tokens_revoke(user=form.user)
        return response
