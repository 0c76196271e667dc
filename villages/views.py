from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.generic import CreateView, DetailView, UpdateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from activities.models import PokjaMember
from kampungkb.bounds import TablePaginator
from kampungkb.mixins import ScopedEditMixin, ScopedQuerysetMixin, SiteScopedMixin
from kampungkb.panels import collect
from kampungkb.scopes import get_scope

from .filters import SiteFilter
from .forms import KampungKBForm, KKBPKSnapshotForm, PopulationSnapshotForm, ProfileSnapshotForm
from .models import KampungKB, KKBPKSnapshot, PopulationSnapshot, ProfileSnapshot
from .services import profile_gaps
from .tables import SiteTable


class SiteListView(ScopedQuerysetMixin, SingleTableMixin, FilterView):
    model = KampungKB
    table_class = SiteTable
    filterset_class = SiteFilter
    paginate_by = 25
    paginator_class = TablePaginator  # ?per_page= within bounds
    select_related = ("kelurahan__kecamatan",)
    template_name = "villages/site_list.html"


class SiteDetailView(ScopedQuerysetMixin, DetailView):
    model = KampungKB
    select_related = ("kelurahan__kecamatan__kota",)
    template_name = "villages/site_detail.html"
    context_object_name = "site"
    history_limit = 24

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        site, user = self.object, self.request.user
        # The monthly history is shown on request (?riwayat=1): the page a Pokja opens
        # most often then reads only the current snapshots.
        show_history = self.request.GET.get("riwayat") == "1"
        limit = self.history_limit if show_history else 1
        profiles = list(
            ProfileSnapshot.objects.visible_to(user)
            .filter(site=site)
            .select_related("recorded_by")
            .order_by("-period")[:limit]
        )
        populations = list(
            PopulationSnapshot.objects.visible_to(user)
            .filter(site=site)
            .order_by("-period")[:limit]
        )
        figures = list(
            KKBPKSnapshot.objects.visible_to(user).filter(site=site).order_by("-period")[:limit]
        )
        profile = profiles[0] if profiles else None
        population = populations[0] if populations else None
        current_figures = figures[0] if figures else None
        ctx.update(
            profile=profile,
            population=population,
            figures=current_figures,
            profiles=profiles,
            populations=populations,
            figures_history=figures,
            show_history=show_history,
            history_limit=self.history_limit,
            gaps=profile_gaps(profile, population, current_figures),
            members=PokjaMember.objects.visible_to(user)
            .current()
            .filter(site=site)
            .select_related("user"),
            can_edit=get_scope(user).manages_site(site.pk),
            panels=collect("site", self.request, site=site),
        )
        return ctx


class DinasRequiredMixin:
    def dispatch(self, request, *args, **kwargs):
        if not get_scope(request.user).is_dinas:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class SiteCreateView(DinasRequiredMixin, CreateView):
    model = KampungKB
    form_class = KampungKBForm
    template_name = "villages/site_form.html"

    def form_valid(self, form):
        messages.success(
            self.request, _("Kampung KB “%(name)s” was saved.") % {"name": form.instance}
        )
        return super().form_valid(form)


class SiteUpdateView(ScopedEditMixin, UpdateView):
    model = KampungKB
    form_class = KampungKBForm
    template_name = "villages/site_form.html"
    context_object_name = "site"

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if not get_scope(self.request.user).is_dinas:
            # The Pokja keeps its description and pictures current; the registry fields
            # (kelurahan, dates, status) are the Dinas's.
            for name in ("kelurahan", "declared_on", "is_active", "is_model_site", "coverage"):
                form.fields[name].disabled = True
        return form

    def form_valid(self, form):
        messages.success(
            self.request, _("Kampung KB “%(name)s” was saved.") % {"name": form.instance}
        )
        return super().form_valid(form)


class SnapshotCreateView(SiteScopedMixin, CreateView):
    """Record a month's profile, population or KKBPK figures. The form starts from the
    current values; saving a month that already has a row corrects that row (the earlier
    values stay in the history)."""

    site_edit_required = True
    template_name = "villages/snapshot_form.html"
    kind_labels = {
        ProfileSnapshot: _("Profile"),
        PopulationSnapshot: _("Population"),
        KKBPKSnapshot: _("KKBPK figures"),
    }

    def get_existing(self):
        period_field = self.form_class.base_fields["period"]
        raw = self.request.POST.get("period") if self.request.method == "POST" else None
        try:
            period = period_field.clean(raw) if raw else None
        except Exception:  # noqa: BLE001 - the form reports the bad month itself
            period = None
        if period is None:
            return None
        return self.model.objects.filter(site=self.site, period=period).first()

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["site"] = self.site
        existing = self.get_existing()
        if existing is not None:
            kwargs["instance"] = existing
        return kwargs

    def get_initial(self):
        initial = super().get_initial()
        current = self.model.objects.filter(site=self.site).order_by("-period").first()
        if current is not None:
            for field in self.form_class._meta.model._meta.concrete_fields:
                if field.name in self.form_class.base_fields and field.name != "period":
                    initial[field.name] = getattr(current, field.attname)
            if isinstance(current, PopulationSnapshot):
                for key, value in (current.residents or {}).items():
                    initial[f"age_{key}"] = value
        initial["period"] = timezone.localdate().replace(day=1)
        return initial

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["kind_label"] = self.kind_labels[self.model]
        if self.model is KKBPKSnapshot:
            ctx["population"] = self.site.current_population()
        return ctx

    def form_valid(self, form):
        form.instance.site = self.site
        form.instance.recorded_by = self.request.user
        with transaction.atomic():
            response = super().form_valid(form)
        messages.success(
            self.request,
            _("%(kind)s for %(month)s was saved.")
            % {"kind": self.kind_labels[self.model], "month": self.object.period.strftime("%m/%Y")},
        )
        return response

    def get_success_url(self):
        return reverse("villages:site-detail", args=[self.site.pk])


class ProfileSnapshotCreateView(SnapshotCreateView):
    model = ProfileSnapshot
    form_class = ProfileSnapshotForm


class PopulationSnapshotCreateView(SnapshotCreateView):
    model = PopulationSnapshot
    form_class = PopulationSnapshotForm
    template_name = "villages/population_form.html"


class KKBPKSnapshotCreateView(SnapshotCreateView):
    model = KKBPKSnapshot
    form_class = KKBPKSnapshotForm


@method_decorator(login_not_required, name="dispatch")
class PublicSiteDetailView(DetailView):
    """What anyone may see of a site: no names of people, no figures of individuals."""

    template_name = "villages/public_site_detail.html"
    context_object_name = "site"

    def get_queryset(self):
        return KampungKB.objects.public().select_related("kelurahan__kecamatan")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["panels"] = collect("public_site", self.request, site=self.object)
        return ctx
