"""Who may call what: every operation of the API schema, for an anonymous visitor, a forecaster (the "owner" of the
forecast and shares in the world below), another forecaster and an admin.

Each row gives the status each role gets with a valid request, in a fresh world. The table must list every operation
of /api/v1/schema/: a new endpoint fails test_every_schema_operation_is_in_the_permission_table until its row is
added. Forecasters act only as themselves (another forecaster can neither see nor withdraw the owner's forecasts or
positions); only admins create and edit questions and markets, enter readouts and resolve.
"""
import datetime as dt
from dataclasses import dataclass
from typing import Callable

import pytest
from django.test import Client
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from forecasting.accounts.services import bot_token_create
from forecasting.discussion.services import comment_create
from forecasting.forecasts.services.forecasts import forecast_create
from forecasting.models import Forecast, Notification, ProposedResolution
from forecasting.resolution.services import readouts as readout_services
from forecasting.resolution.services import resolution as resolution_services
from markets.models import Trade
from markets.services import market_create, trade_execute
from tests import factories
from tests.forecasting.resolution.test_resolution_services import bound_question, eager_celery  # noqa: F401
from tests.markets.conftest import give

ROLES = ("anonymous", "owner", "other", "admin")
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's password


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # the schema's path template
    statuses: dict  # role -> expected status code
    args: dict | None = None  # path parameter -> world key
    body: Callable | None = None  # world -> JSON body


def public(code=200):
    return dict.fromkeys(ROLES, code)


def logged_in(code):
    """Anonymous visitors are refused (DRF answers 403 when session auth comes first); forecasters and admins pass."""
    return {"anonymous": 403, "owner": code, "other": code, "admin": code}


def admins_only(code):
    return {"anonymous": 403, "owner": 403, "other": 403, "admin": code}


Q = {"id": "question"}
RESOLVED = {"id": "resolved"}
MARKET = {"id": "market"}
PROPOSAL = {"id": "proposal"}
COMMENT = {"id": "comment"}
PAIR = {"id": "pair"}

