"""The question page's trade form: its fields -> ``trade_execute``'s arguments, and what a refused trade leaves for
the page it returns to (the values typed and the error, under the field it is about).

A refused trade redirects back to the form (POST/redirect/GET, so reloading never trades twice); the typed values
and the error travel in the session, keyed by question, and are taken once by the next render of the panel.
"""
from decimal import Decimal, InvalidOperation

from assets.errors import DomainError, ValidationError

SESSION_KEY = "trade_form:{question_id}"
FORM_FIELDS = ("side", "outcome", "amount_kind", "amount", "limit")
MAX_KEPT_LENGTH = 40  # typed values kept for the re-render; nothing longer is a number anyone meant

# The service's argument names -> the form field that shows its error.
FIELD_FOR_ARGUMENT = {
    "shares": "amount", "budget": "amount", "max_price": "limit", "min_price": "limit",
    "outcome": "outcome", "side": "side", "amount_kind": "amount_kind", "amount": "amount", "limit": "limit",
}


def _decimal(raw: str, *, field: str, what: str) -> Decimal | None:
    raw = (raw or "").strip().replace(",", "")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValidationError(f"Enter {what} as a number, e.g. 10 or 2.5.", field=field) from None
    if not value.is_finite():
        raise ValidationError(f"Enter {what} as a number, e.g. 10 or 2.5.", field=field)
    return value


def trade_form_arguments(post) -> dict:
    """The trade form's fields -> trade_execute's arguments. Raises ValidationError naming the form field."""
    raw_outcome = (post.get("outcome") or "").strip()
    if not (raw_outcome.isascii() and raw_outcome.isdigit()):  # int() cannot read "²"
        raise ValidationError("Choose an outcome.", field="outcome")
    side = post.get("side", "buy")
    if side not in ("buy", "sell"):
        raise ValidationError("Choose Buy or Sell.", field="side")
    kind = post.get("amount_kind", "shares")
    if kind not in ("shares", "budget"):
        raise ValidationError("Choose whether the amount is in shares or in points to spend.", field="amount_kind")
    what = "the number of shares" if kind == "shares" else "the points to spend"
    amount = _decimal(post.get("amount"), field="amount", what=what)
    if amount is None:
        raise ValidationError(
            "Enter how many shares to trade." if kind == "shares" else "Enter how many points to spend.",
            field="amount",
        )
    args = {"outcome": int(raw_outcome), "side": side, kind: amount}
    limit = _decimal(post.get("limit"), field="limit", what="the price limit")
    if limit is not None:
        args["max_price" if side == "buy" else "min_price"] = limit
    return args


def trade_form_keep(request, *, question_id: int, post, error: DomainError) -> None:
    """Keep what was typed and why the trade was refused, for the form's next render."""
    values = {name: str(post.get(name, ""))[:MAX_KEPT_LENGTH] for name in FORM_FIELDS}
    request.session[SESSION_KEY.format(question_id=question_id)] = {
        "values": values,
        "field": FIELD_FOR_ARGUMENT.get(error.field or ""),
        "error": error.message,
    }


def trade_form_take(request, *, question) -> dict | None:
    """What a refused trade on ``question``'s market left (``{"values", "field", "error"}``), once; else None."""
    session = getattr(request, "session", None)
    if session is None:
        return None
    return session.pop(SESSION_KEY.format(question_id=question.pk), None)
