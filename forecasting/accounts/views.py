"""Account pages: sign-up, e-mail verification, profile editing and the API token. Log-in, log-out and password
reset use Django's views (forecasting.accounts.login_views)."""
import logging

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assets.errors import DomainError
from forecasting.accounts.models import Profile
from forecasting.accounts.selectors import bot_tokens, user_is_verified, user_token
from forecasting.accounts.services import (
    display_name_validate,
    bot_token_create,
    bot_token_revoke,
    user_create,
    user_token_rotate,
    user_tokens_revoke,
    user_verify_email,
    verification_email_enqueue,
)

logger = logging.getLogger(__name__)


def safe_next(request, default: str = "home") -> str:
    """``next`` from the query string or form if it stays on this site (url_has_allowed_host_and_scheme: no other
    host, no scheme change, no ``//evil`` or ``\\\\evil``), else ``default`` (a URL name or path)."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


class SignUpForm(UserCreationForm):
    email = forms.EmailField(required=True, help_text="We send a link to confirm it before you can forecast.")
    display_name = forms.CharField(max_length=80, required=False,
                                   help_text="Shown on leaderboards; nobody else may use it. Optional.")

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email", "display_name")

    def clean_display_name(self):
        return _clean_display_name(self.cleaned_data.get("display_name", ""), user=None)


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ("display_name", "bio")
        help_texts = {"display_name": "Shown on leaderboards instead of your username; nobody else may use it."}

    def clean_display_name(self):
        return _clean_display_name(self.cleaned_data.get("display_name", ""), user=self.instance.user)


def _clean_display_name(value: str, *, user) -> str:
    try:
        return display_name_validate(display_name=value, user=user)
    except DomainError as exc:
        raise forms.ValidationError(exc.message, code="display_name_taken") from None


@require_http_methods(["GET", "POST"])
def signup(request):
    """Sign-up (rate-limited per address, scope "signup"). The new account is logged in and may browse at once; it
    forecasts and gets its starting points once it follows the link e-mailed to it."""
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = user_create(
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            display_name=form.cleaned_data["display_name"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        try:
            verification_email_enqueue(user=user)  # user_create has committed (no ATOMIC_REQUESTS)
        except Exception:  # eager mode (no broker) sends in-process; the profile page can send the link again
            logger.exception("verification e-mail to user %s not sent", user.pk)
            sent = "We could not send the confirmation e-mail just now: ask for it again on your profile page"
        else:
            sent = (f"We are e-mailing a link to {user.email}: follow it to start forecasting and receive your "
                    "starting points")
        messages.success(request, f"Welcome to Readout, {user.profile.name}. {sent}.")
        return redirect(safe_next(request))
    return render(request, "registration/signup.html", {"form": form, "next": safe_next(request, "")})


signup.throttle_scope = "signup"  # forecasting.middleware.PageThrottleMiddleware


@require_GET
def verify_email(request, token: str):
    """The link in the verification e-mail: confirms the address and credits the starting points."""
    try:
        user = user_verify_email(token=token)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("profile-edit" if request.user.is_authenticated else "login")
    messages.success(request, f"Thank you: {user.email} is confirmed. You can forecast and trade now.")
    return redirect("home")


@login_required
@require_POST
def verification_resend(request):
    """Send the verification link again (rate-limited per user, scope "verification")."""
    if user_is_verified(user=request.user):
        messages.info(request, "Your e-mail address is already confirmed.")
    else:
        verification_email_enqueue(user=request.user)
        messages.success(request, f"We are sending a new link to {request.user.email}.")
    return redirect("profile-edit")


verification_resend.throttle_scope = "verification"


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request):
    profile, _ = Profile.objects.get_or_create(user=request.user)
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Profile saved.")
        return redirect("profile-edit")
    return render(request, "registration/profile_edit.html",
                  {"form": form, "email_verified": user_is_verified(user=request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def api_token(request):
    """See, create or rotate (POST action=rotate) and revoke (POST action=revoke) the API token; create (action=
    bot-create, name) and revoke (action=bot-revoke, id) named bot tokens, whose key is shown once, in the response to
    its creation (never stored, nor put in a message cookie). Changing the password revokes them all."""
    context = {}
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "bot-create":
            try:
                bot, key = bot_token_create(user=request.user, name=request.POST.get("name", ""))
            except DomainError as exc:
                context["bot_error"] = exc.message
            else:
                context["new_bot"], context["new_key"] = bot, key
            return render(request, "registration/api_token.html", {
                "token": user_token(user=request.user), "bots": bot_tokens(user=request.user), **context,
            }, status=201 if "new_key" in context else 400)
        if action == "bot-revoke":
            try:
                bot_token_revoke(user=request.user, token_id=int(request.POST.get("id", "0")))
            except (DomainError, ValueError):
                messages.error(request, "You have no bot token with this id.")
            else:
                messages.success(request, "Bot token revoked.")
        elif action == "rotate":
            user_token_rotate(user=request.user)
            messages.success(request, "New API token created; the previous one no longer works.")
        elif action == "revoke":
            messages.success(request, "API token revoked." if user_tokens_revoke(user=request.user)
                             else "You have no API token.")
        return redirect("api-token-page")
    return render(request, "registration/api_token.html",
                  {"token": user_token(user=request.user), "bots": bot_tokens(user=request.user)})


api_token.throttle_scope = "tokens"
