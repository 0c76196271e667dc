"""Stored XSS: a payload in every free-text field is shown escaped on every page, admin
included; and spreadsheet exports neutralise formulas."""

import csv
import io

import pytest
from django.contrib import admin
from django.db import models
from django.urls import reverse
from openpyxl import load_workbook

from activities.models import Activity, ActivityPhoto, ActivityTransition, OPDProgram
from kampungkb.exports import csv_response, safe_cell, xlsx_response
from villages.models import ProfileSnapshot

from . import factories as f
from .test_url_matrix import iter_routes
from .url_classes import CLASSIFICATION, DEBUG_MEDIA

pytestmark = pytest.mark.django_db


def payload(n):
    # Short enough for every field (phone numbers: 20); opens a tag and breaks attributes.
    return f"<q{n}'\">"


def escaped(n):
    return f"&lt;q{n}&#x27;&quot;&gt;"


def free_text_fields(obj):
    return [
        field
        for field in obj._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField)
        and field.editable
        and not field.choices
        and not isinstance(field, models.FileField)
    ]


@pytest.fixture
def poisoned(cast, site_a, opd_x_agency, client_for, dinas, pokja_a):
    """Payloads through the portal's own forms where a form exists, through the ORM
    (as the admin would store them) for the rest. Returns {n: "model.field"}."""
    fields = {}
    counter = iter(range(1, 1000))

    def poison(obj):
        for field in free_text_fields(obj):
            if field.max_length and field.max_length < len(payload(999)):
                continue  # a 5-character code cannot hold markup (PostgreSQL refuses it)
            n = next(counter)
            setattr(obj, field.attname, payload(n))
            fields[n] = f"{obj._meta.label}.{field.name}"
        obj.save()

    # The site form (Dinas) and the profile form (ketua of the site).
    site_fields = {"name": 1, "rw_text": 2, "description": 3}
    response = client_for(dinas).post(
        reverse("villages:site-update", args=[site_a.pk]),
        {
            "name": payload(1),
            "kelurahan": site_a.kelurahan_id,
            "coverage": "rw",
            "rw_text": payload(2),
            "declared_on": "01/03/2018",
            "description": payload(3),
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    profile_fields = {
        "sk_number": 4,
        "companion_name": 5,
        "companion_nip": 6,
        "companion_contact": 7,
    }
    response = client_for(pokja_a).post(
        reverse("villages:profile-create", args=[site_a.pk]),
        {
            "period": "2024-03",
            "pokja_exists": "on",
            "sk_number": payload(4),
            "companion": "plkb",
            "companion_name": payload(5),
            "companion_nip": payload(6),
            "companion_contact": payload(7),
            "members_count": "5",
            "trained_members_count": "1",
        },
    )
    assert response.status_code == 302
    site_a.refresh_from_db()
    profile = ProfileSnapshot.objects.get(site=site_a)
    for name, n in site_fields.items():
        assert getattr(site_a, name) == payload(n)  # stored verbatim, escaped on output
        fields[n] = f"villages.KampungKB.{name}"
    for name, n in profile_fields.items():
        assert getattr(profile, name) == payload(n)
        fields[n] = f"villages.ProfileSnapshot.{name}"
    for _ in range(10):
        next(counter)

    kelurahan = site_a.kelurahan
    for obj in (kelurahan, kelurahan.kecamatan, kelurahan.kecamatan.kota):
        poison(obj)
    poison(f.PokjaMemberFactory(site=site_a, position="bendahara"))
    activity = f.ActivityFactory(site=site_a, status=Activity.Status.VERIFIED)
    activity.agencies.add(opd_x_agency)
    poison(activity)
    photo = ActivityPhoto.objects.create(activity=activity, image=f.image_file(), is_public=True)
    poison(photo)
    poison(ActivityTransition.objects.create(activity=activity, to_status="verified", user=dinas))
    poison(opd_x_agency)
    poison(f.OPDProgramFactory(opd=opd_x_agency, sites=[site_a]))
    for user in (pokja_a, dinas):
        user.first_name, user.last_name = payload(next(counter)), payload(next(counter))
        fields[int(user.first_name[2:-3])] = "kampungkb.User.first_name"
        fields[int(user.last_name[2:-3])] = "kampungkb.User.last_name"
        user.save()
    return fields


def pages(site_a, pokja_a):
    """Every classified page with its URL filled with site A, and every admin page of
    every registered model (changelist, and change + history of each row)."""
    # Object kinds of the matrix (tests/url_classes.py) filled with the poisoned ones.
    by_kind = {
        "site": site_a.pk,
        "user": pokja_a.pk,
        "activity": Activity.objects.get().pk,
    }
    urls = []
    for route in iter_routes():
        rule = CLASSIFICATION.get(route.key)
        if rule is None or rule.access == DEBUG_MEDIA or not route.name:
            continue
        if set(rule.kwargs.values()) - set(by_kind):
            # Admin helpers (app index, view on site) show no stored text; photos and
            # exports are not HTML (exports: see below); usulan, inbox and imports have
            # no object here.
            continue
        kwargs = {name: by_kind[kind] for name, kind in rule.kwargs.items()}
        urls.append(reverse(route.name, kwargs=kwargs))
    for model in admin.site._registry:
        opts = model._meta
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        for obj in model._base_manager.order_by("-pk")[:3]:
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk]))
    urls.append(reverse("admin:activities_activity_change", args=[Activity.objects.get().pk]))
    urls.append(reverse("admin:activities_opdprogram_change", args=[OPDProgram.objects.get().pk]))
    return urls


