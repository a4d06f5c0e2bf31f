"""Storing and e-mailing notifications in bulk: one call per event, a constant number of queries whatever the number
of recipients, one SMTP connection for all its e-mails.

Idempotency (a retried job never notifies twice):
- rows are inserted with ``ON CONFLICT DO NOTHING`` on the unique (user, dedupe_key), so a retry inserts nothing new;
- e-mails are claimed with one UPDATE (pending -> sending, with a claim token) that only a single job can win for a
  given row; the claimed rows are sent over one connection; the sent ones are marked sent in one UPDATE and a failed
  one goes back to pending (the job then raises, and its retry sends what is still pending). A worker killed
  between claim and mark leaves rows in "sending": they are never sent again (at most once beats twice).
"""
from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core import mail
from django.db import connection
from django.template.loader import get_template
from django.utils import timezone

from forecasting.common.bulk import db_datetime
from forecasting.notifications.models import (
    DEFAULT_DELIVERY,
    Delivery,
    Kind,
    Notification,
    NotificationPreference,
    NotificationSettings,
)
from forecasting.notifications.services.tokens import unsubscribe_url

logger = logging.getLogger(__name__)
ES = Notification.EmailState


class EmailDeliveryError(Exception):
    """Some e-mails of a job failed to send; they stay pending, so the job's retry sends them."""


@dataclass
class Item:
    """One notification for one user, as an event computes it."""

    user_id: int
    kind: str
    dedupe_key: str
    title: str
    text: str = ""
    link: str = ""
    question_id: int | None = None
    trial_id: int | None = None
    asset_id: int | None = None
    actor_id: int | None = None


def site_url(link: str) -> str:
    """``link`` as an absolute URL on READOUT_SITE_URL (links already absolute are returned as they are)."""
    if not link or "://" in link:
        return link
    return f"{settings.READOUT_SITE_URL.rstrip('/')}{link}"


def deliveries_for(user_ids, kinds) -> tuple[dict[tuple[int, str], str], set[int]]:
    """Each (user, kind)'s delivery (their preference or the default) and the users who unsubscribed from all
    e-mail. Two queries, whatever the number of users."""
    user_ids = list(user_ids)
    prefs = {
        (u, k): d for u, k, d in NotificationPreference.objects.filter(user_id__in=user_ids, kind__in=list(kinds))
        .values_list("user_id", "kind", "delivery")
    }
    email_off = set(NotificationSettings.objects.filter(user_id__in=user_ids, email_off=True)
                    .values_list("user_id", flat=True))
    return prefs, email_off


