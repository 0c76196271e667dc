"""Activity pages: the lists, the phone form, the detail page with its status trail, the
workflow actions, the Dinas queue, photo files and the Pokja member list.

Every object comes from ``visible_to`` (404 outside) and every change is checked against
``managed_by``/``editable_by`` or ``activities.workflow`` (403 outside).
"""

import hashlib
import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.http import quote_etag, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_GET
from django.views.generic import CreateView, DeleteView, DetailView, ListView, UpdateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from kampungkb.bounds import TablePaginator, parse_id
from kampungkb.forms import FAST_RENDERER
from kampungkb.mixins import ScopedQuerysetMixin, SiteScopedMixin, ensure_editable
from kampungkb.scopes import get_scope
from villages.models import KampungKB

from . import workflow
from .filters import ActivityFilter
from .forms import (
    ActivityForm,
    PokjaMemberForm,
    TransitionForm,
    photo_formset,
    sites_for_new_activity,
)
from .models import Activity, ActivityPhoto, ActivityTransition, PokjaMember
from .tables import ActivityTable

SUBMIT_NOW = "submit"  # value of the "save and submit" button


# --------------------------------------------------------------------------------------
# Lists
# --------------------------------------------------------------------------------------
class ActivityListView(ScopedQuerysetMixin, SingleTableMixin, FilterView):
    """Filtered list: a sortable table for the Dinas and other desk users, cards for a
    Pokja member on a phone. Both from ``Activity.objects.visible_to``."""

    model = Activity
    table_class = ActivityTable
    filterset_class = ActivityFilter
    table_pagination = {"per_page": 25}
    paginator_class = TablePaginator  # ?per_page= within bounds
    cards_per_page = 12
    select_related = ("site__kelurahan__kecamatan",)

    def dispatch(self, request, *args, **kwargs):
        scope = get_scope(request.user)
        self.use_cards = scope.is_pokja and not (scope.is_dinas or scope.is_opd or scope.is_viewer)
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        user = self.request.user
        return super().get_queryset().with_photo_flags(user).with_status_reason()

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["user"] = self.request.user
        return kwargs

    def get_paginate_by(self, data):
        # Cards paginate the object list; the table paginates itself.
        return self.cards_per_page if self.use_cards else None

    def get_context_data(self, **kwargs):
        if self.use_cards:
            ctx = super(SingleTableMixin, self).get_context_data(**kwargs)
        else:
            ctx = super().get_context_data(**kwargs)
        ctx["can_create"] = sites_for_new_activity(self.request.user).exists()
        return ctx

    def get_template_names(self):
        if self.use_cards:
            return ["activities/activity_cards.html"]
        return ["activities/activity_list.html"]


class VerificationQueueView(ListView):
    """The Dinas queue: submitted activities, the longest waiting first, with verify and
    return inline (htmx posts to the same workflow views)."""

    template_name = "activities/queue.html"
    paginate_by = 20
    context_object_name = "activities"

    def dispatch(self, request, *args, **kwargs):
        if not get_scope(request.user).is_dinas:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        queryset = queue_queryset(self.request.user)
        site = parse_id(self.request.GET.get("site"))
        self.site = None
        if site is not None:
            # Narrow to one site (from the site page); the scope is already applied.
            self.site = KampungKB.objects.visible_to(self.request.user).filter(pk=site).first()
            queryset = queryset.filter(site_id=site)
        return queryset

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            site=self.site, reason_max_length=workflow.REASON_MAX_LENGTH, **kwargs
        )


def queue_rows(activities):
    """What a queue row shows, for a scoped activity queryset (bounded queries)."""
    return (
        activities.select_related("site__kelurahan__kecamatan", "created_by")
        .with_photo_flags()
        .with_status_reason()
        .prefetch_related(Prefetch("photos", queryset=ActivityPhoto.objects.order_by("pk")))
    )


def queue_queryset(user):
    return queue_rows(Activity.objects.visible_to(user).awaiting_verification())


