"""The standard readout questions of a trial, as specifications (no database writes): what
``forecasting.groups.services.group_generate`` creates as drafts. Docs: docs/questions.md, "Groups and templates".

From the trial's endpoints and arms:
- ``primary_met``: per primary endpoint, "Will <trial> meet its primary endpoint of <endpoint>?" (binary, bound to
  met_endpoint == 1);
- ``hr_below_<t>``: for the first primary time-to-event endpoint, "... hazard ratio below t?" for t in 0.6, 0.7,
  0.8 (binary, bound to hazard_ratio < t), and ``hr_value`` "What ... hazard ratio?" (numeric, log scale);
- ``median_<role>``: that endpoint's median in the experimental and the control arm, in months (numeric, bound to
  median_months_experimental / _control);
- ``os_significant``: an OS endpoint that is not primary: significant at the first presentation (binary, bound to
  statistically_significant == 1), plus ``os_given_primary``, the conditional pair (OS significant | primary met);
- ``mrd_disclosed``: an MRD endpoint: MRD-negativity rates disclosed at the first presentation (binary, bound to
  disclosed == 1);
- ``which_meeting`` (multiple choice: the next scientific meetings, or none) and ``when`` (date: the first
  presentation of results), generated only where ``Question.Type`` has MULTIPLE_CHOICE / DATE.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from assets.models import Arm, Meeting, Readout, Trial, TrialEndpoint
from markets.models import Question

HR_THRESHOLDS = (0.6, 0.7, 0.8)
TIME_TO_EVENT = {"PFS", "OS", "EFS", "DFS", "RFS", "MFS", "TTP", "TTNT", "DOR", "PFS2"}
M = Readout.Metric
MAX_MEETING_OPTIONS = 6


@dataclass
class MemberSpec:
    """One member to generate: ``fields`` for ``question_create`` (a question), or for a pair the templates of its
    parent and child. ``needs_type`` names a Question.Type this member needs (skipped while it is missing)."""

    template: str
    fields: dict = field(default_factory=dict)
    pair: tuple[str, str] | None = None
    needs_type: str = ""


def type_available(name: str) -> bool:
    """Whether ``Question.Type`` has the member ``name`` (MULTIPLE_CHOICE, DATE: added by other branches)."""
    return hasattr(Question.Type, name)


def _criteria(trial: Trial, what: str) -> str:
    return (f"{what} Resolved from the first presentation or publication of {trial.name}'s results (abstract, "
            "press release with figures, or paper), entered on Readout as a readout; a later update does not "
            "change the answer.")


def _binary(template, trial, te, *, title, metric, comparator, threshold, what, description=""):
    return MemberSpec(template, {
        "type": Question.Type.BINARY, "title": title, "endpoint": te.endpoint, "bound_metric": metric,
        "bound_comparator": comparator, "bound_threshold": threshold, "description": description,
        "resolution_criteria": _criteria(trial, what),
    })


def trial_template_specs(trial: Trial, *, close_time: dt.datetime, now: dt.datetime) -> list[MemberSpec]:
    """The specs for ``trial`` in page order. Raises nothing; a trial without endpoints gives only the meeting and
    date members (when those types exist)."""
    name = trial.name
    endpoints = list(TrialEndpoint.objects.filter(trial=trial).select_related("endpoint"))
    arms = {arm.role: arm for arm in Arm.objects.filter(trial=trial).order_by("order", "pk")}
    primaries = [te for te in endpoints if te.kind == TrialEndpoint.Kind.PRIMARY]
    specs: list[MemberSpec] = []
    for te in primaries:
        code = te.endpoint.code
        specs.append(_binary(
            f"primary_met_{code.lower()}", trial, te, title=f"Will {name} meet its primary endpoint of {code}?",
            metric=M.MET_ENDPOINT, comparator="==", threshold=1.0,
            what=f"YES if the trial is reported to have met its {te.endpoint.name} ({code}) primary endpoint "
                 "(the prespecified statistical test succeeded); NO if it is reported to have missed it.",
        ))
    tte = next((te for te in primaries if te.endpoint.code.upper() in TIME_TO_EVENT), None)
    if tte is not None:
        code = tte.endpoint.code
        versus = _versus(arms)
        for t in HR_THRESHOLDS:
            specs.append(_binary(
                f"hr_below_{t:g}".replace(".", "_"), trial, tte,
                title=f"Will {name} report a {code} hazard ratio below {t:g}?", metric=M.HAZARD_RATIO,
                comparator="<", threshold=t,
                what=f"YES if the {code} hazard ratio{versus} first reported (intention-to-treat point estimate) is "
                     f"strictly below {t:g}; NO otherwise.",
            ))
        specs.append(MemberSpec("hr_value", {
            "type": Question.Type.NUMERIC, "title": f"What {code} hazard ratio will {name} report?",
            "endpoint": tte.endpoint, "bound_metric": M.HAZARD_RATIO, "range_min": 0.2, "range_max": 1.5,
            "log_scale": True, "open_lower_bound": True, "open_upper_bound": True, "unit": "HR",
            "resolution_criteria": _criteria(trial, f"Resolves to the point estimate of the {code} hazard ratio"
                                                    f"{versus} first reported (intention-to-treat)."),
        }))
        for role, metric in ((Arm.Role.EXPERIMENTAL, M.MEDIAN_MONTHS_EXPERIMENTAL),
                             (Arm.Role.CONTROL, M.MEDIAN_MONTHS_CONTROL)):
            arm = arms.get(role)
            if arm is None:
                continue
            specs.append(MemberSpec(f"median_{role}", {
                "type": Question.Type.NUMERIC, "title": f"Median {code} in the {arm.name} arm of {name}, in months?",
                "endpoint": tte.endpoint, "bound_metric": metric, "range_min": 0.0, "range_max": 48.0,
                "open_upper_bound": True, "unit": "months",
                "description": f"{arm.name}: {arm.description}" if arm.description else "",
                "resolution_criteria": _criteria(trial, f"Resolves to the median {code} in months of the {arm.name} "
                                                        f"({role}) arm first reported; 'not reached' resolves above "
                                                        "the range."),
            }))
    by_code = {te.endpoint.code.upper(): te for te in endpoints}
    os_te = by_code.get("OS")
    if os_te is not None and os_te.kind != TrialEndpoint.Kind.PRIMARY:
        specs.append(_binary(
            "os_significant", trial, os_te, title=f"Will {name} show a statistically significant OS benefit at its "
            "first presentation?", metric=M.STATISTICALLY_SIGNIFICANT, comparator="==", threshold=1.0,
            what="YES if the overall-survival comparison presented first crosses its prespecified significance "
                 "boundary in favour of the experimental arm; NO if it is immature, not significant or not shown.",
        ))
        if primaries:
            first = f"primary_met_{primaries[0].endpoint.code.lower()}"
            specs.append(MemberSpec("os_given_primary", pair=(first, "os_significant")))
    mrd = by_code.get("MRD")
    if mrd is not None:
        specs.append(_binary(
            "mrd_disclosed", trial, mrd, title=f"Will {name} disclose MRD-negativity rates at its first "
            "presentation?", metric=M.DISCLOSED, comparator="==", threshold=1.0,
            what="YES if the first presentation gives the MRD-negativity rate of each arm; NO otherwise.",
        ))
    # The meeting and the date come with the figures: bound to the primary hazard ratio's readout (a topline that only
    # says "met" names neither), else to the primary endpoint's "met" readout.
    if tte is not None:
        binding = {"endpoint": tte.endpoint, "bound_metric": M.HAZARD_RATIO}
    elif primaries:
        binding = {"endpoint": primaries[0].endpoint, "bound_metric": M.MET_ENDPOINT}
    else:
        binding = {}
    specs += _meeting_and_date(trial, close_time=close_time, now=now, binding=binding)
    return specs


def _versus(arms: dict) -> str:
    exp, ctl = arms.get(Arm.Role.EXPERIMENTAL), arms.get(Arm.Role.CONTROL)
    return f" ({exp.name} versus {ctl.name})" if exp and ctl else ""


def _meeting_label(meeting: Meeting) -> str:
    """"ASH 2026": what a readout's source names (markets.choices.choice_from_source proposes the option whose words
    all appear in the source, e.g. "ASH 2026, LBA-1"); the full name goes into the description."""
    return f"{meeting.series} {meeting.start_date.year}" if meeting.series else meeting.name


def _meeting_and_date(trial: Trial, *, close_time: dt.datetime, now: dt.datetime, binding: dict) -> list[MemberSpec]:
    """The which-meeting and when members, with ``binding`` (the primary readout that carries the figures), so the
    readout that reports them also proposes the meeting (named in its source) and the date (its known_at's UTC day)
    with the rest of the group. A trial question of the same type and binding is reused (services._existing)."""
    name, specs = trial.name, []
    meetings, labels = [], set()
    for meeting in Meeting.objects.filter(start_date__gte=now.date(), start_date__lt=close_time.date()).order_by(
            "start_date", "name"):
        if _meeting_label(meeting).casefold() not in labels:
            labels.add(_meeting_label(meeting).casefold())
            meetings.append(meeting)
        if len(meetings) == MAX_MEETING_OPTIONS:
            break
    if meetings:
        options = [_meeting_label(m) for m in meetings] + ["None of these before the question closes"]
        specs.append(MemberSpec("which_meeting", {
            "type": "multiple_choice", "title": f"At which meeting will {name} first present its results?",
            "options": options, **binding,
            "description": "The options: " + "; ".join(
                f"{_meeting_label(m)}: {m.name}, from {m.start_date:%d %b %Y}" for m in meetings) + ".",
            "resolution_criteria": _criteria(trial, "Resolves to the meeting where the results are first "
                                                    "presented (a late-breaking session counts); the last option if "
                                                    "none of them, including a press release or paper first."),
        }, needs_type="MULTIPLE_CHOICE"))
    day = dt.datetime(now.year, now.month, now.day, tzinfo=dt.timezone.utc)
    end = dt.datetime(close_time.year, close_time.month, close_time.day, tzinfo=dt.timezone.utc)
    if end > day:
        specs.append(MemberSpec("when", {
            "type": "date", "title": f"When will {name} first present its results?", **binding,
            "range_min": day.timestamp(), "range_max": (end + dt.timedelta(days=365)).timestamp(),
            "open_upper_bound": True,
            "resolution_criteria": _criteria(trial, "Resolves to the date (UTC) on which efficacy figures of the "
                                                    "trial first became public: an abstract's release, a "
                                                    "presentation, a press release with figures or a paper."),
        }, needs_type="DATE"))
    return specs
