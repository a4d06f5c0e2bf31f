"""Demo: resolved past questions on CARTITUDE-4, so the leaderboards, calibration and track records have data.

The questions opened in 2022 (before the primary analysis was public) and one in 2023 (before the overall-survival
analysis). Demo forecasters forecast them over months; then the readouts resolve them through the same services an
admin uses (readout -> proposal -> confirm), so events, market-free scoring and leaderboards are produced exactly as
in production (eagerly in development, after the demo transaction commits).

Idempotent: a question whose slug exists is left alone. Run by the load_demo command after the assets demo (which
creates CARTITUDE-4 and its primary-analysis readouts) and the demo forecasters.
"""
import datetime as dt
import math
import random

from django.contrib.auth import get_user_model
from django.db import transaction

from assets.models import Endpoint, Readout, Trial
from forecasting.accounts.models import Profile
from forecasting.forecasts.demo import DEMO_FORECASTERS, forecast_events
from forecasting.forecasts.services.forecasts import forecast_create
from forecasting.resolution.models import ProposedResolution
from forecasting.resolution.services.readouts import readout_propose, readout_upsert
from forecasting.resolution.services.resolution import proposal_confirm
from markets.models import Question
from markets.services import question_create

UTC = dt.timezone.utc
OPEN_2022 = dt.datetime(2022, 6, 1, 9, 0, tzinfo=UTC)
CLOSE_2023 = dt.datetime(2023, 6, 30, 23, 59, tzinfo=UTC)
OS_OPEN = dt.datetime(2023, 7, 1, 9, 0, tzinfo=UTC)
OS_CLOSE = dt.datetime(2024, 12, 31, 23, 59, tzinfo=UTC)

# The overall-survival readout is our demo's own entry (figures as reported at the meeting, in our words).
OS_SOURCE = "IMS 2024 Annual Meeting (CARTITUDE-4 overall survival analysis)"
OS_KNOWN_AT = dt.datetime(2024, 9, 27, 12, 0, tzinfo=UTC)
OS_READOUTS = [
    ("hazard_ratio", 0.55, 0.39, 0.79, 0.0009, "Demo readout: overall survival, cilta-cel versus standard triplets."),
    ("statistically_significant", 1, None, None, None, "Demo readout: the OS comparison met its boundary."),
]

QUESTIONS = [
    {
        "slug": "cartitude-4-pfs-hr-below-0-5",
        "title": "Will CARTITUDE-4 report a PFS hazard ratio below 0.5?",
        "type": "binary", "endpoint": "PFS", "bound_metric": "hazard_ratio", "bound_comparator": "<",
        "bound_threshold": 0.5, "open_time": OPEN_2022, "scheduled_close_time": CLOSE_2023,
        "description": "Cilta-cel, a one-time CAR-T therapy, against pomalidomide- or daratumumab-based triplets in "
                       "lenalidomide-refractory myeloma after one to three prior lines.",
        "resolution_criteria": "YES if the primary-analysis PFS hazard ratio (intention-to-treat) first reported is "
                               "strictly below 0.50; NO otherwise.",
        "beliefs": (0.40, 0.72),
    },
    {
        "slug": "cartitude-4-pfs-hazard-ratio",
        "title": "What PFS hazard ratio will CARTITUDE-4 report?",
        "type": "numeric", "endpoint": "PFS", "bound_metric": "hazard_ratio", "range_min": 0.1, "range_max": 1.2,
        "unit": "HR", "log_scale": True, "open_lower_bound": True, "open_upper_bound": True,
        "open_time": OPEN_2022, "scheduled_close_time": CLOSE_2023,
        "description": "The primary-analysis PFS hazard ratio, cilta-cel versus standard triplets.",
        "resolution_criteria": "Resolves to the point estimate of the primary-analysis PFS hazard ratio first reported.",
        "beliefs": (0.55, 0.35, 0.25),
    },
    {
        "slug": "cartitude-4-control-median-pfs-12-months",
        "title": "Will the standard-therapy arm of CARTITUDE-4 reach a median PFS of at least 12 months?",
        "type": "binary", "endpoint": "PFS", "bound_metric": "median_months_control", "bound_comparator": ">=",
        "bound_threshold": 12, "open_time": OPEN_2022, "scheduled_close_time": CLOSE_2023,
        "description": "Pomalidomide- or daratumumab-based triplets in a lenalidomide-refractory population.",
        "resolution_criteria": "YES if the reported median PFS of the control arm is 12.0 months or more.",
        "beliefs": (0.50, 0.38),
    },
    {
        "slug": "cartitude-4-os-significant-2024",
        "title": "Will CARTITUDE-4 show a statistically significant overall-survival benefit in 2024?",
        "type": "binary", "endpoint": "OS", "bound_metric": "statistically_significant", "bound_comparator": "==",
        "bound_threshold": 1, "open_time": OS_OPEN, "scheduled_close_time": OS_CLOSE,
        "description": "Early deaths in the cilta-cel arm weighed on the survival curves at the primary analysis.",
        "resolution_criteria": "YES if an overall-survival analysis presented or published in 2024 meets its "
                               "prespecified significance boundary.",
        "beliefs": (0.35, 0.62),
    },
]


