"""Usulan pages (send up, offer down, list, detail with the status trail and the answer
form) and the in-portal inbox. Scope: ``Usulan.objects.visible_to`` (404 outside);
answering is decided by :mod:`activities.usulan_services` (403 when not allowed)."""

import django_filters
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.generic import DetailView, FormView, ListView
from django_filters.views import FilterView

from kampungkb.mixins import ScopedQuerysetMixin
from kampungkb.models import Notification

from .models import OPD, Usulan
from .usulan_forms import UsulanAnswerForm, UsulanForm, UsulanOfferForm
from .usulan_services import (
    allowed_targets,
    carried_out_activity_for,
    offer,
    sites_for_offer,
    sites_for_usulan,
    submit,
)


class UsulanFilter(django_filters.FilterSet):
    """Narrows the user's visible usulan; never widens them."""

    box = django_filters.ChoiceFilter(
        label=gettext_lazy("Show"),
        method="filter_box",
        empty_label=gettext_lazy("All I can see"),
        choices=[
            ("in", gettext_lazy("Waiting for my answer")),
            ("out", gettext_lazy("Sent by my side")),
            ("overdue", gettext_lazy("Overdue")),
        ],
    )
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"), choices=Usulan.Status.choices
    )
    direction = django_filters.ChoiceFilter(
        label=gettext_lazy("Direction"), choices=Usulan.Direction.choices
    )

    class Meta:
        model = Usulan
        fields = ["box", "status", "direction"]

    def filter_box(self, queryset, name, value):
        user = self.request.user
        if value == "in":
            return queryset.filter(pk__in=Usulan.objects.addressed_to(user).open().values("pk"))
        if value == "out":
            return queryset.filter(pk__in=Usulan.objects.sent_by(user).values("pk"))
        if value == "overdue":
            return queryset.overdue()
        return queryset


class UsulanListView(ScopedQuerysetMixin, FilterView):
    model = Usulan
    filterset_class = UsulanFilter
    paginate_by = 20
    select_related = ("site__kelurahan", "opd")
    template_name = "activities/usulan_list.html"
    context_object_name = "usulan_list"

    def get_queryset(self):
        return super().get_queryset().order_by("-created_at", "-pk")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        ctx["can_send"] = sites_for_usulan(user).exists()
        ctx["can_offer"] = OPD.objects.represented_by(user).exists()
        ctx["today"] = timezone.localdate()
        return ctx


class UsulanCreateView(FormView):
    """A Pokja sends an usulan up (to the Dinas or an agency)."""

    form_class = UsulanForm
    template_name = "activities/usulan_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not sites_for_usulan(request.user).exists():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("Send an usulan"), **kwargs)

    def form_valid(self, form):
        c = form.cleaned_data
        try:
            usulan = submit(
                user=self.request.user,
                direction=Usulan.Direction.UP,
                site=c["site"],
                opd=c["opd"],
                kind=c["kind"],
                title=c["title"],
                description=c["description"],
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Your usulan was sent to %(opd)s. They are asked to answer by %(due)s.")
            % {"opd": usulan.opd, "due": usulan.due_on.strftime("%d/%m/%Y")},
        )
        return redirect(usulan)


class UsulanOfferView(FormView):
    """The Dinas or an agency offers a program to one or more sites."""

    form_class = UsulanOfferForm
    template_name = "activities/usulan_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not sites_for_offer(request.user).exists():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("Offer a program to Kampung KB"), **kwargs)

    def form_valid(self, form):
        c = form.cleaned_data
        try:
            with transaction.atomic():
                sent = offer(
                    user=self.request.user,
                    opd=c["opd"],
                    sites=list(c["sites"]),
                    kind=c["kind"],
                    title=c["title"],
                    description=c["description"],
                )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("The offer was sent to %(n)d Kampung KB.") % {"n": len(sent)},
        )
        return redirect("coordination:usulan-list")


class UsulanDetailView(ScopedQuerysetMixin, DetailView):
    model = Usulan
    select_related = (
        "site__kelurahan__kecamatan",
        "opd",
        "created_by",
        "carried_out_activity",
        "carried_out_program",
    )
    template_name = "activities/usulan_detail.html"
    context_object_name = "usulan"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        usulan, user = self.object, self.request.user
        if allowed_targets(usulan, user) and "form" not in kwargs:
            ctx["form"] = UsulanAnswerForm(instance=usulan, user=user)
        ctx["transitions"] = usulan.transitions.select_related("user")
        # Never ``usulan.carried_out_activity``: it may be a draft the user may not see.
        ctx["carried_out_activity"] = carried_out_activity_for(usulan, user)
        ctx["offer_size"] = (
            Usulan.objects.filter(offer_group=usulan.offer_group).count()
            if usulan.offer_group
            else 0
        )
        # Opening the usulan reads the notifications about it.
        Notification.objects.visible_to(user).unread().filter(
            link=usulan.get_absolute_url()
        ).update(read_at=timezone.now())
        return ctx

    def post(self, request, *args, **kwargs):
        """Answer the usulan (404 if not visible, 403 if the user has no step to take)."""
        self.object = usulan = self.get_object()
        if not allowed_targets(usulan, request.user):
            raise PermissionDenied
        form = UsulanAnswerForm(request.POST, instance=usulan, user=request.user)
        if form.is_valid():
            try:
                form.answer()
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    _("The usulan is now “%(status)s”.") % {"status": usulan.get_status_display()},
                )
                return redirect(usulan)
        return self.render_to_response(self.get_context_data(form=form))


# --------------------------------------------------------------------------------------
# Inbox
# --------------------------------------------------------------------------------------
class InboxView(ListView):
    template_name = "activities/inbox.html"
    paginate_by = 25
    context_object_name = "notifications"

    def get_queryset(self):
        qs = Notification.objects.visible_to(self.request.user)
        if self.request.GET.get("unread"):
            qs = qs.unread()
        return qs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["unread_count"] = Notification.objects.visible_to(self.request.user).unread().count()
        return ctx


def open_notification(request, pk):
    """Mark one notification read and go to what it is about."""
    notification = get_object_or_404(Notification.objects.visible_to(request.user), pk=pk)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    # Only a path on this portal: "//host" and "/\\host" would leave it in some browsers.
    link = notification.link
    local = link.startswith("/") and url_has_allowed_host_and_scheme(
        link, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return redirect(link if local else "/")


@require_POST
def mark_all_read(request):
    count = Notification.objects.visible_to(request.user).unread().update(read_at=timezone.now())
    messages.info(request, _("%(n)d notifications marked as read.") % {"n": count})
    return redirect("coordination:inbox")