TABLE = [
    # Reference data (assets app): public reads.
    Row("GET", "/api/v1/assets/", public()),
    Row("GET", "/api/v1/assets/{slug}/", public(), {"slug": "asset_slug"}),
    Row("GET", "/api/v1/companies/", public()),
    Row("GET", "/api/v1/companies/{slug}/", public(), {"slug": "company_slug"}),
    Row("GET", "/api/v1/endpoints/", public()),
    Row("GET", "/api/v1/endpoints/{code}/", public(), {"code": "endpoint_code"}),
    Row("GET", "/api/v1/indications/", public()),
    Row("GET", "/api/v1/indications/{slug}/", public(), {"slug": "indication_slug"}),
    Row("GET", "/api/v1/news/", public()),
    Row("GET", "/api/v1/news/{id}/", public(), {"id": "news"}),
    Row("GET", "/api/v1/trials/", public()),
    Row("GET", "/api/v1/trials/{identifier}/", public(), {"identifier": "trial_acronym"}),
    # Site search: public (drafts only in an admin's results).
    Row("GET", "/api/v1/search/", public()),
    # Log-in: anyone may ask for a token with a username and password.
    Row("POST", "/api/v1/auth/token/", public(), body=lambda w: {"username": "owner", "password": PASSWORD}),
    # Your own API token: see, rotate, revoke (there is no way to name anyone else's).
    Row("GET", "/api/v1/me/token/", logged_in(200)),
    Row("POST", "/api/v1/me/token/rotate/", logged_in(200), body=lambda w: {}),
    Row("DELETE", "/api/v1/me/token/", logged_in(204)),
    # Named bot tokens: each user sees and revokes only their own (another's id is "you have none", 409).
    Row("GET", "/api/v1/me/bot-tokens/", logged_in(200)),
    Row("POST", "/api/v1/me/bot-tokens/", logged_in(201), body=lambda w: {"name": "nightly-importer"}),
    Row("DELETE", "/api/v1/me/bot-tokens/{id}/", {"anonymous": 403, "owner": 204, "other": 409, "admin": 409},
        {"id": "bot_token"}),
    # Questions: public reads; admins write.
    Row("GET", "/api/v1/questions/", public()),
    Row("GET", "/api/v1/questions/{id}/", public(), Q),
    Row("POST", "/api/v1/questions/", admins_only(201), body=lambda w: {
        "title": "Will SUCCESSOR-9 report an OS benefit?", "type": "binary",
        "resolution_criteria": "Resolves YES if OS is significantly improved.",
        "open_time": timezone.now().isoformat(),
        "scheduled_close_time": (timezone.now() + dt.timedelta(days=60)).isoformat(),
    }),
    Row("PATCH", "/api/v1/questions/{id}/", admins_only(200), Q, lambda w: {"title": "A better title?"}),
    Row("GET", "/api/v1/questions/{id}/community/", public(), Q),
    # Forecasts: your own only.
    Row("GET", "/api/v1/questions/{id}/forecasts/", logged_in(200), Q),
    Row("POST", "/api/v1/questions/{id}/forecasts/", logged_in(201), Q, lambda w: {"probability": 0.4}),
    # Only the owner has a forecast to withdraw; nobody can withdraw somebody else's (409: you have none).
    Row("DELETE", "/api/v1/questions/{id}/forecasts/current/",
        {"anonymous": 403, "owner": 204, "other": 409, "admin": 409}, Q),
    Row("POST", "/api/v1/forecasts/bulk/", logged_in(201), body=lambda w: {
        "forecasts": [{"question": w["question"], "probability": 0.3}],
    }),
    # Markets: public reads and quotes; logged-in trading; admins open markets.
    Row("GET", "/api/v1/markets/", public()),
    Row("GET", "/api/v1/markets/{id}/", public(), MARKET),
    Row("POST", "/api/v1/markets/", admins_only(201), body=lambda w: {"question": w["unmarketed"], "b": 100}),
    Row("POST", "/api/v1/markets/{id}/quote/", public(), MARKET, lambda w: {"outcome": 1, "shares": 2}),
    Row("GET", "/api/v1/markets/{id}/trades/", public(), MARKET),
    Row("POST", "/api/v1/markets/{id}/trades/", logged_in(201), MARKET, lambda w: {"outcome": 1, "shares": 2}),
    Row("GET", "/api/v1/markets/leaderboard/", public()),
    Row("GET", "/api/v1/me/portfolio/", logged_in(200)),
    Row("GET", "/api/v1/me/trades/", logged_in(200)),
    # Resolution: public readouts and audit trail; admins enter readouts, decide proposals, resolve.
    Row("GET", "/api/v1/readouts/", public()),
    Row("POST", "/api/v1/readouts/", admins_only(201), body=lambda w: {
        "trial": "SUCCESSOR-9", "endpoint": "PFS", "metric": "hazard_ratio", "value": 0.81,
        "source": "ESMO 2026, LBA 7", "known_at": timezone.now().isoformat(),
    }),
    Row("GET", "/api/v1/proposals/", admins_only(200)),
    Row("POST", "/api/v1/proposals/{id}/confirm/", admins_only(200), PROPOSAL, lambda w: {}),
    Row("POST", "/api/v1/proposals/{id}/reject/", admins_only(200), PROPOSAL, lambda w: {}),
    Row("POST", "/api/v1/proposals/confirm-all/", admins_only(200), body=lambda w: {}),
    Row("POST", "/api/v1/questions/{id}/resolve/", admins_only(200), Q,
        lambda w: {"outcome": "no", "known_at": timezone.now().isoformat()}),
    Row("GET", "/api/v1/questions/{id}/unresolve/", admins_only(200), RESOLVED),
    Row("POST", "/api/v1/questions/{id}/unresolve/", admins_only(200), RESOLVED, lambda w: {"note": "typo"}),
    Row("GET", "/api/v1/questions/{id}/resolution-events/", public(), RESOLVED),
    # Scores and leaderboards: public.
    Row("GET", "/api/v1/questions/{id}/scores/", public(), RESOLVED),
    Row("GET", "/api/v1/questions/{id}/scores.csv", public(), RESOLVED),
    Row("GET", "/api/v1/questions/{id}/forecasts.csv", public(), RESOLVED),
    Row("GET", "/api/v1/leaderboards/", public()),
    Row("GET", "/api/v1/leaderboards/scopes/", public()),
    Row("GET", "/api/v1/leaderboards/export.csv", public()),
    Row("GET", "/api/v1/community/calibration/", public()),
    Row("GET", "/api/v1/users/{username}/calibration/", public(), {"username": "owner_username"}),
    Row("GET", "/api/v1/users/{username}/track-record/", public(), {"username": "owner_username"}),
    # Discussion: public reads; logged-in comments and replies; the author alone edits and deletes (staff too are
    # refused: they hide instead); staff hide, unhide, lock and unlock (unhide/unlock: nothing to undo, 409).
    Row("GET", "/api/v1/questions/{id}/comments/", public(), Q),
    Row("POST", "/api/v1/questions/{id}/comments/", logged_in(201), Q, lambda w: {"body": "HR 0.65, I think."}),
    Row("POST", "/api/v1/questions/{id}/comments/lock/", admins_only(200), Q, lambda w: {"reason": "Heated"}),
    Row("POST", "/api/v1/questions/{id}/comments/unlock/", admins_only(409), Q),
    Row("GET", "/api/v1/trials/{identifier}/comments/", public(), {"identifier": "trial_acronym"}),
    Row("POST", "/api/v1/trials/{identifier}/comments/", logged_in(201), {"identifier": "trial_acronym"},
        lambda w: {"body": "Enrollment is complete."}),
    Row("POST", "/api/v1/trials/{identifier}/comments/lock/", admins_only(200), {"identifier": "trial_acronym"},
        lambda w: {}),
    Row("POST", "/api/v1/trials/{identifier}/comments/unlock/", admins_only(409), {"identifier": "trial_acronym"}),
    Row("GET", "/api/v1/comments/{id}/", public(), COMMENT),
    Row("PATCH", "/api/v1/comments/{id}/", {"anonymous": 403, "owner": 200, "other": 403, "admin": 403}, COMMENT,
        lambda w: {"body": "HR 0.6, on reflection."}),
    Row("DELETE", "/api/v1/comments/{id}/", {"anonymous": 403, "owner": 204, "other": 403, "admin": 403}, COMMENT),
    Row("POST", "/api/v1/comments/{id}/replies/", logged_in(201), COMMENT, lambda w: {"body": "Why?"}),
    Row("POST", "/api/v1/comments/{id}/hide/", admins_only(200), COMMENT, lambda w: {"reason": "Off topic"}),
    Row("POST", "/api/v1/comments/{id}/unhide/", admins_only(409), COMMENT),
    # Follows: each user follows and lists only as themselves.
    Row("GET", "/api/v1/me/follows/", logged_in(200)),
    Row("GET", "/api/v1/follows/{kind}/{id}/", logged_in(200), {"kind": "follow_kind", "id": "question"}),
    Row("PUT", "/api/v1/follows/{kind}/{id}/", logged_in(200), {"kind": "follow_kind", "id": "question"}),
    Row("DELETE", "/api/v1/follows/{kind}/{id}/", logged_in(200), {"kind": "follow_kind", "id": "question"}),
    # Notifications: your own only (another user's id is 404: you have none with it).
    Row("GET", "/api/v1/me/notifications/", logged_in(200)),
    Row("GET", "/api/v1/me/notifications/unread-count/", logged_in(200)),
    Row("POST", "/api/v1/me/notifications/{id}/read/", {"anonymous": 403, "owner": 200, "other": 404, "admin": 404},
        {"id": "notification"}, lambda w: {}),
    Row("POST", "/api/v1/me/notifications/read-all/", logged_in(200), body=lambda w: {}),
    Row("GET", "/api/v1/me/notification-preferences/", logged_in(200)),
    Row("PATCH", "/api/v1/me/notification-preferences/", logged_in(200), body=lambda w: {"move_binary_pp": 15}),
    # The base-rate reference forecaster: public reads.
    Row("GET", "/api/v1/questions/{id}/base-rate/", public(), {"id": "base_rate_question"}),
    Row("GET", "/api/v1/leaderboards/base-rate/", public()),
    # Conditional pairs: public reads, your own forecasts, admins create.
    Row("GET", "/api/v1/conditional-pairs/", public()),
    Row("POST", "/api/v1/conditional-pairs/", admins_only(201),
        body=lambda w: {"parent": w["unmarketed"], "child": w["question"]}),
    Row("GET", "/api/v1/conditional-pairs/{id}/", public(), PAIR),
    Row("GET", "/api/v1/conditional-pairs/{id}/community/", public(), PAIR),
    Row("GET", "/api/v1/conditional-pairs/{id}/scores/", public(), PAIR),
    Row("GET", "/api/v1/conditional-pairs/{id}/forecasts/", logged_in(200), PAIR),
    Row("POST", "/api/v1/conditional-pairs/{id}/forecasts/", logged_in(201), PAIR,
        lambda w: {"p_yes": 0.4, "p_no": 0.2}),
    Row("DELETE", "/api/v1/conditional-pairs/{id}/forecasts/current/",
        {"anonymous": 403, "owner": 204, "other": 409, "admin": 409}, PAIR),
    Row("POST", "/api/v1/conditional-pairs/forecasts/bulk/", logged_in(201), body=lambda w: {
        "forecasts": [{"pair": w["pair"], "p_yes": 0.3, "p_no": 0.1}],
    }),
    # Question groups: public reads of published groups; admins generate, publish, enter the readout, confirm.
    Row("GET", "/api/v1/question-groups/", public()),
    Row("GET", "/api/v1/question-groups/{id}/", public(), {"id": "group"}),
    Row("POST", "/api/v1/question-groups/generate/", admins_only(201), body=lambda w: {"trial": w["trial"]}),
    Row("POST", "/api/v1/question-groups/{id}/publish/", admins_only(200), {"id": "draft_group"}, lambda w: {}),
    Row("POST", "/api/v1/question-groups/{id}/readout/", admins_only(201), {"id": "group"}, lambda w: {
        "source": "EHA 2026, LBA 2", "known_at": timezone.now().isoformat(),
        "results": [{"endpoint": "PFS", "metric": "met_endpoint", "value": 1}],
    }),
    Row("POST", "/api/v1/question-groups/{id}/confirm/", admins_only(200), {"id": "group"}, lambda w: {}),
]