# --------------------------------------------------------------------------------------
# Detail
# --------------------------------------------------------------------------------------
class ActivityDetailView(ScopedQuerysetMixin, DetailView):
    model = Activity
    template_name = "activities/activity_detail.html"
    context_object_name = "activity"
    select_related = (
        "site__kelurahan__kecamatan",
        "created_by",
        "recorded_by_opd",
        "opd_program",
    )
    prefetch_related = ("agencies",)

    def get_queryset(self):
        return super().get_queryset().with_status_reason()

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        activity, user = self.object, self.request.user
        photos = list(activity.photos.order_by("pk"))
        duplicates = photo_duplicates(user, photos) if get_scope(user).is_dinas else {}
        for photo in photos:
            photo.activity = activity
            photo.duplicate_list = duplicates.get(photo.pk, [])
        ctx.update(
            photos=photos,
            transitions=ActivityTransition.objects.filter(activity=activity)
            .select_related("user")
            .order_by("at", "pk"),
            actions=workflow.allowed_actions(user, activity),
            can_edit=Activity.objects.editable_by(user).filter(pk=activity.pk).exists(),
            transition_form=TransitionForm(initial={"version": activity.version}),
            reason_max_length=workflow.REASON_MAX_LENGTH,
            target_group_labels=activity.target_group_labels(),
            draft_confirm={
                "pk": activity.pk,
                "client_token": str(activity.client_token or ""),
                "version": activity.version,
                "user": user.pk,
            },
        )
        return ctx


def photo_duplicates(user, photos) -> dict[int, list]:
    """``{photo.pk: [other photos with the same hash, ...]}`` on activities the user may
    see (one query)."""
    hashes = {p.sha256 for p in photos if p.sha256}
    if not hashes:
        return {}
    others = (
        ActivityPhoto.objects.visible_to(user)
        .filter(sha256__in=hashes)
        .exclude(activity_id=photos[0].activity_id)
        .select_related("activity__site")
        .order_by("activity__date")
    )
    by_hash: dict[str, list] = {}
    for other in others:
        by_hash.setdefault(other.sha256, []).append(other)
    return {p.pk: by_hash[p.sha256] for p in photos if p.sha256 in by_hash}


# --------------------------------------------------------------------------------------
# Create and edit (the phone form)
# --------------------------------------------------------------------------------------
class ActivityFormMixin:
    model = Activity
    form_class = ActivityForm
    template_name = "activities/activity_form.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        kwargs["renderer"] = FAST_RENDERER
        return kwargs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        if "photos" not in ctx:
            ctx["photos"] = photo_formset(getattr(self, "object", None))
        obj = getattr(self, "object", None)
        ctx["draft_key"] = f"kkb-activity:{self.request.user.pk}:{obj.pk if obj else 'new'}"
        # Texts for static/js/activity-form.js ({before}/{after} are filled in by the script).
        ctx["js_strings"] = {
            "sizes": _("Ready to send: {after} (the original was {before})."),
            "failed": _(
                "This photo could not be made smaller on this phone; it will be sent as it is."
            ),
        }
        return ctx

    def save_all(self, form, photos, *, created):
        """Save the activity and its photos in one transaction, re-check the scope, and
        submit when the "save and submit" button was used."""
        user = self.request.user
        with transaction.atomic():
            activity = form.save()
            if created:
                workflow.record_created(activity, user)
            photos.instance = activity
            photos.save()
            # The saved activity must still be the user's to edit (no crafted move).
            ensure_editable(user, activity)
            if activity.photos.count() > ActivityPhoto.MAX_PER_ACTIVITY:
                raise PermissionDenied
            if self.request.POST.get("action") == SUBMIT_NOW:
                activity = workflow.submit(activity, user)
        return activity

    def saved_response(self, activity):
        if activity.status == Activity.Status.SUBMITTED:
            messages.success(
                self.request,
                _("“%(title)s” was saved and sent to the Dinas for verification.")
                % {"title": activity.title},
            )
        else:
            messages.success(
                self.request, _("“%(title)s” was saved as a draft.") % {"title": activity.title}
            )
        return HttpResponseRedirect(activity.get_absolute_url())


class ActivityCreateView(ActivityFormMixin, CreateView):
    def dispatch(self, request, *args, **kwargs):
        self.sites = sites_for_new_activity(request.user)
        self.site = None
        site_pk = request.GET.get("site")
        if site_pk:
            site_pk = parse_id(site_pk)
            if site_pk is None:
                raise Http404
            self.site = get_object_or_404(KampungKB.objects.visible_to(request.user), pk=site_pk)
            if not self.sites.filter(pk=self.site.pk).exists():
                raise PermissionDenied
        elif not self.sites.exists():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        initial = super().get_initial()
        initial["client_token"] = uuid.uuid4()
        if self.site is not None:
            initial["site"] = self.site
        return initial

    def post(self, request, *args, **kwargs):
        self.object = None
        existing = self.existing_for_token(request.POST.get("client_token"))
        if existing is not None:
            # The same form sent twice (double tap, or a retry after a dropped
            # connection): answer with the activity the first request created.
            return HttpResponseRedirect(existing.get_absolute_url())
        form = self.get_form()
        photos = photo_formset(None, request.POST, request.FILES)
        if not (form.is_valid() and photos.is_valid()):
            return self.render_to_response(self.get_context_data(form=form, photos=photos))
        try:
            activity = self.save_all(form, photos, created=True)
        except IntegrityError:
            # A concurrent request with the same token won the race.
            existing = self.existing_for_token(form.cleaned_data.get("client_token"))
            if existing is None:
                raise
            return HttpResponseRedirect(existing.get_absolute_url())
        return self.saved_response(activity)

    def existing_for_token(self, token):
        try:
            token = uuid.UUID(str(token))
        except (TypeError, ValueError):
            return None
        existing = Activity.objects.filter(client_token=token).first()
        if existing is None:
            return None
        if not Activity.objects.visible_to(self.request.user).filter(pk=existing.pk).exists():
            raise Http404
        return existing


