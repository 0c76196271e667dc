"""The admin panel: the Dinas's full tool, and the OPD coordinators' workplace.

Every admin here goes through ``kampungkb.admin.ScopedAdminMixin``: a coordinator lists,
opens, changes, deletes, exports and picks (autocomplete, FK choices, filter facets) only
what their agency manages; another agency's record "does not exist" for them.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.db import models, transaction
from django.db.models import Count, Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from kampungkb.admin import ScopedAdminMixin
from kampungkb.exports import xlsx_response
from kampungkb.scopes import get_scope
from villages.models import KampungKB

from . import workflow
from .coordination import grant_coordinator_access
from .forms import ActivityForm, OPDProgramForm
from .models import (
    OPD,
    Activity,
    ActivityPhoto,
    ActivityTransition,
    ImportBatch,
    OPDProgram,
    PokjaMember,
    Usulan,
    UsulanTransition,
)
from .usulan_forms import UsulanAnswerForm
from .usulan_services import allowed_targets


def _date(value):
    return value.strftime("%d/%m/%Y") if value else ""


def xlsx_export_action(filename, sheet, columns, select_related=()):
    """An admin action exporting the selected rows (always from the scoped changelist
    queryset) through the shared XLSX helper."""

    @admin.action(description=_("Export selected to XLSX"), permissions=["view"])
    def export_xlsx(modeladmin, request, queryset):
        qs = queryset.select_related(*select_related) if select_related else queryset
        rows = ([value(obj) for _header, value in columns] for obj in qs.iterator(chunk_size=500))
        return xlsx_response(filename, [(sheet, [str(h) for h, _v in columns], rows)])

    return export_xlsx


# --------------------------------------------------------------------------------------
# Agencies
# --------------------------------------------------------------------------------------
@admin.register(OPD)
class OPDAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    """The agency list is the Dinas's: it adds agencies and assigns their coordinators.
    Coordinators read it (to see who is who), without the coordinators' names."""

    list_display = ("name", "short_name", "kind", "is_kb_agency", "is_active", "coordinator_count")
    list_filter = ("kind", "is_kb_agency", "is_active")
    search_fields = ("name", "short_name")
    autocomplete_fields = ("coordinators",)
    ordering = ("name",)  # Meta.ordering is dropped by the annotated (GROUP BY) queryset

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_coordinators=Count("coordinators"))

    @admin.display(description=_("coordinators"), ordering="n_coordinators")
    def coordinator_count(self, obj):
        return obj.n_coordinators

    def get_list_display(self, request):
        if get_scope(request.user).is_dinas:
            return self.list_display
        return self.list_display[:-1]

    def get_exclude(self, request, obj=None):
        if get_scope(request.user).is_dinas:
            return super().get_exclude(request, obj)
        return ("coordinators",)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        granted = grant_coordinator_access(form.instance.coordinators.all())
        if granted:
            self.message_user(
                request,
                gettext("%(names)s can now sign in to the admin panel as coordinators.")
                % {"names": ", ".join(str(u) for u in granted)},
                messages.INFO,
            )


# --------------------------------------------------------------------------------------
# Pokja members (Dinas; a Pokja manages its members in the portal)
# --------------------------------------------------------------------------------------
@admin.register(PokjaMember)
class PokjaMemberAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ("name", "position", "site", "phone", "active_from", "active_until", "user")
    list_filter = ("position", ("site", RelatedOnlyFieldListFilter))
    list_select_related = ("site", "user")
    search_fields = ("name", "site__name")
    autocomplete_fields = ("site", "user")

    def scoped_choices(self, db_field, request):
        if db_field.name == "site":
            return KampungKB.objects.editable_by(request.user)
        return super().scoped_choices(db_field, request)


# --------------------------------------------------------------------------------------
# Activities: the Dinas's, and those an agency recorded
# --------------------------------------------------------------------------------------
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


