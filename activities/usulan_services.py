"""The usulan workflow: who may send what to whom, the allowed status changes, the trail
and the notifications. Views, the admin, forms and the demo seeder all go through here.

    submitted ──► under review ──► accepted ──► carried out (linked to an activity or program)
        │               │
        └───────────────┴──► rejected (with a reason)

The addressee (the agency for a bottom-up usulan, the site's Pokja managers for a top-down
offer) reviews, accepts or rejects; either party records that it was carried out. The Dinas
may take any allowed step.
"""

import datetime
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kampungkb.notifications import notify
from kampungkb.scopes import DINAS_GROUP, OPD_GROUP, get_scope
from villages.models import KampungKB

from .models import ANSWER_DAYS, OPD, Activity, OPDProgram, PokjaMember, Usulan, UsulanTransition

S = Usulan.Status

#: The only status changes there are.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.SUBMITTED: (S.UNDER_REVIEW, S.ACCEPTED, S.REJECTED),
    S.UNDER_REVIEW: (S.ACCEPTED, S.REJECTED),
    S.ACCEPTED: (S.CARRIED_OUT,),
    S.REJECTED: (),
    S.CARRIED_OUT: (),
}
#: Steps only the addressee takes; "carried out" may be recorded by either party.
ADDRESSEE_STEPS = frozenset({S.UNDER_REVIEW, S.ACCEPTED, S.REJECTED})


# --------------------------------------------------------------------------------------
# Who may send
# --------------------------------------------------------------------------------------
def sites_for_usulan(user):
    """Active sites on whose behalf ``user`` may send an usulan up: the Pokja's own site(s)
    (any member); the Dinas for any site."""
    scope = get_scope(user)
    sites = KampungKB.objects.visible_to(user).active()
    if scope.is_dinas:
        return sites
    return sites.filter(pk__in=scope.pokja_site_ids)


def sites_for_offer(user):
    """Active sites an agency's coordinator (or the Dinas) may offer a program to."""
    if not OPD.objects.represented_by(user).exists():
        return KampungKB.objects.none()
    return KampungKB.objects.visible_to(user).active()


def addressee_agencies():
    """Agencies a site may address: every active one, the KB agencies (the Dinas) first."""
    return OPD.objects.active().order_by("-is_kb_agency", "kind", "name")


def due_date(on: datetime.date | None = None) -> datetime.date:
    return (on or timezone.localdate()) + datetime.timedelta(days=ANSWER_DAYS)


def submit(
    *, user, direction, site, opd, kind, title, description="", offer_group=None, email=True
):
    """Send one usulan. Refused (PermissionDenied) when the site or agency is outside what
    the sender may speak for."""
    if direction == Usulan.Direction.UP:
        allowed = sites_for_usulan(user).filter(pk=site.pk).exists()
    else:
        allowed = (
            OPD.objects.represented_by(user).filter(pk=opd.pk).exists()
            and sites_for_offer(user).filter(pk=site.pk).exists()
        )
    if not allowed:
        raise PermissionDenied
    with transaction.atomic():
        usulan = Usulan(
            direction=direction,
            site=site,
            opd=opd,
            kind=kind,
            title=title,
            description=description,
            due_on=due_date(),
            created_by=user,
            offer_group=offer_group,
        )
        usulan.full_clean()
        usulan.save()
        step = UsulanTransition.objects.create(usulan=usulan, to_status=S.SUBMITTED, user=user)
        _notify(usulan, step, actor=user, email=email)
    return usulan


def offer(*, user, opd, sites, kind, title, description="", email=True):
    """A top-down offer to one or more sites: one usulan per site, one offer group."""
    group = uuid.uuid4()
    return [
        submit(
            user=user,
            direction=Usulan.Direction.DOWN,
            site=site,
            opd=opd,
            kind=kind,
            title=title,
            description=description,
            offer_group=group,
            email=email,
        )
        for site in sites
    ]


# --------------------------------------------------------------------------------------
# Who may answer
# --------------------------------------------------------------------------------------
def is_addressee(usulan, user) -> bool:
    scope = get_scope(user)
    if scope.is_dinas:
        return True
    if usulan.direction == Usulan.Direction.UP:
        return usulan.opd_id in scope.opd_ids
    return usulan.site_id in scope.managed_site_ids


def is_party(usulan, user) -> bool:
    scope = get_scope(user)
    return (
        scope.is_dinas or usulan.opd_id in scope.opd_ids or usulan.site_id in scope.managed_site_ids
    )


def allowed_targets(usulan, user) -> list[str]:
    """The statuses ``user`` may move ``usulan`` to now (empty: nothing to do)."""
    return [
        target
        for target in TRANSITIONS[usulan.status]
        if (is_addressee if target in ADDRESSEE_STEPS else is_party)(usulan, user)
    ]


def activities_for(usulan, user):
    """Activities that may be linked as having carried out ``usulan``: at its site,
    visible to the user, not older than the usulan's month."""
    since = timezone.localtime(usulan.created_at).date().replace(day=1)
    return (
        Activity.objects.visible_to(user)
        .filter(site_id=usulan.site_id, date__gte=since)
        .order_by("-date", "-pk")
    )


def carried_out_activity_for(usulan, user):
    """The activity that carried out ``usulan``, when ``user`` may see it: a site's draft is
    still its Pokja's, so the agency (or an area viewer) reading the usulan is only told
    that an activity was linked, not which."""
    if usulan.carried_out_activity_id is None:
        return None
    return Activity.objects.visible_to(user).filter(pk=usulan.carried_out_activity_id).first()


