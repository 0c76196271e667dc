"""OPD coordinators in the admin: each reaches only their own agency's records, through
every admin door (changelist, change/delete/history views, crafted POSTs, autocomplete,
FK choices, filter facets, export action)."""

import io

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse
from openpyxl import load_workbook

from activities.models import Activity, OPDProgram, Usulan
from kampungkb.scopes import OPD_GROUP, get_scope

from . import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(opd_x_agency, opd_y_agency, site_a, site_b):
    return {
        "program_x": f.OPDProgramFactory(opd=opd_x_agency, title="Program Dinas X", sites=[site_a]),
        "program_y": f.OPDProgramFactory(opd=opd_y_agency, title="Program Dinas Y", sites=[site_b]),
        "activity_x": f.ActivityFactory(
            site=site_a, recorded_by_opd=opd_x_agency, title="Kegiatan Dinas X"
        ),
        "activity_y": f.ActivityFactory(
            site=site_b, recorded_by_opd=opd_y_agency, title="Kegiatan Dinas Y"
        ),
        "usulan_x": f.UsulanFactory(opd=opd_x_agency, site=site_a, title="Usulan untuk X"),
        "usulan_y": f.UsulanFactory(opd=opd_y_agency, site=site_b, title="Usulan untuk Y"),
    }


MODELS = {"opdprogram": "program", "activity": "activity", "usulan": "usulan"}


def _url(model, action, obj=None):
    name = f"admin:activities_{model}_{action}"
    return reverse(name, args=[obj.pk]) if obj is not None else reverse(name)


@pytest.mark.parametrize("model", MODELS)
def test_changelist_lists_only_the_coordinators_agency(model, records, client_for, opd_x, opd_y):
    key = MODELS[model]
    own, other = records[f"{key}_x"], records[f"{key}_y"]
    body = client_for(opd_x).get(_url(model, "changelist")).content.decode()
    assert own.title in body
    assert other.title not in body
    body = client_for(opd_y).get(_url(model, "changelist")).content.decode()
    assert other.title in body and own.title not in body


@pytest.mark.parametrize("model", MODELS)
def test_dinas_lists_every_agency(model, records, client_for, dinas):
    key = MODELS[model]
    body = client_for(dinas).get(_url(model, "changelist")).content.decode()
    assert records[f"{key}_x"].title in body and records[f"{key}_y"].title in body


@pytest.mark.parametrize(
    "model,action",
    [
        ("opdprogram", "change"),
        ("opdprogram", "delete"),
        ("activity", "change"),
        ("usulan", "change"),
    ],
)
def test_another_agencys_record_does_not_exist(model, action, records, client_for, opd_x):
    other = records[f"{MODELS[model]}_y"]
    response = client_for(opd_x).get(_url(model, action, other))
    # The admin's own answer for an object outside get_queryset().
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


@pytest.mark.parametrize("model", ["activity", "usulan"])
def test_coordinators_delete_no_activity_or_usulan(model, records, client_for, opd_x):
    # No delete permission at all (the activity workflow and the usulan trail stay).
    assert (
        client_for(opd_x).get(_url(model, "delete", records[f"{MODELS[model]}_x"])).status_code
        == 403
    )


@pytest.mark.parametrize("model", MODELS)
def test_another_agencys_history_is_refused(model, records, client_for, opd_x):
    other = records[f"{MODELS[model]}_y"]
    assert client_for(opd_x).get(_url(model, "history", other)).status_code == 404


def test_own_program_history_is_shown_to_its_coordinator(records, client_for, opd_x, opd_y):
    url = _url("opdprogram", "history", records["program_x"])
    assert client_for(opd_x).get(url).status_code == 200


def test_site_history_is_the_dinas_audit(client_for, opd_x, dinas, site_a):
    url = reverse("admin:villages_kampungkb_history", args=[site_a.pk])
    assert client_for(opd_x).get(url).status_code == 403
    assert client_for(dinas).get(url).status_code == 200


def test_crafted_post_to_another_agencys_program_changes_nothing(records, client_for, opd_x):
    program = records["program_y"]
    data = {
        "opd": program.opd_id,
        "title": "Diambil alih",
        "sites": [s.pk for s in program.sites.all()],
        "starts_on": "2024-01-01",
        "status": "done",
    }
    client = client_for(opd_x)
    response = client.post(_url("opdprogram", "change", program), data)
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    response = client.post(_url("opdprogram", "delete", program), {"post": "yes"})
    assert response["Location"] == reverse("admin:index")
    program.refresh_from_db()
    assert program.title == "Program Dinas Y" and program.status == "planned"


def test_coordinator_cannot_create_a_program_for_another_agency(
    records, client_for, opd_x, opd_y_agency, site_a
):
    before = OPDProgram.objects.count()
    data = {
        "opd": opd_y_agency.pk,
        "title": "Program palsu",
        "sites": [site_a.pk],
        "starts_on": "2024-01-01",
        "status": "planned",
    }
    response = client_for(opd_x).post(_url("opdprogram", "add"), data)
    assert response.status_code == 200
    assert "Masukkan pilihan yang valid" in response.content.decode()
    assert OPDProgram.objects.count() == before