class AdminActivityForm(ActivityForm):
    """The portal's ActivityForm in the admin: no phone-form idempotency token, and the
    version is not posted back (an admin edit still bumps it, so an open phone form becomes
    stale)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("client_token", None)
        self.fields["version"].required = False


@admin.register(Activity)
class ActivityAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    admin_queryset = "managed_by"
    form = AdminActivityForm
    form_takes_user = True
    list_display = ("title", "site", "date", "category", "status", "recorded_by_opd")
    list_filter = (
        "status",
        "category",
        ("site", RelatedOnlyFieldListFilter),
        ("recorded_by_opd", RelatedOnlyFieldListFilter),
    )
    list_select_related = ("site", "recorded_by_opd")
    search_fields = ("title", "site__name")
    autocomplete_fields = ("site", "opd_program")
    date_hierarchy = "date"
    readonly_fields = (
        "status",
        "first_submitted_at",
        "submitted_at",
        "verified_at",
        "created_by",
    )
    inlines = (ActivityPhotoInline, ActivityTransitionInline)
    actions = ("submit_for_verification",)

    def get_fields(self, request, obj=None):
        # client_token and version are form-only fields over non-editable model fields.
        fields = [
            f for f in super().get_fields(request, obj) if f not in ("client_token", "version")
        ]
        scope = get_scope(request.user)
        if not (scope.is_dinas or scope.opd_ids) and "recorded_by_opd" in fields:
            fields.remove("recorded_by_opd")
        return fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
            if obj.recorded_by_opd_id and obj.origin == obj._meta.get_field("origin").default:
                obj.origin = "opd"
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Submit for verification"), permissions=["change"])
    def submit_for_verification(self, request, queryset):
        """Drafts (or returned activities) the user may edit go to the Dinas, through the
        same workflow as the portal (status trail, scope and transition checks)."""
        submitted = 0
        with transaction.atomic():
            for activity in Activity.objects.editable_by(request.user).filter(
                pk__in=queryset.values("pk")
            ):
                workflow.submit(activity, request.user)
                submitted += 1
        self.message_user(
            request,
            gettext("%(n)d activities were submitted for verification.") % {"n": submitted},
            messages.SUCCESS,
        )


# --------------------------------------------------------------------------------------
# OPD programs
# --------------------------------------------------------------------------------------
@admin.register(OPDProgram)
class OPDProgramAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    admin_queryset = "managed_by"
    form = OPDProgramForm
    form_takes_user = True
    change_list_template = "admin/activities/opdprogram/change_list.html"
    list_display = ("title", "opd", "status", "starts_on", "ends_on", "site_count")
    list_filter = ("status", ("opd", RelatedOnlyFieldListFilter))
    list_select_related = ("opd",)
    search_fields = ("title", "opd__name", "opd__short_name")
    autocomplete_fields = ("sites",)
    date_hierarchy = "starts_on"
    ordering = ("-starts_on", "title")
    actions = (
        xlsx_export_action(
            "program-opd.xlsx",
            "Program OPD",
            [
                (_("agency"), lambda p: str(p.opd)),
                (_("title"), lambda p: p.title),
                (_("status"), lambda p: p.get_status_display()),
                (_("start"), lambda p: _date(p.starts_on)),
                (_("end"), lambda p: _date(p.ends_on)),
                (_("Kampung KB sites"), lambda p: ", ".join(s.name for s in p.sites.all())),
            ],
            select_related=("opd",),
        ),
    )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(n_sites=Count("sites", distinct=True))
            .prefetch_related("sites")
        )

    @admin.display(description=_("sites"), ordering="n_sites")
    def site_count(self, obj):
        return obj.n_sites

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


# --------------------------------------------------------------------------------------
# Usulan
# --------------------------------------------------------------------------------------
class OverdueFilter(admin.SimpleListFilter):
    title = _("answer due")
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return (("overdue", _("Overdue")), ("open", _("Waiting for an answer")))

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.overdue()
        if self.value() == "open":
            return queryset.open()
        return queryset


class UsulanTransitionInline(admin.TabularInline):
    model = UsulanTransition
    extra = 0
    fields = ("at", "from_status", "to_status", "user", "reason")
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = _("status trail")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Usulan)
class UsulanAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    """Coordinators answer their agency's usulan here. The answer form is the portal's
    (``UsulanAnswerForm``): the same allowed steps, the same checks."""

    form = UsulanAnswerForm
    form_takes_user = True
    change_list_template = "admin/activities/usulan/change_list.html"
    list_display = ("title", "direction", "site", "opd", "status", "due_on", "overdue")
    list_filter = (
        OverdueFilter,
        "status",
        "direction",
        "kind",
        ("opd", RelatedOnlyFieldListFilter),
        ("site", RelatedOnlyFieldListFilter),
    )
    list_select_related = ("site", "opd")
    search_fields = ("title", "site__name", "opd__name", "opd__short_name")
    date_hierarchy = "created_at"
    info_fields = (
        "direction",
        "site",
        "opd",
        "kind",
        "title",
        "description",
        "status",
        "due_on",
        "created_by",
        "created_at",
        "rejection_reason",
        "carried_out_by_activity",
        "carried_out_program",
        "next_step",
    )
    readonly_fields = info_fields
    inlines = (UsulanTransitionInline,)
    actions = (
        xlsx_export_action(
            "usulan.xlsx",
            "Usulan",
            [
                (_("title"), lambda u: u.title),
                (_("direction"), lambda u: u.get_direction_display()),
                (_("Kampung KB"), lambda u: u.site.name),
                (_("agency"), lambda u: str(u.opd)),
                (_("kind"), lambda u: u.get_kind_display()),
                (_("status"), lambda u: u.get_status_display()),
                (_("sent at"), lambda u: timezone.localtime(u.created_at).strftime("%d/%m/%Y")),
                (_("answer due"), lambda u: _date(u.due_on)),
                (_("reason for rejection"), lambda u: u.rejection_reason),
            ],
            select_related=("site", "opd"),
        ),
    )

    def has_add_permission(self, request):
        # Usulan are sent from the portal (one per site for an offer to several sites).
        return False

    def get_queryset(self, request):
        # Whether the user may see the activity that carried the usulan out (a site's
        # draft is its Pokja's), for ``carried_out_by_activity``.
        visible = Activity.objects.visible_to(request.user).filter(
            pk=OuterRef("carried_out_activity_id")
        )
        return super().get_queryset(request).annotate(carried_out_activity_visible=Exists(visible))

    @admin.display(description=_("carried out by activity"))
    def carried_out_by_activity(self, obj):
        if obj.carried_out_activity_id is None:
            return "—"
        if not getattr(obj, "carried_out_activity_visible", False):
            return gettext("An activity of the Kampung KB that you may not see yet.")
        return str(obj.carried_out_activity)

    @admin.display(description=_("overdue"), boolean=True)
    def overdue(self, obj):
        return obj.is_overdue

    @admin.display(description=_("next step"))
    def next_step(self, obj):
        if obj.pk is None or obj.status != Usulan.Status.ACCEPTED:
            return "—"
        query = urlencode(
            {"usulan": obj.pk, "opd": obj.opd_id, "sites": obj.site_id, "title": obj.title}
        )
        return format_html(
            '<a class="button" href="{}?{}">{}</a>',
            reverse("admin:activities_opdprogram_add"),
            query,
            gettext("Record the program that carries it out"),
        )

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(None, {"fields": self.info_fields})]
        if obj is not None and self.has_change_permission(request, obj):
            targets = allowed_targets(obj, request.user)
            if targets:
                fields = ["to_status", "reason"]
                if Usulan.Status.CARRIED_OUT in targets:
                    fields += ["activity", "program"]
                fieldsets.append((_("Answer"), {"fields": fields}))
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if "to_status" not in form.base_fields:
            return form

        class OptionalAnswerForm(form):
            def __init__(self, *args, **kw):
                super().__init__(*args, **kw)
                self.fields["to_status"].required = False  # "Save" without answering

        return OptionalAnswerForm

    def save_model(self, request, obj, form, change):
        if form.cleaned_data.get("to_status"):
            form.answer()

    def save_related(self, request, form, formsets, change):
        # The trail inline is read-only and the answer was checked by the service inside
        # this transaction; the mixin's editable re-check would be the same check again.
        admin.ModelAdmin.save_related(self, request, form, formsets, change)


@admin.register(ImportBatch)
class ImportBatchAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """The import history: who imported which file, when, and what it created."""

    list_display = (
        "file_name",
        "kind",
        "status",
        "uploaded_by",
        "row_count",
        "error_count",
        "created_count",
        "created_at",
    )
    list_filter = ("kind", "status")
    list_select_related = ("uploaded_by",)
    search_fields = ("file_name",)
    fields = (
        "kind",
        "status",
        "uploaded_by",
        "file_name",
        "file_size",
        "row_count",
        "error_count",
        "created_count",
        "file_error",
        "created_at",
        "committed_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
