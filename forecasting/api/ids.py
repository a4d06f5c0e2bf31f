"""Reading object ids from URLs and query strings."""

MAX_ID = 2**63 - 1  # BigAutoField; SQLite cannot even compare a larger number (OverflowError)


def is_id(text: str) -> bool:
    """True if ``text`` is an id: ASCII digits only (``"²".isdigit()`` is True but ``int("²")`` raises) and within
    the 64-bit range of the primary keys."""
    return text.isascii() and text.isdigit() and int(text) <= MAX_ID