def test_coordinator_cannot_move_their_program_to_another_agency(
    records, client_for, opd_x, opd_y_agency
):
    program = records["program_x"]
    data = {
        "opd": opd_y_agency.pk,
        "title": program.title,
        "sites": [s.pk for s in program.sites.all()],
        "starts_on": "2024-01-01",
        "status": "planned",
    }
    response = client_for(opd_x).post(_url("opdprogram", "change", program), data)
    assert response.status_code == 200  # the form refuses the choice
    program.refresh_from_db()
    assert program.opd_id != opd_y_agency.pk


def test_bulk_delete_with_crafted_ids_deletes_nothing_of_another_agency(records, client_for, opd_x):
    other = records["program_y"]
    client_for(opd_x).post(
        _url("opdprogram", "changelist"),
        {"action": "delete_selected", "_selected_action": [other.pk], "post": "yes"},
    )
    assert OPDProgram.objects.filter(pk=other.pk).exists()


@pytest.mark.parametrize("model", ["opdprogram", "usulan"])
def test_export_action_exports_only_the_coordinators_records(model, records, client_for, opd_x):
    key = MODELS[model]
    own, other = records[f"{key}_x"], records[f"{key}_y"]
    response = client_for(opd_x).post(
        _url(model, "changelist"),
        {"action": "export_xlsx", "_selected_action": [own.pk, other.pk]},
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    cells = {str(c) for row in sheet.iter_rows(values_only=True) for c in row}
    assert own.title in cells
    assert other.title not in cells


def test_program_agency_choices_are_the_coordinators_own(records, client_for, opd_x):
    body = client_for(opd_x).get(_url("opdprogram", "add")).content.decode()
    assert f'<option value="{records["program_x"].opd_id}"' in body
    assert f'<option value="{records["program_y"].opd_id}"' not in body


def test_autocomplete_offers_only_what_the_form_accepts(records, client_for, opd_x, site_a, site_b):
    closed = f.KampungKBFactory(name="Kampung KB Tutup", is_active=False)
    url = reverse("admin:autocomplete")
    client = client_for(opd_x)
    sites = client.get(
        url,
        {"app_label": "activities", "model_name": "opdprogram", "field_name": "sites", "term": ""},
    ).json()["results"]
    names = {r["text"] for r in sites}
    assert {site_a.name, site_b.name} <= names
    assert closed.name not in names  # a program goes to active sites only
    programs = client.get(
        url,
        {
            "app_label": "activities",
            "model_name": "activity",
            "field_name": "opd_program",
            "term": "Program",
        },
    ).json()["results"]
    assert [r["text"] for r in programs] == ["Program Dinas X"]


def test_filter_facets_count_only_the_coordinators_records(records, client_for, opd_x):
    f.OPDProgramFactory(opd=records["program_y"].opd, title="Lagi Y", status="running")
    body = client_for(opd_x).get(_url("opdprogram", "changelist") + "?_facets=1").content.decode()
    assert "Dinas Y" not in body and "DY" not in body  # the agency filter lists own only
    assert "Berjalan (0)" in body  # Y's running program is not counted
    assert "Direncanakan (1)" in body


def test_usulan_overdue_filter_in_the_admin(client_for, opd_x, opd_x_agency, site_a):
    import datetime

    from django.utils import timezone

    today = timezone.localdate()
    f.UsulanFactory(
        opd=opd_x_agency, site=site_a, title="Terlambat", due_on=today - datetime.timedelta(days=1)
    )
    f.UsulanFactory(opd=opd_x_agency, site=site_a, title="Masih waktu")
    body = client_for(opd_x).get(_url("usulan", "changelist") + "?due=overdue").content.decode()
    assert "Terlambat" in body and "Masih waktu" not in body


def test_coordinator_answers_usulan_in_the_admin(
    client_for, opd_x, opd_y, pokja_a, opd_x_agency, site_a, django_capture_on_commit_callbacks
):
    from activities import usulan_services

    with django_capture_on_commit_callbacks(execute=True):
        usulan = usulan_services.submit(
            user=pokja_a,
            direction="up",
            site=site_a,
            opd=opd_x_agency,
            kind="training",
            title="Pelatihan kader",
        )
    mail.outbox.clear()
    url = _url("usulan", "change", usulan)
    # The other agency cannot even open it.
    assert client_for(opd_y).post(url, {"to_status": "accepted"})["Location"] == reverse(
        "admin:index"
    )
    client = client_for(opd_x)
    response = client.post(
        url, {"to_status": "rejected", "reason": "", **_inline_management("transitions")}
    )
    assert response.status_code == 200
    assert "Tuliskan alasan penolakan usulan." in response.content.decode()
    usulan.refresh_from_db()
    assert usulan.status == "submitted"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                "to_status": "accepted",
                "reason": "Siap dilaksanakan",
                **_inline_management("transitions"),
            },
        )
    assert response.status_code == 302
    usulan.refresh_from_db()
    assert usulan.status == "accepted"
    assert list(usulan.transitions.values_list("to_status", flat=True)) == [
        "submitted",
        "accepted",
    ]
    assert [m.to for m in mail.outbox] == [[pokja_a.email]]
    # The change page now offers to record the program that carries it out.
    body = client.get(url).content.decode()
    assert reverse("admin:activities_opdprogram_add") + f"?usulan={usulan.pk}" in body


