"""Messages shown next to the form they are about, instead of at the top of the page.

A view that handles a form's POST adds its message with ``extra_tags=place(name)`` and redirects to the form's
anchor; the page that renders the form calls ``take_placed(request)`` before rendering, which removes those messages
from the request's message storage (so base.html's message list does not show them a second time) and returns them
by place, for ``questions/includes/placed_messages.html``. Messages without a place are left for base.html.
"""
from django.contrib import messages

PLACE_PREFIX = "place-"
FORECAST = "forecast"  # the "Your forecast" card (#your-forecast)
MARKET = "market"  # the market panel's trade form (#trade); markets.pages uses the same tag text


def place(name: str) -> str:
    return f"{PLACE_PREFIX}{name}"


def take_placed(request) -> dict[str, list]:
    """The request's messages that carry a place, by place name, taken out of the list base.html shows; the
    unplaced ones still show there."""
    storage = messages.get_messages(request)
    placed: dict[str, list] = {}
    rest = []
    for message in storage:
        tags = (message.extra_tags or "").split()
        names = [tag[len(PLACE_PREFIX):] for tag in tags if tag.startswith(PLACE_PREFIX)]
        if names:
            placed.setdefault(names[0], []).append(message)
        else:
            rest.append(message)
    # Iterating marked every message used (none is stored again); keep only the unplaced ones in the list
    # base.html iterates next. Django's storages keep that list as ``_loaded_messages`` (a list, since Django 1.x).
    storage._loaded_messages[:] = rest
    return placed