def _insert(rows: list[tuple]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING of all rows in one executemany (SQLite and PostgreSQL both have the clause):
    a retried job inserts nothing it inserted before."""
    if not rows:
        return
    fields = ["user_id", "kind", "dedupe_key", "title", "text", "link", "question_id", "trial_id", "asset_id",
              "actor_id", "created_at", "email_state", "email_claim"]
    columns = ", ".join(connection.ops.quote_name(f) for f in fields)  # the db columns of the fields
    table = connection.ops.quote_name(Notification._meta.db_table)
    sql = (f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))}) "
           "ON CONFLICT DO NOTHING")
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def notifications_deliver(items: list[Item], *, subject: str | None = None) -> int:
    """Store ``items`` (skipping what each user turned off, and anything addressed to its own actor), then e-mail
    every user whose preference asks for e-mail now: one message per user for all of their items of this call.
    Returns how many e-mails were sent now. Raises EmailDeliveryError after sending the rest if some failed.

    A constant number of queries: preferences (2), one insert, the claim (2) and the marks (2)."""
    items = [i for i in items if i.user_id != i.actor_id]
    if not items:
        return 0
    prefs, email_off = deliveries_for({i.user_id for i in items}, {i.kind for i in items})
    now = timezone.now()
    when = db_datetime(now)
    rows, seen, keys = [], set(), set()
    for item in items:
        if (item.user_id, item.dedupe_key) in seen:
            continue
        seen.add((item.user_id, item.dedupe_key))
        delivery = prefs.get((item.user_id, item.kind), DEFAULT_DELIVERY[Kind(item.kind)])
        if delivery == Delivery.OFF:
            continue
        state = ES.NONE
        if item.user_id not in email_off:
            state = {Delivery.EMAIL: ES.PENDING, Delivery.DIGEST: ES.DIGEST}.get(delivery, ES.NONE)
        keys.add(item.dedupe_key)
        rows.append((item.user_id, item.kind, item.dedupe_key[:200], item.title[:300], item.text, item.link[:500],
                     item.question_id, item.trial_id, item.asset_id, item.actor_id, when, state, ""))
    _insert(rows)
    if not keys:
        return 0
    return emails_send(Notification.objects.filter(dedupe_key__in=list(keys), email_state=ES.PENDING),
                       subject=subject)


def emails_send(pending, *, subject: str | None = None, digest: bool = False) -> int:
    """Claim the rows of ``pending`` (a Notification queryset), send one e-mail per user over one connection, mark
    the sent rows sent and put back the failed ones. Returns the number of e-mails sent."""
    token = uuid.uuid4().hex
    claimed_state = ES.DIGEST if digest else ES.PENDING
    Notification.objects.filter(pk__in=pending.values("pk"), email_state=claimed_state).update(
        email_state=ES.SENDING, email_claim=token
    )
    claimed = list(Notification.objects.filter(email_claim=token, email_state=ES.SENDING)
                   .select_related("user__profile").order_by("user_id", "created_at", "pk")
                   .only("pk", "user_id", "kind", "title", "text", "link", "created_at", "user__username",
                         "user__email", "user__profile__display_name"))
    if not claimed:
        return 0
    by_user = defaultdict(list)
    for row in claimed:
        by_user[row.user_id].append(row)
    sent_ids, failed_ids, skipped_ids = [], [], []
    templates = (get_template("notifications/email.txt"), get_template("notifications/email.html"))  # once a job
    connection_ = mail.get_connection()
    connection_.open()
    try:
        for rows in by_user.values():
            user = rows[0].user
            if not user.email:
                skipped_ids.extend(r.pk for r in rows)
                continue
            message = email_message(user, rows, subject=subject, digest=digest, connection=connection_,
                                    templates=templates)
            try:
                if not connection_.send_messages([message]):
                    raise ConnectionError("the backend sent nothing")
            except Exception:  # one bad address or a dropped connection: the others still go out
                logger.exception("notification e-mail to user %s failed; it stays pending", user.pk)
                failed_ids.extend(r.pk for r in rows)
                continue
            sent_ids.extend(r.pk for r in rows)
    finally:
        connection_.close()
    now = timezone.now()
    if sent_ids:
        Notification.objects.filter(pk__in=sent_ids).update(email_state=ES.SENT, emailed_at=now)
    if skipped_ids:
        Notification.objects.filter(pk__in=skipped_ids).update(email_state=ES.NONE)
    if failed_ids:
        Notification.objects.filter(pk__in=failed_ids).update(email_state=claimed_state, email_claim="")
        raise EmailDeliveryError(f"{len({r.user_id for r in claimed if r.pk in set(failed_ids)})} e-mail(s) failed")
    return len(by_user) - len({r.user_id for r in claimed if r.pk in set(skipped_ids)})


def _name(user) -> str:
    profile = getattr(user, "profile", None)
    return getattr(profile, "display_name", "") or user.get_username()


def email_message(user, rows: list[Notification], *, subject: str | None, digest: bool, connection,
                  templates=None):
    """The e-mail for one user's notifications: plain text and HTML, absolute links, and RFC 8058 one-click
    unsubscribe headers for the kinds it carries."""
    kinds = sorted({r.kind for r in rows})
    unsubscribe = unsubscribe_url(user_id=user.pk, kinds=kinds)
    items = [{"title": r.title, "text": r.text, "link": site_url(r.link), "kind": r.get_kind_display(),
              "label": _label(r)} for r in rows]
    context = {
        "name": _name(user), "items": items, "digest": digest, "unsubscribe_url": unsubscribe,
        "unsubscribe_all_url": unsubscribe_url(user_id=user.pk, kinds=["all"]),
        "preferences_url": site_url("/notifications/preferences/"),
        "kinds": ", ".join(r.get_kind_display().lower() for r in {r.kind: r for r in rows}.values()),
    }
    if subject is None:
        if digest:
            subject = f"Your Readout digest: {len(rows)} update{'s' if len(rows) != 1 else ''}"
        elif len(rows) == 1:
            subject = rows[0].title
        else:
            subject = f"{len(rows)} updates: {rows[0].title}"
    text_template, html_template = templates or (get_template("notifications/email.txt"),
                                                 get_template("notifications/email.html"))
    message = mail.EmailMultiAlternatives(
        subject=subject[:200].replace("\n", " "),
        body=text_template.render(context),
        to=[user.email],
        connection=connection,
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(html_template.render(context), "text/html")
    return message


LINK_LABELS = {Kind.RESOLUTION: "See how everyone scored"}


def _label(row: Notification) -> str:
    return LINK_LABELS.get(row.kind, "Open")

