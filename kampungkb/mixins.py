"""View mixins that route every object lookup through the scoped querysets.

Not visible → 404 (the object's existence is not revealed); visible but not editable →
403. After a save, the object must still be inside the user's scope, or the transaction
is rolled back (a crafted POST cannot move an object to another site).
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404

from villages.models import KampungKB

from .scopes import get_scope


class ScopedQuerysetMixin:
    """``get_queryset()`` = ``model.objects.visible_to(user)``, plus ``select_related`` /
    ``prefetch_related`` declared on the view."""

    select_related: tuple = ()
    prefetch_related: tuple = ()

    def scoped_queryset(self):
        return self.model.objects.visible_to(self.request.user)

    def get_queryset(self):
        qs = self.scoped_queryset()
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        if self.prefetch_related:
            qs = qs.prefetch_related(*self.prefetch_related)
        return qs


class ScopedEditMixin(ScopedQuerysetMixin):
    """For UpdateView/DeleteView: 404 outside ``visible_to``, 403 outside ``editable_by``,
    and the saved object must still be editable (re-checked inside the transaction)."""

    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        if not self.model.objects.editable_by(self.request.user).filter(pk=obj.pk).exists():
            raise PermissionDenied
        return obj

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            ensure_editable(self.request.user, self.object)
        return response


def ensure_editable(user, obj):
    """Raise PermissionDenied (rolling back the surrounding transaction) when ``obj`` is not
    in ``editable_by(user)`` after a change."""
    if not type(obj).objects.editable_by(user).filter(pk=obj.pk).exists():
        raise PermissionDenied


class SiteScopedMixin:
    """Views nested under a site URL (``<int:site_pk>``): ``self.site`` is looked up through
    ``KampungKB.objects.visible_to`` (404 outside), and when ``site_edit_required`` is set,
    the user must manage the site (403 otherwise)."""

    site_url_kwarg = "site_pk"
    site_edit_required = False

    def dispatch(self, request, *args, **kwargs):
        self.site = get_object_or_404(
            KampungKB.objects.visible_to(request.user).select_related("kelurahan__kecamatan"),
            pk=kwargs[self.site_url_kwarg],
        )
        if self.site_edit_required and not get_scope(request.user).manages_site(self.site.pk):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("site", self.site)
        return super().get_context_data(**kwargs)
