"""Notification pages: the list (mark one or all read), preferences, and the one-click unsubscribe (GET confirms,
POST unsubscribes; RFC 8058 mail clients POST ``List-Unsubscribe=One-Click`` without a session or CSRF token)."""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from assets.errors import ValidationError
from assets.paging import paginate
from forecasting.notifications.models import Delivery, Kind, Notification
from forecasting.notifications.services.inbox import (
    MOVE_BINARY_RANGE,
    MOVE_NUMERIC_RANGE,
    notification_mark_read,
    notifications_mark_all_read,
    preferences_get,
    preferences_set,
    unsubscribe_apply,
)
from forecasting.notifications.services.tokens import ALL, BadToken, unsubscribe_token_read

PAGE_SIZE = 30


@login_required
def notification_list(request):
    page = paginate(request, Notification.objects.filter(user=request.user).defer("email_claim"),
                    per_page=PAGE_SIZE)
    return render(request, "notifications/list.html", {"page_obj": page, "notifications": page.object_list})


@login_required
@require_POST
def notification_read(request, pk: int):
    """Mark one read, then go to what it is about (``open=1``) or back to the list."""
    try:
        notification = notification_mark_read(user=request.user, notification_id=pk)
    except Notification.DoesNotExist:
        messages.error(request, "You have no notification with this id.")
        return redirect("notifications:list")
    link = notification.link
    if request.POST.get("open") and link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}):
        return redirect(link)
    return redirect(request.POST.get("next") if url_has_allowed_host_and_scheme(
        request.POST.get("next", ""), allowed_hosts={request.get_host()}) else "notifications:list")


@login_required
@require_POST
def notification_read_all(request):
    count = notifications_mark_all_read(user=request.user)
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
    return redirect("notifications:list")


class PreferencesForm(forms.Form):
    move_binary_pp = forms.FloatField(
        label="Binary questions: tell me when the community moves by (percentage points)",
        min_value=MOVE_BINARY_RANGE[0], max_value=MOVE_BINARY_RANGE[1],
    )
    move_numeric_fraction = forms.FloatField(
        label="Numeric questions: tell me when the community median moves by (fraction of the range, 0.01 to 1)",
        min_value=MOVE_NUMERIC_RANGE[0], max_value=MOVE_NUMERIC_RANGE[1],
    )
    email_off = forms.BooleanField(label="No e-mail at all (notifications stay in the app)", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = {}
        for kind in Kind:
            fields[f"kind_{kind.value}"] = forms.ChoiceField(label=kind.label, choices=Delivery.choices)
        self.fields = {**fields, **self.fields}

    def kind_fields(self):
        return [self[f"kind_{k}"] for k in Kind.values]


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    current = preferences_get(user=request.user)
    initial = {f"kind_{k}": v for k, v in current["deliveries"].items()}
    initial.update({k: current[k] for k in ("move_binary_pp", "move_numeric_fraction", "email_off")})
    form = PreferencesForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                preferences_set(
                    user=request.user, deliveries={k: data[f"kind_{k}"] for k in Kind.values},
                    move_binary_pp=data["move_binary_pp"], move_numeric_fraction=data["move_numeric_fraction"],
                    email_off=data["email_off"],
                )
            except ValidationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "Notification preferences saved.")
                return redirect("notifications:preferences")
        status = 400
    return render(request, "notifications/preferences.html", {"form": form}, status=status)


@csrf_exempt  # RFC 8058: the mail client POSTs with no session; the signed token is the authority
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    try:
        user_id, kinds = unsubscribe_token_read(token)
    except BadToken as exc:
        return render(request, "notifications/unsubscribe.html", {"error": str(exc)}, status=400)
    labels = ["all e-mail"] if ALL in kinds else [Kind(k).label.lower() for k in kinds]
    context = {"token": token, "labels": labels, "all_token": None}
    if request.method == "POST":
        try:
            unsubscribe_apply(token=token)
        except BadToken as exc:
            return render(request, "notifications/unsubscribe.html", {"error": str(exc)}, status=400)
        context["done"] = True
    return render(request, "notifications/unsubscribe.html", context)
