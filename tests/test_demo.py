import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from activities.models import PokjaMember
from kampungkb.models import User
from kampungkb.scopes import get_scope
from villages.models import KampungKB, KKBPKSnapshot, PopulationSnapshot, ProfileSnapshot

pytestmark = pytest.mark.django_db


def counts():
    return (
        KampungKB.objects.count(),
        ProfileSnapshot.objects.count(),
        PopulationSnapshot.objects.count(),
        KKBPKSnapshot.objects.count(),
        PokjaMember.objects.count(),
        User.objects.count(),
    )


def test_seed_demo_is_idempotent_and_valid(capsys):
    call_command("seed_demo")
    first = counts()
    out = capsys.readouterr().out
    assert "kampungkb-demo" in out
    for username in ("dinas", "pokja", "pokja2", "opd", "camat"):
        assert username in out
    call_command("seed_demo")
    assert counts() == first

    sites = KampungKB.objects.select_related("kelurahan__kecamatan")
    assert sites.count() == 9
    assert {s.kelurahan.kecamatan.name for s in sites} == {
        "Serpong",
        "Serpong Utara",
        "Pondok Aren",
        "Ciputat",
        "Ciputat Timur",
        "Pamulang",
        "Setu",
    }
    assert all(s.is_demo for s in sites)
    # Every demo snapshot obeys the same rules as the forms.
    for model in (ProfileSnapshot, PopulationSnapshot, KKBPKSnapshot):
        for snap in model.objects.select_related("site"):
            snap.full_clean()
    # 2-3 years of monthly data for the older sites.
    months = PopulationSnapshot.objects.filter(site=sites.first()).count()
    assert 24 <= months <= 36


def test_demo_logins_have_their_roles(rf):
    call_command("seed_demo")
    request = rf.post("/masuk/")  # login throttling (django-axes) needs the request
    scopes = {
        name: get_scope(authenticate(request, username=name, password="kampungkb-demo"))
        for name in ("dinas", "pokja", "pokja2", "opd", "camat")
    }
    assert scopes["dinas"].is_dinas
    assert len(scopes["pokja"].managed_site_ids) == 1
    assert scopes["pokja2"].pokja_site_ids and not scopes["pokja2"].managed_site_ids
    assert scopes["pokja"].pokja_site_ids != scopes["pokja2"].pokja_site_ids
    assert scopes["opd"].is_opd and not scopes["opd"].is_dinas
    assert scopes["camat"].kecamatan_ids and not scopes["camat"].reads_all_sites
    camat = User.objects.get(username="camat")
    assert KampungKB.objects.visible_to(camat).count() == 2  # Pamulang's two demo sites
