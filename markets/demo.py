"""Demo questions on SUCCESSOR-2. Idempotent: a question whose slug exists is left as it is.

They open the morning after the topline and close about a year after the demo is first loaded
(``assets.demo_clock``), so there is always something to forecast in a fresh demo.
"""
import datetime as dt

from assets.demo_clock import demo_calendar
from assets.models import Endpoint, Trial
from markets.models import Question
from markets.services import question_create

SUCCESSOR2_QUESTIONS = [
    {
        "slug": "successor-2-pfs-hr-below-0-7",
        "title": "Will SUCCESSOR-2 report a PFS hazard ratio below 0.7?",
        "type": "binary",
        "endpoint": "PFS",
        "bound_metric": "hazard_ratio",
        "bound_comparator": "<",
        "bound_threshold": 0.7,
        "description": (
            "Bristol Myers Squibb said in [TOPLINE_MONTH] that MeziKd beat Kd on progression-free survival, but kept the "
            "hazard ratio for a medical meeting. A ratio below 0.7 would mean at least a 30% cut in the risk of "
            "progression or death."
        ),
        "resolution_criteria": (
            "Resolves YES if the primary-analysis PFS hazard ratio (MeziKd versus Kd, intention-to-treat) first "
            "reported at a medical conference or in a peer-reviewed publication is strictly below 0.70, and NO if it "
            "is 0.70 or above."
        ),
        "fine_print": "The point estimate as reported, to two decimals. Subgroup or sensitivity analyses do not count.",
    },
    {
        "slug": "successor-2-os-benefit-shown",
        "title": "Will SUCCESSOR-2 show a statistically significant OS benefit at its first full presentation?",
        "type": "binary",
        "endpoint": "OS",
        "bound_metric": "statistically_significant",
        "bound_comparator": "==",
        "bound_threshold": 1,
        "description": (
            "Overall survival is a key secondary endpoint and the sponsor said follow-up continues. Interim OS data "
            "in myeloma are often immature at the first PFS presentation."
        ),
        "resolution_criteria": (
            "Resolves YES if the first full presentation reports an OS comparison that met its prespecified "
            "significance boundary; NO if OS is reported as not significant, immature, or not reported."
        ),
    },
    {
        "slug": "successor-2-mrd-disclosed",
        "title": "Will MRD-negativity rates be disclosed at the first SUCCESSOR-2 presentation?",
        "type": "binary",
        "endpoint": "MRD",
        "bound_metric": "disclosed",
        "bound_comparator": "==",
        "bound_threshold": 1,
        "reveal_days": 300,
        "description": "MRD negativity would show depth of response beyond PFS. Sponsors do not always present it first.",
        "resolution_criteria": (
            "Resolves YES if the first conference presentation or publication of SUCCESSOR-2 efficacy reports an "
            "MRD-negativity rate for both arms; NO otherwise."
        ),
    },
    {
        "slug": "successor-2-pfs-hazard-ratio",
        "title": "What PFS hazard ratio will SUCCESSOR-2 report?",
        "type": "numeric",
        "endpoint": "PFS",
        "bound_metric": "hazard_ratio",
        "range_min": 0.3,
        "range_max": 1.2,
        "unit": "HR",
        "log_scale": True,
        "open_lower_bound": True,
        "open_upper_bound": True,
        "description": "The primary-analysis PFS hazard ratio, MeziKd versus Kd.",
        "resolution_criteria": (
            "Resolves to the point estimate of the primary-analysis PFS hazard ratio first reported at a medical "
            "conference or in a peer-reviewed publication."
        ),
    },
    {
        "slug": "successor-2-median-pfs-mezikd",
        "title": "What median PFS will the MeziKd arm of SUCCESSOR-2 reach, in months?",
        "type": "numeric",
        "endpoint": "PFS",
        "bound_metric": "median_months_experimental",
        "range_min": 0,
        "range_max": 40,
        "unit": "months",
        "open_upper_bound": True,
        "description": "Kd alone gives a median PFS of roughly 10 to 17 months in comparable populations.",
        "resolution_criteria": (
            "Resolves to the median PFS in months for the MeziKd arm as first reported. If the median is not reached, "
            "resolves above the range."
        ),
    },
    {
        "slug": "successor-2-first-meeting",
        "title": "At which meeting will SUCCESSOR-2's full efficacy results be presented first?",
        "type": "multiple_choice",
        "options": ["ASCO", "EHA", "IMS", "ASH", "Elsewhere first (another meeting or a journal)"],
        "endpoint": "PFS",
        "bound_metric": "hazard_ratio",
        "description": (
            "The topline said the data would go to \"a future medical meeting\". Myeloma results usually land at ASCO "
            "or EHA in June, the International Myeloma Society meeting in September, or ASH in December; a sponsor "
            "may also choose a journal first."
        ),
        "resolution_criteria": (
            "Resolves to the meeting where the primary-analysis PFS results (hazard ratio and medians for both arms) "
            "are first presented in full; to the last option if they first appear anywhere else, including a "
            "peer-reviewed paper."
        ),
        "fine_print": "An abstract title or a press release does not count; the data must be shown. Entering the "
                      "PFS readout proposes the option its source names (e.g. \"ASH 2026, LBA-1\" proposes ASH).",
    },
]


def questions_demo_load() -> tuple[list[str], list[Question]]:
    lines, questions = [], []
    trial = Trial.objects.filter_identifier("SUCCESSOR-2").first()
    if trial is None:
        return ["questions: SUCCESSOR-2 is missing, no demo questions"], []
    endpoints = {e.code: e for e in Endpoint.objects.all()}
    calendar = demo_calendar()
    opens, closes = calendar.questions_open, calendar.questions_close
    for spec in SUCCESSOR2_QUESTIONS:
        spec = dict(spec)
        slug = spec.pop("slug")
        existing = Question.objects.filter(slug=slug).first()
        if existing:
            questions.append(existing)
            continue
        reveal_days = spec.pop("reveal_days", None)
        question = question_create(
            status=Question.Status.OPEN,
            trial=trial,
            asset=trial.assets.first(),
            endpoint=endpoints.get(spec.pop("endpoint")),
            open_time=opens,
            scheduled_close_time=closes,
            reveal_time=opens + dt.timedelta(days=reveal_days) if reveal_days else None,
            **{key: calendar.text(value) if isinstance(value, str) else value for key, value in spec.items()},
        )
        Question.objects.filter(pk=question.pk).update(slug=slug)
        question.slug = slug
        questions.append(question)
        lines.append(f"question: {question.title}")
    return lines, questions
