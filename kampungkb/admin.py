from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from .models import User
from .scopes import get_scope


class ScopedAdminMixin:
    """The one gate for every admin page: the changelist, change form, delete, history,
    autocomplete and FK choices all go through the model's ``visible_to``/``editable_by``.

    An object outside ``visible_to`` does not exist for the user (the admin answers with
    its “does not exist” redirect); one outside ``editable_by`` is shown read-only.
    """

    def get_queryset(self, request):
        qs = self.model._default_manager.visible_to(request.user)
        ordering = self.get_ordering(request)
        if ordering:
            qs = qs.order_by(*ordering)
        return qs

    def _editable(self, request, obj) -> bool:
        return self.model._default_manager.editable_by(request.user).filter(pk=obj.pk).exists()

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or self._editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        return obj is None or self._editable(request, obj)

    # django-simple-history's history pages fall back to the *historical* rows when the
    # object is outside get_queryset (to show deleted objects), which would show an
    # out-of-scope object's fields and changes. Outside the Dinas, they answer 404.
    def _ensure_in_scope(self, request, object_id):
        if not get_scope(request.user).is_dinas and (
            self.get_object(request, unquote(object_id)) is None
        ):
            raise Http404

    def history_view(self, request, object_id, extra_context=None):
        self._ensure_in_scope(request, object_id)
        return super().history_view(request, object_id, extra_context=extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._ensure_in_scope(request, object_id)
        return super().history_form_view(
            request, object_id, version_id, extra_context=extra_context
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # As in the portal's views (kampungkb.mixins): the saved object must still be the
        # user's to edit, or the admin's transaction is rolled back with a 403. A crafted
        # POST (another OPD, another site) cannot move or create an object out of scope.
        if not self._editable(request, obj):
            raise PermissionDenied

    def scoped_choices(self, db_field, request):
        """The queryset of choices for a relation field. Defaults to what the user may see
        of the related model; admins override it per field (e.g. ``editable_by``)."""
        manager = db_field.related_model._default_manager
        if hasattr(manager, "visible_to"):
            return manager.visible_to(request.user)
        return None

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            qs = self.scoped_choices(db_field, request)
            if qs is not None:
                kwargs["queryset"] = qs
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            qs = self.scoped_choices(db_field, request)
            if qs is not None:
                kwargs["queryset"] = qs
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class DinasOnlyAdminMixin:
    """Admin pages for the Dinas only (users, master data edits)."""

    def has_module_permission(self, request):
        return get_scope(request.user).is_dinas and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return get_scope(request.user).is_dinas and super().has_view_permission(request, obj)


@admin.register(User)
class UserAdmin(DinasOnlyAdminMixin, BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + ((_("Contact"), {"fields": ("phone",)}),)
    list_display = ("username", "first_name", "last_name", "email", "is_staff", "is_active")
    list_filter = ("is_staff", "is_active", "groups")

    def has_change_permission(self, request, obj=None):
        # A Dinas staff member who is not a superuser must not take over a superuser's
        # account (set its password, e-mail or user name): that would be an escalation.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        # Only a superuser grants superuser status or raw permissions.
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        return ("is_superuser", "user_permissions", "last_login", "date_joined")