def test_every_free_text_payload_is_escaped_everywhere(poisoned, site_a, pokja_a, client_for, cast):
    shown = set()
    urls = pages(site_a, pokja_a)
    assert len(urls) > 50
    for role in ("dinas", "pokja_a", "anonymous"):
        client = client_for(cast[role])
        for url in urls:
            response = client.get(url)
            body = response.content.decode("utf-8", "replace")
            raw = [n for n in poisoned if payload(n) in body or f"<q{n}" in body]
            assert raw == [], f"{role} {url}: unescaped {[poisoned[n] for n in raw]}"
            shown |= {n for n in poisoned if escaped(n) in body}
    missing = sorted({poisoned[n] for n in poisoned} - {poisoned[n] for n in shown})
    # Every field with a payload was displayed (escaped) on at least one page, so the
    # check above looked at it.
    assert missing == []


# --- Spreadsheet exports: formula injection ----------------------------------------------
DANGEROUS = ['=HYPERLINK("http://x","klik")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "\n=1"]


@pytest.mark.parametrize("value", DANGEROUS)
def test_safe_cell_neutralises_formula_starts(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Kampung KB A", "Kampung KB A"),
        ("a=b", "a=b"),
        (12, 12),
        (-5, -5),
        (None, ""),
        (True, "Ya"),
    ],
)
def test_safe_cell_leaves_ordinary_values_alone(value, expected):
    assert safe_cell(value) == expected


def test_csv_export_quotes_every_field_and_neutralises_formulas():
    response = csv_response(
        "uji.csv", ["=judul", "nama"], [["=1+1", "a;=cmd|' /C calc'!A0"], [5, "-x"]]
    )
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["'=judul", "nama"], ["'=1+1", "a;=cmd|' /C calc'!A0"], ["5", "'-x"]]
    # Quoted, so Excel with ";" as list separator keeps "a;=cmd…" in one cell.
    assert "\"a;=cmd|' /C calc'!A0\"" in text
    assert response["Content-Disposition"] == 'attachment; filename="uji.csv"'


def test_xlsx_export_has_no_formula_cells():
    response = xlsx_response("uji.xlsx", [("Data", ["=h"], [[v] for v in DANGEROUS] + [[7]])])
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    cells = [row[0] for row in book["Data"].iter_rows()]
    assert all(c.data_type != "f" for c in cells)

    expected = ["'=h", *("'" + v for v in DANGEROUS), 7]
    assert [c.value for c in cells] == expected


def test_export_file_name_cannot_break_the_header():
    response = csv_response('laporan "x"\r\nSet-Cookie: a=b.csv', ["a"], [])
    assert "\n" not in response["Content-Disposition"]
    assert "Set-Cookie" not in response.headers or response.headers.get("Set-Cookie") is None
