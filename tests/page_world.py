"""A small world in which every main page has something to show, for the page budget, the id-reference test and the
accessibility test: an asset and its trial, a binary question with a market and trades, a numeric question with a
market, a resolved and scored question (leaderboards and calibration have rows and a chart), a forecaster ("amira")
and staff ("curator")."""
import datetime as dt

from django.contrib.auth.models import User
from django.utils import timezone

from tests import factories

PASSWORD = "Tall-Giraffe-Trades-42"


def build_world() -> dict:
    from forecasting.forecasts.services.forecasts import forecast_create
    from forecasting.resolution.services.resolution import question_resolve_manual
    from markets.services import account_grant_starting_points, market_create, trade_buy_shares

    staff = User.objects.create_user(username="curator", password=PASSWORD, is_staff=True, is_superuser=True)
    amira = User.objects.create_user(username="amira", password=PASSWORD)
    account_grant_starting_points(user=amira)
    asset = factories.AssetFactory(name="Mezigdomide")
    trial = factories.TrialFactory(assets=[asset], acronym="SUCCESSOR-2")
    binary = factories.QuestionFactory(title="Will SUCCESSOR-2 report a PFS hazard ratio below 0.7?", asset=asset,
                                       trial=trial)
    numeric = factories.NumericQuestionFactory(title="Median PFS in the MeziKd arm, months?", asset=asset, trial=trial)
    market = market_create(question=binary, b=100, created_by=staff)
    market_create(question=numeric, b=100, created_by=staff)
    trade_buy_shares(market=market, user=amira, outcome=1, shares=10)
    forecast_create(question=binary, user=amira, probability=0.62, rationale="Topline met")
    forecast_create(question=numeric, user=amira, quantiles={"0.1": 8, "0.5": 14, "0.9": 22})
    resolved = factories.QuestionFactory(title="Will MRD-negativity rates be disclosed?", asset=asset, trial=trial,
                                         open_time=timezone.now() - dt.timedelta(days=20))
    forecast_create(question=resolved, user=amira, probability=0.7)
    question_resolve_manual(question=resolved, outcome="yes", known_at=timezone.now(), source="ASCO", actor=staff)
    return {"staff": staff, "amira": amira, "asset": asset, "trial": trial, "binary": binary, "numeric": numeric,
            "resolved": resolved}


def main_pages(world) -> dict[str, str]:
    """The main pages by name -> path."""
    return {
        "home": "/",
        "question list": "/questions/",
        "binary question": f"/questions/{world['binary'].slug}/",
        "numeric question": f"/questions/{world['numeric'].slug}/",
        "asset": f"/assets/{world['asset'].slug}/",
        "trial": f"/trials/{world['trial'].slug}/",
        "leaderboard": "/leaderboards/",
        "market leaderboard": "/markets/leaderboard/",
        "calibration": "/community/calibration/",
        "user calibration": "/users/amira/calibration/",
        "portfolio": "/markets/portfolio/",
        "markets index": "/markets/",
        "search": "/search/?q=mezi",
    }
