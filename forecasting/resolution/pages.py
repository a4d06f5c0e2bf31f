"""Staff pages for resolution: enter a readout, review pending resolutions (confirm / reject / confirm all), resolve
a question by hand or unresolve it. Thin views: a form parses, one service acts, domain errors are shown inline
(under the field they name) or as a page message. Open to resolvers: staff or the "resolvers" group.
"""
from decimal import Decimal, InvalidOperation
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from assets.errors import DomainError, ValidationError
from assets.models import Endpoint, Readout, Trial
from forecasting.api.permissions import is_resolver
from forecasting.forecasts.forms import add_domain_error
from forecasting.resolution.models import ProposedResolution, ResolutionEvent
from forecasting.resolution.services import readouts
from forecasting.resolution.services import resolution as services
from markets import date_axis
from markets.models import Question

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def resolver_required(view):
    """Anonymous users go to the login page; logged-in users who are not resolvers get 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_resolver(request.user):
            raise PermissionDenied("Only admins can enter readouts and resolve questions.")
        return view(request, *args, **kwargs)

    return wrapper


# ----------------------------------------------------------------------------------------------------------------
# Forms (shape only; the services hold the rules)
# ----------------------------------------------------------------------------------------------------------------
class ReadoutForm(forms.Form):
    trial = forms.ModelChoiceField(queryset=Trial.objects.order_by("acronym", "registry_id"))
    endpoint = forms.ModelChoiceField(queryset=Endpoint.objects.all(), to_field_name="code")
    metric = forms.ChoiceField(choices=Readout.Metric.choices)
    value = forms.FloatField(help_text="Flags (significant, met endpoint, disclosed): 1 for yes, 0 for no. Rates in %.")
    ci_lower = forms.FloatField(required=False, label="95% CI lower")
    ci_upper = forms.FloatField(required=False, label="95% CI upper")
    p_value = forms.FloatField(required=False, label="p-value")
    experimental_value = forms.FloatField(required=False, label="Experimental arm value")
    control_value = forms.FloatField(required=False, label="Control arm value")
    source = forms.CharField(max_length=300, help_text="Conference, abstract or publication, e.g. ASCO 2026, abstract 7501.")
    url = forms.CharField(required=False, label="URL", help_text="Link to the abstract or publication.")
    known_at = forms.DateTimeField(
        input_formats=DATETIME_FORMATS, widget=DATETIME_INPUT, label="Public since (UTC)",
        help_text="When the result became public: abstract release or embargo lift. Scoring stops at this time.",
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


def date_outcome_help(question: Question) -> str:
    """The resolve form's help for a date question: its dates, and which sides are open."""
    beyond = [word for word, is_open in (("earlier", question.open_lower_bound), ("later", question.open_upper_bound))
              if is_open]
    extra = f"; {' and '.join(beyond)} dates are allowed" if beyond else ""
    return (f"The date the answer happened (UTC). Range {date_axis.format_day(question.range_min)} to "
            f"{date_axis.format_day(question.range_max)}{extra}.")


class ResolveForm(forms.Form):
    """Resolve by hand. Binary questions pick yes / no / annulled; numeric questions type a value or tick annulled."""

    outcome = forms.CharField(required=False)
    annul = forms.BooleanField(required=False, label="Annul instead (nobody is scored, the market refunds)")
    known_at = forms.DateTimeField(
        required=False, input_formats=DATETIME_FORMATS, widget=DATETIME_INPUT, label="Public since (UTC)",
        help_text="When the answer became public. Required unless annulling; scoring stops at this time.",
    )
    source = forms.CharField(required=False, max_length=300, help_text="Where the answer was reported.")
    url = forms.CharField(required=False, label="URL")
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, question: Question, **kwargs):
        super().__init__(*args, **kwargs)
        self.question = question
        if question.is_multiple_choice:  # the option's index; parse_outcome takes the index or the label
            self.fields["outcome"] = forms.ChoiceField(
                choices=[*((str(i), label) for i, label in enumerate(question.options or [])),
                         ("annulled", "Annulled")], widget=forms.RadioSelect, label="Option that happened",
            )
            del self.fields["annul"]
        elif question.is_binary:
            self.fields["outcome"] = forms.ChoiceField(
                choices=[("yes", "Yes"), ("no", "No"), ("annulled", "Annulled")], widget=forms.RadioSelect,
            )
            del self.fields["annul"]
        elif question.is_date:
            self.fields["outcome"].label = "Date (UTC)"
            self.fields["outcome"].widget = forms.DateInput(attrs={"type": "date"})
            self.fields["outcome"].help_text = date_outcome_help(question)
        else:
            unit = f" ({question.unit})" if question.unit else ""
            self.fields["outcome"].label = f"Value{unit}"
            self.fields["outcome"].help_text = (
                f"Range {question.range_min:g} to {question.range_max:g}; a value beyond an open bound is allowed."
            )

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        outcome = "annulled" if data.get("annul") else data.get("outcome")
        return {"outcome": outcome, "known_at": data.get("known_at"), "source": data.get("source", ""),
                "url": data.get("url", ""), "note": data.get("note", "")}