# Routes under /api/v1/ that are not operations of the schema (the schema itself and its viewers).
NON_SCHEMA_ROUTES = ["/api/v1/", "/api/v1/schema/", "/api/v1/docs/", "/api/v1/redoc/"]


def schema_operations() -> set[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }


def test_every_schema_operation_is_in_the_permission_table():
    table = {(row.method, row.path) for row in TABLE}
    missing = schema_operations() - table
    assert not missing, f"add these operations to TABLE in {__name__}: {sorted(missing)}"
    stale = table - schema_operations()
    assert not stale, f"these rows name no operation of the schema: {sorted(stale)}"


@pytest.fixture
def world(db, eager_celery, django_capture_on_commit_callbacks):  # noqa: F811
    """A trial with an asset, a bound open question with a market, where the owner has a forecast and YES shares; a
    second question without a market; a resolved and scored question; a pending proposal."""
    staff = factories.StaffFactory(username="admin-alice")
    owner = factories.UserFactory(username="owner")
    other = factories.UserFactory(username="other")
    for user in (owner, other, staff):
        give(user)
    asset = factories.AssetFactory()
    trial = factories.TrialFactory(acronym="SUCCESSOR-9", registry_id="NCT09999999", assets=[asset])
    pfs = factories.EndpointFactory(code="PFS")
    question = factories.QuestionFactory(trial=trial)
    market = market_create(question=question, b=100, created_by=staff)
    forecast_create(question=question, user=owner, probability=0.7)
    trade_execute(market=market, user=owner, outcome=1, shares=5)
    unmarketed = factories.QuestionFactory()
    resolved = factories.QuestionFactory()
    forecast_create(question=resolved, user=owner, probability=0.2, at=resolved.open_time + dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):  # scoring runs on commit
        resolution_services.question_resolve_manual(
            question=resolved, outcome="no", known_at=timezone.now() - dt.timedelta(hours=1), actor=staff
        )
    pending = bound_question(trial, pfs)
    readout_services.readout_create(
        trial=trial, endpoint=pfs, metric="hazard_ratio", value=0.64, source="ASCO 2026, abstract 1",
        known_at=timezone.now() - dt.timedelta(hours=1), created_by=staff,
    )
    proposal = ProposedResolution.objects.get(question=pending)
    bot_token, _ = bot_token_create(user=owner, name="owner-script")
    comment = comment_create(author=owner, question=question, body="I expect a hazard ratio near 0.65.")
    # Trial-native questions: a pair the owner forecast, a published and a draft group, a primary-endpoint question.
    from assets.models import TrialEndpoint
    from forecasting.conditional.services import conditional_forecast_create, pair_create
    from forecasting.groups.services import group_generate, group_publish

    TrialEndpoint.objects.create(trial=trial, endpoint=pfs, kind=TrialEndpoint.Kind.PRIMARY)
    pair = pair_create(parent=factories.QuestionFactory(), child=factories.QuestionFactory())
    conditional_forecast_create(pair=pair, user=owner, p_yes=0.6, p_no=0.3)
    group = group_publish(group=group_generate(trial=trial).group)
    draft_group = group_generate(trial=trial).group
    base_rate_question = factories.QuestionFactory(trial=trial, endpoint=pfs, bound_metric="met_endpoint",
                                                   bound_comparator="==", bound_threshold=1.0)
    return {
        "pair": pair.pk,
        "group": group.pk,
        "draft_group": draft_group.pk,
        "trial": trial.pk,
        "base_rate_question": base_rate_question.pk,
        "users": {"anonymous": None, "owner": owner, "other": other, "admin": staff},
        "owner": owner,
        "question": question.pk,
        "unmarketed": unmarketed.pk,
        "resolved": resolved.pk,
        "market": market.pk,
        "proposal": proposal.pk,
        "bot_token": bot_token.pk,
        "comment": comment.pk,
        "news": factories.NewsItemFactory().pk,
        "asset_slug": asset.slug,
        "company_slug": trial.sponsor.slug,
        "indication_slug": trial.indication.slug,
        "endpoint_code": pfs.code,
        "trial_acronym": trial.acronym,
        "owner_username": owner.username,
        "follow_kind": "question",
        # the owner forecast the resolved question: its resolution notified them
        "notification": Notification.objects.filter(user=owner).values_list("pk", flat=True).first(),
    }


