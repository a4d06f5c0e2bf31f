"""OpenAPI post-processing: document the error responses every operation can give.

Each view documents its own successes and its domain errors (409 and the like). The errors that come from the
framework rather than the view (a bad or expired token, a page number past the end, a malformed body, a body over
the size limit, throttling) apply across the API, so they are added here, once, to every operation that can give
them, and only where the view did not document the code itself. Schemathesis (tests/api/test_schemathesis.py)
checks that every status code the API answers is documented.
"""

ERROR_SCHEMA_NAME = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "description": (
        'An error. Either {"detail": "message"} or, for invalid input, {"<field>": ["message", ...]} naming '
        "each field at fault."
    ),
    "additionalProperties": True,
}
DESCRIPTIONS = {
    "400": "Invalid input; the body names the field and what is allowed (a NUL character in the URL is refused).",
    "401": "Not logged in, or the token is invalid.",
    "403": "Not allowed.",
    "404": "Not found (or a page number past the last page).",
    "413": "Request body too large.",
    "415": "Unsupported media type for the body.",
    "429": "Too many requests; retry after the number of seconds in the Retry-After header.",
}
WRITE_METHODS = {"post", "put", "patch", "delete"}
# Paths whose writes may be refused with 429: log-in lock-out (forecasting.accounts.lockout) and the rate limits of
# forecasting.accounts.throttling (each view's throttle_scope; docs/deploy.md, "Rate limits").
THROTTLED_PATHS = {
    "/api/v1/auth/token/",
    "/api/v1/me/token/",
    "/api/v1/me/token/rotate/",
    "/api/v1/me/bot-tokens/",
    "/api/v1/me/bot-tokens/{id}/",
    "/api/v1/questions/{id}/forecasts/",
    "/api/v1/questions/{id}/forecasts/current/",
    "/api/v1/forecasts/bulk/",
    "/api/v1/markets/{id}/trades/",
}


def _error_codes(path: str, method: str, operation: dict) -> list[str]:
    parameters = operation.get("parameters", [])
    # Authentication runs on every request (a bad token is refused everywhere), and a NUL character anywhere in the
    # URL is refused before routing (forecasting.api.middleware).
    codes = ["400", "401", "403"]
    has_path = any(p.get("in") == "path" for p in parameters)
    if has_path or any(p.get("name") == "page" for p in parameters):
        codes.append("404")
    if method in WRITE_METHODS:
        codes += ["413", "415"]
    if path in THROTTLED_PATHS and method in WRITE_METHODS:
        codes.append("429")
    return codes


def add_error_responses(result, generator, request, public):
    """drf-spectacular POSTPROCESSING_HOOKS entry: adds the common error responses (JSON, schema "Error")."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault(ERROR_SCHEMA_NAME, ERROR_SCHEMA)
    ref = {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code in _error_codes(path, method, operation):
                response = responses.setdefault(code, {"description": DESCRIPTIONS[code]})
                # Views that documented the code with a description only still answer JSON errors.
                response.setdefault("content", {"application/json": {"schema": ref}})
    return result
