"""Read-side queries for question lists and what a question resolved to: the question list and its rows (pages and
API), the questions on an asset or trial, the filter choices, and the resolution evidence read from ResolutionEvent
rows. The community forecast and forecast history are forecasting.forecasts.selectors."""

from dataclasses import dataclass

from django.db.models import (
    Case, CharField, Exists, F, OuterRef, Q, QuerySet, Subquery, TextField, Value, When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from assets.models import Asset, Readout, Trial
from forecasting.questions import outcomes
from forecasting.resolution.models import ResolutionEvent
from markets.models import Question


def question_list(*, filters: dict | None = None, ordering: str = "close", include_drafts: bool = False) -> QuerySet:
    """Visible questions (and drafts, for admins) with what list pages show, in a constant number of queries."""
    qs = Question.objects.all() if include_drafts else Question.objects.filter_visible()
    qs = qs.select_related("asset", "trial", "endpoint")
    filters = filters or {}
    if filters.get("asset"):
        qs = qs.filter(asset__slug=filters["asset"])
    if filters.get("trial"):
        qs = qs.filter(trial__slug=filters["trial"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("type"):
        qs = qs.filter(type=filters["type"])
    if filters.get("q"):
        qs = qs.filter(title__icontains=filters["q"])
    if ordering == "active":
        return order_active_first(qs)
    orderings = {
        "close": ("scheduled_close_time", "pk"),
        "-close": ("-scheduled_close_time", "-pk"),
        "forecasters": ("-forecaster_count", "scheduled_close_time", "pk"),
        "-forecasters": ("forecaster_count", "scheduled_close_time", "pk"),
        "new": ("-open_time", "-pk"),
    }
    return qs.order_by(*orderings.get(ordering, orderings["close"]))


def order_active_first(qs: QuerySet, *, at=None) -> QuerySet:
    """The question list's default order, for people looking for something to forecast: questions taking forecasts
    now, closing soonest; then drafts and questions not open yet, opening soonest; then those waiting for their
    answer (closed, past their close or public moment, answer pending), most recently closed first; then resolved
    and annulled ones, most recently closed first. One query; the groups are a CASE, not extra queries."""
    at = at or timezone.now()
    S = Question.Status
    accepting = Q(status=S.OPEN, open_time__lte=at, scheduled_close_time__gt=at, pending_since__isnull=True) & (
        Q(public_at__isnull=True) | Q(public_at__gt=at)
    )
    upcoming = Q(status=S.DRAFT) | Q(status=S.OPEN, open_time__gt=at)
    done = Q(status__in=[S.RESOLVED, S.ANNULLED])
    group = Case(
        When(accepting, then=Value(0)), When(upcoming, then=Value(1)), When(done, then=Value(3)), default=Value(2),
    )
    closed_at = Coalesce("actual_close_time", "pending_since", "scheduled_close_time")
    return qs.annotate(list_group=group).order_by(
        "list_group",
        Case(When(list_group=0, then=F("scheduled_close_time"))).asc(nulls_last=True),
        Case(When(list_group=1, then=F("open_time"))).asc(nulls_last=True),
        closed_at.desc(),
        "pk",
    )


# What a list row shows of a question and its asset and trial; the long texts stay in the database. The outcome
# (resolved rows show it instead of the community forecast), public_at and pending_since (when forecasting stops,
# whether the answer is pending) are read by every row: leaving them out would cost a query per row.
LIST_ROW_FIELDS = (
    "title", "slug", "type", "status", "open_time", "scheduled_close_time", "reveal_time", "actual_close_time",
    "public_at", "pending_since", "outcome", "options",
    "range_min", "range_max", "unit", "log_scale", "open_lower_bound", "open_upper_bound", "forecaster_count",
    "asset__name", "asset__slug", "trial__slug", "trial__acronym", "trial__registry_id", "trial__title",
)


def question_rows(*, filters: dict | None = None, ordering: str = "close", include_drafts: bool = False) -> QuerySet:
    """``question_list`` for pages that show rows (title, badges, links, close time, community): only the columns
    they render, so a page of rows does not carry every question's description and fine print."""
    qs = question_list(filters=filters, ordering=ordering, include_drafts=include_drafts)
    return qs.select_related(None).select_related("asset", "trial").only(*LIST_ROW_FIELDS)


def question_rows_on(
    *, asset: Asset | None = None, trial: Trial | None = None, include_drafts: bool = False, limit: int
) -> tuple[list[Question], bool]:
    """The questions on one asset or one trial, as ``question_rows``, for the section on the asset and trial pages.

    "On" means the question's own ``asset`` or ``trial``, as the question list's ``?asset=`` and ``?trial=`` filters
    read it, so the page's "all questions" link shows the same set. Open questions (and drafts, with
    ``include_drafts``) come first, closing soonest; then the others, most recently closed first. Returns at most
    ``limit`` questions and whether there are more, in one query whatever their number (no count: one extra row is
    read instead).
    """
    if (asset is None) == (trial is None):
        raise TypeError("question_rows_on needs exactly one of asset or trial.")
    qs = question_rows(include_drafts=include_drafts)
    qs = qs.filter(asset=asset) if asset is not None else qs.filter(trial=trial)
    active = Case(
        When(status__in=[Question.Status.DRAFT, Question.Status.OPEN], then=Value(0)), default=Value(1)
    )
    qs = qs.annotate(section_group=active).order_by(
        "section_group",
        Case(When(section_group=0, then=F("scheduled_close_time"))).asc(nulls_last=True),
        Coalesce("actual_close_time", "scheduled_close_time").desc(),
        "pk",
    )
    questions = list(qs[: limit + 1])
    return questions[:limit], len(questions) > limit


# ---------------------------------------------------------------------------------------------------------------
# What a question resolved to, and from which evidence
# ---------------------------------------------------------------------------------------------------------------
# The events that say what a question resolved to; the latest of them is the current resolution's evidence (an
# unresolve in between returns the question to closed, so a resolved question's latest such event is its own).
RESOLUTION_EVIDENCE_ACTIONS = (
    ResolutionEvent.Action.RESOLVE, ResolutionEvent.Action.CONFIRM_PROPOSAL, ResolutionEvent.Action.ANNUL,
)
_DONE = (Question.Status.RESOLVED, Question.Status.ANNULLED)


def _latest_evidence(name: str, output_field):
    latest = ResolutionEvent.objects.filter(
        question=OuterRef("pk"), action__in=RESOLUTION_EVIDENCE_ACTIONS
    ).order_by("-created_at", "-pk")
    # Only resolved and annulled rows run the subquery (served by the (question, created_at) index).
    return Case(
        When(Q(status__in=_DONE), then=Subquery(latest.values(name)[:1])), default=Value(""), output_field=output_field
    )


def annotate_resolution(qs: QuerySet) -> QuerySet:
    """Questions with the evidence ``question_resolution`` reports, in the same query (no query per row):
    ``resolution_source``, ``resolution_url`` and ``resolution_note`` of the latest resolve / confirm / annul event
    (resolved and annulled questions), and ``resolution_pending_source`` / ``resolution_pending_url`` of the readout
    that halted the question (answer pending)."""
    return qs.annotate(
        resolution_source=_latest_evidence("source", CharField()),
        resolution_url=_latest_evidence("url", CharField()),
        resolution_note=_latest_evidence("note", TextField()),
        resolution_pending_source=Coalesce(F("pending_readout__source"), _halt_evidence("source")),
        resolution_pending_url=Coalesce(F("pending_readout__url"), _halt_evidence("url")),
    )


def _halt_evidence(name: str):
    """The latest halt event's ``name`` for a question halted by evidence other than a readout (a registry change);
    the subquery runs only for such rows."""
    latest = ResolutionEvent.objects.filter(
        question=OuterRef("pk"), action=ResolutionEvent.Action.HALT
    ).order_by("-created_at", "-pk")
    return Case(
        When(Q(pending_since__isnull=False, pending_readout__isnull=True), then=Subquery(latest.values(name)[:1])),
        default=Value(None), output_field=CharField(),
    )


def question_resolution(*, question: Question, at=None) -> outcomes.Resolution | None:
    """What the question resolved to (or that its answer is pending) with its evidence; None while there is no
    answer. No query when the question comes from ``annotate_resolution``; otherwise one, only for a resolved,
    annulled or pending question."""
    at = at or timezone.now()
    state = outcomes.resolution_state(question, at=at)
    if state is None:
        return None
    if state == outcomes.PENDING:
        if hasattr(question, "resolution_pending_source"):
            source, url = question.resolution_pending_source, question.resolution_pending_url
        else:
            if question.pending_readout_id:
                evidence = Readout.objects.filter(pk=question.pending_readout_id).values("source", "url").first()
            else:  # halted by a registry change: the halt event names it
                evidence = (ResolutionEvent.objects.filter(question=question, action=ResolutionEvent.Action.HALT)
                            .order_by("-created_at", "-pk").values("source", "url").first())
            source, url = (evidence or {}).get("source"), (evidence or {}).get("url")
        return outcomes.resolution_of(question, at=at, source=source, url=url)
    if hasattr(question, "resolution_source"):
        evidence = {"source": question.resolution_source, "url": question.resolution_url,
                    "note": question.resolution_note}
    else:
        evidence = (
            ResolutionEvent.objects.filter(question=question, action__in=RESOLUTION_EVIDENCE_ACTIONS)
            .order_by("-created_at", "-pk").values("source", "url", "note").first()
        ) or {}
    return outcomes.resolution_of(question, at=at, **evidence)


@dataclass(frozen=True)
class Choice:
    slug: str
    name: str


def question_filter_choices(*, include_drafts: bool) -> dict[str, list[Choice]]:
    """The assets and the trials that have questions the viewer can see, for the list's filter selects: one
    EXISTS probe per asset and per trial (two queries), whatever the number of questions."""
    questions = Question.objects.all() if include_drafts else Question.objects.filter_visible()
    assets = (
        Asset.objects.filter(Exists(questions.filter(asset=OuterRef("pk"))))
        .order_by("name").values_list("slug", "name")
    )
    trials = (
        Trial.objects.filter(Exists(questions.filter(trial=OuterRef("pk"))))
        .order_by("acronym", "registry_id").values_list("slug", "acronym", "registry_id", "title")
    )
    return {
        "assets": [Choice(slug, name) for slug, name in assets],
        # Trial.name: the acronym, else the registry id, else the title.
        "trials": [Choice(slug, acronym or registry_id or title) for slug, acronym, registry_id, title in trials],
    }
