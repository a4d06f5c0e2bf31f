"""Selectors behind the question list: the filter choices and the rows, and the list page's query count."""
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from forecasting.forecasts.services.forecasts import forecast_create
from forecasting.questions.selectors import Choice, question_filter_choices, question_rows
from tests import factories

pytestmark = pytest.mark.django_db


def question_on(asset=None, trial=None, status="open"):
    fields = {"asset": asset, "trial": trial, "status": status}
    if status in ("closed", "resolved"):
        fields["actual_close_time"] = timezone.now() - dt.timedelta(days=1)
    return factories.QuestionFactory(**fields)


# ---------------------------------------------------------------------------------------------------------------
# question_filter_choices
# ---------------------------------------------------------------------------------------------------------------
@pytest.fixture
def assets_with_questions():
    """Created out of name order: Zeta (open), Alpha (closed), Mid (draft only), Lonely (no question)."""
    zeta = factories.AssetFactory(name="Zeta-mab")
    alpha = factories.AssetFactory(name="Alpha-nib")
    mid = factories.AssetFactory(name="Mid-cel")
    factories.AssetFactory(name="Lonely-stat")
    question_on(asset=zeta)
    question_on(asset=alpha, status="closed")
    question_on(asset=mid, status="draft")
    return {"zeta": zeta, "alpha": alpha, "mid": mid}


def test_filter_choices_list_assets_with_visible_questions_by_name(assets_with_questions):
    a = assets_with_questions
    assert question_filter_choices(include_drafts=False)["assets"] == [
        Choice(a["alpha"].slug, "Alpha-nib"),
        Choice(a["zeta"].slug, "Zeta-mab"),
    ]


def test_filter_choices_include_draft_only_assets_for_staff(assets_with_questions):
    a = assets_with_questions
    assert question_filter_choices(include_drafts=True)["assets"] == [
        Choice(a["alpha"].slug, "Alpha-nib"),
        Choice(a["mid"].slug, "Mid-cel"),
        Choice(a["zeta"].slug, "Zeta-mab"),
    ]


def test_filter_choices_list_each_asset_once_however_many_questions():
    asset = factories.AssetFactory(name="Mezigdomide")
    for status in ("open", "open", "closed", "resolved", "draft"):
        question_on(asset=asset, status=status)
    assert question_filter_choices(include_drafts=True)["assets"] == [Choice("mezigdomide", "Mezigdomide")]


def test_filter_choices_name_trials_by_acronym_else_registry_id_else_title():
    with_acronym = factories.TrialFactory(acronym="SUCCESSOR-2", registry_id="NCT05552976")
    registry_only = factories.TrialFactory(acronym="", registry_id="NCT05519085")
    title_only = factories.TrialFactory(acronym="", registry_id=None, title="A phase 2 study of mezigdomide")
    draft_only = factories.TrialFactory(acronym="DRAFTY")
    factories.TrialFactory(acronym="NO-QUESTIONS")
    for trial in (with_acronym, registry_only, title_only):
        question_on(trial=trial)
    question_on(trial=draft_only, status="draft")

    visible = question_filter_choices(include_drafts=False)["trials"]
    assert set(visible) == {
        Choice(with_acronym.slug, "SUCCESSOR-2"),
        Choice(registry_only.slug, "NCT05519085"),
        Choice(title_only.slug, "A phase 2 study of mezigdomide"),
    }
    assert len(visible) == 3
    assert Choice(draft_only.slug, "DRAFTY") in question_filter_choices(include_drafts=True)["trials"]


def test_filter_choices_order_trials_by_acronym():
    for acronym in ("SUCCESSOR-2", "EXCALIBER", "SUCCESSOR-1"):
        question_on(trial=factories.TrialFactory(acronym=acronym))
    names = [choice.name for choice in question_filter_choices(include_drafts=False)["trials"]]
    assert names == ["EXCALIBER", "SUCCESSOR-1", "SUCCESSOR-2"]


def test_filter_choices_are_empty_without_questions():
    factories.AssetFactory()
    factories.TrialFactory()
    assert question_filter_choices(include_drafts=True) == {"assets": [], "trials": []}


@pytest.mark.parametrize("n_questions", [1, 20])
@pytest.mark.parametrize("include_drafts", [False, True])
def test_filter_choices_take_two_queries(django_assert_num_queries, n_questions, include_drafts):
    for i in range(n_questions):
        question_on(asset=factories.AssetFactory(), trial=factories.TrialFactory(),
                    status="draft" if i % 2 else "open")
    with django_assert_num_queries(2):
        choices = question_filter_choices(include_drafts=include_drafts)
    expected = n_questions if include_drafts else (n_questions + 1) // 2
    assert len(choices["assets"]) == len(choices["trials"]) == expected


# ---------------------------------------------------------------------------------------------------------------
# question_rows and the list page
# ---------------------------------------------------------------------------------------------------------------
def test_rows_leave_out_long_texts_but_carry_asset_and_trial(django_assert_num_queries):
    asset = factories.AssetFactory(name="Mezigdomide")
    trial = factories.TrialFactory(acronym="SUCCESSOR-2")
    question_on(asset=asset, trial=trial)
    question_on()

    with django_assert_num_queries(1):
        rows = list(question_rows())
    assert len(rows) == 2
    for q in rows:
        assert {"description", "resolution_criteria", "fine_print"} <= q.get_deferred_fields()
    [linked] = [q for q in rows if q.asset_id]
    with django_assert_num_queries(0):
        assert (linked.asset.name, linked.asset.slug) == ("Mezigdomide", "mezigdomide")
        assert linked.trial.name == "SUCCESSOR-2"
        assert linked.get_absolute_url() and linked.asset.get_absolute_url() and linked.trial.get_absolute_url()
    assert "description" in linked.asset.get_deferred_fields()


def test_rows_exclude_drafts_unless_asked():
    question_on(status="draft")
    question_on()
    assert [q.status for q in question_rows()] == ["open"]
    assert sorted(q.status for q in question_rows(include_drafts=True)) == ["draft", "open"]


def add_questions(n: int, forecaster) -> None:
    """n questions, each on its own asset and trial, each with a community forecast."""
    for _ in range(n):
        q = question_on(asset=factories.AssetFactory(), trial=factories.TrialFactory())
        forecast_create(question=q, user=forecaster, probability=0.35)


def list_page_queries(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("questions:list"))
    assert response.status_code == 200
    return len(queries), response.content.decode()


@pytest.mark.parametrize("as_staff", [False, True])
def test_list_page_queries_do_not_grow_with_the_number_of_questions(client, user, staff_user, as_staff):
    if as_staff:
        client.force_login(staff_user)
    add_questions(3, user)
    few, html = list_page_queries(client)
    assert html.count('class="q-links"') == 3
    assert html.count(">35%<") == 3

    add_questions(27, user)
    many, html = list_page_queries(client)
    assert html.count('class="q-links"') == 25  # one page
    assert html.count(">35%<") == 25
    assert html.count('<option value="drugomab-') == 30  # every asset is a filter choice
    assert many == few
