from django.contrib import admin

from kampungkb.admin import ScopedAdminMixin

from .models import Job


@admin.register(Job)
class JobAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Every background job, read-only: what ran, for whom, how it ended."""

    list_display = (
        "__str__",
        "kind",
        "state",
        "owner",
        "done",
        "total",
        "created_at",
        "finished_at",
    )
    list_filter = ("kind", "state")
    list_select_related = ("owner",)
    search_fields = ("owner__username", "error")
    fields = (
        "kind",
        "owner",
        "params",
        "state",
        "done",
        "total",
        "result_name",
        "summary",
        "error",
        "created_at",
        "started_at",
        "finished_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
