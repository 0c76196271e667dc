"""Print the query count and server time of each activity page, per demo login.

Run after ``seed_demo`` (or on any database with the demo logins)::

    .venv/bin/python manage.py bench_activities --runs 5
"""

import statistics
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities.models import Activity
from villages.models import KampungKB


class Command(BaseCommand):
    help = "Query counts and server times of the activity pages for the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=5)

    def handle(self, *args, runs, **options):
        User = get_user_model()
        site = KampungKB.objects.filter(name="Kampung KB Kacang Timur Berseri").first()
        activity = Activity.objects.filter(site=site).order_by("-pk").first()
        if site is None or activity is None:
            raise CommandError("No demo data: run `manage.py seed_demo` first.")
        pages = {
            "dashboard": reverse("dashboard"),
            "activity list": reverse("activities:list"),
            "list, filtered": reverse("activities:list") + "?status=verified&category=reproduksi",
            "queue": reverse("activities:queue"),
            "activity page": reverse("activities:detail", args=[activity.pk]),
            "new activity form": reverse("activities:create"),
            "site page": reverse("villages:site-detail", args=[site.pk]),
            "member list": reverse("activities:members", args=[site.pk]),
            "landing (public)": reverse("landing"),
            "site (public)": reverse("public:site-detail", args=[site.pk]),
        }
        self.stdout.write(
            f"{Activity.objects.count()} activities, {KampungKB.objects.count()} sites; "
            f"median of {runs} runs"
        )
        self.stdout.write(f"{'login':8} {'page':20} {'status':>6} {'queries':>7} {'ms':>7}")
        for username in ("dinas", "pokja"):
            user = User.objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"No user {username!r}: run `manage.py seed_demo` first.")
            client = Client()
            client.force_login(user)
            for name, url in pages.items():
                if name == "queue" and username != "dinas":
                    continue  # the Dinas's page
                client.get(url)  # warm up (templates, translations)
                times, queries, status = [], 0, 0
                for _ in range(runs):
                    with CaptureQueriesContext(connection) as ctx:
                        started = time.perf_counter()
                        response = client.get(url)
                        times.append((time.perf_counter() - started) * 1000)
                    queries, status = len(ctx.captured_queries), response.status_code
                self.stdout.write(
                    f"{username:8} {name:20} {status:>6} {queries:>7} "
                    f"{statistics.median(times):>7.1f}"
                )
