from django.contrib import admin
from django.db import models
from simple_history.admin import SimpleHistoryAdmin

from kampungkb.admin import DinasOnlyAdminMixin, ScopedAdminMixin

from .forms import SiteImageField
from .models import (
    AreaAssignment,
    KampungKB,
    Kecamatan,
    Kelurahan,
    KKBPKSnapshot,
    Kota,
    PopulationSnapshot,
    ProfileSnapshot,
)


@admin.register(Kota)
class KotaAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "kind", "province_code")
    search_fields = ("code", "name")


@admin.register(Kecamatan)
class KecamatanAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "kota")
    list_filter = ("kota",)
    list_select_related = ("kota",)
    search_fields = ("code", "name")


@admin.register(Kelurahan)
class KelurahanAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "kind", "kecamatan", "postal_code")
    list_filter = ("kecamatan",)
    list_select_related = ("kecamatan",)
    search_fields = ("code", "name", "other_spellings")


@admin.register(KampungKB)
class KampungKBAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ("name", "kelurahan", "kecamatan", "declared_on", "is_active", "is_model_site")
    list_filter = ("is_active", "is_model_site", "kelurahan__kecamatan")
    list_select_related = ("kelurahan__kecamatan",)
    search_fields = ("name", "kelurahan__name", "kelurahan__code")
    autocomplete_fields = ("kelurahan",)
    date_hierarchy = "declared_on"
    # The portal's messages for a bad picture, not ImageField's generic one.
    formfield_overrides = {models.ImageField: {"form_class": SiteImageField}}

    @admin.display(description=Kecamatan._meta.verbose_name, ordering="kelurahan__kecamatan")
    def kecamatan(self, obj):
        return obj.kelurahan.kecamatan


class SnapshotAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ("site", "period", "recorded_by", "updated_at")
    list_filter = ("period", "site__kelurahan__kecamatan")
    list_select_related = ("site", "recorded_by")
    search_fields = ("site__name",)
    autocomplete_fields = ("site",)
    date_hierarchy = "period"
    readonly_fields = ("recorded_by",)

    def scoped_choices(self, db_field, request):
        if db_field.name == "site":
            return KampungKB.objects.editable_by(request.user)
        return super().scoped_choices(db_field, request)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


admin.site.register(ProfileSnapshot, SnapshotAdmin)
admin.site.register(PopulationSnapshot, SnapshotAdmin)
admin.site.register(KKBPKSnapshot, SnapshotAdmin)


@admin.register(AreaAssignment)
class AreaAssignmentAdmin(DinasOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("user", "kecamatan", "kelurahan")
    list_select_related = ("user", "kecamatan", "kelurahan")
    autocomplete_fields = ("user", "kecamatan", "kelurahan")
