"""Background tasks of the portal itself: notification e-mails and reminders."""

import logging

from celery import shared_task
from django.core.mail import get_connection
from django.db import InterfaceError, OperationalError

from .models import Notification

logger = logging.getLogger(__name__)

MAIL_RETRIES = 6  # backoff 1, 2, 4 ... 32 min: about an hour of a mail server down


@shared_task(bind=True, max_retries=MAIL_RETRIES)
def send_notification_emails(self, event_key: str, recipient_ids: list[int]):
    """E-mail the notifications of ``event_key`` to these recipients. A mail server that
    does not answer is retried with backoff for the recipients not reached yet; the inbox
    holds the message whatever happens."""
    from .notifications import email_message

    notes = list(
        Notification.objects.filter(event_key=event_key, recipient_id__in=recipient_ids)
        .select_related("recipient")
        .order_by("recipient_id")
    )
    left = [n for n in notes if n.recipient.email]
    if not left:
        return
    try:
        with get_connection() as connection:
            while left:
                connection.send_messages([email_message(left[0])])
                left.pop(0)
    except OSError as exc:
        remaining = [n.recipient_id for n in left]
        if self.request.is_eager or self.request.retries >= self.max_retries:
            # No worker to retry later (development), or retried long enough.
            logger.exception("Could not send %d notification e-mails", len(remaining))
            return
        raise self.retry(
            args=[event_key, remaining], exc=exc, countdown=60 * 2**self.request.retries
        ) from exc


@shared_task(autoretry_for=(OperationalError, InterfaceError), retry_backoff=60, max_retries=5)
def send_reminders() -> dict:
    """The daily reminders (beat, 07:00 WIB): each is sent once per recipient and event,
    so a retry or a second run sends nothing twice."""
    from activities.reminders import send_all

    return send_all()
