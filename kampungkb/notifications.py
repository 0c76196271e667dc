"""Notifications: an in-portal inbox for every user, and the same message by e-mail
(Django's mail; the console backend in development).

A notification is created once per (recipient, event): ``event_key`` names the event (for
example one usulan status change), and a unique constraint keeps a retry or a double submit
from notifying anyone twice. E-mails are sent by a background task (retried while the
mail server does not answer) queued after the transaction commits, so a change that is
rolled back sends nothing and a slow mail server never holds up the request.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction

from .background import enqueue_on_commit
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
    try:
        with transaction.atomic():
            Notification.objects.bulk_create(created)
    except IntegrityError:
        # Another process (a second worker, a double submit) notified some of them since
        # the check above: keep the rows this one inserts, so nobody gets two e-mails.
        created = [n for n in created if _insert_once(n)]
    emailed = [(n.recipient_id, n.event_key) for n in created if n.emailed]
    if emailed:
        from .tasks import send_notification_emails

        # Identified by (recipient, event): bulk_create gives no ids on every database.
        enqueue_on_commit(send_notification_emails, event_key, [pk for pk, _ in emailed])
    return created


def _insert_once(notification: Notification) -> bool:
    try:
        with transaction.atomic():
            notification.save()
    except IntegrityError:
        return False
    return True


def email_message(notification: Notification) -> EmailMessage:
    link = notification.link
    body = f"{notification.body}\n\n{absolute_url(link)}\n" if link else notification.body
    return EmailMessage(
        subject=f"[{settings.PORTAL_NAME}] {notification.subject}",
        body=body,
        to=[notification.recipient.email],
    )