def test_program_recorded_for_an_accepted_usulan_carries_it_out(
    client_for, opd_x, pokja_a, opd_x_agency, site_a
):
    from activities import usulan_services

    usulan = usulan_services.submit(
        user=pokja_a, direction="up", site=site_a, opd=opd_x_agency, kind="service", title="IVA"
    )
    usulan_services.transition(usulan, "accepted", user=opd_x)
    data = {
        "opd": opd_x_agency.pk,
        "title": "Pemeriksaan IVA",
        "sites": [site_a.pk],
        "starts_on": "2024-02-01",
        "status": "running",
        "usulan": usulan.pk,
    }
    response = client_for(opd_x).post(_url("opdprogram", "add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    program = OPDProgram.objects.get(title="Pemeriksaan IVA")
    usulan.refresh_from_db()
    assert usulan.status == "carried_out"
    assert usulan.carried_out_program == program
    assert program.created_by == opd_x


def _inline_management(prefix):
    return {
        f"{prefix}-TOTAL_FORMS": "0",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def test_coordinator_records_an_activity_for_their_agency(
    client_for, opd_x, opd_x_agency, site_a, dinas
):
    data = {
        "site": site_a.pk,
        "title": "Penyuluhan gizi oleh Dinas X",
        "date": "2024-05-02",
        "category": "reproduksi",
        "participants_male": "4",
        "participants_female": "11",
        "origin": "opd",
        **_inline_management("photos"),
        **_inline_management("transitions"),
    }
    response = client_for(opd_x).post(_url("activity", "add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    activity = Activity.objects.get(title="Penyuluhan gizi oleh Dinas X")
    assert activity.recorded_by_opd == opd_x_agency
    assert activity.created_by == opd_x
    assert list(activity.agencies.all()) == [opd_x_agency]  # counts as cross-sector
    # It appears on the site page with the agency's name.
    body = client_for(dinas).get(reverse("villages:site-detail", args=[site_a.pk])).content
    assert "Penyuluhan gizi oleh Dinas X" in body.decode()
    assert "DX" in body.decode()


def test_coordinator_submits_their_activity_for_verification(records, client_for, opd_x):
    own, other = records["activity_x"], records["activity_y"]
    client_for(opd_x).post(
        _url("activity", "changelist"),
        {"action": "submit_for_verification", "_selected_action": [own.pk, other.pk]},
    )
    own.refresh_from_db()
    other.refresh_from_db()
    assert own.status == "submitted" and other.status == "draft"
    assert own.transitions.get().to_status == "submitted"


def test_dinas_assigns_coordinators_who_then_reach_the_admin(client_for, dinas):
    newcomer = f.UserFactory(username="calon_koordinator")
    data = {
        "name": "Dinas Perhubungan",
        "short_name": "Dishub",
        "kind": "opd",
        "is_active": "on",
        "coordinators": [newcomer.pk],
    }
    response = client_for(dinas).post(reverse("admin:activities_opd_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    newcomer.refresh_from_db()
    assert newcomer.is_staff
    assert newcomer.groups.filter(name=OPD_GROUP).exists()
    assert get_scope(newcomer).is_opd
    assert client_for(newcomer).get(reverse("admin:activities_opdprogram_add")).status_code == 200


def test_coordinators_read_the_agency_list_but_not_who_coordinates(client_for, opd_x, opd_x_agency):
    client = client_for(opd_x)
    assert client.get(reverse("admin:activities_opd_changelist")).status_code == 200
    body = client.get(reverse("admin:activities_opd_change", args=[opd_x_agency.pk]))
    assert body.status_code == 200
    assert "t_opd_x" not in body.content.decode()
    response = client.post(
        reverse("admin:activities_opd_change", args=[opd_x_agency.pk]),
        {"name": "Diganti", "kind": "opd"},
    )
    assert response.status_code == 403
    opd_x_agency.refresh_from_db()
    assert opd_x_agency.name == "Dinas X"


def test_opd_group_permissions_open_the_coordination_admin(opd_x):
    group = Group.objects.get(name=OPD_GROUP)
    codes = set(group.permissions.values_list("codename", flat=True))
    assert {"view_usulan", "change_usulan", "add_opdprogram", "view_importbatch"} <= codes
    assert "add_usulan" not in codes and "delete_usulan" not in codes
    assert Usulan.objects.visible_to(opd_x).count() == 0
