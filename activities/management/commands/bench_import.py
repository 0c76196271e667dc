"""Measure the spreadsheet import: rows per second and peak memory of the dry run and of
the commit on a generated activities file, and of refusing a 100,000-row file.

    manage.py seed_demo && manage.py bench_import --rows 10000

Runs against the configured database (SQLite or PostgreSQL) inside a transaction that is
rolled back: nothing stays behind.
"""

import datetime
import io
import resource
import time
import tracemalloc

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from openpyxl import Workbook

from activities import imports
from activities.forms import sites_for_new_activity


class Rollback(Exception):
    pass


def activities_file(site, rows: int) -> bytes:
    headers = imports.SPECS["activities"].headers
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Data")
    sheet.append(headers)
    today = timezone.localdate()
    first = max(site.declared_on, today - datetime.timedelta(days=700))
    span = (today - first).days or 1
    categories = ["reproduksi", "pendidikan", "ekonomi", "lingkungan", "keagamaan"]
    for i in range(rows):
        values = {
            "kode_kelurahan": site.kelurahan.code,
            "judul": f"Kegiatan uji kinerja {i:05d}",
            "tanggal": first + datetime.timedelta(days=i % span),
            "jam": "09:00",
            "tempat": "Balai warga RW 03",
            "fungsi_keluarga": categories[i % len(categories)],
            "sasaran": "remaja, pus",
            "poktan": "bkr" if i % 3 == 0 else "",
            "peserta_laki_laki": 3 + i % 7,
            "peserta_perempuan": 8 + i % 11,
            "mitra": "Puskesmas" if i % 4 == 0 else "",
            "sumber_dana": "apbd",
            "asal": "pokja",
            "instansi_pencatat": "",
            "deskripsi": "Baris uji untuk mengukur kecepatan impor.",
        }
        sheet.append([values[h] for h in headers])
    buf = io.BytesIO()
    workbook.save(buf)
    return buf.getvalue()


def big_file(site, rows: int) -> bytes:
    """Many short rows, written without a declared size (as openpyxl's write-only mode
    does), the harder case for the reader."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Data")
    sheet.append(imports.SPECS["activities"].headers)
    for i in range(rows):
        sheet.append([site.kelurahan.code, f"Kegiatan {i}"])
    buf = io.BytesIO()
    workbook.save(buf)
    return buf.getvalue()


def measure(fn):
    """(result, seconds), untraced."""
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def traced(fn):
    tracemalloc.start()
    try:
        result = fn()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak / 1024 / 1024


class Command(BaseCommand):
    help = "Benchmark the XLSX import (rows/s and peak memory). Needs the demo data."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=10_000)
        parser.add_argument("--user", default="pokja", help="importing user (default: pokja)")

    def handle(self, *args, rows, user, **options):
        User = get_user_model()
        try:
            importer = User.objects.get(username=user)
        except User.DoesNotExist:
            raise CommandError(f"No user {user!r}: run `manage.py seed_demo` first.") from None
        site = sites_for_new_activity(importer).select_related("kelurahan").first()
        if site is None:
            raise CommandError(f"{user} may not record activities anywhere.")
        rows = min(rows, imports.MAX_ROWS)
        content = activities_file(site, rows)
        self.stdout.write(
            f"File: {rows} activity rows for {site.name}, {len(content) / 1024:.0f} KB"
        )
        from villages.models import KampungKB

        _, lookup_s = measure(lambda: [KampungKB.objects.get(pk=site.pk) for _ in range(200)])
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        try:
            with transaction.atomic():
                batch, dry_s = measure(
                    lambda: imports.upload(importer, "activities", "bench.xlsx", content)
                )
                if batch.status != "checked":
                    raise CommandError(f"The generated file has errors: {batch.errors[:3]}")
                outcome, commit_s = measure(lambda: imports.commit(batch, importer))
                assert outcome.created == rows, outcome.errors[:3]
                raise Rollback
        except Rollback:
            pass
        try:
            with transaction.atomic():
                _batch, dry_peak = traced(
                    lambda: imports.upload(importer, "activities", "bench.xlsx", content)
                )
                raise Rollback
        except Rollback:
            pass
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        huge = big_file(site, 100_000)
        try:
            with transaction.atomic():
                (refused, refuse_s) = measure(
                    lambda: imports.upload(importer, "activities", "besar.xlsx", huge)
                )
                _refused, refuse_peak = traced(
                    lambda: imports.upload(importer, "activities", "besar.xlsx", huge)
                )
                raise Rollback
        except Rollback:
            pass

        self.stdout.write(
            f"Reference: one KampungKB.objects.get(pk=…) takes {lookup_s / 200 * 1000:.2f} ms "
            "on this machine and database"
        )
        self.stdout.write(f"Dry run : {dry_s:6.1f} s  {rows / dry_s:7.0f} rows/s")
        self.stdout.write(f"Commit  : {commit_s:6.1f} s  {rows / commit_s:7.0f} rows/s")
        self.stdout.write(f"Peak Python memory of the dry run (tracemalloc): {dry_peak:.1f} MB")
        self.stdout.write(
            f"Process peak RSS: {rss_after:.0f} MB (was {rss_before:.0f} MB before the import)"
        )
        self.stdout.write(
            f"100,000-row file ({len(huge) / 1024 / 1024:.1f} MB): refused in {refuse_s:.2f} s, "
            f"peak {refuse_peak:.1f} MB — “{refused.file_error[:60]}…”"
        )