class ActivityUpdateView(ActivityFormMixin, UpdateView):
    def get_object(self, queryset=None):
        user = self.request.user
        activity = get_object_or_404(
            Activity.objects.visible_to(user).with_status_reason(), pk=self.kwargs["pk"]
        )
        if not Activity.objects.managed_by(user).filter(pk=activity.pk).exists():
            raise PermissionDenied
        if self.request.method == "POST":
            # Lock the row: a verification or another edit waits for this one (or this
            # one sees theirs and is refused as stale).
            locked = Activity.objects.select_for_update().get(pk=activity.pk)
            locked.status_reason = activity.status_reason
            return locked
        if not activity.is_editable:
            raise PermissionDenied
        return activity

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        form = self.get_form()
        photos = photo_formset(self.object, request.POST, request.FILES)
        form_ok = form.is_valid()
        if form.is_stale:
            return self.render_to_response(
                self.get_context_data(form=form, photos=photo_formset(self.object), stale=True),
                status=409,
            )
        if not (form_ok and photos.is_valid()):
            return self.render_to_response(self.get_context_data(form=form, photos=photos))
        return self.saved_response(self.save_all(form, photos, created=False))


# --------------------------------------------------------------------------------------
# Workflow actions
# --------------------------------------------------------------------------------------
class ActivityTransitionView(View):
    """POST only. 404 outside ``visible_to``; 403 for the wrong actor; 400 for an illegal
    transition or a missing reason; 409 for a stale version. With htmx, answers with the
    queue row (same scope, same checks)."""

    action = None
    http_method_names = ["post"]

    def post(self, request, pk):
        user = request.user
        activity = get_object_or_404(Activity.objects.visible_to(user), pk=pk)
        form = TransitionForm(request.POST)
        if not form.is_valid():
            # A too-long reason says so; a tampered version field gets the generic line.
            message = (form.errors.get("reason") or [_("The form was not filled in correctly.")])[0]
            return self.refused(activity, message, 400, form=form)
        try:
            activity = workflow.transition(
                activity,
                user,
                self.action,
                reason=form.cleaned_data["reason"],
                version=form.cleaned_data["version"],
            )
        except workflow.WorkflowError as error:
            return self.refused(activity, error.message, error.status, form=form)
        message = {
            workflow.SUBMIT: _("“%(title)s” was sent to the Dinas for verification."),
            workflow.VERIFY: _("“%(title)s” was verified."),
            workflow.RETURN: _("“%(title)s” was returned to the Pokja."),
            workflow.REOPEN: _("“%(title)s” was reopened and returned to the Pokja."),
        }[self.action] % {"title": activity.title}
        if request.htmx:
            return self.queue_item(activity, done=message)
        messages.success(request, message)
        return HttpResponseRedirect(self.next_url(activity))

    def refused(self, activity, message, status, form=None):
        if self.request.htmx:
            return self.queue_item(activity, error=message, status=status, form=form)
        return TemplateResponse(
            self.request,
            "activities/transition_refused.html",
            {"activity": activity, "message": message},
            status=status,
        )

    def queue_item(self, activity, *, done=None, error=None, status=200, form=None):
        # The same scoped view, the same row template as the queue page.
        item = queue_rows(
            Activity.objects.visible_to(self.request.user).filter(pk=activity.pk)
        ).first()
        return TemplateResponse(
            self.request,
            "activities/includes/queue_item.html",
            {
                "activity": item,
                "done": done,
                "error": error,
                "form": form,
                "reason_max_length": workflow.REASON_MAX_LENGTH,
            },
            status=status,
        )

    def next_url(self, activity):
        url = self.request.POST.get("next", "")
        if url and url_has_allowed_host_and_scheme(
            url, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        ):
            return url
        return activity.get_absolute_url()


