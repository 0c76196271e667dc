from django import forms
from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from kampungkb.admin import ScopedAdminMixin
from villages.models import KampungKB

from .models import OPD, Activity, ActivityPhoto, ActivityTransition, OPDProgram, PokjaMember


@admin.register(OPD)
class OPDAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ("name", "short_name", "kind", "is_kb_agency", "is_active")
    list_filter = ("kind", "is_kb_agency", "is_active")
    search_fields = ("name", "short_name")
    filter_horizontal = ("coordinators",)


@admin.register(PokjaMember)
class PokjaMemberAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ("name", "position", "site", "phone", "active_from", "active_until", "user")
    list_filter = ("position", "site__kelurahan__kecamatan")
    list_select_related = ("site", "user")
    search_fields = ("name", "site__name")
    autocomplete_fields = ("site", "user")

    def scoped_choices(self, db_field, request):
        if db_field.name == "site":
            return KampungKB.objects.editable_by(request.user)
        return super().scoped_choices(db_field, request)


class ActivityPhotoInline(admin.TabularInline):
    """Photos have no public URL (private storage): the preview goes through the scoped
    photo view, and a new upload is processed like any other (ActivityPhoto.save)."""

    model = ActivityPhoto
    extra = 0
    max_num = ActivityPhoto.MAX_PER_ACTIVITY
    fields = ("preview", "image", "kind", "caption", "is_public", "taken_at", "sha256")
    readonly_fields = ("preview", "taken_at", "sha256")
    formfield_overrides = {
        models.ImageField: {"widget": forms.FileInput(attrs={"accept": "image/*"})}
    }

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if (
            obj is not None
            and not Activity.objects.editable_by(request.user).filter(pk=obj.pk).exists()
        ):
            # Read-only (e.g. verified): the file field would be shown as a public link.
            fields.remove("image")
        return fields

    @admin.display(description=_("photo"))
    def preview(self, obj):
        if not obj.pk:
            return "—"
        return format_html(
            '<a href="{}"><img src="{}" alt="" width="96"></a>',
            reverse("activities:photo", args=[obj.pk]),
            reverse("activities:photo-thumb", args=[obj.pk]),
        )


class ActivityTransitionInline(admin.TabularInline):
    model = ActivityTransition
    extra = 0
    fields = ("at", "from_status", "to_status", "user", "reason")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Activity)
class ActivityAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ("title", "site", "date", "category", "status", "recorded_by_opd")
    list_filter = ("status", "category", "site__kelurahan__kecamatan")
    list_select_related = ("site", "recorded_by_opd")
    search_fields = ("title", "site__name")
    autocomplete_fields = ("site",)
    filter_horizontal = ("agencies",)
    date_hierarchy = "date"
    readonly_fields = (
        "status",
        "first_submitted_at",
        "submitted_at",
        "verified_at",
        "created_by",
    )
    inlines = (ActivityPhotoInline, ActivityTransitionInline)

    def save_model(self, request, obj, form, change):
        if change:
            obj.version += 1  # a phone form opened before this edit is refused as stale
        super().save_model(request, obj, form, change)


@admin.register(OPDProgram)
class OPDProgramAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ("title", "opd", "status", "starts_on", "ends_on")
    list_filter = ("status", "opd")
    list_select_related = ("opd",)
    search_fields = ("title", "opd__name")
    filter_horizontal = ("sites",)
