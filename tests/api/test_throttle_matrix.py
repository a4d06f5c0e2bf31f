"""Which API operations are rate-limited, and under which scope: every write operation of /api/v1/schema/, called
twice by a role allowed to call it with every scope's rate at 1 a minute. A throttled operation answers the second
call 429 with Retry-After; an unthrottled one never does. The table must name every write operation of the schema,
so a new endpoint fails here until someone decides whether it is limited (docs/deploy.md, "Rate limits")."""
import pytest

from tests.api.test_permissions_matrix import TABLE, call, client_as, schema_operations, world  # noqa: F401
from tests.forecasting.resolution.test_resolution_services import eager_celery  # noqa: F401

WRITES = {"POST", "PUT", "PATCH", "DELETE"}

# (method, path) -> the throttle scope it counts against (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]), or None.
THROTTLED = {
    ("POST", "/api/v1/auth/token/"): "login",
    ("POST", "/api/v1/questions/{id}/forecasts/"): "forecasts",
    ("DELETE", "/api/v1/questions/{id}/forecasts/current/"): "forecasts",
    ("POST", "/api/v1/forecasts/bulk/"): "forecasts",
    ("POST", "/api/v1/conditional-pairs/{id}/forecasts/"): "forecasts",
    ("DELETE", "/api/v1/conditional-pairs/{id}/forecasts/current/"): "forecasts",
    ("POST", "/api/v1/conditional-pairs/forecasts/bulk/"): "forecasts",
    ("POST", "/api/v1/markets/{id}/trades/"): "trades",
    ("POST", "/api/v1/me/token/rotate/"): "tokens",
    ("DELETE", "/api/v1/me/token/"): "tokens",
    ("POST", "/api/v1/me/bot-tokens/"): "tokens",
    ("DELETE", "/api/v1/me/bot-tokens/{id}/"): "tokens",
    ("POST", "/api/v1/questions/{id}/comments/"): "comments",
    ("POST", "/api/v1/trials/{identifier}/comments/"): "comments",
    ("PATCH", "/api/v1/comments/{id}/"): "comments",
    ("DELETE", "/api/v1/comments/{id}/"): "comments",
    ("POST", "/api/v1/comments/{id}/replies/"): "comments",
}
WRITE_ROWS = [row for row in TABLE if row.method in WRITES]


def test_every_write_operation_of_the_schema_is_decided():
    writes = {op for op in schema_operations() if op[0] in WRITES}
    assert set(THROTTLED) <= writes, sorted(set(THROTTLED) - writes)
    assert {(row.method, row.path) for row in WRITE_ROWS} == writes


def _allowed_role(row) -> str:
    for role in ("owner", "admin", "anonymous"):
        if row.statuses[role] < 400:
            return role
    pytest.skip(f"no role may call {row.method} {row.path}")


@pytest.mark.parametrize("row", WRITE_ROWS, ids=lambda row: f"{row.method} {row.path}")
def test_each_write_operation_is_limited_as_the_table_says(row, world, settings):  # noqa: F811
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": dict.fromkeys(rates, "1/min")}
    role = _allowed_role(row)
    client = client_as(role, world)
    call(client, row, world)
    second = call(client, row, world)
    scope = THROTTLED.get((row.method, row.path))
    if scope is None:
        assert second.status_code != 429, f"{row.method} {row.path} is throttled but the table says it is not"
    else:
        assert scope in rates
        assert second.status_code == 429, (row.method, row.path, second.status_code)
        assert int(second["Retry-After"]) > 0