# --------------------------------------------------------------------------------------
# Photo files (never through MEDIA_URL)
# --------------------------------------------------------------------------------------
def _photo_response(request, photo, size, *, public):
    field = photo.thumbnail if size == "thumb" and photo.thumbnail else photo.image
    if not field:
        raise Http404
    headers = {
        # A stored name is random and never reused for other content: it is the version.
        "ETag": quote_etag(hashlib.sha256(field.name.encode()).hexdigest()[:32]),
        # A scoped photo is asked for again on every view (the scope check runs, then 304
        # if unchanged): no proxy keeps it and the browser never shows it without the
        # server's consent, e.g. after logging out. Public photos may be shared for an hour.
        "Cache-Control": "public, max-age=3600" if public else "private, no-cache",
    }
    # Answered before the file is opened: a FileResponse made and closed unsent would send
    # request_finished mid-request, and Django would close the database connection
    # (inside ATOMIC_REQUESTS' transaction).
    not_modified = get_conditional_response(request, etag=headers["ETag"])
    if not_modified is not None:
        for name, value in headers.items():
            not_modified[name] = value
        return not_modified
    try:
        handle = field.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg", headers=headers)
    response["Content-Disposition"] = f'inline; filename="foto-{photo.pk}.jpg"'
    return response


@require_GET
def photo_file(request, pk, size="full"):
    """A photo of an activity the user may see (any status)."""
    photo = get_object_or_404(ActivityPhoto.objects.visible_to(request.user), pk=pk)
    return _photo_response(request, photo, size, public=False)


@login_not_required
@require_GET
def public_photo_file(request, pk, size="full"):
    """A photo the Pokja marked public, of a verified activity of an active site."""
    photo = get_object_or_404(ActivityPhoto.objects.public(), pk=pk)
    return _photo_response(request, photo, size, public=True)


# --------------------------------------------------------------------------------------
# Pokja members
# --------------------------------------------------------------------------------------
POSITION_ORDER = {value: i for i, value in enumerate(PokjaMember.Position.values)}


class MemberListView(SiteScopedMixin, ListView):
    template_name = "activities/member_list.html"
    context_object_name = "members"

    def get(self, request, *args, **kwargs):
        # The site is visible (SiteScopedMixin); its member list may still not be.
        if not PokjaMember.objects.sites_visible_to(request.user).filter(pk=self.site.pk).exists():
            raise PermissionDenied
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        members = list(
            PokjaMember.objects.visible_to(self.request.user)
            .filter(site=self.site)
            .select_related("user")
        )
        members.sort(key=lambda m: (POSITION_ORDER.get(m.position, 99), m.name))
        return members

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_manage"] = get_scope(self.request.user).manages_site(self.site.pk)
        current = {m.pk for m in PokjaMember.objects.current().filter(site=self.site)}
        ctx["current_ids"] = current
        ctx["has_ketua"] = any(
            m.pk in current and m.position == PokjaMember.Position.KETUA for m in ctx["members"]
        )
        return ctx


class MemberEditMixin(SiteScopedMixin):
    """Create/edit/remove a member: the site's ketua, wakil or sekretaris, or the Dinas
    (``site_edit_required``: 403 for others who see the site, 404 for the rest)."""

    model = PokjaMember
    form_class = PokjaMemberForm
    template_name = "activities/member_form.html"
    site_edit_required = True

    def get_object(self, queryset=None):
        member = get_object_or_404(
            PokjaMember.objects.visible_to(self.request.user).filter(site=self.site),
            pk=self.kwargs["pk"],
        )
        if not PokjaMember.objects.editable_by(self.request.user).filter(pk=member.pk).exists():
            raise PermissionDenied
        return member

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["site"] = self.site
        return kwargs

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            ensure_editable(self.request.user, self.object)
        messages.success(self.request, _("The member list was saved."))
        return response

    def get_success_url(self):
        return reverse("activities:members", args=[self.site.pk])


class MemberCreateView(MemberEditMixin, CreateView):
    pass


class MemberUpdateView(MemberEditMixin, UpdateView):
    pass


class MemberDeleteView(MemberEditMixin, DeleteView):
    template_name = "activities/member_confirm_delete.html"
    form_class = forms.Form

    def get_form_kwargs(self):
        return super(MemberEditMixin, self).get_form_kwargs()

    def form_valid(self, form):
        name = self.object.name
        self.object.delete()
        messages.success(self.request, _("%(name)s was removed from the list.") % {"name": name})
        return redirect(self.get_success_url())
