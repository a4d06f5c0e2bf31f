"""Demo: trial-native questions on SUCCESSOR-2 and a base-rate example, in our own words. Idempotent.

- The myeloma and lymphoma indications are tagged as haematologic cancers, so the base-rate forecaster reads the
  Phase III haematologic-cancer row of the phase-success table (52.6%, BIO/Biomedtracker/Amplion 2006-2015).
- SUCCESSOR-2's readout questions as a group, generated from its endpoints and arms (the questions the demo already
  has are reused, not duplicated); the "primary endpoint met" member and the pair that needs it are removed before
  publishing, as an admin would, because the sponsor's topline already said the PFS endpoint was met.
- One conditional question on SUCCESSOR-2: a significant OS benefit, given a PFS hazard ratio below 0.7.
- A resolved past question on CARTITUDE-4, "Will it meet its PFS primary endpoint?", opened before the primary
  analysis and resolved from its readout: the base-rate forecaster is scored on it and shows on the leaderboard.
Run by load_demo after the resolution demo (which it needs: demo forecasters, CARTITUDE-4's readouts).
"""
import datetime as dt
import math
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from assets.models import Endpoint, Indication, Readout, TherapeuticArea, Trial
from forecasting.conditional.models import ConditionalPair
from forecasting.conditional.services import conditional_forecast_create, pair_create
from forecasting.forecasts.demo import DEMO_FORECASTERS
from forecasting.forecasts.services.forecasts import forecast_create
from forecasting.groups.models import QuestionGroup
from forecasting.groups.services import group_generate, group_member_remove, group_publish
from forecasting.resolution.models import ProposedResolution
from forecasting.resolution.services.readouts import readout_propose
from forecasting.resolution.services.resolution import proposal_confirm
from markets.models import Question
from markets.services import question_create

UTC = dt.timezone.utc
HAEMATOLOGIC = ["Relapsed/refractory multiple myeloma", "Follicular lymphoma"]
# Where the demo crowd starts and drifts on each generated member (binary: probability; numeric: median, spread).
GROUP_BELIEFS = {
    "hr_below_0_6": (0.25, 0.33), "hr_below_0_8": (0.78, 0.85),
    "median_control": (9.5, 10.0, 0.2),
}
CARTITUDE_MET_SLUG = "cartitude-4-meets-pfs-primary-endpoint"


def _users() -> list:
    names = [name for name, _ in DEMO_FORECASTERS]
    users = {u.username: u for u in get_user_model().objects.filter(username__in=names)}
    return [users[name] for name in names if name in users]


def _admin():
    return get_user_model().objects.filter(is_superuser=True).order_by("pk").first()