# ----------------------------------------------------------------------------------------------------------------
# Views
# ----------------------------------------------------------------------------------------------------------------
@resolver_required
@require_http_methods(["GET", "POST"])
def readout_new(request):
    initial = {"known_at": timezone.now().replace(second=0, microsecond=0)}
    if request.GET.get("trial"):
        initial["trial"] = Trial.objects.filter(slug=request.GET["trial"]).first()
    form = ReadoutForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            readout = readouts.readout_create(created_by=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            count = readout.proposed_resolutions.filter(status=ProposedResolution.Status.PENDING).count()
            messages.success(
                request,
                f"Readout saved: {readout}. {count} resolution{'s' if count != 1 else ''} proposed"
                f"{', confirm below' if count else ''}.",
            )
            return redirect("resolution:pending")
    return render(request, "resolution/readout_form.html", {"form": form}, status=400 if form.errors else 200)


@resolver_required
def pending(request):
    proposals = (
        ProposedResolution.objects.filter(status=ProposedResolution.Status.PENDING)
        .select_related("question__trial", "question__endpoint", "readout__trial", "readout__endpoint",
                        "registry_change")
        .order_by("question_id", Coalesce("readout__known_at", "known_at"), "pk")
    )
    pending_ids = ProposedResolution.objects.filter(status=ProposedResolution.Status.PENDING).values("question_id")
    awaiting = (
        Question.objects.filter_awaiting_resolution()
        .exclude(pk__in=pending_ids)
        .select_related("trial", "endpoint")
        .order_by("scheduled_close_time", "pk")[:100]
    )
    recent = (
        ResolutionEvent.objects.select_related("question", "actor", "readout").order_by("-created_at", "-pk")[:20]
    )
    return render(request, "resolution/pending.html", {
        "proposals": proposals, "awaiting": awaiting, "recent": recent, "now": timezone.now(),
    })


@resolver_required
@require_POST
def proposal_confirm(request, pk):
    proposal = get_object_or_404(ProposedResolution.objects.select_related("question"), pk=pk)
    try:
        services.proposal_confirm(proposal=proposal, actor=request.user, note=request.POST.get("note", ""))
    except DomainError as exc:
        messages.error(request, f"Could not confirm “{proposal.question.title}”: {exc.message}")
    else:
        messages.success(request, f"Resolved “{proposal.question.title}” as {proposal.outcome_display}. "
                                  "Scores are being computed.")
    return redirect("resolution:pending")


@resolver_required
@require_POST
def proposal_reject(request, pk):
    proposal = get_object_or_404(ProposedResolution.objects.select_related("question"), pk=pk)
    try:
        services.proposal_reject(proposal=proposal, actor=request.user, note=request.POST.get("note", ""))
    except DomainError as exc:
        messages.error(request, f"Could not reject the proposal: {exc.message}")
    else:
        messages.success(request, f"Proposal for “{proposal.question.title}” rejected.")
    return redirect("resolution:pending")


@resolver_required
@require_POST
def proposals_confirm_all(request):
    result = services.proposals_confirm_all(actor=request.user)
    if result.confirmed:
        n = len(result.confirmed)
        messages.success(request, f"Resolved {n} question{'s' if n != 1 else ''}. Scores are being computed.")
    for proposal, message in result.failed:
        messages.error(request, f"“{proposal.question.title}” was not resolved: {message}")
    if not result.confirmed and not result.failed:
        messages.info(request, "No pending proposals.")
    return redirect("resolution:pending")


@resolver_required
@require_http_methods(["GET", "POST"])
def question_resolve(request, slug):
    question = get_object_or_404(Question.objects.select_related("trial", "endpoint"), slug=slug)
    resolvable = question.status in (Question.Status.OPEN, Question.Status.CLOSED, Question.Status.PENDING)
    form = ResolveForm(request.POST or None, question=question)
    if request.method == "POST":
        if not resolvable:
            messages.error(request, f"This question is {question.status}; unresolve it first.")
            return redirect("resolution:resolve", slug=question.slug)
        if form.is_valid():
            try:
                question = services.question_resolve_manual(
                    question=question, actor=request.user, **form.service_kwargs()
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                if question.status == Question.Status.ANNULLED:
                    messages.success(request, "Question annulled. Its market is refunded; nobody is scored.")
                else:
                    messages.success(request, "Question resolved. Scores are being computed.")
                return redirect("resolution:resolve", slug=question.slug)
    events = ResolutionEvent.objects.filter(question=question).select_related("actor", "readout", "question").order_by(
        "-created_at", "-pk"
    )
    proposals = question.proposed_resolutions.select_related("readout__trial", "readout__endpoint").order_by(
        Coalesce("readout__known_at", "known_at"), "pk"
    )
    unresolve_plan = None
    if question.status in (Question.Status.RESOLVED, Question.Status.ANNULLED):
        unresolve_plan = services.question_unresolve_preview(question=question)
    return render(request, "resolution/resolve.html", {
        "question": question, "form": form, "resolvable": resolvable, "events": events, "proposals": proposals,
        "unresolve_plan": unresolve_plan, "unresolve_limit": services.unresolve_max_house_cover(),
    }, status=400 if form.errors else 200)


@resolver_required
@require_POST
def question_unresolve(request, slug):
    question = get_object_or_404(Question, slug=slug)
    cover = (request.POST.get("accept_house_cover") or "").strip()
    try:
        try:
            accept = Decimal(cover) if cover else None
        except InvalidOperation:
            raise ValidationError(f"accept_house_cover must be a number of points, got {cover!r}.",
                                  field="accept_house_cover") from None
        services.question_unresolve_manual(question=question, actor=request.user, note=request.POST.get("note", ""),
                                           accept_house_cover=accept)
    except DomainError as exc:
        messages.error(request, f"Could not unresolve: {exc.message}")
    else:
        messages.success(request, "Question unresolved: it is closed again, its scores are cleared and its market "
                                  "settlement reversed. Resolve it again when ready.")
    return redirect("resolution:resolve", slug=question.slug)


def pending_count() -> int:
    """How many proposals wait for a decision (for a staff badge in navigation)."""
    return ProposedResolution.objects.filter(status=ProposedResolution.Status.PENDING).aggregate(n=Count("pk"))["n"]
