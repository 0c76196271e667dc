from django.contrib import admin

from kampungkb.admin import DinasOnlyAdminMixin, ScopedAdminMixin

from .models import QualityScore


@admin.register(QualityScore)
class QualityScoreAdmin(DinasOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """The monthly rows, read only: they are derived (recompute_quality rebuilds them)."""

    list_display = (
        "site",
        "period",
        "quality_class",
        "input_index",
        "process_index",
        "output_index",
        "is_fading",
        "computed_at",
    )
    list_filter = ("quality_class", "is_fading", "period")
    list_select_related = ("site",)
    search_fields = ("site__name",)
    date_hierarchy = "period"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
