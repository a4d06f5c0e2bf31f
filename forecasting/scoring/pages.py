"""Pages for leaderboards, calibration, profiles (track records) and CSV downloads. Thin views over
forecasting.scoring.selectors; leaderboards are served from stored rows in a constant number of queries."""
from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from assets.paging import paginate
from forecasting.scoring import exports
from forecasting.scoring.help_examples import help_examples
from forecasting.scoring import selectors as sel
from forecasting.scoring.selectors_baserate import leaderboard_base_rate, users_versus_base_rate
from forecasting.scoring.models import LeaderboardScope
from markets.models import Question

PAGE_SIZE = 50  # leaderboard rows a page
Kind = LeaderboardScope.Kind


def _scope_from(request) -> tuple[str, str]:
    kind = request.GET.get("scope") or Kind.GLOBAL
    if kind not in Kind.values:
        kind = Kind.GLOBAL
    key = request.GET.get("key") or ("global" if kind == Kind.GLOBAL else "")
    return kind, key


def leaderboard_page(request):
    kind, key = _scope_from(request)
    ordering = request.GET.get("order") if request.GET.get("order") in sel.LEADERBOARD_ORDERINGS else "relative"
    scopes = list(sel.leaderboard_scopes())
    current = next((s for s in scopes if s.kind == kind and s.key == key), None)
    page = paginate(request, sel.leaderboard(scope_kind=kind, scope_key=key, ordering=ordering), per_page=PAGE_SIZE)
    groups = [(label, [s for s in scopes if s.kind == value]) for value, label in Kind.choices]
    base_rate = leaderboard_base_rate(scope_kind=kind, scope_key=key)  # one query (two more when it has a line)
    versus = users_versus_base_rate(user_ids=[e.user_id for e in page.object_list], scope_kind=kind,
                                    scope_key=key) if base_rate else {}
    for entry in page.object_list:  # "beat the base rate on k of n questions"
        entry.versus_base_rate = versus.get(entry.user_id)
    return render(
        request,
        "scoring/leaderboard.html",
        {
            "scope_kind": kind, "scope_key": key, "scope": current, "ordering": ordering, "page_obj": page,
            "entries": page.object_list, "scope_groups": [(label, items) for label, items in groups if items],
            "min_questions": _min_questions(),
            "base_rate": base_rate,
        },
    )


def _min_questions() -> int:
    from django.conf import settings

    return settings.READOUT["LEADERBOARD_MIN_QUESTIONS"]


def leaderboard_csv(request):
    kind, key = _scope_from(request)
    return exports.leaderboard_csv(kind, key)


def _user_or_404(username):
    return get_object_or_404(get_user_model().objects.select_related("profile"), username=username)


def user_profile(request, username):
    """A forecaster's profile: display name, totals and resolved questions with their scores."""
    person = _user_or_404(username)
    page = paginate(request, sel.user_track_record(user=person), per_page=25)
    return render(
        request,
        "scoring/profile.html",
        {
            "person": person, "name": sel.display_name(person), "summary": sel.user_score_summary(user=person),
            "page_obj": page, "records": page.object_list,
        },
    )


def _calibration_page(request, *, person):
    result = sel.calibration(user=person)
    chart = {"bins": result.bins}
    return render(
        request,
        "scoring/calibration.html",
        {
            "person": person, "name": sel.display_name(person) if person else "The community",
            "calibration": result, "chart": chart,
        },
    )


def user_calibration(request, username):
    return _calibration_page(request, person=_user_or_404(username))


def community_calibration(request):
    return _calibration_page(request, person=None)


def _resolved_question(slug) -> Question:
    question = get_object_or_404(Question.objects.filter_visible(), slug=slug)
    if question.status != Question.Status.RESOLVED:
        raise Http404("Exports are available once the question is resolved.")
    return question


def question_scores_csv(request, slug):
    return exports.question_scores_csv(_resolved_question(slug))


def question_forecasts_csv(request, slug):
    return exports.question_forecasts_csv(_resolved_question(slug))


def help_page(request):
    """/help/: every score and the market explained, with worked examples computed by the project's maths."""
    return render(request, "scoring/help.html", {"examples": help_examples()})
