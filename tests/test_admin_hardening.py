"""Crafted admin POSTs cannot create or move an object out of the user's scope (the
admin re-checks ``editable_by`` after saving, like the portal's views)."""

import pytest
from django.urls import reverse

from activities.models import OPDProgram

from . import factories as f

pytestmark = pytest.mark.django_db


def program_data(opd, site, title="Posyandu Remaja"):
    return {
        "opd": opd.pk,
        "sites": [site.pk],
        "title": title,
        "starts_on": "01/02/2024",
        "status": "planned",
        "description": "",
    }


def test_opd_coordinator_cannot_create_a_program_for_another_agency(
    client_for, opd_x, opd_x_agency, opd_y_agency, site_a
):
    client = client_for(opd_x)
    url = reverse("admin:activities_opdprogram_add")
    response = client.post(url, program_data(opd_y_agency, site_a, "Atas nama Dinas Y"))
    # The form offers only the coordinator's own agency: the other one is an invalid choice
    # (and the save-time scope check would answer 403 if the form let it through).
    assert response.status_code in (200, 403)
    assert not OPDProgram.objects.filter(title="Atas nama Dinas Y").exists()
    response = client.post(url, program_data(opd_x_agency, site_a))
    assert response.status_code == 302
    assert OPDProgram.objects.get(title="Posyandu Remaja").opd == opd_x_agency


def test_opd_coordinator_cannot_hand_their_program_to_another_agency(
    client_for, opd_x, opd_x_agency, opd_y_agency, site_a
):
    program = f.OPDProgramFactory(opd=opd_x_agency, sites=[site_a], title="Milik X")
    url = reverse("admin:activities_opdprogram_change", args=[program.pk])
    response = client_for(opd_x).post(url, program_data(opd_y_agency, site_a, "Milik X"))
    assert response.status_code in (200, 403)  # invalid choice, or the save-time 403
    program.refresh_from_db()
    assert program.opd == opd_x_agency


def test_dinas_still_assigns_programs_to_any_agency(client_for, dinas, opd_y_agency, site_a):
    response = client_for(dinas).post(
        reverse("admin:activities_opdprogram_add"), program_data(opd_y_agency, site_a, "Dari Dinas")
    )
    assert response.status_code == 302
    assert OPDProgram.objects.get(title="Dari Dinas").opd == opd_y_agency