def _binary_history(question, users, rng, start, end, beliefs) -> int:
    n = 0
    for i, user in enumerate(users[: max(3, len(users) // 2)]):
        progress = i / max(1, len(users) // 2)
        centre = beliefs[0] + (beliefs[1] - beliefs[0]) * progress
        logit = math.log(centre / (1 - centre)) + rng.gauss(0, 0.5)
        at = start + (end - start) * (0.1 + 0.8 * progress)
        forecast_create(question=question, user=user, at=at,
                        probability=round(min(0.97, max(0.03, 1 / (1 + math.exp(-logit)))), 3))
        n += 1
    return n


def _successor2_group(trial, users, rng, lines) -> None:
    if QuestionGroup.objects.filter(trial=trial).exists():
        return
    result = group_generate(trial=trial, created_by=_admin(),
                            description="What SUCCESSOR-2's first full presentation will show: the size of the PFS "
                                        "benefit, each arm's median, whether OS is already significant, whether MRD "
                                        "rates are shown. One readout resolves them all.")
    group = result.group
    for template in ("os_given_primary", "primary_met_pfs"):  # the topline already answered it
        if group.members.filter(template=template).exists():
            group_member_remove(group=group, template=template)
    group = group_publish(group=group, actor=_admin())
    now = timezone.now()
    for member in group.members.select_related("question"):
        beliefs = GROUP_BELIEFS.get(member.template)
        question = member.question
        if beliefs is None or question is None or question.forecaster_count:
            continue
        if question.is_binary:
            count = _binary_history(question, users, rng, question.open_time, now, beliefs)
        else:
            count = 0
            for i, user in enumerate(users[:8]):
                median = beliefs[0] + (beliefs[1] - beliefs[0]) * i / 8 + rng.gauss(0, 0.6)
                width = beliefs[2] * median
                forecast_create(question=question, user=user, quantiles={
                    "0.1": median - 1.28 * width, "0.5": median, "0.9": median + 1.28 * width})
                count += 1
        lines.append(f"trial-native demo: {count} forecasts on group member {question.slug}")
    lines.append(f"trial-native demo: group {group.slug} with {group.members.count()} members "
                 f"({len(result.reused)} reused, skipped: {', '.join(t for t, _ in result.skipped) or 'none'})")


def _successor2_pair(users, rng, lines) -> None:
    parent = Question.objects.filter(slug="successor-2-pfs-hr-below-0-7").first()
    child = Question.objects.filter(slug="successor-2-os-benefit-shown").first()
    if parent is None or child is None or ConditionalPair.objects.filter(parent=parent, child=child).exists():
        return
    if not (parent.accepts_forecasts() and child.accepts_forecasts()):
        return
    pair = pair_create(parent=parent, child=child, created_by=_admin())
    for user in users[:10]:
        # A strong PFS effect makes an early OS win likelier; without it, an OS win at the first look is unlikely.
        p_yes = min(0.9, max(0.05, rng.gauss(0.34, 0.08)))
        p_no = min(0.9, max(0.02, rng.gauss(0.10, 0.04)))
        conditional_forecast_create(pair=pair, user=user, p_yes=round(p_yes, 3), p_no=round(p_no, 3),
                                    rationale="" if rng.random() < 0.6 else
                                    "OS is rarely significant at the first look unless the PFS gap is large.")
    lines.append(f"trial-native demo: conditional pair {pair.slug} with {pair.forecasts.count()} forecasts")


def _cartitude_met(users, rng, lines) -> None:
    trial = Trial.objects.filter_identifier("NCT04181827").first()
    pfs = Endpoint.objects.filter(code="PFS").first()
    if trial is None or pfs is None or Question.objects.filter(slug=CARTITUDE_MET_SLUG).exists():
        return
    readout = (Readout.objects.filter(trial=trial, endpoint=pfs, metric=Readout.Metric.MET_ENDPOINT)
               .order_by("known_at").first())
    if readout is None:
        return
    open_time, close = dt.datetime(2022, 6, 1, 9, 0, tzinfo=UTC), dt.datetime(2023, 6, 30, 23, 59, tzinfo=UTC)
    question = question_create(
        status=Question.Status.OPEN, trial=trial, endpoint=pfs, created_by=_admin(), open_time=open_time,
        scheduled_close_time=close, type="binary", bound_metric="met_endpoint", bound_comparator="==",
        bound_threshold=1, title="Will CARTITUDE-4 meet its PFS primary endpoint?",
        description="A one-time CAR-T therapy against standard triplets after one to three prior lines: the base "
                    "rate for a Phase III trial in a haematologic cancer is about one in two.",
        resolution_criteria="YES if the primary analysis is reported to have met its progression-free survival "
                            "primary endpoint; NO if it missed it.",
    )
    Question.objects.filter(pk=question.pk).update(slug=CARTITUDE_MET_SLUG)
    question.slug = CARTITUDE_MET_SLUG
    count = _binary_history(question, users, rng, open_time + dt.timedelta(days=5),
                            readout.known_at - dt.timedelta(days=3), (0.55, 0.8))
    readout_propose(readout=readout)
    proposal = ProposedResolution.objects.get(question=question, readout=readout)
    proposal_confirm(proposal=proposal, actor=_admin(), note="Demo: resolved from the primary analysis.")
    lines.append(f"trial-native demo: {count} forecasts on {CARTITUDE_MET_SLUG}, resolved Yes; base rate scored")


def trial_native_demo_load() -> list[str]:
    lines = []
    updated = Indication.objects.filter(name__in=HAEMATOLOGIC, therapeutic_area="").update(
        therapeutic_area=TherapeuticArea.HEMATOLOGIC_CANCER)
    if updated:
        lines.append(f"trial-native demo: {updated} indications tagged as haematologic cancers")
    users, rng = _users(), random.Random(20260309)
    if not users:
        return lines + ["trial-native demo: no demo forecasters (run the forecasts demo first); skipped"]
    _cartitude_met(users, rng, lines)
    trial = Trial.objects.filter_identifier("NCT05552976").first()
    if trial is not None:
        _successor2_group(trial, users, rng, lines)
        _successor2_pair(users, rng, lines)
    return lines
