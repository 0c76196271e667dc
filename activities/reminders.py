"""Scheduled reminders (Celery beat, daily at 07:00 WIB: ``kampungkb.tasks.send_reminders``).

* A site whose report of last month has not arrived: its Pokja members with a portal
  account, on the 1st and (if still missing) on the 3rd, the due date.
* An SK Pokja (the site's current profile) that expires within 30 days: the site's ketua
  and the Dinas.
* An usulan past its answer date: its addressee (the agency for a site's usulan, the
  site's managers for an agency's offer).

Each reminder is a notification with an ``event_key`` naming the event; the inbox's
unique (recipient, event_key) makes it once per recipient and event, whatever the number
of runs or workers.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kampungkb.notifications import notify
from kampungkb.scopes import DINAS_GROUP
from villages.models import KampungKB, ProfileSnapshot

from . import cadence
from .models import Activity, PokjaMember, Usulan
from .usulan_services import agency_side_users, site_side_users

REPORT_REMINDER_DAYS = (1, cadence.DUE_DAY)
SK_NOTICE_DAYS = 30


def send_all(today: datetime.date | None = None) -> dict[str, int]:
    """Every reminder due ``today``; the number of notifications created of each kind."""
    today = today or timezone.localdate()
    with translation.override(settings.LANGUAGE_CODE):
        return {
            "report": report_reminders(today),
            "sk": sk_reminders(today),
            "usulan": usulan_reminders(today),
        }


def report_reminders(today: datetime.date) -> int:
    if today.day not in REPORT_REMINDER_DAYS:
        return 0
    month = cadence.add_months(today.replace(day=1), -1)
    sites = list(KampungKB.objects.filter(is_active=True))
    reports = cadence.month_reports(
        sites, Activity.objects.all(), first=month, last=month, today=today
    )
    missing = {
        site_id
        for site_id, months in reports.items()
        # Nothing submitted yet (pending until the due date has passed, then missing).
        if any(r.month == month and r.first_submitted_at is None for r in months)
    }
    members = defaultdict(list)
    for member in (
        PokjaMember.objects.current(today)
        .filter(site_id__in=missing, user__isnull=False, user__is_active=True)
        .select_related("user")
    ):
        members[member.site_id].append(member.user)
    names = dict(KampungKB.objects.filter(pk__in=members).values_list("pk", "name"))
    params = {"month": month.strftime("%m/%Y"), "due": cadence.due_date(month).strftime("%d/%m/%Y")}
    sent = 0
    for site_id, users in members.items():
        sent += len(
            notify(
                users,
                subject=_("The report of %(month)s has not been sent") % params,
                body=_(
                    "%(site)s has not submitted any activity of %(month)s yet. The monthly "
                    "report is due on %(due)s: log and submit the month's activities."
                )
                % {**params, "site": names[site_id]},
                link=reverse("activities:create"),
                event_key=f"reminder:report:{site_id}:{month:%Y-%m}:day{today.day}",
            )
        )
    return sent


def sk_reminders(today: datetime.date) -> int:
    limit = today + datetime.timedelta(days=SK_NOTICE_DAYS)
    sites = (
        KampungKB.objects.filter(is_active=True)
        .annotate(
            sk_valid_until=Subquery(
                ProfileSnapshot.objects.filter(site_id=OuterRef("pk"))
                .order_by("-period")
                .values("sk_valid_until")[:1]
            )
        )
        .filter(sk_valid_until__gte=today, sk_valid_until__lte=limit)
    )
    sites = list(sites)
    if not sites:
        return 0
    ketua = defaultdict(list)
    for member in (
        PokjaMember.objects.current(today)
        .filter(
            site__in=sites,
            position=PokjaMember.Position.KETUA,
            user__isnull=False,
            user__is_active=True,
        )
        .select_related("user")
    ):
        ketua[member.site_id].append(member.user)
    dinas = list(get_user_model().objects.filter(groups__name=DINAS_GROUP, is_active=True))
    sent = 0
    for site in sites:
        params = {"site": site.name, "date": site.sk_valid_until.strftime("%d/%m/%Y")}
        sent += len(
            notify(
                ketua[site.pk] + dinas,
                subject=_("The SK Pokja of %(site)s expires on %(date)s") % params,
                body=_(
                    "The SK Pokja of %(site)s is valid until %(date)s. Renew it and record "
                    "the new SK in the site's profile."
                )
                % params,
                link=site.get_absolute_url(),
                event_key=f"reminder:sk:{site.pk}:{site.sk_valid_until:%Y-%m-%d}",
            )
        )
    return sent


def usulan_reminders(today: datetime.date) -> int:
    sent = 0
    for usulan in Usulan.objects.overdue(today).select_related("site", "opd"):
        up = usulan.direction == Usulan.Direction.UP
        params = {"title": usulan.title, "due": usulan.due_on.strftime("%d/%m/%Y")}
        sent += len(
            notify(
                agency_side_users(usulan) if up else site_side_users(usulan),
                subject=_("Usulan waiting for your answer: %(title)s") % params,
                body=_("The usulan “%(title)s” was to be answered by %(due)s.") % params,
                link=usulan.get_absolute_url(),
                event_key=f"reminder:usulan:{usulan.pk}:{usulan.due_on:%Y-%m-%d}",
            )
        )
    return sent
