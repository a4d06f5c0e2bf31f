"""The HTML log-in, throttled (forecasting.accounts.throttling): a locked username or address gets the form back with
HTTP 429 and a message saying when to try again; the password is not checked while locked."""
from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from forecasting.accounts import throttling


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {**AuthenticationForm.error_messages, "throttled": "%(message)s"}

    def clean(self):
        username = self.cleaned_data.get("username")
        ip = throttling.client_ip(self.request) if self.request else None
        remaining = throttling.login_lockout_remaining(username=username, ip=ip)
        if remaining:
            raise forms.ValidationError(
                self.error_messages["throttled"], code="throttled",
                params={"message": throttling.lockout_message(remaining)},
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError as exc:
            if getattr(exc, "code", None) == "invalid_login":
                throttling.login_failure_record(username=username, ip=ip)
            raise
        throttling.login_success_record(username=username)
        return cleaned

    @property
    def is_throttled(self) -> bool:
        return any(error.code == "throttled" for error in self.errors.as_data().get("__all__", []))


class ThrottledLoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.is_throttled:
            response.status_code = 429
        return response


class ThrottledAdminAuthenticationForm(ThrottledAuthenticationForm, AdminAuthenticationForm):
    """The admin's log-in form (staff only), sharing the same failure counts as the site and API log-ins."""