def programs_for(usulan, user):
    """Programs of the usulan's agency at its site."""
    return (
        OPDProgram.objects.visible_to(user)
        .filter(opd_id=usulan.opd_id, sites=usulan.site_id)
        .order_by("-starts_on", "title")
    )


def check_transition(usulan, to_status, *, user, reason="", activity=None, program=None):
    """Raise ValidationError (keyed by the answer form's fields) or PermissionDenied when
    ``user`` may not move ``usulan`` to ``to_status`` with these details."""
    if to_status not in TRANSITIONS.get(usulan.status, ()):
        raise ValidationError(
            {
                "to_status": _("An usulan that is “%(from)s” cannot become “%(to)s”.")
                % {"from": usulan.get_status_display(), "to": S(to_status).label}
                if to_status in S.values
                else _("Unknown status.")
            }
        )
    if to_status not in allowed_targets(usulan, user):
        raise PermissionDenied
    if to_status == S.REJECTED and not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for rejecting the usulan.")})
    if to_status == S.CARRIED_OUT:
        if activity is None and program is None:
            raise ValidationError(
                {"activity": _("Link the activity or the OPD program that carried out the usulan.")}
            )
        if (
            activity is not None
            and not activities_for(usulan, user).filter(pk=activity.pk).exists()
        ):
            raise ValidationError(
                {"activity": _("This activity is not one of this Kampung KB's activities.")}
            )
        if program is not None and not programs_for(usulan, user).filter(pk=program.pk).exists():
            raise ValidationError(
                {
                    "program": _("The program must be %(opd)s's and include %(site)s.")
                    % {"opd": usulan.opd, "site": usulan.site}
                }
            )


def transition(usulan, to_status, *, user, reason="", activity=None, program=None, email=True):
    """Move ``usulan`` to ``to_status``: checked, recorded in the trail, notified once."""
    with transaction.atomic():
        # The row lock serialises two answers given at once (a double submit).
        locked = Usulan.objects.select_for_update().select_related("site", "opd").get(pk=usulan.pk)
        check_transition(
            locked, to_status, user=user, reason=reason, activity=activity, program=program
        )
        from_status = locked.status
        locked.status = to_status
        if to_status == S.REJECTED:
            locked.rejection_reason = reason.strip()
        if to_status == S.CARRIED_OUT:
            locked.carried_out_activity = activity
            locked.carried_out_program = program
        locked._change_reason = S(to_status).label
        locked.save()
        step = UsulanTransition.objects.create(
            usulan=locked,
            from_status=from_status,
            to_status=to_status,
            user=user,
            reason=(reason or "").strip(),
        )
        _notify(locked, step, actor=user, email=email)
    usulan.refresh_from_db()
    return step


# --------------------------------------------------------------------------------------
# Notifications
# --------------------------------------------------------------------------------------
def site_side_users(usulan):
    """The site's current Pokja managers with a portal account."""
    User = get_user_model()
    return User.objects.filter(
        is_active=True,
        pokja_memberships__in=PokjaMember.objects.current().filter(
            site_id=usulan.site_id, position__in=PokjaMember.MANAGER_POSITIONS
        ),
    ).distinct()


def agency_side_users(usulan):
    """The agency's coordinators; the Dinas for the KB agencies and for an agency that
    has no coordinator yet (someone must answer)."""
    User = get_user_model()
    coordinators = User.objects.filter(
        is_active=True, opds=usulan.opd_id, groups__name=OPD_GROUP
    ).distinct()
    if usulan.opd.is_kb_agency or not coordinators.exists():
        return User.objects.filter(
            Q(pk__in=coordinators.values("pk")) | Q(groups__name=DINAS_GROUP), is_active=True
        ).distinct()
    return coordinators


def _notify(usulan, step, *, actor, email):
    up = usulan.direction == Usulan.Direction.UP
    if step.to_status == S.SUBMITTED:
        recipients = set(agency_side_users(usulan) if up else site_side_users(usulan))
    else:
        recipients = set(site_side_users(usulan)) | set(agency_side_users(usulan))
        if usulan.created_by_id:
            recipients.add(usulan.created_by)
    recipients.discard(actor)
    with translation.override(settings.LANGUAGE_CODE):
        subject, body = _message(usulan, step, actor)
    notify(
        recipients,
        subject=subject,
        body=body,
        link=usulan.get_absolute_url(),
        event_key=f"usulan:{usulan.pk}:{step.pk}",
        email=email,
    )


def _message(usulan, step, actor):
    params = {
        "title": usulan.title,
        "site": usulan.site,
        "opd": usulan.opd,
        "due": usulan.due_on.strftime("%d/%m/%Y"),
        "user": actor,
        "to": usulan.get_status_display(),
        "from": S(step.from_status).label if step.from_status else "",
    }
    if step.to_status == S.SUBMITTED:
        if usulan.direction == Usulan.Direction.UP:
            subject = _("New usulan from %(site)s: %(title)s") % params
            body = (
                _("%(site)s sent an usulan to %(opd)s: “%(title)s”. Please answer it by %(due)s.")
                % params
            )
        else:
            subject = _("Offer from %(opd)s: %(title)s") % params
            body = (
                _("%(opd)s offers “%(title)s” to %(site)s. Please answer it by %(due)s.") % params
            )
    else:
        subject = _("Usulan “%(title)s”: %(to)s") % params
        body = (
            _(
                "%(user)s changed the usulan “%(title)s” (%(site)s – %(opd)s) from “%(from)s” "
                "to “%(to)s”."
            )
            % params
        )
        if step.reason:
            body += "\n" + _("Reason: %(reason)s") % {"reason": step.reason}
    return subject, body