def _forecasters() -> list:
    """The demo forecasters of forecasting/forecasts/demo.py (created here too when this part runs alone)."""
    User = get_user_model()
    users = []
    for username, display_name in DEMO_FORECASTERS:
        user, created = User.objects.get_or_create(username=username, defaults={"email": f"{username}@demo.readout"})
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        Profile.objects.get_or_create(user=user, defaults={"display_name": display_name})
        users.append(user)
    return users


def _history(question: Question, users: list, rng: random.Random, spec: dict, end: dt.datetime) -> int:
    events = forecast_events(rng, users, question.open_time + dt.timedelta(days=1), end,
                             count=max(2, len(users) * 3 // 4), join_within=0.6, updates=4, gap=(0.05, 0.3))
    for at, user, progress in events:
        if question.is_binary:
            a, b = spec["beliefs"]
            centre = a + (b - a) * progress
            logit = math.log(centre / (1 - centre)) + rng.gauss(0, 0.7)
            forecast_create(question=question, user=user, probability=round(min(0.97, max(0.03, 1 / (1 + math.exp(-logit)))), 3),
                            at=at)
        else:
            a, b, spread = spec["beliefs"]
            median = (a + (b - a) * progress) * math.exp(rng.gauss(0, 0.12))
            width = spread * rng.uniform(0.7, 1.4)
            quantiles = {"0.1": median * math.exp(-1.28 * width), "0.5": median, "0.9": median * math.exp(1.28 * width)}
            forecast_create(question=question, user=user, quantiles=quantiles, at=at)
    return len(events)


def _resolver():
    return get_user_model().objects.filter(is_superuser=True).order_by("pk").first()


@transaction.atomic
def resolution_demo_load() -> list[str]:
    """Create, forecast and resolve the CARTITUDE-4 demo questions. Returns progress lines."""
    trial = Trial.objects.filter_identifier("NCT04181827").first()
    if trial is None:
        return ["resolution demo: CARTITUDE-4 is missing (run the assets demo first); skipped"]
    endpoints = {e.code: e for e in Endpoint.objects.filter(code__in=["PFS", "OS"])}
    if set(endpoints) != {"PFS", "OS"}:
        return ["resolution demo: the PFS and OS endpoints are missing; skipped"]
    lines, users, rng, actor = [], _forecasters(), random.Random(20230605), _resolver()

    for code, value, ci_lower, ci_upper, p_value, note in OS_READOUTS:
        readout_upsert(trial=trial, endpoint=endpoints["OS"], metric=code, value=value, ci_lower=ci_lower,
                       ci_upper=ci_upper, p_value=p_value, source=OS_SOURCE, known_at=OS_KNOWN_AT, note=note)

    for spec in QUESTIONS:
        spec = dict(spec)
        slug = spec.pop("slug")
        if Question.objects.filter(slug=slug).exists():
            continue
        fields = {k: v for k, v in spec.items() if k not in ("beliefs", "endpoint")}
        question = question_create(status=Question.Status.OPEN, trial=trial, asset=trial.assets.first(),
                                   endpoint=endpoints[spec["endpoint"]], created_by=actor, **fields)
        Question.objects.filter(pk=question.pk).update(slug=slug)
        question.slug = slug
        evidence = Readout.objects.filter(trial=trial, endpoint=endpoints[spec["endpoint"]],
                                          metric=spec["bound_metric"]).order_by("known_at").first()
        end = min(question.scheduled_close_time, evidence.known_at if evidence else question.scheduled_close_time)
        count = _history(question, users, rng, spec, end - dt.timedelta(days=2))
        lines.append(f"resolution demo: {count} forecasts on {slug}")
        if evidence is None:
            continue
        readout_propose(readout=evidence)
        proposal = ProposedResolution.objects.get(question=question, readout=evidence)
        proposal_confirm(proposal=proposal, actor=actor, note="Demo: resolved from the published readout.")
        lines.append(f"resolution demo: resolved {slug} -> {proposal.outcome_display} ({evidence.source})")
    return lines
