from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A portal user. Roles are not a field: they come from the ``dinas``/``opd`` groups,
    Pokja membership, OPD coordination and area assignments (one user may hold several).
    See ``kampungkb.scopes``."""

    phone = models.CharField(_("phone number"), max_length=20, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.get_full_name() or self.username
