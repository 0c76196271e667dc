from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from .text import PhoneField, SingleLineField


class User(AbstractUser):
    """A portal user. Roles are not a field: they come from the ``dinas``/``opd`` groups,
    Pokja membership, OPD coordination and area assignments (one user may hold several).
    See ``kampungkb.scopes``."""

    first_name = SingleLineField(_("first name"), max_length=150, blank=True)
    last_name = SingleLineField(_("last name"), max_length=150, blank=True)
    phone = PhoneField(_("phone number"), max_length=20, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.get_full_name() or self.username


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A notification is its recipient's only (the Dinas included)."""
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(recipient=user)

    def editable_by(self, user):
        return self.visible_to(user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One message in a user's in-portal inbox (also sent by e-mail when the user has an
    address). ``event_key`` names what happened (e.g. one usulan status change): a
    recipient gets each event once, whatever retries or double submits happen."""

    recipient = models.ForeignKey(
        "kampungkb.User",
        models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    event_key = models.CharField(max_length=100, editable=False)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed = models.BooleanField(_("sent by e-mail"), default=False)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "event_key"], name="notification_once_per_event"
            )
        ]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self):
        return self.subject

    @property
    def is_unread(self) -> bool:
        return self.read_at is None
