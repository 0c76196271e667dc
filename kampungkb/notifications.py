"""Notifications: an in-portal inbox for every user, and the same message by e-mail
(Django's mail; the console backend in development).

A notification is created once per (recipient, event): ``event_key`` names the event (for
example one usulan status change), and a unique constraint keeps a retry or a double submit
from notifying anyone twice. E-mails leave only after the transaction commits, so a change
that is rolled back sends nothing.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction

from .models import Notification

logger = logging.getLogger(__name__)


def absolute_url(path: str) -> str:
    return settings.PORTAL_URL.rstrip("/") + path if path.startswith("/") else path


def notify(recipients, *, subject: str, body: str, link: str, event_key: str, email=True):
    """Notify each active recipient once for ``event_key``. Returns the notifications
    created now (none for a recipient already notified of this event)."""
    users = {u.pk: u for u in recipients if u is not None and u.is_active}
    if not users:
        return []
    already = set(
        Notification.objects.filter(event_key=event_key, recipient_id__in=users).values_list(
            "recipient_id", flat=True
        )
    )
    created = [
        Notification(
            recipient_id=pk,
            subject=subject[:200],
            body=body,
            link=link,
            event_key=event_key,
            emailed=bool(email and users[pk].email),
        )
        for pk in sorted(users)
        if pk not in already
    ]
    Notification.objects.bulk_create(created)
    messages = [
        EmailMessage(
            subject=f"[{settings.PORTAL_NAME}] {subject}",
            body=f"{body}\n\n{absolute_url(link)}\n" if link else body,
            to=[users[n.recipient_id].email],
        )
        for n in created
        if n.emailed
    ]
    if messages:
        transaction.on_commit(lambda: _send(messages), robust=True)
    return created


def _send(messages):
    try:
        get_connection().send_messages(messages)
    except OSError:  # SMTP down: the inbox still has the message
        logger.exception("Could not send %d notification e-mails", len(messages))