def client_as(role: str, world: dict) -> APIClient:
    client = APIClient()
    user = world["users"][role]
    if user is not None:
        client.force_authenticate(user)
    return client


def call(client: APIClient, row: Row, world: dict):
    path = row.path.format(**{name: world[key] for name, key in (row.args or {}).items()})
    body = row.body(world) if row.body else None
    return getattr(client, row.method.lower())(path, body, format="json") if body is not None else \
        getattr(client, row.method.lower())(path)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", TABLE, ids=lambda row: f"{row.method} {row.path}")
def test_each_role_gets_the_status_the_permission_table_says(row, role, world):
    response = call(client_as(role, world), row, world)
    assert response.status_code == row.statuses[role], getattr(response, "data", response.content[:300])


def test_another_forecaster_sees_none_of_the_owners_forecasts_or_positions(world):
    client = client_as("other", world)
    history = client.get(f"/api/v1/questions/{world['question']}/forecasts/").json()
    assert history["count"] == 0
    portfolio = client.get("/api/v1/me/portfolio/").json()
    assert portfolio["positions"] == []
    assert client.get("/api/v1/me/trades/").json()["count"] == 0
    # The owner, asking the same questions, sees their own.
    owner = client_as("owner", world)
    assert owner.get(f"/api/v1/questions/{world['question']}/forecasts/").json()["count"] == 1
    assert owner.get("/api/v1/me/trades/").json()["count"] == 1


def test_another_forecasters_withdrawal_leaves_the_owners_forecast_in_place(world):
    response = client_as("other", world).delete(f"/api/v1/questions/{world['question']}/forecasts/current/")
    assert response.status_code == 409
    assert Forecast.objects.filter(user=world["owner"], question_id=world["question"]).exists()


def test_the_market_tape_names_no_trader(world):
    tape = client_as("other", world).get(f"/api/v1/markets/{world['market']}/trades/").json()["results"]
    assert tape and all("owner" not in str(entry.values()) for entry in tape)
    assert Trade.objects.filter(user=world["owner"]).count() == 1


@pytest.mark.parametrize("path", NON_SCHEMA_ROUTES)
def test_the_api_root_schema_and_docs_are_public(path, db):
    assert Client().get(path).status_code == 200
