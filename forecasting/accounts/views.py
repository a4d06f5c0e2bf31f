"""Account pages: sign-up and profile editing. Log-in, log-out and password reset use Django's views."""
from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from forecasting.accounts.models import Profile
from forecasting.accounts.services import user_create


class SignUpForm(UserCreationForm):
    email = forms.EmailField(required=True, help_text="Used for password resets and resolution notices.")
    display_name = forms.CharField(max_length=80, required=False, help_text="Shown on leaderboards. Optional.")

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email", "display_name")


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ("display_name", "bio")


@require_http_methods(["GET", "POST"])
def signup(request):
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
        messages.success(request, f"Welcome to Readout, {user.profile.name}.")
        return redirect(request.GET.get("next") or "home")
    return render(request, "registration/signup.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request):
    profile, _ = Profile.objects.get_or_create(user=request.user)
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Profile saved.")
        return redirect("profile-edit")
    return render(request, "registration/profile_edit.html", {"form": form})
