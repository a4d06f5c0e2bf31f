"""Issue 13, item 7: a client generated from /api/v1/schema/ (openapi-python-client) can trade.

The schema once declared a trade's ``shares`` and ``budget`` as strings while the API refuses strings, so every trade
from a generated client failed. Here the client is generated from the live server's schema into a temporary
directory, imported, and used as its types say: log in, quote, buy, and read the market back.
"""
import json
import shutil
import subprocess
import sys
import typing
from pathlib import Path

import pytest
import requests

from markets.services import market_create
from tests import factories
from tests.markets.conftest import give

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
PACKAGE = "readout_client"


def _as_declared(model, field: str, number: int):
    """``number`` in the type the generated model declares for ``field``, as a user of the typed client writes it."""
    declared = typing.get_type_hints(model)[field]
    args = typing.get_args(declared) or (declared,)
    if float in args or int in args:
        return number
    return str(number)


@pytest.fixture
def generated_client(live_server, tmp_path):
    if not GENERATOR.exists():
        pytest.skip("openapi-python-client is not installed (requirements-dev.txt)")
    response = requests.get(f"{live_server.url}/api/v1/schema/?format=json", timeout=30)
    assert response.status_code == 200
    schema = response.json()
    # Request bodies are documented as JSON, form and multipart (the API parses all three); a JSON client needs
    # only the first, and openapi-python-client 0.29 generates code that does not import (NameError: Unset) for
    # bodies with several content types.
    for item in schema["paths"].values():
        for operation in item.values():
            content = operation.get("requestBody", {}).get("content") if isinstance(operation, dict) else None
            if content and "application/json" in content:
                operation["requestBody"]["content"] = {"application/json": content["application/json"]}
    (tmp_path / "schema.json").write_text(json.dumps(schema))
    (tmp_path / "config.yaml").write_text("post_hooks: []\n")
    result = subprocess.run(
        [str(GENERATOR), "generate", "--path", "schema.json", "--meta", "none", "--config", "config.yaml",
         "--output-path", PACKAGE],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert (tmp_path / PACKAGE / "client.py").exists(), result.stdout + result.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        import readout_client

        yield readout_client
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]
        shutil.rmtree(tmp_path / PACKAGE, ignore_errors=True)


@pytest.mark.django_db(transaction=True)
def test_a_client_generated_from_the_schema_places_a_trade(live_server, generated_client):
    from readout_client import AuthenticatedClient, Client
    from readout_client.api.auth import auth_token_create
    from readout_client.api.markets import markets_quote_create, markets_retrieve, markets_trades_create
    from readout_client.models import AuthTokenRequest, Market, QuoteInRequest, Trade, TradeInRequest

    staff = factories.StaffFactory()
    trader = factories.UserFactory(username="client-trader")
    trader.set_password("a-long-password-1")
    trader.save()
    give(trader)
    market = market_create(question=factories.QuestionFactory(), b=100, created_by=staff)

    anonymous = Client(base_url=live_server.url, raise_on_unexpected_status=True)
    login = auth_token_create.sync_detailed(
        client=anonymous, body=AuthTokenRequest(username="client-trader", password="a-long-password-1")
    )
    assert login.status_code == 200, login.content
    token = login.parsed.token
    client = AuthenticatedClient(base_url=live_server.url, token=token, prefix="Token",
                                 raise_on_unexpected_status=True)

    quote = markets_quote_create.sync_detailed(
        id=str(market.pk), client=client,
        body=QuoteInRequest(outcome=1, budget=_as_declared(QuoteInRequest, "budget", 25)),
    )
    assert quote.status_code == 200, quote.content
    trade = markets_trades_create.sync_detailed(
        id=str(market.pk), client=client,
        body=TradeInRequest(outcome=1, shares=_as_declared(TradeInRequest, "shares", 10)),
    )
    assert trade.status_code == 201, trade.content
    assert isinstance(trade.parsed, Trade)
    assert trade.parsed.side == "buy" and trade.parsed.outcome == 1

    after = markets_retrieve.sync(id=str(market.pk), client=client)
    assert isinstance(after, Market) and after.trade_count == 1
    assert after.prices[1] > 0.5
