from django import forms
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
    autocomplete, FK/M2M choices, filter facets and actions (exports) all go through the
    model's ``visible_to``/``editable_by``.

    An object outside the admin's queryset does not exist for the user (the admin answers
    with its “does not exist” redirect); one outside ``editable_by`` is shown read-only.
    ``admin_queryset`` names the queryset method the admin lists: ``visible_to`` (default)
    or ``managed_by`` where a role reads more in the portal than it manages in the admin
    (an OPD coordinator reads every program but manages only their agency's).
    """

    admin_queryset = "visible_to"
    #: The change form is a portal form taking ``user=`` (one validation path).
    form_takes_user = False

    def get_form(self, request, obj=None, change=False, **kwargs):
        if not self.form_takes_user:
            return super().get_form(request, obj, change, **kwargs)
        if change and obj is not None and not self.has_change_permission(request, obj):
            # Read-only view: nothing is validated or saved, every field is shown as text.
            kwargs["form"] = forms.ModelForm
            return super().get_form(request, obj, change, **kwargs)
        return user_form(super().get_form(request, obj, change, **kwargs), request.user)

    def get_queryset(self, request):
        manager = self.model._default_manager
        qs = getattr(manager, self.admin_queryset)(request.user)
        ordering = self.get_ordering(request)
        if ordering:
            qs = qs.order_by(*ordering)
        return qs

    def _cached_check(self, request, kind, obj, compute) -> bool:
        # has_*_permission(obj) is asked several times per page: one query each, per request.
        cache = request.__dict__.setdefault("_scoped_admin_checks", {})
        key = (kind, self.model._meta.label, obj.pk)
        if key not in cache:
            cache[key] = compute()
        return cache[key]

    def _in_admin_queryset(self, request, obj) -> bool:
        return self._cached_check(
            request,
            "listed",
            obj,
            lambda: (
                getattr(self.model._default_manager, self.admin_queryset)(request.user)
                .filter(pk=obj.pk)
                .exists()
            ),
        )

    def _editable(self, request, obj) -> bool:
        return self._cached_check(
            request,
            "editable",
            obj,
            lambda: (
                self.model._default_manager.editable_by(request.user).filter(pk=obj.pk).exists()
            ),
        )

    def has_view_permission(self, request, obj=None):
        if not super().has_view_permission(request, obj):
            return False
        return obj is None or obj.pk is None or self._in_admin_queryset(request, obj)

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

    def has_view_history_or_change_history_permission(self, request, obj=None):
        """The change history (django-simple-history) is the Dinas's audit; others see the
        history of the records they manage only."""
        if obj is None:
            return super().has_view_history_or_change_history_permission(request, obj)
        if obj.pk is None or not self._in_admin_queryset(request, obj):
            return False
        if get_scope(request.user).is_dinas:
            return True
        manager = self.model._default_manager
        if hasattr(manager, "managed_by"):
            return manager.managed_by(request.user).filter(pk=obj.pk).exists()
        return self.has_change_permission(request, obj)

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

    def autocomplete_choices(self, request, field_name):
        """The choices the change form offers for ``field_name`` (after the form narrowed
        them for the user): what an autocomplete on that field may return."""
        form_class = self.get_form(request)
        field = form_class().fields.get(field_name)
        return getattr(field, "queryset", None)

    def get_search_results(self, request, queryset, search_term):
        """Autocomplete popups query the *related* model's admin; narrow them to the
        choices the source form accepts, so a popup never offers what the form refuses."""
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name == "autocomplete":
            choices = self._autocomplete_source_choices(request)
            if choices is not None:
                queryset = queryset.filter(pk__in=choices.values("pk"))
        return queryset, may_have_duplicates

    def _autocomplete_source_choices(self, request):
        from django.apps import apps

        try:
            source_model = apps.get_model(request.GET["app_label"], request.GET["model_name"])
        except (KeyError, LookupError):
            return None
        source_admin = self.admin_site._registry.get(source_model)
        if source_admin is None or not hasattr(source_admin, "autocomplete_choices"):
            return None
        return source_admin.autocomplete_choices(request, request.GET.get("field_name", ""))

    def save_related(self, request, form, formsets, change):
        """After everything is saved, the object must still be the user's to edit (a
        crafted POST cannot move it out of their scope); otherwise roll it all back."""
        super().save_related(request, form, formsets, change)
        obj = form.instance
        request.__dict__.pop("_scoped_admin_checks", None)
        if not self.model._default_manager.editable_by(request.user).filter(pk=obj.pk).exists():
            raise PermissionDenied


def user_form(form_class, user):
    """``form_class`` with ``user=`` bound, for admins whose change form is one of the
    portal's scoped forms (``ActivityForm(user=...)`` etc.): one validation path."""

    class ScopedForm(form_class):
        def __init__(self, *args, **kwargs):
            kwargs.setdefault("user", user)
            super().__init__(*args, **kwargs)

    ScopedForm.__name__ = form_class.__name__
    return ScopedForm


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
