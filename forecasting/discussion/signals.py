"""Signals the discussion room sends; other rooms (notifications) connect to them, so discussion never imports them.

``comment_posted`` is sent once the transaction that created the comment has committed (never for a rolled-back
one), with ``sender=Comment`` and ``comment_id``.
"""
from django.dispatch import Signal

comment_posted = Signal()
