"""The conditional-pair and question-group API: who may do what, bad input as 400s naming the field (nothing
stored), and list endpoints whose queries do not grow with the rows."""
import datetime as dt

import pytest
from django.utils import timezone

from forecasting.conditional.models import ConditionalForecast, ConditionalPair
from forecasting.conditional.services import conditional_forecast_create, pair_create
from forecasting.groups.models import QuestionGroup
from forecasting.groups.services import group_generate, group_publish
from markets.models import Question
from tests import factories
from tests.forecasting.groups.helpers import successor_like_trial

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(db):
    return pair_create(parent=factories.QuestionFactory(), child=factories.QuestionFactory())


@pytest.mark.parametrize("body,field", [
    ({"parent": 1, "child": "x"}, "child"),
    ({"parent": None, "child": 1}, "parent"),
    ({"child": 1}, "parent"),
    ({"parent": 999999, "child": 1}, "parent"),
    ({"parent": 1, "child": 2**70}, "child"),
])
def test_pair_create_bad_ids_are_400s_naming_the_field(staff_client, body, field):
    factories.QuestionFactory()
    response = staff_client.post("/api/v1/conditional-pairs/", body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not ConditionalPair.objects.exists()


def test_pair_on_itself_non_binary_and_cycle_are_400s(staff_client):
    a, b = factories.QuestionFactory(), factories.QuestionFactory()
    numeric = factories.NumericQuestionFactory()
    assert "child" in staff_client.post("/api/v1/conditional-pairs/", {"parent": a.pk, "child": a.pk},
                                        format="json").json()
    assert "parent" in staff_client.post("/api/v1/conditional-pairs/", {"parent": numeric.pk, "child": a.pk},
                                         format="json").json()
    assert staff_client.post("/api/v1/conditional-pairs/", {"parent": a.pk, "child": b.pk},
                             format="json").status_code == 201
    cycle = staff_client.post("/api/v1/conditional-pairs/", {"parent": b.pk, "child": a.pk}, format="json")
    assert cycle.status_code == 400 and "cycle" in cycle.json()["child"][0]
    assert ConditionalPair.objects.count() == 1


def test_only_staff_create_pairs_and_groups(user_client, api_client):
    a, b = factories.QuestionFactory(), factories.QuestionFactory()
    trial = successor_like_trial()
    for client, status in ((user_client, 403), (api_client, 401)):
        assert client.post("/api/v1/conditional-pairs/", {"parent": a.pk, "child": b.pk},
                           format="json").status_code in (status, 403)
        assert client.post("/api/v1/question-groups/generate/", {"trial": trial.pk},
                           format="json").status_code in (status, 403)
    group = group_generate(trial=trial).group
    assert user_client.post(f"/api/v1/question-groups/{group.pk}/publish/").status_code == 403
    group_publish(group=group)
    assert user_client.post(f"/api/v1/question-groups/{group.pk}/readout/", {}, format="json").status_code == 403
    assert user_client.post(f"/api/v1/question-groups/{group.pk}/confirm/").status_code == 403


@pytest.mark.parametrize("body,field", [
    ({"p_yes": 0.5}, "p_no"),
    ({"p_yes": 1.5, "p_no": 0.5}, "p_yes"),
    ({"p_yes": 0.5, "p_no": "0.2"}, "p_no"),
    ({"p_yes": 0.5, "p_no": 0.0005}, "p_no"),
    ({"p_yes": 0.5, "p_no": 0.5, "rationale": "a\x00b"}, "rationale"),
])
def test_forecast_bad_input_names_the_field_and_stores_nothing(user_client, pair, body, field):
    response = user_client.post(f"/api/v1/conditional-pairs/{pair.pk}/forecasts/", body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not ConditionalForecast.objects.exists()


def test_bulk_is_all_or_nothing_and_names_the_item(user_client, pair):
    other = pair_create(parent=factories.QuestionFactory(), child=factories.QuestionFactory())
    response = user_client.post("/api/v1/conditional-pairs/forecasts/bulk/", {"forecasts": [
        {"pair": pair.pk, "p_yes": 0.4, "p_no": 0.2}, {"pair": other.pk, "p_yes": 1.5, "p_no": 0.2}]},
        format="json")
    assert response.status_code == 400 and "forecasts[1].p_yes" in response.json()
    response = user_client.post("/api/v1/conditional-pairs/forecasts/bulk/", {"forecasts": [
        {"pair": pair.pk, "p_yes": 0.4, "p_no": 0.2}, {"pair": 10**9, "p_yes": 0.4, "p_no": 0.2}]}, format="json")
    assert response.status_code == 400 and "forecasts[1].pair" in response.json()
    assert not ConditionalForecast.objects.exists()
    ok = user_client.post("/api/v1/conditional-pairs/forecasts/bulk/", {"forecasts": [
        {"pair": pair.pk, "p_yes": 0.4, "p_no": 0.2}, {"pair": other.pk, "p_yes": 0.6, "p_no": 0.3}]}, format="json")
    assert ok.status_code == 201 and len(ok.json()["forecasts"]) == 2


def test_withdraw_and_history(user_client, pair):
    user_client.post(f"/api/v1/conditional-pairs/{pair.pk}/forecasts/", {"p_yes": 0.4, "p_no": 0.2}, format="json")
    assert user_client.delete(f"/api/v1/conditional-pairs/{pair.pk}/forecasts/current/").status_code == 204
    assert user_client.delete(f"/api/v1/conditional-pairs/{pair.pk}/forecasts/current/").status_code == 409
    history = user_client.get(f"/api/v1/conditional-pairs/{pair.pk}/forecasts/").json()["results"]
    assert [h["kind"] for h in history] == ["withdrawal", "forecast"]


def test_hidden_questions_hide_the_crowd_on_both_branches(api_client, user):
    later = timezone.now() + dt.timedelta(days=3)
    pair = pair_create(parent=factories.QuestionFactory(reveal_time=later), child=factories.QuestionFactory())
    conditional_forecast_create(pair=pair, user=user, p_yes=0.4, p_no=0.2)
    body = api_client.get(f"/api/v1/conditional-pairs/{pair.pk}/").json()
    assert body["yes"]["median"] is None and body["no"]["median"] is None
    assert api_client.get(f"/api/v1/conditional-pairs/{pair.pk}/community/").status_code == 404


def test_draft_pairs_and_groups_are_staff_only(api_client, staff_client):
    draft = pair_create(parent=factories.QuestionFactory(status="draft"), child=factories.QuestionFactory())
    assert api_client.get(f"/api/v1/conditional-pairs/{draft.pk}/").status_code == 404
    assert staff_client.get(f"/api/v1/conditional-pairs/{draft.pk}/").status_code == 200
    group = group_generate(trial=successor_like_trial()).group
    assert api_client.get(f"/api/v1/question-groups/{group.pk}/").status_code == 404
    assert api_client.get("/api/v1/question-groups/").json()["count"] == 0
    assert staff_client.get("/api/v1/question-groups/").json()["count"] == 1


def test_generate_bad_trial_and_close_time_are_400s(staff_client):
    assert "trial" in staff_client.post("/api/v1/question-groups/generate/", {"trial": 10**9}, format="json").json()
    trial = successor_like_trial()
    past = (timezone.now() - dt.timedelta(days=1)).isoformat()
    response = staff_client.post("/api/v1/question-groups/generate/", {"trial": trial.pk, "close_time": past},
                                 format="json")
    assert response.status_code == 400 and "close_time" in response.json()
    assert not QuestionGroup.objects.exists() and not Question.objects.exists()


def test_pair_list_queries_do_not_grow_with_rows(api_client, django_assert_max_num_queries):
    users = [factories.UserFactory() for _ in range(3)]
    for _ in range(6):
        pair = pair_create(parent=factories.QuestionFactory(), child=factories.QuestionFactory())
        for user in users:
            conditional_forecast_create(pair=pair, user=user, p_yes=0.5, p_no=0.3)
    with django_assert_max_num_queries(3):
        body = api_client.get("/api/v1/conditional-pairs/").json()
    assert body["count"] == 6 and all(row["yes"]["median"] == 0.5 for row in body["results"])


def test_group_list_and_detail_queries_are_bounded(api_client, django_assert_max_num_queries):
    for n in range(3):
        group_publish(group=group_generate(trial=successor_like_trial(f"TRIAL-G{n}")).group)
    with django_assert_max_num_queries(3):
        assert api_client.get("/api/v1/question-groups/").json()["count"] == 3
    group = QuestionGroup.objects.first()
    with django_assert_max_num_queries(8):
        body = api_client.get(f"/api/v1/question-groups/{group.pk}/").json()
    assert len(body["members"]) == group.members.count()
